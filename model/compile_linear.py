"""Lowering of :class:`~snowsim.model.layers.Linear` (``y = x W^T + b``).

Batch rows are pixels.  DRAM layouts: ``input`` ``B x Ip``, ``output`` ``B x Op`` (rows
pitched to whole bus beats), weights and biases as blobs (``compile_matmul``).
"""

from functools import partial

import numpy as np

from .compile_matmul import MatmulEmitter, Part, vector_store
from .compiler import CompiledLayer, DramLayout, MappingError, add_program_region
from .config import AcceleratorConfig
from .isa import Buf, Instruction, Op
from .layers import Linear
from .program import ProgramBuilder
from .tensors import from_rows, pitch, to_rows

__all__ = ["choose_pixel_mode", "compile_linear"]


def choose_pixel_mode(cfg: AcceleratorConfig, n_pix: int, n_ch: int, row_len: int) -> bool:
    """Pixel mode when it keeps more lanes busy (ties go to channel mode).  ``row_len`` is
    the shortest pixel row (``px_count``) the MAC instructions will have: the array's
    per-CU address generators step at most one row per pixel step, so pixel mode needs
    ``row_len >= n_cu``."""
    if row_len < cfg.n_cu:
        return False

    def util(channels_per_group: int, pix_per_step: int) -> float:
        ch = n_ch / (-(-n_ch // channels_per_group) * channels_per_group)
        px = n_pix / (-(-n_pix // pix_per_step) * pix_per_step)
        return ch * px

    per_cu = cfg.n_vmac * cfg.n_lanes
    return util(per_cu, cfg.n_cu) > util(cfg.n_cu * per_cu, 1)


def compile_linear(layer: Linear, cfg: AcceleratorConfig) -> CompiledLayer:
    """Lower ``layer``; K-tiles as long as half a weights buffer, or — when the whole batch
    does not fit a maps half with those — short enough that it does (then every weight is
    loaded once instead of once per batch tile), whichever the timing model prices faster."""
    from .compiler import check_program_fits
    from .timing import predict

    first = _compile(layer, cfg, None)
    Ip = pitch(layer.in_features, cfg)
    maps_half = cfg.maps_depth // 2
    if layer.batch * Ip <= maps_half or layer.batch < 2:
        return first
    kt = (maps_half // layer.batch) // cfg.bus_elems * cfg.bus_elems
    if kt < cfg.bus_elems or kt >= min(layer.in_features, cfg.weights_depth // 2):
        return first
    try:
        short = _compile(layer, cfg, None, kt_len=kt)
        check_program_fits(short.program, cfg)
    except MappingError:
        return first
    cycles = [predict(x.program, cfg).cycles for x in (first, short)]
    return short if cycles[1] < cycles[0] else first


def _compile(
    layer: Linear, cfg: AcceleratorConfig, pixel_mode: bool | None, kt_len: int | None = None
) -> CompiledLayer:
    c = cfg
    B, In, Out = layer.batch, layer.in_features, layer.out_features
    if In > c.max_reduction:
        raise MappingError(f"in_features {In} exceeds the config's max_reduction {c.max_reduction}")
    Ip, Op_ = pitch(In, c), pitch(Out, c)
    pm = choose_pixel_mode(c, B, Out, B) if pixel_mode is None else pixel_mode
    layout = DramLayout()
    x_reg = layout.add("input", B * Ip * c.elem_bytes)
    y_reg = layout.add("output", B * Op_ * c.elem_bytes)
    p_reg = layout.add("params", 0)
    b = ProgramBuilder()
    em = MatmulEmitter(c, b, pm, params_addr=p_reg.addr)
    G = em.group_channels
    wpp = em.words_per_pixel
    half_w = c.weights_depth // 2
    maps_half = c.maps_depth // 2
    vec_half = c.vector_depth // 2

    # K tiles: as long as half a weights buffer, whole bus beats (alignment) except the last.
    if kt_len is None:
        kt_len = min(In, half_w - half_w % c.bus_elems) if In > half_w else In
    if kt_len == 0:
        raise MappingError(f"weights_depth {c.weights_depth} is too small for one K-tile")
    k_tiles = [(k0, min(kt_len, In - k0)) for k0 in range(0, In, kt_len)]
    n_kt = len(k_tiles)
    resident = B * Ip <= maps_half  # does the whole input fit one maps half?
    row_stride = Ip if resident else pitch(kt_len, c)
    # pixel tile: rows of maps, vector words and accumulator rows must fit
    bt = min(B, maps_half // row_stride, vec_half // wpp)
    if n_kt > 1:
        bt = min(bt, c.acc_depth * (c.n_cu if pm else 1))
    if bt < 1:
        raise MappingError(
            f"one batch row of {In} inputs ({row_stride} elements) does not fit half the maps "
            f"buffer ({maps_half} elements) of config {c.name!r}"
        )
    if pm and B % bt and B % bt < c.n_cu:
        # the last batch tile would be a pixel row shorter than n_cu: use channel mode
        return _compile(layer, c, pixel_mode=False, kt_len=kt_len)
    maps_loads = 0
    n_groups = -(-Out // G)
    out_tiles = 0

    def load_x(b0: int, nb: int, k0: int, klen: int, half: int) -> None:
        b.emit(
            Instruction(
                Op.LOAD,
                {
                    "buf": int(Buf.MAPS),
                    "cu_mask": (1 << c.n_cu) - 1,
                    "dram_addr": x_reg.addr + (b0 * Ip + k0) * c.elem_bytes,
                    "row_elems": klen,
                    "rows": nb,
                    "dram_row_stride": Ip * c.elem_bytes,
                    "planes": 1,
                    "dram_plane_stride": 0,
                    "buf_addr": half * maps_half,
                    "buf_row_stride": row_stride,
                    "buf_plane_stride": 0,
                },
            ),
            writes=[("maps", half)],
        )

    def weight_fn(t, part):
        g, (k0, klen) = part.k_key
        return t["weight"][g * G : (g + 1) * G, k0 : k0 + klen]

    for b0 in range(0, B, bt):
        nb = min(bt, B - b0)
        if resident:
            half = maps_loads % 2
            maps_loads += 1
            load_x(b0, nb, 0, In, half)
            base, res = half * maps_half, ("maps", half)
        for g in range(n_groups):
            n_ch = min(G, Out - g * G)
            parts = []
            for k0, klen in k_tiles:
                loader = None
                if resident:
                    addr, mres = base + k0, res
                else:
                    half = maps_loads % 2
                    maps_loads += 1
                    addr, mres = half * maps_half, ("maps", half)
                    loader = partial(load_x, b0, nb, k0, klen, half)
                parts.append(
                    Part(
                        addr,
                        mres,
                        ((1, 0), (1, 0), klen),
                        (nb, 1, row_stride, 0),
                        (g, (k0, klen)),
                        loader,
                    )
                )
            vhalf = out_tiles % 2
            out_tiles += 1
            out_addr = vhalf * vec_half
            em.group(
                parts,
                n_ch,
                weight_fn,
                lambda t, g=g, n=n_ch: t["bias"][g * G : g * G + n].astype(np.int64) << c.frac_bits,
                out_addr=out_addr,
                out_res=("vector", vhalf),
            )
            b.emit(
                vector_store(
                    c,
                    dram_addr=y_reg.addr + (b0 * Op_ + g * G) * c.elem_bytes,
                    row_elems=n_ch,
                    rows=nb,
                    dram_row_stride=Op_ * c.elem_bytes,
                    word=out_addr,
                    word_stride=wpp,
                ),
                reads=[("vector", vhalf)],
                writes=[("dram", "output")],
            )
    program = b.finish()
    layout.resize("params", em.params_addr - p_reg.addr)
    add_program_region(layout, program)

    def pack(t: dict[str, np.ndarray]) -> list[tuple[int, bytes]]:
        _check(t, layer)
        image = [(x_reg.addr, to_rows(t["input"], Ip, c))]
        for blob in em.blobs:
            data = np.asarray(blob.make(t), dtype=np.int64)
            image.append((blob.addr, data.astype(np.int16).tobytes()))
        return image

    def unpack(read) -> np.ndarray:
        return from_rows(read(y_reg.addr, y_reg.nbytes), B, Out, Op_, c)

    return CompiledLayer(
        layer, c, program, layout, ["output"], pack, unpack, useful_macs=layer.macs
    )


def _check(t: dict[str, np.ndarray], layer: Linear) -> None:
    want = {
        "input": (layer.batch, layer.in_features),
        "weight": (layer.out_features, layer.in_features),
        "bias": (layer.out_features,),
    }
    for name, shape in want.items():
        if name not in t:
            raise ValueError(f"missing tensor {name!r} for {layer}")
        if tuple(t[name].shape) != shape:
            raise ValueError(f"tensor {name!r} has shape {tuple(t[name].shape)}, expected {shape}")
