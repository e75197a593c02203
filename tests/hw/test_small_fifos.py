"""ShiftFIFO and RingFIFO against Amaranth's SyncFIFO, side by side on the same random pushes,
pops and resets (also while full or empty): same readiness, level and head data, cycle by
cycle."""

import numpy as np
import pytest
from amaranth import Module, ResetInserter, Signal
from amaranth.lib.fifo import SyncFIFO
from amaranth.sim import Simulator

from snowsim.hw.reg_slice import RegSlice
from snowsim.hw.ring_fifo import PrefetchRingFIFO, RingFIFO
from snowsim.hw.shift_fifo import ShiftFIFO


def _ring_head3(width, depth):  # a ring whose head's low 3 bits are prefetched
    return RingFIFO(width=width, depth=depth, head_bits=3)


def _prefetch_sliced(width, depth):  # a head in three slices, a read pointer each
    return PrefetchRingFIFO(width=width, depth=depth, pointer_copies=3)


def _prefetch_one_hot(width, depth):  # ... each one-hot
    return PrefetchRingFIFO(width=width, depth=depth, pointer_copies=3, one_hot=True)


@pytest.mark.parametrize(
    "cls", [ShiftFIFO, RingFIFO, PrefetchRingFIFO, _ring_head3, _prefetch_sliced, _prefetch_one_hot]
)
@pytest.mark.parametrize("depth", [1, 2, 5, 16])
def test_matches_sync_fifo_cycle_by_cycle(cls, depth):
    rng = np.random.default_rng(depth)
    width = 7
    m = Module()
    rst = Signal()  # a reset of both, now and then, for one to three cycles
    ref, dut = SyncFIFO(width=width, depth=depth), cls(width=width, depth=depth)
    m.submodules.ref = ResetInserter(rst)(ref)
    m.submodules.dut = ResetInserter(rst)(dut)

    async def tb(ctx):
        seen = resets = 0
        for cycle in range(1500):
            for name in ("r_rdy", "w_rdy", "level"):
                assert ctx.get(getattr(dut, name)) == ctx.get(getattr(ref, name)), (cycle, name)
            if ctx.get(ref.r_rdy):
                assert ctx.get(dut.r_data) == ctx.get(ref.r_data), cycle
                seen += 1
            # bias towards filling, then towards draining, to reach full and empty often
            p_w = 0.7 if (cycle // 100) % 2 == 0 else 0.3
            w_en, r_en = rng.random() < p_w, rng.random() < 1 - p_w
            data = int(rng.integers(0, 1 << width))
            for f in (ref, dut):
                ctx.set(f.w_en, w_en)
                ctx.set(f.r_en, r_en)
                ctx.set(f.w_data, data)
            if ctx.get(rst):
                ctx.set(rst, rng.random() < 0.5)
            elif rng.random() < 0.01:
                ctx.set(rst, 1)
                resets += 1
            await ctx.tick()
        assert seen > 500 and resets > 5

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("cls", [ShiftFIFO, RingFIFO, PrefetchRingFIFO])
@pytest.mark.parametrize("kw", [{"width": 0, "depth": 4}, {"width": 8, "depth": 0}])
def test_bad_shape_is_refused(cls, kw):
    with pytest.raises(ValueError, match=cls.__name__):
        cls(**kw)


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("bits", [-1, 9, 1.5])
def test_bad_head_bits_are_refused(bits):
    with pytest.raises(ValueError, match=f"head_bits must be an integer from 0 to 8, not {bits}"):
        RingFIFO(width=8, depth=4, head_bits=bits)


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("copies", [0, 9, 2.0])
def test_bad_pointer_copies_are_refused(copies):
    with pytest.raises(
        ValueError, match=f"pointer_copies must be an integer from 1 to the width 8, not {copies}"
    ):
        PrefetchRingFIFO(width=8, depth=4, pointer_copies=copies)


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_bad_one_hot_is_refused():
    with pytest.raises(TypeError, match="one_hot must be a bool, not 1"):
        PrefetchRingFIFO(width=8, depth=4, one_hot=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reg_slice_keeps_order_and_holds_valid(seed):
    """Random producer and consumer: every word comes out once, in order; a presented word
    stays, unchanged, until taken (AXI); one cycle of latency, one word per cycle when the
    consumer is always ready."""
    rng = np.random.default_rng(seed)
    dut = RegSlice(9)

    async def tb(ctx):
        sent, got = [], []
        held = None
        always = seed == 0  # consumer always ready: full rate
        for cycle in range(1200):
            i_valid = bool(rng.random() < 0.7) or always
            o_ready = always or bool(rng.random() < 0.6)
            word = int(rng.integers(0, 1 << 9))
            if held is not None:  # presented last cycle and not taken: still there
                assert ctx.get(dut.o_valid) and ctx.get(dut.o_data) == held, cycle
            i_ready = ctx.get(dut.i_ready)
            if always:
                assert i_ready, cycle
                if cycle > 0:
                    assert ctx.get(dut.o_valid) and ctx.get(dut.o_data) == sent[-1], cycle
            ctx.set(dut.i_valid, i_valid)
            ctx.set(dut.i_data, word)
            ctx.set(dut.o_ready, o_ready)
            if i_valid and i_ready:
                sent.append(word)
            if ctx.get(dut.o_valid):
                if o_ready:
                    got.append(ctx.get(dut.o_data))
                    held = None
                else:
                    held = ctx.get(dut.o_data)
            await ctx.tick()
        assert got == sent[: len(got)] and len(sent) - len(got) <= 2
        assert len(got) > 500

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_reg_slice_bad_width_is_refused():
    with pytest.raises(ValueError, match="RegSlice width must be an integer >= 1, not 0"):
        RegSlice(0)
