"""ComputeEngine (array + buffers + MAC sequencer + drain) in the Amaranth simulator: MAC
instructions on random buffers against the golden arithmetic bit for bit, the edge values of
the requantiser, and the throughput of a long back-to-back run (the array busy on every cycle
between the first and the last MAC)."""

import numpy as np
import pytest
from amaranth import Module
from amaranth.sim import Simulator
from hypothesis import example, given, settings
from hypothesis import strategies as st

from snowsim.hw.compute_engine import ComputeEngine, head_flags
from snowsim.model import fixedpoint as fx
from snowsim.model.config import PRESETS
from snowsim.model.isa import INSTR_BITS, Instruction, Op, VecOp, encode
from snowsim.model.latencies import ENGINE_CREDITS
from snowsim.model.timing import predict

CFG = PRESETS["tiny"]
NCU, NV, N, D, E = CFG.n_cu, CFG.n_vmac, CFG.n_lanes, CFG.data_bits, CFG.bus_elems
M16 = (1 << D) - 1


def _word(values, bits):
    return sum((int(v) & ((1 << bits) - 1)) << (bits * i) for i, v in enumerate(values))


def _lanes(value):
    out = [(value >> (D * i)) & M16 for i in range(N)]
    return [v - (1 << D) if v >> (D - 1) else v for v in out]


