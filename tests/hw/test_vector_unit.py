"""VectorUnit against the golden arithmetic: every op on random words (hypothesis), MAXPOOL
windows, loop strides, timing of back-to-back positions."""

import numpy as np
import pytest
from amaranth import Module
from amaranth.hdl import MemoryData
from amaranth.lib.memory import Memory
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from snowsim.hw.read_port import RegisteredReadPort
from snowsim.hw.vector_unit import VectorUnit, predecode
from snowsim.model import fixedpoint as fx
from snowsim.model.activations import pwl, sigmoid_q, tanh_q
from snowsim.model.config import PRESETS
from snowsim.model.isa import Instruction, Op, VecOp, encode
from snowsim.model.latencies import VEC_DONE, VEC_SYNC_DONE

CFG = PRESETS["tiny"]
L, D = CFG.n_lanes, CFG.data_bits
DEPTH = 64


def _pack(words):
    return [sum((int(v) & 0xFFFF) << (D * i) for i, v in enumerate(w)) for w in words]


def _unpack(value):
    out = [(value >> (D * i)) & 0xFFFF for i in range(L)]
    return [v - (1 << 16) if v >> 15 else v for v in out]


def run(words, fields):
    dut = VectorUnit(CFG)
    m = Module()
    m.submodules.vu = dut
    m.submodules.mem = mem = Memory(data=MemoryData(shape=L * D, depth=DEPTH, init=_pack(words)))
    ra, rb = RegisteredReadPort(m, mem, "a"), RegisteredReadPort(m, mem, "b")
    wp = mem.write_port()
    m.d.comb += [
        dut.pre.eq(predecode(dut.instr)),
        ra.addr.eq(dut.rd_a.addr),
        ra.en.eq(dut.rd_a.en),
        dut.rd_a.data.eq(ra.data),
        rb.addr.eq(dut.rd_b.addr),
        rb.en.eq(dut.rd_b.en),
        dut.rd_b.data.eq(rb.data),
        wp.addr.eq(dut.wr.addr),
        wp.en.eq(dut.wr.en),
        wp.data.eq(dut.wr.data),
    ]
    result = {}

    async def tb(ctx):
        ctx.set(dut.instr, encode(Instruction(Op.VEC, fields)))
        ctx.set(dut.valid, 1)
        await ctx.tick()
        ctx.set(dut.valid, 0)
        for cycle in range(1, 2000):
            if ctx.get(dut.done):
                result["cycles"] = cycle
                break
            await ctx.tick()
        await ctx.tick()
        result["mem"] = [_unpack(ctx.get(mem.data[i])) for i in range(DEPTH)]

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return result


OPS = {
    VecOp.COPY: lambda a, b: a,
    VecOp.ADD: lambda a, b: fx.sadd(a, b),
    VecOp.SUB: lambda a, b: fx.ssub(a, b),
    VecOp.MUL: lambda a, b: fx.fmul(a, b),
    VecOp.MAX: np.maximum,
    VecOp.RELU: lambda a, b: fx.relu(a),
    VecOp.SIGMOID: lambda a, b: sigmoid_q(a, CFG),
    VecOp.TANH: lambda a, b: tanh_q(a, CFG),
}

word = st.lists(st.integers(-32768, 32767), min_size=L, max_size=L)


@settings(max_examples=16, deadline=None)
@given(
    op=st.sampled_from(list(OPS)),
    words=st.lists(word, min_size=16, max_size=16),
    n0=st.integers(1, 4),
    n1=st.integers(1, 2),
)
def test_elementwise_ops_match_golden(op, words, n0, n1):
    words = np.array(words)
    fields = {
        "vop": int(op),
        "a": 0,
        "b": 8,
        "dst": 32,
        "n0": n0,
        "n1": n1,
        "a_s0": 1,
        "b_s0": 1,
        "dst_s0": 1,
        "a_s1": 4,
        "b_s1": 4,
        "dst_s1": 4,
    }
    res = run(words, fields)
    for i1 in range(n1):
        for i0 in range(n0):
            want = OPS[op](words[i1 * 4 + i0], words[8 + i1 * 4 + i0])
            assert res["mem"][32 + i1 * 4 + i0] == list(want)
    # one position per cycle, then the pipeline: done with the last write, as the timing
    # model counts it (VEC_DONE from the cycle the VEC leaves the engine's slot, minus the
    # report cycle, which belongs to the compute engine)
    assert res["cycles"] == n0 * n1 + VEC_DONE - 1


