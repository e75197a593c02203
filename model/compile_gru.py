"""Lowering of :class:`~snowsim.model.layers.GRU` (all timesteps, PyTorch gate order r, z, n).

Per step ``t`` the maps buffer holds ``u = [x_t ; h_{t-1}]`` per batch row (``x`` at offset 0,
``h`` at ``Ip``).  Four matrix products over the batch rows: ``R`` and ``Z`` (input part then
recurrent part, accumulated on chip), ``NX`` (input part) and ``NH`` (recurrent part); then
eight vector instructions make ``h_t`` in the vector buffer, and a STORE writes it to
``output[t]`` — from where the next step loads it (the hidden state goes through DRAM).  The
input parts of step ``t`` are emitted before the recurrent parts, so they run while ``h_{t-1}``
is stored and loaded back.  ``h_0`` reaches the vector buffer through a ``K = 1`` MAC against a
maps element holding 1.0 (``docs/architecture.md`` section 2).

DRAM layouts: ``input`` ``[S][B][Ip]``, ``h0`` ``[B][Hp]``, ``output`` ``[S][B][Hp]``.
"""

import numpy as np

from .compile_linear import choose_pixel_mode
from .compile_matmul import MatmulEmitter, Part, vector_store
from .compiler import CompiledLayer, DramLayout, MappingError, add_program_region
from .config import AcceleratorConfig
from .isa import Buf, Instruction, Op, VecOp
from .layers import GRU
from .program import ProgramBuilder
from .tensors import from_rows, pitch, to_rows

__all__ = ["compile_gru"]

SLOTS = ("A_R", "A_Z", "A_NX", "A_NH", "HV")