def make_engine(x, w, bias):
    """x: (K,) maps elements (every CU the same); w: (NCU, NV, K', N), K' weights words
    (K' = K for a MAC over x); bias: (NCU, NV, N)."""
    dut = ComputeEngine(CFG)
    k = len(x)
    words = -(-k // E)
    padded = list(x) + [0] * (words * E - k)
    for c in range(NCU):
        dut._maps[c].init = [_word(padded[i * E : (i + 1) * E], D) for i in range(words)]
        for v in range(NV):
            dut._weights[c][v].init = [_word(w[c, v, i], D) for i in range(w.shape[2])]
            dut._bias[c][v].init = [_word(bias[c, v], 2 * D)]
    return dut


def with_flags(dut):
    """The engine with its ``pre`` decoded from ``instr`` in the same cycle (in the
    accelerator the program loader decodes it; tests/cosim/engine_top.py for the cocotb
    test)."""
    m = Module()
    m.submodules.dut = dut
    m.d.comb += dut.pre.eq(head_flags(CFG, dut.instr))
    return m


def mac(k, *, drain=1, clear=1, relu=0, shift=8, out=0, acc=0):
    fields = {"k0_count": k, "px_count": 1, "py_count": 1, "drain": drain, "acc_clear": clear}
    fields.update(relu=relu, shift=shift, out_addr=out, acc_addr=acc)
    return Instruction(Op.MAC, fields)


def simulate(dut, program, max_cycles=20000, vec_words=64):
    """Issue ``program`` one instruction per cycle while a credit is held (the engine's
    contract: ENGINE_CREDITS at the start, one back with every ``credit`` pulse, usable in
    that cycle); return the per-cycle mac_active trace, the cycles of the done pulses, and
    the vector buffer."""
    trace, dones = [], []

    async def tb(ctx):
        queue = list(program)
        credits = ENGINE_CREDITS
        for cycle in range(max_cycles):
            returned = ctx.get(dut.credit)
            took = bool(queue) and (credits > 0 or returned)
            ctx.set(dut.valid, took)
            if queue:
                ctx.set(dut.instr, encode(queue[0]))
            credits += returned - took
            trace.append(ctx.get(dut.mac_active))
            if ctx.get(dut.done):
                dones.append(cycle)
            await ctx.tick()
            if took:
                queue.pop(0)
            if len(dones) == len(program):
                break
        vec.extend(ctx.get(dut._vec[i]) for i in range(vec_words))

    vec: list[int] = []
    sim = Simulator(with_flags(dut))
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert len(dones) == len(program), "not every instruction completed"
    return trace, dones, vec


def golden(x, w, bias, shift, relu):
    acc = np.einsum("k,cvkn->cvn", np.asarray(x, np.int64), np.asarray(w, np.int64))
    y = fx.requant(acc + np.asarray(bias, np.int64), shift)
    return fx.relu(y) if relu else y


def _random(rng, k, lo=-(1 << 15), hi=1 << 15):
    x = rng.integers(lo, hi, k)
    w = rng.integers(lo, hi, (NCU, NV, k, N))
    bias = rng.integers(-(1 << 20), 1 << 20, (NCU, NV, N))
    return x, w, bias


@settings(max_examples=12, deadline=None)
@given(
    k=st.integers(1, 40),
    shift=st.integers(0, 20),
    relu=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_mac_instruction_is_bit_exact(k, shift, relu, seed):
    x, w, bias = _random(np.random.default_rng(seed), k)
    _, _, vec = simulate(make_engine(x, w, bias), [mac(k, shift=shift, relu=int(relu))])
    want = golden(x, w, bias, shift, relu)
    for c in range(NCU):
        for v in range(NV):  # channel mode: CU c, vMAC v -> vector word c * n_vmac + v
            assert _lanes(vec[c * NV + v]) == list(want[c, v]), (c, v)


def test_edges_saturation_rounding_ties_and_size_one_loops():
    # K = 1 (an empty inner loop), the most negative operands, and sums that saturate both
    # ways; rounding ties: with shift 1, +3/2 -> 2 and -3/2 -> -1 (round half up)
    lo = -(1 << 15)
    x = np.array([lo])
    w = np.zeros((NCU, NV, 1, N), np.int64)
    w[..., 0] = lo  # (-32768)^2 = 2**30 -> saturates high
    w[..., 1] = 32767  # -> saturates low
    w[..., 2] = 0
    w[..., 3] = 0
    bias = np.zeros((NCU, NV, N), np.int64)
    bias[..., 2] = 3
    bias[..., 3] = -3
    _, _, vec = simulate(make_engine(x, w, bias), [mac(1, shift=1)])
    for c in range(NCU):
        for v in range(NV):
            assert _lanes(vec[c * NV + v]) == [32767, -32768, 2, -1]


def test_back_to_back_macs_keep_the_array_busy_every_cycle(capsys):
    """Throughput: 20 MAC instructions of mixed K, accumulating.  Every cycle from the first
    MAC to the last issues on every lane.  (K >= 2: the two-entry instruction queue refills
    through credits that take three cycles to travel round, so a run of K = 1 instructions
    issues in two of every three cycles — docs/architecture.md.)"""
    rng = np.random.default_rng(7)
    ks = [int(k) for k in rng.integers(2, 30, 20)]
    kmax = max(ks)
    x, w, bias = _random(rng, kmax, -4, 4)
    program = [mac(k, drain=0, clear=1, acc=i % CFG.acc_depth) for i, k in enumerate(ks)]
    trace, _, _ = simulate(make_engine(x, w, bias), program)
    busy = [i for i, a in enumerate(trace) if a]
    first, last = busy[0], busy[-1]
    span = trace[first : last + 1]
    assert all(a == CFG.macs for a in span), "an idle MAC cycle between instructions"
    assert len(span) == sum(ks)
    util_span = sum(span) / (len(span) * CFG.macs)
    util_job = sum(trace) / (len(trace) * CFG.macs)
    with capsys.disabled():
        print(
            f"\nthroughput: {len(ks)} MAC instructions, {sum(ks)} MAC cycles: utilisation "
            f"{100 * util_span:.1f} % from first to last issue, {100 * util_job:.1f} % "
            f"including the start ({first} cycles) and the last completion "
            f"({len(trace) - 1 - last} cycles)"
        )
    assert util_span == 1.0


def vec_copy(n, src, dst):
    fields = {"vop": int(VecOp.COPY), "a": src, "dst": dst, "n1": 1, "n0": n, "a_s0": 1}
    fields.update(dst_s0=1)
    return Instruction(Op.VEC, fields)


def test_vec_runs_beside_non_draining_macs_and_completions_stay_in_order():
    """A VEC waits for the draining MAC whose results it reads; the next MAC, which does not
    drain, issues while the VEC runs; a draining MAC waits for the VEC (it would write the
    vector buffer); completions are reported in program order, one per cycle."""
    rng = np.random.default_rng(3)
    x, w, bias = _random(rng, 40, -64, 64)
    words = NCU * NV
    program = [
        mac(3, drain=1, out=0),  # words 0 .. words-1
        vec_copy(words, 0, 32),  # reads them: waits for the drain
        mac(3, drain=0, clear=1, acc=1),  # beside the VEC
        mac(2, drain=1, out=16),  # waits for the VEC
    ]
    trace, dones, vec = simulate(make_engine(x, w, bias), program)
    assert dones == sorted(set(dones))  # in order, one per cycle
    issuing = [i for i, a in enumerate(trace) if a]
    assert len(issuing) == 3 + 3 + 2
    vec_done = dones[1]
    assert dones[0] < issuing[3] - 1  # the VEC waited for the first MAC's drain...
    assert issuing[5] < vec_done  # ... the non-draining MAC ran while the VEC ran ...
    assert issuing[6] > vec_done  # ... the draining one after it completed
    want = golden(x[:3], w[:, :, :3], bias, 8, False)
    for c in range(NCU):
        for v in range(NV):
            assert _lanes(vec[32 + c * NV + v]) == list(want[c, v])  # the VEC's copy


def test_vec_completion_waits_for_an_earlier_mac():
    """A VEC accepted while a long non-draining MAC runs finishes first but is reported
    after it: the sequencer pops token pushes in program order."""
    rng = np.random.default_rng(4)
    x, w, bias = _random(rng, 60, -64, 64)
    program = [mac(60, drain=0, clear=1), vec_copy(2, 0, 40)]
    trace, dones, _ = simulate(make_engine(x, w, bias), program)
    last_issue = max(i for i, a in enumerate(trace) if a)
    assert dones[0] < dones[1] == dones[0] + 1  # reported the cycle after the MAC's
    assert dones[0] > last_issue


@pytest.mark.parametrize(
    "program",
    [
        # VEC after a draining MAC, draining MAC after a VEC, a MAC beside the VEC
        [mac(3, out=0), vec_copy(4, 0, 32), mac(3, drain=0, acc=1), mac(2, out=16)],
        # back-to-back VECs (the second waits for the first), a SYNC, drains around them
        [
            mac(1, out=0),
            vec_copy(4, 0, 32),
            vec_copy(2, 32, 40),
            Instruction(Op.VEC, {}),
            mac(5, out=8),
            mac(1, out=12),
            vec_copy(8, 8, 48),
        ],
    ],
)
def test_completions_are_the_timing_models(program):
    """The engine accepts an instruction whenever its slot is empty and holds it there
    until its vector-buffer hazard clears: every completion lands in the cycle the timing
    model's compute rules give it (counted from the first handshake)."""
    rng = np.random.default_rng(5)
    x, w, bias = _random(rng, 8, -64, 64)
    _, dones, _ = simulate(make_engine(x, w, bias), program)
    pred = predict([*program, Instruction(Op.END)], CFG)
    t0 = pred.fetch_cycles
    want = [done - t0 for unit, _, _, done in pred.trace if unit == "COMPUTE"]
    assert dones == want


@pytest.mark.parametrize("px_stride", [1, 2])
@pytest.mark.parametrize("pixel_mode", [0, 1])
def test_pixel_walk_wraps_its_rows_at_every_column_count(pixel_mode, px_stride):
    """MACs over px_count = 1 (n_cu in pixel mode, its least) .. 2 n_cu + 2 columns, three
    rows each: every output pixel reads the maps at maps_addr + oy * py_stride + ox *
    px_stride.  The counts cover each CU's first pixel starting on a wrap (px_count <= c +
    n_cu in pixel mode, 1 in channel mode) or not, and the step's wrap threshold (wrap_at -
    pixels per step) on both sides, which the engine's queue entry computes from the fields
    as the instruction enters.  Each pixel's sum runs three loops (k0 2, k1 3, k2 3), whose
    ends (count - 3) the entry computes too.  The completions are the timing model's."""
    k0, k1, k2, k1_stride, k2_stride, rows, maps_addr = 2, 3, 3, 50, 200, 3, 5
    n_px = list(range(NCU if pixel_mode else 1, 2 * NCU + 3))
    npix = max(n_px) * rows
    size = maps_addr + rows * (max(n_px) * 2 + 1) + k1 * k1_stride + k2 * k2_stride
    maps = [(7 * a + 3) % 997 - 498 for a in range(size)]
    ones = np.ones((NCU, NV, k0 * k1 * k2, N), np.int64)  # every weight 1: sums of x
    dut = make_engine(maps, ones, np.zeros((NCU, NV, N), np.int64))
    pix_words = NV if pixel_mode else NCU * NV  # vector words one output pixel takes
    program, out = [], 0
    for px in n_px:
        py_stride = px * px_stride + 1  # rows apart: every pixel reads its own elements
        fields = {"k0_count": k0, "k1_count": k1, "k2_count": k2, "px_count": px}
        fields.update(k1_stride=k1_stride, k2_stride=k2_stride, py_count=rows)
        fields.update(drain=1, acc_clear=1)
        fields.update(pixel_mode=pixel_mode, maps_addr=maps_addr, px_stride=px_stride)
        fields.update(py_stride=py_stride, shift=0, out_addr=out, out_pix_stride=pix_words)
        program.append((Instruction(Op.MAC, fields), out, py_stride))
        out += px * rows * pix_words
    assert npix * pix_words <= out <= CFG.vector_depth
    macs = [i for i, _, _ in program]
    _, dones, vec = simulate(dut, macs, vec_words=out)
    # and each MAC ends after its own number of steps, no more: the completions land in
    # the timing model's cycles (a step past the last pixel writes nothing, only costs
    # cycles)
    pred = predict([*macs, Instruction(Op.END)], CFG)
    want = [done - pred.fetch_cycles for unit, _, _, done in pred.trace if unit == "COMPUTE"]
    assert dones == want
    for instr, base, py_stride in program:
        px = instr.fields["px_count"]
        for pix in range(px * rows):
            oy, ox = divmod(pix, px)
            a = maps_addr + oy * py_stride + ox * px_stride
            offsets = [
                i2 * k2_stride + i1 * k1_stride + i0
                for i2 in range(k2)
                for i1 in range(k1)
                for i0 in range(k0)
            ]
            want = [sum(maps[a + o] for o in offsets)] * N
            for word in range(pix_words):
                got = _lanes(vec[base + pix * pix_words + word])
                assert got == want, (px, pix, word)


def accumulate(k, *, px, acc, clear):
    fields = {"k0_count": k, "px_count": px, "py_count": 1, "drain": 0, "acc_clear": clear}
    fields.update(acc_addr=acc, out_pix_stride=1)  # px_stride 0: every pixel reads x[:k]
    return Instruction(Op.MAC, fields)


@settings(max_examples=25, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(0, 3), st.booleans()),
        min_size=1,
        max_size=8,
    ),
    seed=st.integers(0, 2**32 - 1),
)
# rows re-read 1 (K = 2 then the next instruction), 2 (K = 1: the next issues a cycle
# later), 3 and 4 cycles (two pixels of K = 1, 2 in between) after their write-back
@example(steps=[(2, 1, 0, True), (1, 1, 0, False), (1, 1, 0, False)], seed=1)
@example(steps=[(1, 2, 0, True), (2, 2, 0, False), (3, 2, 0, False), (1, 1, 0, False)], seed=2)
def test_accumulator_rows_reread_one_to_four_cycles_after_their_write_back(steps, seed):
    """Non-draining MACs of K = 1..3 over 1..3 pixels on overlapping accumulator rows, back
    to back: a step starts from a row an earlier step issued 1, 2, 3 or 4 cycles before
    writes back (the four forwards: the accumulators in t+4 and t+3, wb_q, wb_q2), then one
    draining MAC per row reads the sums out.  Every row's total against a Python sum."""
    rng = np.random.default_rng(seed)
    x, w, bias = _random(rng, 3, -64, 64)
    dot = [np.einsum("k,cvkn->cvn", x[:k], w[:, :, :k]) for k in range(4)]
    rows = {r: np.zeros((NCU, NV, N), np.int64) for r in range(6)}
    program = []
    for k, px, acc, clear in steps:
        program.append(accumulate(k, px=px, acc=acc, clear=int(clear)))
        for p in range(px):
            rows[acc + p] = (0 if clear else rows[acc + p]) + dot[k]
    for r in rows:
        program.append(mac(1, clear=0, acc=r, out=r * NCU * NV))
    _, _, vec = simulate(make_engine(x, w, bias), program)
    for r, total in rows.items():
        want = fx.requant(total + dot[1] + bias, 8)
        for c in range(NCU):
            for v in range(NV):
                assert _lanes(vec[r * NCU * NV + c * NV + v]) == list(want[c, v]), (r, c, v)


