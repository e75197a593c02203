"""DRAM traffic with finite on-chip buffers: how often weights and inputs are fetched.

Loop order assumed (Snowflake's, and this accelerator's compiler's for convolutions): the
output is computed in *bands* of output rows; a band's input rows (with the kernel's halo) are
loaded once; the weights are streamed through the weight buffers once per band unless all of
them fit on chip, in which case they are loaded once for the layer.  So

* weight fetches = number of bands (1 if the weights fit the weight buffers),
* input fetches = input rows loaded over all bands / input rows (halo rows count again).

A band is as many output rows as fit the maps buffer: ``((rows - 1) * stride + kernel)``
padded input rows of ``(width + 2 * padding) * in_channels`` elements.
"""

from dataclasses import asdict, dataclass
from typing import Any

from .layers import Conv2d, Layer, Linear

__all__ = ["Buffers", "Tiling", "Traffic", "choose_tiling", "traffic"]


@dataclass(frozen=True)
class Buffers:
    """On-chip capacity, bytes: the maps buffer (input) and all weight buffers together."""

    maps_bytes: int
    weights_bytes: int

    def __post_init__(self) -> None:
        for f in ("maps_bytes", "weights_bytes"):
            v = getattr(self, f)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"Buffers: {f} must be a positive integer, not {v!r}")


@dataclass(frozen=True)
class Tiling:
    """Output rows of each band (they sum to the layer's output height)."""

    band_rows: tuple[int, ...]

    @property
    def bands(self) -> int:
        return len(self.band_rows)


@dataclass(frozen=True)
class Traffic:
    weight_fetches: int
    input_fetches: float
    weight_bytes: int
    input_bytes: int
    output_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weight_bytes + self.input_bytes + self.output_bytes

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_bytes": self.total_bytes}


def choose_tiling(layer: Conv2d, buffers: Buffers, data_bits: int = 16) -> Tiling:
    """Largest equal bands whose input rows fit the maps buffer."""
    b = data_bits / 8
    row_bytes = (layer.width + 2 * layer.padding) * layer.in_channels * b
    oh = layer.conv_height
    rows = 0
    while (
        rows < oh and ((rows) * layer.stride + layer.kernel_size) * row_bytes <= buffers.maps_bytes
    ):
        rows += 1
    if rows == 0:
        raise ValueError(
            f"one output row needs {layer.kernel_size * row_bytes:.0f} bytes of input, more "
            f"than the maps buffer's {buffers.maps_bytes}"
        )
    bands = -(-oh // rows)
    base, extra = divmod(oh, bands)
    return Tiling(tuple(base + (1 if i < extra else 0) for i in range(bands)))


def traffic(
    layer: Layer, buffers: Buffers, tiling: Tiling | None = None, data_bits: int = 16
) -> Traffic:
    """DRAM bytes of ``layer`` under the band loop order (see the module docstring)."""
    b = data_bits / 8
    w_bytes = round(layer.weight_elems * b)
    out_bytes = round(layer.output_elems * b)
    if isinstance(layer, Conv2d):
        tiling = tiling or choose_tiling(layer, buffers, data_bits)
        if sum(tiling.band_rows) != layer.conv_height:
            raise ValueError(
                f"bands {tiling.band_rows} cover {sum(tiling.band_rows)} rows; "
                f"the layer has {layer.conv_height}"
            )
        rows_loaded, o0 = 0, 0
        for r in tiling.band_rows:  # real input rows of each band (halo included)
            top = o0 * layer.stride - layer.padding
            bottom = (o0 + r - 1) * layer.stride - layer.padding + layer.kernel_size
            rows_loaded += min(bottom, layer.height) - max(top, 0)
            o0 += r
        in_fetch = rows_loaded / layer.height
        in_bytes = round(layer.input_elems * b * in_fetch)
        w_fetch = 1 if w_bytes <= buffers.weights_bytes else tiling.bands
        return Traffic(w_fetch, in_fetch, w_fetch * w_bytes, in_bytes, out_bytes)
    if isinstance(layer, Linear):
        # batch rows share each weight; the weights are fetched once per batch tile
        in_row = layer.in_features * b
        per_tile = max(1, min(layer.batch, int(buffers.maps_bytes // in_row)))
        tiles = -(-layer.batch // per_tile)
        w_fetch = 1 if w_bytes <= buffers.weights_bytes else tiles
        return Traffic(w_fetch, 1.0, w_fetch * w_bytes, round(layer.input_elems * b), out_bytes)
    # GRU: every timestep needs every weight; they stay on chip only if they all fit
    steps = getattr(layer, "steps", 1)
    w_fetch = 1 if w_bytes <= buffers.weights_bytes else steps
    return Traffic(w_fetch, 1.0, w_fetch * w_bytes, round(layer.input_elems * b), out_bytes)