def compile_gru(layer: GRU, cfg: AcceleratorConfig) -> CompiledLayer:
    c = cfg
    eb = c.elem_bytes
    S, B, Ni, H = layer.steps, layer.batch, layer.input_size, layer.hidden_size
    if Ni + H > c.max_reduction:
        raise MappingError(
            f"input_size + hidden_size = {Ni + H} exceeds the config's "
            f"max_reduction {c.max_reduction}"
        )
    Ip, Hp = pitch(Ni, c), pitch(H, c)
    Up = Ip + Hp
    maps_half = c.maps_depth // 2
    one_addr = c.maps_depth - c.bus_elems  # a beat reserved for the constant 1.0
    if B * Up > maps_half - c.bus_elems:
        raise MappingError(
            f"batch {B} rows of input_size + hidden_size = {Up} elements do not fit half the "
            f"maps buffer ({maps_half - c.bus_elems} usable elements) of config {c.name!r}"
        )
    pm = choose_pixel_mode(c, B, H, B)
    layout = DramLayout()
    x_reg = layout.add("input", S * B * Ip * eb)
    h0_reg = layout.add("h0", B * Hp * eb)
    y_reg = layout.add("output", S * B * Hp * eb)
    p_reg = layout.add("params", 0)
    b = ProgramBuilder()
    em = MatmulEmitter(c, b, pm, params_addr=p_reg.addr)
    G, wpp = em.group_channels, em.words_per_pixel
    n_groups = -(-H // G)
    wpp_h = n_groups * wpp  # vector words per batch row of one H-vector
    slot_words = B * wpp_h
    if len(SLOTS) * slot_words > c.vector_depth:
        raise MappingError(
            f"the GRU needs {len(SLOTS)} x {slot_words} vector words for batch {B}, hidden "
            f"{H}; config {c.name!r} has {c.vector_depth}"
        )
    slot = {name: i * slot_words for i, name in enumerate(SLOTS)}
    steps = -(-B // c.n_cu) if pm else B
    kinds = ("R", "Z", "NX", "NH")
    if len(kinds) * n_groups * steps > c.acc_depth:
        raise MappingError(
            f"the GRU's partial sums need {len(kinds) * n_groups * steps} "
            f"accumulator rows; config {c.name!r} has {c.acc_depth}"
        )
    half_w = c.weights_depth // 2
    kt = half_w - half_w % c.bus_elems

    def k_tiles(n: int) -> list[tuple[int, int]]:
        return [(k0, min(kt, n - k0)) for k0 in range(0, n, kt)]

    # ---- the weights the packer slices, by matrix name ---------------------------------
    def weight_fn(t, part):
        kind, g, k0, klen = part.k_key
        rows = {"R": 0, "Z": 1, "N": 2}[kind[0]] * H
        src = t["weight_ih"] if kind[1] == "x" else t["weight_hh"]
        return src[rows + g * G : rows + min((g + 1) * G, H), k0 : k0 + klen]

    def bias_fn(kind: str, g: int):
        def fn(t):
            sl = slice(
                {"R": 0, "Z": 1, "N": 2}[kind[0]] * H + g * G,
                {"R": 0, "Z": 1, "N": 2}[kind[0]] * H + min((g + 1) * G, H),
            )
            bi, bh = t["bias_ih"][sl].astype(np.int64), t["bias_hh"][sl].astype(np.int64)
            val = {"R": bi + bh, "Z": bi + bh, "NX": bi, "NH": bh}[kind]
            return val << c.frac_bits

        return fn

    def vec(op: VecOp, dst: str, a: str, bb: str | None = None) -> None:
        fields = {
            "vop": int(op),
            "dst": slot[dst],
            "a": slot[a],
            "b": slot[bb] if bb else 0,
            "n1": B,
            "n0": -(-H // c.n_lanes),
            "dst_s1": wpp_h,
            "dst_s0": 1,
            "a_s1": wpp_h,
            "a_s0": 1,
            "b_s1": wpp_h if bb else 0,
            "b_s0": 1 if bb else 0,
        }
        reads = [("vector", a)] + ([("vector", bb)] if bb else [])
        b.emit(Instruction(Op.VEC, fields), reads=reads, writes=[("vector", dst)])

    all_cus = (1 << c.n_cu) - 1

    def load_rows(dram: int, row_elems: int, dram_stride: int, buf_addr: int, res) -> None:
        b.emit(
            Instruction(
                Op.LOAD,
                {
                    "buf": int(Buf.MAPS),
                    "cu_mask": all_cus,
                    "dram_addr": dram,
                    "row_elems": row_elems,
                    "rows": B,
                    "dram_row_stride": dram_stride,
                    "planes": 1,
                    "dram_plane_stride": 0,
                    "buf_addr": buf_addr,
                    "buf_row_stride": Up,
                    "buf_plane_stride": 0,
                },
            ),
            reads=res[0],
            writes=res[1],
        )

    # ---- h0 into the vector buffer: K = 1 MACs against a 1.0 in the maps buffer ---------
    b.emit(
        Instruction(
            Op.FILL,
            {"value": 1 << c.frac_bits, "addr": one_addr, "count": 1, "rows": 1, "row_stride": 0},
        ),
        writes=[("maps", "one")],
    )
    h0_em = MatmulEmitter(c, b, False, params_addr=p_reg.addr)
    G0 = h0_em.group_channels
    wpp0 = h0_em.words_per_pixel
    for bi in range(B):
        for g in range(-(-H // G0)):
            n_ch = min(G0, H - g * G0)
            grp = h0_em.open_group(n_ch, lambda t, n=n_ch: np.zeros(n, dtype=np.int64))
            h0_em.part(
                grp,
                Part(one_addr, ("maps", "one"), ((1, 0), (1, 0), 1), (1, 1, 0, 0), ("h0", bi, g)),
                lambda t, p: t["h0"][p.k_key[1], p.k_key[2] * G0 : p.k_key[2] * G0 + G0][:, None],
                first=True,
                last=True,
                out_addr=slot["HV"] + bi * wpp_h + g * wpp0,
                out_res=("vector", "HV"),
            )
    em.params_addr = h0_em.params_addr

    acc_of = {
        (kind, g): (i * n_groups + g) * steps
        for i, kind in enumerate(kinds)
        for g in range(n_groups)
    }
    for t in range(S):
        half = t % 2
        base = half * maps_half
        mres = ("maps", half)
        load_rows(x_reg.addr + t * B * Ip * eb, Ni, Ip * eb, base, ([], [mres]))
        groups = {}
        # input parts: R_x, Z_x accumulate; NX drains
        for kind in ("R", "Z", "NX"):
            for g in range(n_groups):
                n_ch = min(G, H - g * G)
                grp = em.open_group(n_ch, bias_fn(kind, g))
                groups[(kind, g)] = grp
                tiles = k_tiles(Ni)
                for i, (k0, klen) in enumerate(tiles):
                    last = kind == "NX" and i == len(tiles) - 1
                    em.part(
                        grp,
                        Part(
                            base + k0,
                            mres,
                            ((1, 0), (1, 0), klen),
                            (B, 1, Up, 0),
                            (kind[0] + "x", g, k0, klen),
                        ),
                        weight_fn,
                        first=i == 0,
                        last=last,
                        out_addr=slot["A_NX"] + g * wpp,
                        out_res=("vector", "A_NX"),
                        out_pix_stride=wpp_h,
                        acc_addr=acc_of[(kind, g)],
                    )
        # recurrent input: h_{t-1} from DRAM (written by the previous step's STORE)
        src = h0_reg.addr if t == 0 else y_reg.addr + (t - 1) * B * Hp * eb
        dres = ("dram", "h0") if t == 0 else ("dram", "h", t - 1)
        load_rows(src, H, Hp * eb, base + Ip, ([dres], [mres]))
        for kind in ("R", "Z", "NH"):
            for g in range(n_groups):
                n_ch = min(G, H - g * G)
                grp = groups.get((kind, g)) or em.open_group(n_ch, bias_fn(kind, g))
                tiles = k_tiles(H)
                target = {"R": "A_R", "Z": "A_Z", "NH": "A_NH"}[kind]
                for i, (k0, klen) in enumerate(tiles):
                    em.part(
                        grp,
                        Part(
                            base + Ip + k0,
                            mres,
                            ((1, 0), (1, 0), klen),
                            (B, 1, Up, 0),
                            (kind[0] + "h", g, k0, klen),
                        ),
                        weight_fn,
                        first=kind == "NH" and i == 0,
                        last=i == len(tiles) - 1,
                        out_addr=slot[target] + g * wpp,
                        out_res=("vector", target),
                        out_pix_stride=wpp_h,
                        acc_addr=acc_of[(kind, g)],
                    )
        vec(VecOp.SIGMOID, "A_R", "A_R")  # r
        vec(VecOp.SIGMOID, "A_Z", "A_Z")  # z
        vec(VecOp.MUL, "A_NH", "A_R", "A_NH")  # r * a_nh
        vec(VecOp.ADD, "A_NX", "A_NX", "A_NH")  # a_nx + r * a_nh
        vec(VecOp.TANH, "A_NX", "A_NX")  # n
        vec(VecOp.SUB, "A_NH", "HV", "A_NX")  # h - n
        vec(VecOp.MUL, "A_NH", "A_Z", "A_NH")  # z * (h - n)
        vec(VecOp.ADD, "HV", "A_NX", "A_NH")  # h_t = n + z * (h - n)
        b.emit(
            vector_store(
                c,
                dram_addr=y_reg.addr + t * B * Hp * eb,
                row_elems=H,
                rows=B,
                dram_row_stride=Hp * eb,
                word=slot["HV"],
                word_stride=wpp_h,
            ),
            reads=[("vector", "HV")],
            writes=[("dram", "h", t)],
        )
    program = b.finish()
    layout.resize("params", em.params_addr - p_reg.addr)
    add_program_region(layout, program)
    dtype = np.int16 if eb == 2 else np.int8

    def pack(t: dict[str, np.ndarray]) -> list[tuple[int, bytes]]:
        _check(t, layer)
        image = [
            (x_reg.addr, to_rows(np.asarray(t["input"]).reshape(S * B, Ni), Ip, c)),
            (h0_reg.addr, to_rows(t["h0"], Hp, c)),
        ]
        for blob in h0_em.blobs + em.blobs:
            image.append((blob.addr, np.asarray(blob.make(t)).astype(dtype).tobytes()))
        return image

    def unpack(read) -> np.ndarray:
        return from_rows(read(y_reg.addr, y_reg.nbytes), S * B, H, Hp, c).reshape(S, B, H)

    return CompiledLayer(
        layer, c, program, layout, ["output"], pack, unpack, useful_macs=layer.macs
    )


def _check(t: dict[str, np.ndarray], layer: GRU) -> None:
    S, B, Ni, H = layer.steps, layer.batch, layer.input_size, layer.hidden_size
    want = {
        "input": (S, B, Ni),
        "h0": (B, H),
        "weight_ih": (3 * H, Ni),
        "weight_hh": (3 * H, H),
        "bias_ih": (3 * H,),
        "bias_hh": (3 * H,),
    }
    for name, shape in want.items():
        if name not in t:
            raise ValueError(f"missing tensor {name!r} for {layer}")
        if tuple(np.shape(t[name])) != shape:
            raise ValueError(
                f"tensor {name!r} has shape {tuple(np.shape(t[name]))}, expected {shape}"
            )