@pytest.mark.parametrize("write_at", [None, 10])
def test_collision_check_sees_a_buffer_read_and_written_in_one_cycle(write_at):
    """With the simulation checks (hw/collisions.py), ``sim_collision`` rises in a cycle in
    which the DMA writes the weights word a MAC reads; never when the write misses it."""
    from amaranth.hdl import Fragment

    from snowsim.hw.primitives import platform_for
    from snowsim.model.isa import Buf

    k = 64
    dut = make_engine([1] * k, np.ones((NCU, NV, k, N), np.int64), np.zeros((NCU, NV, N)))
    # weights words 0..63 of every vMAC are read one per cycle; the DMA writes word
    # write_at of vMAC 0 (or, for None, word 100, which the MAC never reads) every cycle
    addr = 100 if write_at is None else write_at
    seen = []

    async def tb(ctx):
        ctx.set(dut.dma_wr.valid, 1)
        ctx.set(dut.dma_wr.buf, Buf.WEIGHTS)
        ctx.set(dut.dma_wr.cu_mask, (1 << NCU) - 1)
        ctx.set(dut.dma_wr.addr, addr)
        ctx.set(dut.dma_wr.mask, (1 << E) - 1)
        ctx.set(dut.dma_wr.in_range, 1)  # (the DMA side computes it)
        ctx.set(dut.valid, 1)
        ctx.set(dut.instr, encode(mac(k)))
        await ctx.tick()
        ctx.set(dut.valid, 0)
        for _ in range(k + 20):
            seen.append(ctx.get(dut.sim_collision))
            await ctx.tick()

    sim = Simulator(Fragment.get(with_flags(dut), platform_for("generic", checks=True)))
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert any(seen) == (write_at is not None)


