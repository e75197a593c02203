"""Shared lowering of matrix products over a run of pixels (linear layers, GRU gates, and
the channel groups of a convolution): weight/bias streaming with ping-pong halves, K-tiles
accumulated in the accumulator memory, and the drain into the vector buffer.

The weights of one (channel group, K-tile) are one *blob* in DRAM, in the order the weights
buffers want them (``docs/compiler.md``): channel mode ``[cu][vmac][k][lane]`` (only the
vMACs that hold real channels), pixel mode ``[vmac][k][lane]`` (written to every CU).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .config import AcceleratorConfig
from .isa import Buf, Instruction, Op
from .program import ProgramBuilder

__all__ = ["Blob", "MatmulEmitter", "Part", "bias_blob", "vector_store", "weights_blob"]


@dataclass(frozen=True)
class Part:
    """One K-tile of a channel group: where its inputs are in the maps buffer and which
    slice of the reduction it covers.

    ``k_loops`` are ``(count, stride)`` for k2, k1 and k0 (k0's stride is 1); ``pixels``
    are ``(px_count, py_count, px_stride, py_stride)``; ``k_slice`` selects the weight
    columns (in the layer's reduction order) the packer puts in this part's blob.
    """

    maps_addr: int
    maps_res: tuple
    k_loops: tuple[tuple[int, int], tuple[int, int], int]
    pixels: tuple[int, int, int, int]
    k_key: object  # identifies the weight columns for the packer
    load: Callable[[], None] | None = None  # emits this part's maps loads, just in time

    @property
    def k(self) -> int:
        (c2, _), (c1, _), c0 = self.k_loops
        return c2 * c1 * c0


@dataclass
class Blob:
    """A piece of the DRAM image: the packer fills ``addr`` with ``make(tensors)``."""

    addr: int
    nbytes: int
    make: Callable[[dict[str, np.ndarray]], np.ndarray]


def lanes_of(cfg: AcceleratorConfig, pixel_mode: bool, n_ch: int) -> list[int]:
    """vMACs holding real channels, per CU (pixel mode: one entry, broadcast)."""
    per_cu = cfg.n_vmac * cfg.n_lanes
    if pixel_mode:
        return [min(cfg.n_vmac, -(-n_ch // cfg.n_lanes))]
    return [
        max(0, min(cfg.n_vmac, -(-(n_ch - c * per_cu) // cfg.n_lanes))) for c in range(cfg.n_cu)
    ]


def weights_blob(cfg: AcceleratorConfig, pixel_mode: bool, w: np.ndarray) -> np.ndarray:
    """Arrange ``w`` (``n_ch x K``, channels of one group) as the group's weight blob."""
    n_ch, k = w.shape
    nvs = lanes_of(cfg, pixel_mode, n_ch)
    out = []
    for c, nv in enumerate(nvs):
        for v in range(nv):
            block = np.zeros((k, cfg.n_lanes), dtype=np.int64)
            c0 = (v if pixel_mode else c * cfg.n_vmac + v) * cfg.n_lanes
            real = w[c0 : c0 + cfg.n_lanes]
            block[:, : real.shape[0]] = real.T
            out.append(block.reshape(-1))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def bias_blob(cfg: AcceleratorConfig, pixel_mode: bool, b: np.ndarray) -> np.ndarray:
    """Product-scale biases (int64 values, stored as 2*data_bits) of one group, as
    ``data_bits`` halves, low half first."""
    n_ch = b.shape[0]
    nvs = lanes_of(cfg, pixel_mode, n_ch)
    words = []
    for c, nv in enumerate(nvs):
        for v in range(nv):
            c0 = (v if pixel_mode else c * cfg.n_vmac + v) * cfg.n_lanes
            word = np.zeros(cfg.n_lanes, dtype=np.int64)
            real = b[c0 : c0 + cfg.n_lanes]
            word[: real.shape[0]] = real
            words.append(word)
    if not words:
        return np.zeros(0, dtype=np.int64)
    vals = np.concatenate(words) & ((1 << (2 * cfg.data_bits)) - 1)
    mask = (1 << cfg.data_bits) - 1
    halves = np.stack([vals & mask, vals >> cfg.data_bits], axis=-1).reshape(-1)
    return np.where(halves >= 1 << (cfg.data_bits - 1), halves - (1 << cfg.data_bits), halves)


def _bias_maker(cfg, pixel_mode, bias_fn, tensors):
    return bias_blob(cfg, pixel_mode, bias_fn(tensors))


def _weights_maker(cfg, pixel_mode, weight_fn, part, tensors):
    return weights_blob(cfg, pixel_mode, weight_fn(tensors, part))


@dataclass
class MatmulEmitter:
    """Emits the loads and MACs of channel groups, allocating weight/bias blobs in DRAM.

    Parameters
    ----------
    cfg, builder
        The machine and the program being built.
    pixel_mode : bool
        CUs split pixels (True) or channels (False).
    params_addr : int
        DRAM address where this emitter's weight and bias blobs start (it advances).
    """

    cfg: AcceleratorConfig
    builder: ProgramBuilder
    pixel_mode: bool
    params_addr: int
    blobs: list[Blob] = field(default_factory=list)
    _w_half: int = 0
    _b_slot: int = 0

    @property
    def group_channels(self) -> int:
        c = self.cfg
        return (1 if self.pixel_mode else c.n_cu) * c.n_vmac * c.n_lanes

    @property
    def words_per_pixel(self) -> int:
        c = self.cfg
        return c.n_vmac if self.pixel_mode else c.n_cu * c.n_vmac

    def _per_cu_loads(
        self,
        nvs: list[int],
        dram: int,
        buf: Buf,
        row_elems: int,
        plane_stride_buf: int,
        buf_addr: int,
        res: tuple,
    ) -> None:
        c = self.cfg
        elem = c.elem_bytes
        for cu, nv in enumerate(nvs):
            if nv == 0:
                continue
            mask = ((1 << c.n_cu) - 1) if self.pixel_mode else (1 << cu)
            self.builder.emit(
                Instruction(
                    Op.LOAD,
                    {
                        "buf": int(buf),
                        "cu_mask": mask,
                        "dram_addr": dram,
                        "row_elems": row_elems,
                        "rows": nv,
                        "dram_row_stride": row_elems * elem,
                        "planes": 1,
                        "dram_plane_stride": 0,
                        "buf_addr": buf_addr,
                        "buf_row_stride": plane_stride_buf,
                        "buf_plane_stride": 0,
                    },
                ),
                writes=[res],
            )
            dram += nv * row_elems * elem

    def open_group(self, n_ch: int, bias_fn) -> "_Group":
        """Load the bias of a channel group (``bias_fn(tensors) -> n_ch`` product-scale
        values) into the next bias slot and return the group's context."""
        c = self.cfg
        nvs = lanes_of(c, self.pixel_mode, n_ch)
        b_slot = self._b_slot % c.bias_depth
        self._b_slot += 1
        b_elems = 2 * c.n_lanes
        b_bytes = sum(nvs) * b_elems * c.elem_bytes
        b_dram = self.params_addr
        self.params_addr += b_bytes
        pm = self.pixel_mode
        self.blobs.append(Blob(b_dram, b_bytes, partial(_bias_maker, c, pm, bias_fn)))
        self._per_cu_loads(
            nvs,
            b_dram,
            Buf.BIAS,
            b_elems,
            c.bias_depth * b_elems,
            b_slot * b_elems,
            ("bias", b_slot),
        )
        return _Group(n_ch, nvs, b_slot)

    def part(
        self,
        grp: "_Group",
        part: Part,
        weight_fn,
        *,
        first: bool,
        last: bool,
        out_addr: int = 0,
        out_res: tuple = ("vector", 0),
        out_pix_stride: int | None = None,
        acc_addr: int = 0,
        relu: bool = False,
    ) -> None:
        """Emit one K-tile of a group: its maps loads (if any), its weight load, its MAC.
        ``first`` starts the accumulation from zero; ``last`` drains to ``out_addr``."""
        c = self.cfg
        half_words = c.weights_depth // 2
        if part.load is not None:
            part.load()
        if part.k > half_words:
            raise ValueError(
                f"K-tile of {part.k} words exceeds half the weights buffer ({half_words})"
            )
        pm = self.pixel_mode
        half = self._w_half % 2
        self._w_half += 1
        w_elems = part.k * c.n_lanes
        w_bytes = sum(grp.nvs) * w_elems * c.elem_bytes
        w_dram = self.params_addr
        self.params_addr += w_bytes
        self.blobs.append(Blob(w_dram, w_bytes, partial(_weights_maker, c, pm, weight_fn, part)))
        self._per_cu_loads(
            grp.nvs,
            w_dram,
            Buf.WEIGHTS,
            w_elems,
            c.weights_depth * c.n_lanes,
            half * half_words * c.n_lanes,
            ("weights", half),
        )
        (k2c, k2s), (k1c, k1s), k0c = part.k_loops
        pxc, pyc, pxs, pys = part.pixels
        mac = Instruction(
            Op.MAC,
            {
                "pixel_mode": int(pm),
                "acc_clear": int(first),
                "drain": int(last),
                "relu": int(relu and last),
                "shift": c.frac_bits,
                "maps_addr": part.maps_addr,
                "w_addr": half * half_words,
                "bias_addr": grp.bias_slot,
                "acc_addr": acc_addr,
                "out_addr": out_addr,
                "out_pix_stride": self.words_per_pixel
                if out_pix_stride is None
                else out_pix_stride,
                "k0_count": k0c,
                "k1_count": k1c,
                "k1_stride": k1s,
                "k2_count": k2c,
                "k2_stride": k2s,
                "px_count": pxc,
                "py_count": pyc,
                "px_stride": pxs,
                "py_stride": pys,
            },
        )
        reads = [part.maps_res, ("weights", half)]
        if last:
            reads.append(("bias", grp.bias_slot))
        self.builder.emit(mac, reads=reads, writes=[out_res] if last else [])

    def group(
        self,
        parts: list[Part],
        n_ch: int,
        weight_fn,
        bias_fn,
        *,
        out_addr: int,
        out_res: tuple,
        relu: bool = False,
        after_first: Callable[[], None] | None = None,
    ) -> None:
        """A whole channel group: bias, then every K-tile, the last one draining;
        ``after_first`` is called between the first K-tile's MAC and the second's (not at
        all for a single K-tile)."""
        grp = self.open_group(n_ch, bias_fn)
        for i, part in enumerate(parts):
            if i == 1 and after_first is not None:
                after_first()
            self.part(
                grp,
                part,
                weight_fn,
                first=i == 0,
                last=i == len(parts) - 1,
                out_addr=out_addr,
                out_res=out_res,
                relu=relu,
            )


def vector_store(
    cfg: AcceleratorConfig,
    *,
    dram_addr: int,
    row_elems: int,
    rows: int,
    dram_row_stride: int,
    word: int,
    word_stride: int,
) -> Instruction:
    """STORE of ``rows`` rows of ``row_elems`` elements from the vector buffer (the first at
    vector word ``word``, the next ``word_stride`` words on) to DRAM rows
    ``dram_row_stride`` bytes apart."""
    return Instruction(
        Op.STORE,
        {
            "buf": int(Buf.VECTOR),
            "cu_mask": 0,
            "dram_addr": dram_addr,
            "row_elems": row_elems,
            "rows": rows,
            "dram_row_stride": dram_row_stride,
            "planes": 1,
            "dram_plane_stride": 0,
            "buf_addr": word * cfg.n_lanes,
            "buf_row_stride": word_stride * cfg.n_lanes,
            "buf_plane_stride": 0,
        },
    )


@dataclass(frozen=True)
class _Group:
    n_ch: int
    nvs: list[int]
    bias_slot: int
