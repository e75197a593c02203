"""Read SCALE-Sim topology files into our layers.

Two formats, told apart by the header:

* convolutions — ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
  Channels, Num Filter, Strides,`` (SCALE-Sim gives the input map already padded, so layers
  come in with ``padding=0``; square filters only, as our ``Conv2d``);
* GEMMs — ``Layer, M, N, K``: an ``M x K`` input times a ``K x N`` matrix, read as
  ``Linear(in_features=K, out_features=N, batch=M)``.
"""

import csv
from pathlib import Path

from .layers import Conv2d, Layer, Linear

__all__ = ["read_topology"]

CONV_HEADER = [
    "layer name",
    "ifmap height",
    "ifmap width",
    "filter height",
    "filter width",
    "channels",
    "num filter",
    "strides",
]
GEMM_HEADER = ["layer", "m", "n", "k"]


def _cells(row: list[str]) -> list[str]:
    cells = [c.strip() for c in row]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def read_topology(path: str | Path) -> list[Layer]:
    """Layers of a SCALE-Sim topology CSV; a malformed row raises ``ValueError`` naming the
    file, the line and the value."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"topology file {str(path)!r} does not exist")
    with path.open(newline="") as f:
        rows = [(n, _cells(r)) for n, r in enumerate(csv.reader(f), 1)]
    rows = [(n, r) for n, r in rows if r]
    if not rows:
        raise ValueError(f"{path}: empty topology file")
    line, header = rows[0]
    head = [h.lower() for h in header]
    if head == CONV_HEADER:
        kind = "conv"
    elif head == GEMM_HEADER:
        kind = "gemm"
    else:
        raise ValueError(
            f"{path}:{line}: unknown header {', '.join(header)!r}; expected SCALE-Sim's conv "
            f"header ({', '.join(CONV_HEADER)}) or its GEMM header (Layer, M, N, K)"
        )
    layers: list[Layer] = []
    width = len(CONV_HEADER) if kind == "conv" else len(GEMM_HEADER)
    for n, row in rows[1:]:
        if len(row) != width:
            raise ValueError(f"{path}:{n}: expected {width} columns, found {len(row)}: {row!r}")
        name, *fields = row
        values = []
        for col, text in zip(header[1:], fields, strict=True):
            try:
                value = int(text)
            except ValueError:
                raise ValueError(
                    f"{path}:{n}: {col.strip()} must be a positive integer, not {text!r}"
                ) from None
            if value < 1:
                raise ValueError(
                    f"{path}:{n}: {col.strip()} must be a positive integer, not {value}"
                )
            values.append(value)
        try:
            if kind == "conv":
                h, w, fh, fw, c, nf, s = values
                if fh != fw:
                    raise ValueError(
                        f"filter {fh}x{fw} is not square (Conv2d needs square kernels)"
                    )
                layers.append(
                    Conv2d(
                        name=name,
                        in_channels=c,
                        out_channels=nf,
                        kernel_size=fh,
                        stride=s,
                        height=h,
                        width=w,
                    )
                )
            else:
                m, nn, k = values
                layers.append(Linear(name=name, in_features=k, out_features=nn, batch=m))
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: {exc}") from None
    return layers
