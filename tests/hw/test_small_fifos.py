"""ShiftFIFO and RingFIFO against Amaranth's SyncFIFO, side by side on the same random pushes
and pops (also while full or empty): same readiness, level and head data, cycle by cycle."""

import numpy as np
import pytest
from amaranth import Module
from amaranth.lib.fifo import SyncFIFO
from amaranth.sim import Simulator

from snowsim.hw.ring_fifo import RingFIFO
from snowsim.hw.shift_fifo import ShiftFIFO


@pytest.mark.parametrize("cls", [ShiftFIFO, RingFIFO])
@pytest.mark.parametrize("depth", [1, 2, 5, 16])
def test_matches_sync_fifo_cycle_by_cycle(cls, depth):
    rng = np.random.default_rng(depth)
    width = 7
    m = Module()
    m.submodules.ref = ref = SyncFIFO(width=width, depth=depth)
    m.submodules.dut = dut = cls(width=width, depth=depth)

    async def tb(ctx):
        seen = 0
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
            await ctx.tick()
        assert seen > 500

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("cls", [ShiftFIFO, RingFIFO])
@pytest.mark.parametrize("kw", [{"width": 0, "depth": 4}, {"width": 8, "depth": 0}])
def test_bad_shape_is_refused(cls, kw):
    with pytest.raises(ValueError, match=cls.__name__):
        cls(**kw)
