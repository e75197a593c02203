"""Thermometer up/down counts (hw/thermometer.py): the code tracks a plain counter cycle by
cycle, and its single-bit tests ("not zero", "below n") are that counter's compares."""

import numpy as np
import pytest
from amaranth import Elaboratable, Module, Signal
from amaranth.sim import Simulator

from snowsim.hw.thermometer import nonzero_next, up_down


class Counted(Elaboratable):
    def __init__(self, n: int):
        self.inc, self.dec = Signal(), Signal()
        self.m = Module()
        self.code = up_down(self.m, "count", n, self.inc, self.dec)
        self.nonzero = Signal()  # nonzero_next, registered: the code's bit 0 a cycle on
        if n >= 2:
            self.m.d.sync += self.nonzero.eq(nonzero_next(self.code, self.inc, self.dec))

    def elaborate(self, platform):
        return self.m


@pytest.mark.parametrize("n", [1, 4, 16])
def test_code_tracks_a_counter(n):
    dut = Counted(n)
    rng = np.random.default_rng(n)

    async def tb(ctx):
        count, reached = 0, {0}
        for cycle in range(600):
            code = ctx.get(dut.code)
            assert code == (1 << count) - 1, (cycle, count, bin(code))
            assert (code & 1 == 1) == (count != 0)
            assert (code >> (n - 1) & 1 == 0) == (count < n)
            if n >= 2:
                assert ctx.get(dut.nonzero) == (count != 0), (cycle, count)
            # keep within 0..n, biased up then down so that both ends are reached often
            up = 0.65 if (cycle // 60) % 2 == 0 else 0.35
            inc = bool(rng.random() < up) and count < n
            dec = bool(rng.random() < 1 - up) and count > 0
            ctx.set(dut.inc, inc)
            ctx.set(dut.dec, dec)
            count += inc - dec
            reached.add(count)
            await ctx.tick()
        assert {0, n} <= reached

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()


def test_bad_size_is_refused():
    # refused before the module is touched
    with pytest.raises(ValueError, match="thermometer count needs n >= 1, not 0"):
        up_down(None, "count", 0, Signal(), Signal())
