"""Lowering of :class:`~snowsim.model.layers.Conv2d` (+ bias, ReLU, max-pool).

DRAM layouts (``docs/compiler.md``): ``input`` is channels-last and blocked by K-tile
(``[n][ct][H][pitch(W * Ct)]``, ``Ct`` input channels per K-tile); ``output`` is
``[n][OH][OW][pitch(Cout)]`` (after pooling when there is a pool).  A spatial tile is a band
of output rows (of pooled rows with a pool; conv rows shared by two pooling bands are
computed in both).  The maps buffer holds the band's input rows with the padding
materialised by FILL; the pooled result is made by VEC MAXPOOL in the vector buffer.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from .compile_linear import choose_pixel_mode
from .compile_matmul import MatmulEmitter, Part, vector_store
from .compiler import (
    CompiledLayer,
    DramLayout,
    MappingError,
    add_program_region,
    check_program_fits,
)
from .config import AcceleratorConfig
from .isa import Buf, Instruction, Op, VecOp
from .layers import Conv2d
from .program import ProgramBuilder
from .tensors import pitch

__all__ = ["compile_conv"]


def compile_conv(layer: Conv2d, cfg: AcceleratorConfig) -> CompiledLayer:
    """Lower ``layer`` with the K-tiling the timing model predicts fastest.

    The input channels are split into K-tiles of ``Ct`` channels.  Larger K-tiles mean
    fewer MAC instructions; smaller ones make the band of output rows that fits the maps
    buffer taller (the weights are re-loaded for fewer bands and, with pooling, fewer conv
    rows are computed twice) and shorten the first weight load, which nothing overlaps.
    The candidates are every ``Ct`` whose band is taller than that of all larger ``Ct``,
    and, below the one that reaches the tallest band, K-tile counts growing by a factor of
    about 1.4; each is lowered and priced by :func:`~snowsim.model.timing.predict`, and the
    fastest program wins (the larger ``Ct`` on a tie).
    """
    from .timing import predict

    c = cfg
    Cin, K = layer.in_channels, layer.kernel_size
    if layer.reduction > c.max_reduction:
        raise MappingError(
            f"reduction {layer.reduction} (in_channels x kernel_size^2) exceeds "
            f"the config's max_reduction {c.max_reduction}"
        )
    half_w = c.weights_depth // 2
    if K * K > half_w:
        raise MappingError(
            f"kernel_size {K} needs {K * K} weight words per input channel, "
            f"more than half the weights buffer ({half_w})"
        )
    n_min = -(-(K * K * Cin) // half_w)
    OW = layer.conv_width
    default_pm = choose_pixel_mode(c, layer.conv_height * OW, layer.out_channels, OW)
    # the other CU mode too: pixel mode needs a quarter of the vector buffer per output row,
    # which can make the bands taller when that buffer is the limit
    modes = [default_pm] + ([not default_pm] if OW >= c.n_cu else [])
    cands: list[_Tiling] = []
    first_reason = ""
    for pm in modes:
        bands, reason = _ktile_candidates(layer, c, n_min, pm)
        first_reason = first_reason or reason
        # one vector region instead of two halves: a band may fill the whole vector buffer,
        # and each channel group's results wait for the previous group's store (only its
        # draining K-tile does, so with several K-tiles the wait is short or none)
        whole, _ = _ktile_candidates(layer, c, n_min, pm, single_vec=True)
        taller = {Ct: band for Ct, band in whole.items() if band > bands.get(Ct, 0)}
        mixed = [False] + ([True] if not pm and _mixed_applies(layer, c) else [])
        for mx in mixed:
            # mixed: whole channel groups in channel mode, the remainder in pixel mode; its
            # buffer needs are channel mode's (the larger of the two), so the same bands
            cands += [_Tiling(pm, mx, False, Ct, band) for Ct, band in bands.items()]
            cands += [_Tiling(pm, mx, True, Ct, band) for Ct, band in taller.items()]
    if not cands:
        raise MappingError(
            f"one output row of this conv does not fit the {first_reason} buffer of config "
            f"{c.name!r} (input row of {layer.width}x{-(-Cin // n_min)} elements, kernel {K}, "
            f"output width {OW}; fewer input channels per K-tile do not help); "
            f"use a config with larger buffers"
        )
    best: tuple[tuple[int, int, int, int], CompiledLayer] | None = None
    too_long: MappingError | None = None
    for t in cands:
        compiled = _lower(layer, c, t.Ct, t.band, t.pm, t.mixed, t.single_vec)
        try:
            check_program_fits(compiled.program, c)
        except MappingError as exc:  # more K-tiles, more instructions
            too_long = too_long or exc
            continue
        # fastest; on a tie the default mode, ping-pong vector halves, the larger K-tile
        cycles = predict(compiled.program, c).cycles
        key = (cycles, int(t.pm != default_pm) + int(t.mixed), int(t.single_vec), -t.Ct)
        if best is None or key < best[0]:
            best = (key, compiled)
    if best is None:
        assert too_long is not None
        raise too_long
    return best[1]


@dataclass(frozen=True)
class _Tiling:
    """One way to lower a conv: CU mode (``pm``; ``mixed``, :func:`_channel_groups`), one
    vector region or two ping-pong halves, ``Ct`` input channels per K-tile, ``band``
    output rows per band."""

    pm: bool
    mixed: bool
    single_vec: bool
    Ct: int
    band: int


def _mixed_applies(layer: Conv2d, c: AcceleratorConfig) -> bool:
    """Whether the mixed CU mode is worth lowering: at least one whole channel-mode group
    and a remainder (which channel mode would run with idle CUs), and output rows long
    enough for pixel mode."""
    G = c.n_cu * c.n_vmac * c.n_lanes
    Cout = layer.out_channels
    return Cout > G and Cout % G != 0 and layer.conv_width >= c.n_cu


def _channel_groups(
    c: AcceleratorConfig, Cout: int, pm: bool, mixed: bool
) -> list[tuple[int, int, bool]]:
    """``(first channel, channels, pixel mode)`` of each channel group, in order.

    Channel mode groups ``n_cu * n_vmac * n_lanes`` channels (one slice per CU), pixel
    mode ``n_vmac * n_lanes`` (the same slice in every CU).  *Mixed* runs the whole
    channel-mode groups first and the remaining channels as pixel-mode groups: AlexNet
    conv3's 384 channels on 256 MACs take 169 + 2 x 43 pixel steps that way, instead of
    2 x 169 (channel mode, half the CUs idle in the second group) or 6 x 43 (pixel mode,
    169 pixels over 4 CUs leaves 3 slots empty per group).
    """
    G_px = c.n_vmac * c.n_lanes
    G_ch = c.n_cu * G_px

    def split(first: int, last: int, size: int, pixel_mode: bool) -> list[tuple[int, int, bool]]:
        return [(c0, min(size, last - c0), pixel_mode) for c0 in range(first, last, size)]

    if not mixed:
        return split(0, Cout, G_px if pm else G_ch, pm)
    whole = Cout // G_ch * G_ch
    return split(0, whole, G_ch, False) + split(whole, Cout, G_px, True)


def _ktile_candidates(
    layer: Conv2d, c: AcceleratorConfig, n_min: int, pm: bool, single_vec: bool = False
) -> tuple[dict[int, int], str]:
    """{Ct: band} worth lowering in CU mode ``pm``, and why one row does not fit (or "")."""
    Cin = layer.in_channels
    sizes = sorted({-(-Cin // n) for n in range(n_min, Cin + 1)}, reverse=True)
    bands: dict[int, int] = {}
    tallest, first_reason = 0, ""
    for Ct in sizes:
        band, reason = _band(layer, c, Ct, pm, single_vec)
        first_reason = first_reason or reason
        if band > tallest:
            bands[Ct] = tallest = band
            if band == layer.out_height:
                break
    if not bands:
        return bands, first_reason
    n = -(-Cin // min(bands))
    while n < Cin:  # smaller K-tiles at the tallest band
        n = max(n + 1, round(n * 1.4))
        Ct = -(-Cin // min(n, Cin))
        band, _ = _band(layer, c, Ct, pm, single_vec)
        if band >= tallest:
            bands.setdefault(Ct, band)
    return bands, ""


def _geometry(layer: Conv2d, c: AcceleratorConfig, Ct: int, pm: bool) -> dict:
    """Sizes shared by :func:`_band` and :func:`_lower` for K-tiles of ``Ct`` channels."""
    W, P = layer.width, layer.padding
    pool = layer.pool
    pk = pool.kernel_size if pool else 1
    LP = pitch(P * Ct, c)
    return {
        "n_ct": -(-layer.in_channels // Ct),
        "pm": pm,
        "pk": pk,
        "ps": int(pool.stride or pk) if pool else 1,
        "LP": LP,
        # maps rows of RP elements; row r's interior starts at r * RP + LP (beat aligned for
        # the DMA) and the MAC reads [r * RP + LP - P * Ct, r * RP + LP + (W + P) * Ct):
        # RP >= (W + 2P) * Ct keeps the read zones of neighbouring rows apart, so the left
        # pad of a row may sit in the tail of the row before it
        "RP": pitch((W + 2 * P) * Ct, c),
        "wpp": c.n_vmac if pm else c.n_cu * c.n_vmac,
    }


def _band_conv_rows(layer: Conv2d, g: dict, n_out: int) -> int:
    return (n_out - 1) * g["ps"] + g["pk"] if layer.pool else n_out


def _band(
    layer: Conv2d, c: AcceleratorConfig, Ct: int, pm: bool, single_vec: bool = False
) -> tuple[int, str]:
    """(output rows per band, "") for K-tiles of ``Ct`` channels, or (0, the buffer that
    does not hold even one output row); a band's results fill half the vector buffer, or
    all of it with ``single_vec``."""
    g = _geometry(layer, c, Ct, pm)
    OW, OWo, S, K = layer.conv_width, layer.out_width, layer.stride, layer.kernel_size

    def fits(n_out: int) -> str:
        rows = _band_conv_rows(layer, g, n_out)
        rows_in = (rows - 1) * S + K
        reach = (rows_in - 1) * g["RP"] + g["LP"] + (layer.width + layer.padding) * Ct
        if reach > c.maps_depth // 2:
            return "maps"
        words = rows * OW * g["wpp"] + (n_out * OWo * g["wpp"] if layer.pool else 0)
        if words > c.vector_depth // (1 if single_vec else 2):
            return "vector"
        steps = -(-rows * OW // (c.n_cu if g["pm"] else 1))
        if g["n_ct"] > 1 and steps > c.acc_depth:
            return "accumulator"
        if rows > 4095 or OW > 4095:
            return "pixel loop"
        return ""

    if reason := fits(1):
        return 0, reason
    band = 1
    while band < layer.out_height and not fits(band + 1):
        band += 1
    return band, ""


def _lower(
    layer: Conv2d,
    cfg: AcceleratorConfig,
    Ct: int,
    band: int,
    pm: bool,
    mixed: bool = False,
    single_vec: bool = False,
) -> CompiledLayer:
    """The program for K-tiles of ``Ct`` input channels and bands of ``band`` output rows,
    in CU mode ``pm`` (or mixed, :func:`_channel_groups`, with the geometry of ``pm``),
    with results in alternate vector-buffer halves or (``single_vec``) one region."""
    c = cfg
    eb = c.elem_bytes
    N, Cin, Cout = layer.batch, layer.in_channels, layer.out_channels
    H, W, K, S, P = layer.height, layer.width, layer.kernel_size, layer.stride, layer.padding
    OW = layer.conv_width
    pool = layer.pool
    geo = _geometry(layer, c, Ct, pm)
    n_ct, pm, ps, LP, RP = geo["n_ct"], geo["pm"], geo["ps"], geo["LP"], geo["RP"]
    pk = geo["pk"]
    ct_list = [(c0, min(Ct, Cin - c0)) for c0 in range(0, Cin, Ct)]
    maps_half = c.maps_depth // 2
    n_vec = 1 if single_vec else 2
    vec_region = c.vector_depth // n_vec

    b = ProgramBuilder()
    layout = DramLayout()
    in_pitch = {ct: pitch(W * n, c) for ct, (_, n) in enumerate(ct_list)}
    img_elems = sum(H * p for p in in_pitch.values())
    x_reg = layout.add("input", N * img_elems * eb)
    OHo, OWo = layer.out_height, layer.out_width
    Cp = pitch(Cout, c)
    y_reg = layout.add("output", N * OHo * OWo * Cp * eb)
    p_reg = layout.add("params", 0)
    em = MatmulEmitter(c, b, pm, params_addr=p_reg.addr)
    assert em.words_per_pixel == geo["wpp"]
    groups = _channel_groups(c, Cout, pm, mixed)

    def band_conv_rows(n_out: int) -> int:
        return _band_conv_rows(layer, geo, n_out)

    maps_loads = 0
    # per maps half: (ctn of the zones below, rows whose pad columns are zero, rows zero
    # across their whole zone)
    pad_state: dict[int, tuple[int | None, set[int], set[int]]] = {
        0: (None, set(), set()),
        1: (None, set(), set()),
    }
    vec_tiles = 0

    def load_maps(n: int, conv_r0: int, conv_rows: int, ct: int, half: int) -> None:
        ctn = ct_list[ct][1]
        base = half * maps_half
        iy0 = conv_r0 * S - P
        nrows = (conv_rows - 1) * S + K
        res = ("maps", half)

        def fill(offset: int, count: int, rows: list[int]) -> None:
            """Zero ``count`` elements at ``offset`` into each of ``rows`` (one FILL per
            run of consecutive rows)."""
            if not count:
                return
            for r0, n_rows in _runs(rows):
                b.emit(
                    Instruction(
                        Op.FILL,
                        {
                            "value": 0,
                            "addr": base + r0 * RP + offset,
                            "count": count,
                            "rows": n_rows,
                            "row_stride": RP,
                        },
                    ),
                    writes=[res],
                )

        top = max(0, -iy0)
        bottom = max(0, iy0 + nrows - H)
        real = nrows - top - bottom
        zone = (W + 2 * P) * ctn  # the elements the MACs read of one row
        interior = range(top, top + real)
        # Zeros written earlier into this half are still there unless the DMA has written
        # over them since: it writes only the interior of rows (W * ctn elements each), so
        # with the same ctn the pad columns stay zero, and a row zeroed whole stays zero
        # until it is loaded.  A different ctn moves every zone.
        st_ctn, pad_rows, zero_rows = pad_state[half]
        if st_ctn != ctn:
            pad_rows, zero_rows = set(), set()
        edge = [r for r in [*range(top), *range(nrows - bottom, nrows)] if r not in zero_rows]
        fill(LP - P * ctn, zone, edge)
        if P:
            need = [r for r in interior if r not in pad_rows and r not in zero_rows]
            fill(LP - P * ctn, P * ctn, need)
            fill(LP + W * ctn, P * ctn, need)
        pad_state[half] = (
            ctn,
            pad_rows | set(range(nrows)),
            (zero_rows | set(range(top)) | set(range(nrows - bottom, nrows))) - set(interior),
        )
        img_base = x_reg.addr + (n * img_elems + sum(H * in_pitch[i] for i in range(ct))) * eb
        b.emit(
            Instruction(
                Op.LOAD,
                {
                    "buf": int(Buf.MAPS),
                    "cu_mask": (1 << c.n_cu) - 1,
                    "dram_addr": img_base + (iy0 + top) * in_pitch[ct] * eb,
                    "row_elems": W * ctn,
                    "rows": real,
                    "dram_row_stride": in_pitch[ct] * eb,
                    "planes": 1,
                    "dram_plane_stride": 0,
                    "buf_addr": base + top * RP + LP,
                    "buf_row_stride": RP,
                    "buf_plane_stride": 0,
                },
            ),
            writes=[res],
        )

    def weight_fn(t, part):
        ch0, n_ch, ct = part.k_key
        c0, ctn = ct_list[ct]
        w = t["weight"][ch0 : ch0 + n_ch, c0 : c0 + ctn]
        return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)

    def finish(
        n: int,
        o0: int,
        n_out: int,
        conv_rows: int,
        ch0: int,
        n_ch: int,
        g_pm: bool,
        wpp: int,
        out_addr: int,
        vhalf: int,
    ) -> None:
        """Pool (if the layer does) and store one channel group's results."""
        src, src_pix = out_addr, o0 * OW
        if pool:
            real_words = -(-n_ch // c.n_lanes) if g_pm else wpp
            src = out_addr + conv_rows * OW * wpp
            for r in range(n_out):
                b.emit(
                    Instruction(
                        Op.VEC,
                        {
                            "vop": int(VecOp.MAXPOOL),
                            "dst": src + r * OWo * wpp,
                            "a": out_addr + r * ps * OW * wpp,
                            "b": 0,
                            "n1": OWo,
                            "n0": real_words,
                            "dst_s1": wpp,
                            "dst_s0": 1,
                            "a_s1": ps * wpp,
                            "a_s0": 1,
                            "b_s1": 0,
                            "b_s0": 0,
                            "w1": pk,
                            "ws1": OW * wpp,
                            "w0": pk,
                            "ws0": wpp,
                        },
                    ),
                    reads=[("vector", vhalf)],
                    writes=[("vector", vhalf)],
                )
            src_pix = o0 * OWo
        b.emit(
            vector_store(
                c,
                dram_addr=y_reg.addr + ((n * OHo * OWo + src_pix) * Cp + ch0) * eb,
                row_elems=n_ch,
                rows=n_out * OWo,
                dram_row_stride=Cp * eb,
                word=src,
                word_stride=wpp,
            ),
            reads=[("vector", vhalf)],
            writes=[("dram", "output")],
        )

    # A group's pooling and store are emitted after the next group's first K-tile when
    # that one does not drain: the compute engine runs them beside it (a MAC that does not
    # drain touches no vector-buffer word), so the array does not wait for the pooling.
    pending: Callable[[], None] | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            pending()
            pending = None

    for n in range(N):
        for o0 in range(0, OHo, band):
            n_out = min(band, OHo - o0)
            conv_r0 = o0 * ps if pool else o0
            conv_rows = band_conv_rows(n_out)
            shared_half = None
            for ch0, n_ch, g_pm in groups:
                em.pixel_mode = g_pm
                wpp = em.words_per_pixel
                parts = []
                for ct, (_c0, ctn) in enumerate(ct_list):
                    loader = None
                    if n_ct == 1 and shared_half is not None:
                        half = shared_half
                    else:
                        half = maps_loads % 2
                        maps_loads += 1
                        loader = partial(load_maps, n, conv_r0, conv_rows, ct, half)
                        if n_ct == 1:
                            shared_half = half
                    parts.append(
                        Part(
                            half * maps_half + LP - P * ctn,
                            ("maps", half),
                            ((K, RP), (K, ctn), ctn),
                            (OW, conv_rows, S * ctn, S * RP),
                            (ch0, n_ch, ct),
                            loader,
                        )
                    )
                vhalf = vec_tiles % n_vec
                vec_tiles += 1
                out_addr = vhalf * vec_region
                if len(parts) == 1:  # its only MAC drains: it would wait for the pooling
                    flush()
                em.group(
                    parts,
                    n_ch,
                    weight_fn,
                    lambda t, ch0=ch0, m=n_ch: (
                        t["bias"][ch0 : ch0 + m].astype(np.int64) << c.frac_bits
                    ),
                    out_addr=out_addr,
                    out_res=("vector", vhalf),
                    relu=layer.relu,
                    after_first=flush,
                )
                pending = partial(
                    finish, n, o0, n_out, conv_rows, ch0, n_ch, g_pm, wpp, out_addr, vhalf
                )
    flush()
    program = b.finish()
    layout.resize("params", em.params_addr - p_reg.addr)
    add_program_region(layout, program)
    dtype = np.int16 if eb == 2 else np.int8

    def pack(t: dict[str, np.ndarray]) -> list[tuple[int, bytes]]:
        _check(t, layer)
        x = np.asarray(t["input"])
        x = x.reshape(N, Cin, H, W)
        img = np.zeros(N * img_elems, dtype=dtype)
        off = 0
        for n in range(N):
            for ct, (c0, ctn) in enumerate(ct_list):
                blk = np.zeros((H, in_pitch[ct]), dtype=dtype)
                blk[:, : W * ctn] = x[n, c0 : c0 + ctn].transpose(1, 2, 0).reshape(H, W * ctn)
                img[off : off + blk.size] = blk.reshape(-1)
                off += blk.size
        image = [(x_reg.addr, img.tobytes())]
        for blob in em.blobs:
            image.append((blob.addr, np.asarray(blob.make(t)).astype(dtype).tobytes()))
        return image

    def unpack(read) -> np.ndarray:
        raw = np.frombuffer(read(y_reg.addr, y_reg.nbytes), dtype=dtype)
        y = raw[: N * OHo * OWo * Cp].reshape(N, OHo, OWo, Cp)[..., :Cout]
        y = y.transpose(0, 3, 1, 2).astype(np.int64)
        return y[0] if N == 1 and np.asarray(layer.batch) == 1 else y

    return CompiledLayer(
        layer, c, program, layout, ["output"], pack, unpack, useful_macs=layer.macs
    )


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """``(first, count)`` of each run of consecutive values in the sorted list ``rows``."""
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and runs[-1][0] + runs[-1][1] == r:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((r, 1))
    return runs


def _check(t: dict[str, np.ndarray], layer: Conv2d) -> None:
    k = layer.kernel_size
    img = (layer.in_channels, layer.height, layer.width)
    want = {
        "input": img if layer.batch == 1 else (layer.batch, *img),
        "weight": (layer.out_channels, layer.in_channels, k, k),
        "bias": (layer.out_channels,),
    }
    for name, shape in want.items():
        if name not in t:
            raise ValueError(f"missing tensor {name!r} for {layer}")
        if tuple(np.shape(t[name])) != shape:
            raise ValueError(
                f"tensor {name!r} has shape {tuple(np.shape(t[name]))}, expected {shape}"
            )