@pytest.mark.parametrize("limit", [1, 2, 4, 8])
def test_product_at_most_matches_the_product(limit):
    """The step-count flags' `a * b <= limit` without a multiplier, over every small pair and
    the widest factors (a zero factor, one factor too large alone)."""
    from amaranth import Signal

    from snowsim.hw.compute_engine import _product_at_most

    m = Module()
    a, b, y = Signal(12), Signal(12), Signal()
    m.d.comb += y.eq(_product_at_most(a, b, limit))
    pairs = [(x, z) for x in range(2 * limit + 3) for z in range(2 * limit + 3)]
    pairs += [(4095, 0), (0, 4095), (4095, 1), (1, 4095), (4095, 4095)]

    async def tb(ctx):
        for x, z in pairs:
            ctx.set(a, x)
            ctx.set(b, z)
            assert ctx.get(y) == (x * z <= limit), (x, z)

    sim = Simulator(m)
    sim.add_testbench(tb)
    sim.run()


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([Op.MAC, Op.VEC, Op.LOAD]),
    st.integers(0, 1),
    st.integers(0, 1),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 3),
    st.one_of(st.integers(0, 2 * NCU + 2), st.integers(0, 4095)),
    st.one_of(st.integers(0, 3), st.integers(0, 4095)),
)
@example(Op.MAC, 1, 1, 1, 1, 1, NCU, 1)  # one step of NCU pixels, every loop single
@example(Op.MAC, 1, 1, 1, 0, 1, NCU + 1, 1)  # one pixel too many for a step
@example(Op.MAC, 1, 0, 1, 0, 1, 2, 1)
@example(Op.MAC, 0, 1, 1, 1, 0, 1, 1)
def test_head_flags_are_the_instructions(op, drain, pixel_mode, k0, k1, k2, px, py):
    """head_flags (decoded by the program loader) against the instruction's meaning: a
    loop of count 1 (k1 / k2: 0 or 1) is single, the first step is the last when the
    pixels fit one step (NCU in pixel mode, else 1), fin0 when both."""
    fields = dict(drain=drain, pixel_mode=pixel_mode, k0_count=k0, k1_count=k1, k2_count=k2)
    fields.update(px_count=px, py_count=py)
    word = encode(Instruction(Op.MAC, fields)) & ~0xF | op
    single = [k0 == 1, k1 <= 1, k2 <= 1]
    steps1 = px * py <= (NCU if pixel_mode else 1)
    want = {
        "vec": op == Op.VEC,
        "drain": op == Op.MAC and bool(drain),
        "single": sum(b << i for i, b in enumerate(single)),
        "all_single": all(single),
        "steps1": steps1,
        "fin0": all(single) and steps1,
    }
    from amaranth import Signal

    from snowsim.hw.compute_engine import HEAD_FLAGS

    m = Module()
    instr, flags = Signal(INSTR_BITS), Signal(HEAD_FLAGS)
    m.d.comb += flags.eq(head_flags(CFG, instr))

    async def tb(ctx):
        ctx.set(instr, word)
        assert {k: int(ctx.get(flags[k])) for k in want} == {k: int(v) for k, v in want.items()}

    sim = Simulator(m)
    sim.add_testbench(tb)
    sim.run()
