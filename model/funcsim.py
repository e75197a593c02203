"""Instruction-level functional simulator: the executable meaning of the ISA.

:class:`FuncSim` runs a program on Python copies of DRAM and of every on-chip buffer, with
the three units (load, compute, store) advancing concurrently under the dependency-token
rules of ``docs/architecture.md`` section 4.  It has no notion of cycles: it checks that a
program computes the right thing *whatever the relative speed of the units* by running them
in an adversarial order (each unit as far ahead as its tokens allow), and it reports a
deadlock when the token flags of a program do not balance.

The compiler's tests run every compiled layer here against the golden model before any RTL
runs; the RTL is then compared with the same golden model.
"""

from dataclasses import dataclass, field

import numpy as np

from . import fixedpoint as fx
from .activations import sigmoid_q, tanh_q
from .config import AcceleratorConfig
from .isa import INSTR_BYTES, Buf, Instruction, Op, Unit, VecOp, decode, encode

__all__ = ["Deadlock", "FuncSim"]


class Deadlock(RuntimeError):
    """No unit can make progress and the program has not ended."""


@dataclass
class _UnitState:
    program: list[Instruction]
    pc: int = 0
    done: bool = False
    executed: list[int] = field(default_factory=list)


class FuncSim:
    """Functional model of the accelerator.

    Parameters
    ----------
    cfg : AcceleratorConfig
        The machine.
    dram_bytes : int
        Size of the simulated DRAM.
    stale_seed : int or None
        ``None``: the on-chip buffers start at zero, as after configuration.  An integer:
        they start with random data from this seed, as after an earlier job, so that a
        program which relies on zeros it did not write itself gives a wrong result.
    """

    def __init__(self, cfg: AcceleratorConfig, dram_bytes: int, stale_seed: int | None = None):
        self.cfg = cfg
        c = cfg
        self.dram = np.zeros(dram_bytes, dtype=np.uint8)
        rng = None if stale_seed is None else np.random.default_rng(stale_seed)
        lo, hi = -(1 << (c.data_bits - 1)), 1 << (c.data_bits - 1)

        def buf(*shape: int) -> np.ndarray:
            if rng is None:
                return np.zeros(shape, dtype=np.int64)
            return rng.integers(lo, hi, size=shape, dtype=np.int64)

        self.maps = buf(c.n_cu, c.maps_depth)
        self.weights = buf(c.n_cu, c.n_vmac, c.weights_depth, c.n_lanes)
        # Bias words are 2*data_bits wide; the DMA writes them as two data_bits halves.
        self.bias_halves = buf(c.n_cu, c.n_vmac, c.bias_depth, c.n_lanes, 2)
        self.acc = buf(c.n_cu, c.n_vmac, c.acc_depth, c.n_lanes)
        self.vector = buf(c.vector_depth, c.n_lanes)
        self.macs_done = 0

    # -- DRAM access ----------------------------------------------------------------------
    def write_dram(self, addr: int, data: bytes | np.ndarray) -> None:
        raw = (
            np.frombuffer(bytes(data), dtype=np.uint8)
            if isinstance(data, bytes | bytearray)
            else np.asarray(data).view(np.uint8).ravel()
        )
        if addr < 0 or addr + raw.size > self.dram.size:
            raise ValueError(
                f"DRAM write [{addr:#x}, {addr + raw.size:#x}) is outside the "
                f"{self.dram.size:#x}-byte DRAM"
            )
        self.dram[addr : addr + raw.size] = raw

    def read_dram(self, addr: int, nbytes: int) -> bytes:
        return self.dram[addr : addr + nbytes].tobytes()

    def _elems(self, addr: int, n: int) -> np.ndarray:
        eb = self.cfg.elem_bytes
        raw = self.dram[addr : addr + n * eb]
        if raw.size != n * eb:
            raise ValueError(f"DMA access [{addr:#x}, {addr + n * eb:#x}) is outside DRAM")
        dtype = np.int16 if eb == 2 else np.int8
        return raw.view(dtype).astype(np.int64)

    # -- buffer spaces (docs/architecture.md section 3) -----------------------------------
    def _buf_write(self, buf: Buf, cu_mask: int, e0: int, values: np.ndarray) -> None:
        c = self.cfg
        e = e0 + np.arange(values.size)
        cus = [i for i in range(c.n_cu) if cu_mask >> i & 1]
        bits = c.data_bits
        if buf == Buf.MAPS:
            if e[-1] >= c.maps_depth:
                raise ValueError(f"MAPS write up to element {e[-1]} beyond {c.maps_depth}")
            for cu in cus:
                self.maps[cu, e] = values
        elif buf == Buf.WEIGHTS:
            per_vmac = c.weights_depth * c.n_lanes
            v, rem = np.divmod(e, per_vmac)
            if v.max() >= c.n_vmac:
                raise ValueError(f"WEIGHTS write to element {e[-1]} beyond the vMACs' buffers")
            for cu in cus:
                self.weights[cu, v, rem // c.n_lanes, rem % c.n_lanes] = values
        elif buf == Buf.BIAS:
            per_vmac = c.bias_depth * c.n_lanes * 2
            v, rem = np.divmod(e, per_vmac)
            if v.max() >= c.n_vmac:
                raise ValueError(f"BIAS write to element {e[-1]} beyond the vMACs' buffers")
            for cu in cus:
                self.bias_halves[cu, v, rem // (2 * c.n_lanes), (rem // 2) % c.n_lanes, rem % 2] = (
                    values & ((1 << bits) - 1)
                )
        else:
            raise ValueError(f"LOAD into {buf.name} is not supported (no DMA write path)")

    def _bias_word(self, cu: int, v: int, word: int) -> np.ndarray:
        bits = self.cfg.data_bits
        h = self.bias_halves[cu, v, word]
        raw = h[:, 0] | (h[:, 1] << bits)
        return np.where(raw >= 1 << (2 * bits - 1), raw - (1 << (2 * bits)), raw)

    # -- instructions ---------------------------------------------------------------------
    def _dma_rows(self, f: Instruction):
        for p in range(f["planes"]):
            for r in range(f["rows"]):
                yield (
                    f["dram_addr"] + p * f["dram_plane_stride"] + r * f["dram_row_stride"],
                    f["buf_addr"] + p * f["buf_plane_stride"] + r * f["buf_row_stride"],
                )

    def _load(self, f: Instruction) -> None:
        for dram, bufa in self._dma_rows(f):
            self._buf_write(Buf(f["buf"]), f["cu_mask"], bufa, self._elems(dram, f["row_elems"]))

    def _fill(self, f: Instruction) -> None:
        value = f["value"]
        value = value - (1 << 16) if value >= 1 << 15 else value
        for r in range(f["rows"]):
            start = f["addr"] + r * f["row_stride"]
            self.maps[:, start : start + f["count"]] = value

    def _store(self, f: Instruction) -> None:
        c = self.cfg
        if f["buf"] != Buf.VECTOR:
            raise ValueError(f"STORE from {Buf(f['buf']).name}: only VECTOR can be stored")
        flat = self.vector.reshape(-1)
        dtype = np.int16 if c.elem_bytes == 2 else np.int8
        for dram, bufa in self._dma_rows(f):
            vals = flat[bufa : bufa + f["row_elems"]].astype(dtype)
            self.write_dram(dram, vals.tobytes())

    def _mac(self, f: Instruction) -> None:
        c = self.cfg
        npix = f["px_count"] * f["py_count"]
        pixel_mode = bool(f["pixel_mode"])
        if pixel_mode and f["px_count"] < c.n_cu:
            raise ValueError(
                f"MAC in pixel mode with px_count {f['px_count']} < n_cu "
                f"{c.n_cu}: the array steps at most one pixel row per step"
            )
        steps = -(-npix // c.n_cu) if pixel_mode else npix
        k_offsets = (
            np.arange(f["k2_count"])[:, None, None] * f["k2_stride"]
            + np.arange(f["k1_count"])[None, :, None] * f["k1_stride"]
            + np.arange(f["k0_count"])[None, None, :]
        ).reshape(-1)
        k = k_offsets.size
        for s in range(steps):
            for cu in range(c.n_cu):
                pix = s * c.n_cu + cu if pixel_mode else s
                if pix >= npix:
                    continue
                oy, ox = divmod(pix, f["px_count"])
                base = f["maps_addr"] + oy * f["py_stride"] + ox * f["px_stride"]
                x = self.maps[cu, base + k_offsets]
                for v in range(c.n_vmac):
                    w = self.weights[cu, v, f["w_addr"] : f["w_addr"] + k]
                    acc = x @ w
                    if not f["acc_clear"]:
                        acc = acc + self.acc[cu, v, f["acc_addr"] + s]
                    self.macs_done += k * c.n_lanes
                    if f["drain"]:
                        y = fx.requant(
                            acc + self._bias_word(cu, v, f["bias_addr"]), f["shift"], c.data_bits
                        )
                        if f["relu"]:
                            y = fx.relu(y)
                        word = v if pixel_mode else cu * c.n_vmac + v
                        self.vector[f["out_addr"] + pix * f["out_pix_stride"] + word] = y
                    else:
                        self.acc[cu, v, f["acc_addr"] + s] = acc

    def _vec(self, f: Instruction) -> None:
        c = self.cfg
        op = VecOp(f["vop"])
        w1, w0 = max(f["w1"], 1), max(f["w0"], 1)
        results = []
        for i1 in range(f["n1"]):
            for i0 in range(f["n0"]):
                a_addr = f["a"] + i1 * f["a_s1"] + i0 * f["a_s0"]
                b = self.vector[f["b"] + i1 * f["b_s1"] + i0 * f["b_s0"]]
                a = self.vector[a_addr]
                bits = c.data_bits
                if op == VecOp.MAXPOOL:
                    y = a
                    for j1 in range(w1):
                        for j0 in range(w0):
                            y = np.maximum(y, self.vector[a_addr + j1 * f["ws1"] + j0 * f["ws0"]])
                elif op == VecOp.COPY:
                    y = a
                elif op == VecOp.ADD:
                    y = fx.sadd(a, b, bits)
                elif op == VecOp.SUB:
                    y = fx.ssub(a, b, bits)
                elif op == VecOp.MUL:
                    y = fx.fmul(a, b, c.frac_bits, bits)
                elif op == VecOp.MAX:
                    y = np.maximum(a, b)
                elif op == VecOp.RELU:
                    y = fx.relu(a)
                elif op == VecOp.SIGMOID:
                    y = sigmoid_q(a, c)
                elif op == VecOp.TANH:
                    y = tanh_q(a, c)
                else:  # pragma: no cover - VecOp is exhaustive
                    raise ValueError(f"unknown vector op {op!r}")
                results.append((f["dst"] + i1 * f["dst_s1"] + i0 * f["dst_s0"], y))
        # Reads see the buffer as it was before the instruction (the rule the compiler keeps).
        for addr, y in results:
            self.vector[addr] = y

    def _execute(self, instr: Instruction) -> None:
        {
            Op.LOAD: self._load,
            Op.FILL: self._fill,
            Op.STORE: self._store,
            Op.MAC: self._mac,
            Op.VEC: self._vec,
        }[instr.op](instr)

    # -- the three units ------------------------------------------------------------------
    def run(
        self,
        program: list[Instruction],
        order: tuple[Unit, ...] = (Unit.LOAD, Unit.COMPUTE, Unit.STORE),
    ) -> None:
        """Execute ``program``: each unit runs as far as its tokens allow, units visited in
        ``order`` (the default lets loads race ahead, which exposes missing WAR tokens)."""
        # Round-trip through the encoding: what runs is what the hardware would decode.
        program = [decode(encode(i)) for i in program]
        units = {u: _UnitState([i for i in program if u in i.units]) for u in Unit}
        # tokens[(src, dst)]: pushes from src not yet popped by dst
        tokens = {(a, b): 0 for a in Unit for b in Unit if abs(a - b) == 1}
        if not program or program[-1].op != Op.END:
            raise ValueError("a program must end with END")
        while not all(st.done for st in units.values()):
            progressed = False
            for u in order:
                st = units[u]
                while not st.done:
                    instr = st.program[st.pc]
                    prev, nxt = Unit(u - 1) if u > 0 else None, Unit(u + 1) if u < 2 else None
                    need = []
                    if instr.pop_prev:
                        if prev is None:
                            raise ValueError(
                                f"{instr.op.name} of the {u.name} unit pops from "
                                f"a previous unit that does not exist"
                            )
                        need.append((prev, u))
                    if instr.pop_next:
                        if nxt is None:
                            raise ValueError(
                                f"{instr.op.name} of the {u.name} unit pops from "
                                f"a next unit that does not exist"
                            )
                        need.append((nxt, u))
                    if any(tokens[q] == 0 for q in need):
                        break
                    for q in need:
                        tokens[q] -= 1
                    if instr.op == Op.END:
                        st.done = True
                    else:
                        self._execute(instr)
                    if instr.push_prev and prev is not None:
                        tokens[(u, prev)] += 1
                    if instr.push_next and nxt is not None:
                        tokens[(u, nxt)] += 1
                    st.pc += 1
                    progressed = True
            if not progressed:
                where = ", ".join(
                    f"{u.name} at #{st.pc} ({st.program[st.pc].op.name})"
                    for u, st in units.items()
                    if not st.done
                )
                raise Deadlock(f"no unit can proceed: {where}; tokens {tokens}")
        left = {f"{a.name}->{b.name}": n for (a, b), n in tokens.items() if n}
        if left:
            raise Deadlock(f"program ended with unconsumed tokens {left}")

    @staticmethod
    def instr_bytes() -> int:
        return INSTR_BYTES
