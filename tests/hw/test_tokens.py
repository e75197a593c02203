"""TokenCounters in the Amaranth simulator: random pushes, pops and clears on every queue;
``avail`` (a flip-flop of its own) against a Python count, cycle by cycle."""

import numpy as np
from amaranth.sim import Simulator

from snowsim.hw.tokens import QUEUES, TokenCounters, _name


def test_avail_follows_the_count_cycle_by_cycle():
    rng = np.random.default_rng(5)
    dut = TokenCounters(width=4)
    names = [_name(q) for q in QUEUES]

    async def tb(ctx):
        count = dict.fromkeys(names, 0)
        for _ in range(600):
            for n in names:
                assert ctx.get(getattr(dut, f"avail_{n}")) == (count[n] != 0), n
            clear = rng.random() < 0.02
            ctx.set(dut.clear, clear)
            for n in names:
                push = rng.random() < 0.5 and count[n] < 14
                pop = rng.random() < 0.5 and count[n] > 0  # a consumer pops only if avail
                ctx.set(getattr(dut, f"push_{n}"), push)
                ctx.set(getattr(dut, f"pop_{n}"), pop)
                count[n] = 0 if clear else count[n] + push - pop
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