@pytest.mark.parametrize("op", [VecOp.SIGMOID, VecOp.TANH])
def test_activations_every_segment(op):
    """A value inside every segment of the piecewise-linear table (its slope and knot), the
    last value of most segments, and the clamps on both sides: 128 values, one run."""
    p = pwl(op.name.lower(), CFG)
    width, n_seg = 1 << p.fbits, len(p.knots) - 1
    inside = [p.lo + i * width + (37 * i) % width for i in range(n_seg)]
    edges = [p.lo - 1, p.lo, p.hi - 1, p.hi, -32768, 32767]
    ends = [p.lo + (i + 1) * width - 1 for i in range(128 - n_seg - len(edges))]
    values = np.array(inside + edges + ends)
    assert len(values) == 32 * L
    words = np.concatenate([values.reshape(32, L), np.zeros((DEPTH - 32, L), int)])
    fields = {"vop": int(op), "a": 0, "dst": 32, "n0": 8, "n1": 4}
    fields |= {"a_s0": 1, "dst_s0": 1, "a_s1": 8, "dst_s1": 8}
    res = run(words, fields)
    assert np.array_equal(np.array(res["mem"][32:64]), OPS[op](words[:32], None))


def test_edge_values():
    words = np.array(
        [[-32768, 32767, -1, 128]] * 2 + [[0] * L] * 6 + [[-32768, 32767, 1, 128]] + [[0] * L] * 7
    )
    for op in (VecOp.ADD, VecOp.SUB, VecOp.MUL):
        res = run(words, {"vop": int(op), "a": 0, "b": 8, "dst": 40, "n0": 1, "n1": 1})
        assert res["mem"][40] == list(OPS[op](words[0], words[8]))


def test_maxpool_3x3_stride2_matches_golden():
    rng = np.random.default_rng(1)
    img = rng.integers(-1000, 1000, (5, 5, L))  # 5x5 pixels, one word each
    words = img.reshape(25, L)
    fields = {
        "vop": int(VecOp.MAXPOOL),
        "a": 0,
        "dst": 40,
        "n1": 2,
        "n0": 2,
        "a_s1": 2 * 5,
        "a_s0": 2,
        "dst_s1": 2,
        "dst_s0": 1,
        "w1": 3,
        "ws1": 5,
        "w0": 3,
        "ws0": 1,
    }
    res = run(np.vstack([words, np.zeros((DEPTH - 25, L), int)]), fields)
    for py in range(2):
        for px in range(2):
            want = img[2 * py : 2 * py + 3, 2 * px : 2 * px + 3].max(axis=(0, 1))
            assert res["mem"][40 + py * 2 + px] == list(want)
    # two window rows per cycle: ceil(3 / 2) * 3 = 6 cycles per output, not 9
    assert res["cycles"] == 2 * 2 * 6 + VEC_DONE - 1


@settings(max_examples=12, deadline=None)
@given(
    w1=st.integers(1, 5),
    w0=st.integers(1, 3),
    n1=st.integers(1, 2),
    n0=st.integers(1, 2),
    seed=st.integers(0, 2**32 - 1),
)
def test_maxpool_any_window_matches_golden_two_rows_per_cycle(w1, w0, n1, n0, seed):
    """Windows of odd and even height (the last row pair half empty), stride 1 both ways
    on a 6 x 5 image of one word per pixel; cycles from the model's vec_cycles."""
    from snowsim.model.costs import vec_cycles

    rng = np.random.default_rng(seed)
    img = rng.integers(-32768, 32768, (6, 5, L))
    fields = {
        "vop": int(VecOp.MAXPOOL),
        "a": 0,
        "dst": 40,
        "n1": n1,
        "n0": n0,
        "a_s1": 5,
        "a_s0": 1,
        "dst_s1": n0,
        "dst_s0": 1,
        "w1": w1,
        "ws1": 5,
        "w0": w0,
        "ws0": 1,
    }
    res = run(np.vstack([img.reshape(30, L), np.zeros((DEPTH - 30, L), int)]), fields)
    for py in range(n1):
        for px in range(n0):
            want = img[py : py + w1, px : px + w0].max(axis=(0, 1))
            assert res["mem"][40 + py * n0 + px] == list(want), (py, px)
    n = vec_cycles(Instruction(Op.VEC, fields))
    assert n == n1 * n0 * -(-w1 // 2) * w0
    assert res["cycles"] == n + VEC_DONE - 1


def test_sync_instruction_completes_without_writing():
    words = np.zeros((DEPTH, L), int)
    res = run(words, {"vop": 0, "n0": 0, "n1": 0})
    assert res["cycles"] == VEC_SYNC_DONE - 1 and all(w == [0] * L for w in res["mem"])
