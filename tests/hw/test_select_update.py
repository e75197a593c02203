"""select_update: the same register values as an If/Elif chain over exclusive cases."""

import numpy as np
import pytest
from amaranth import Module, Signal
from amaranth.sim import Simulator

from snowsim.hw.select_update import one_hot_update, select_update


def _pair():
    """Two counters driven by random exclusive selects and a random 'late' go: one
    through If/Elif, one through select_update; returns the module and the signals."""
    m = Module()
    sel = Signal(2)  # 0: hold, 1: add 3 (waits for go), 2: load 7 into a only, 3: b -= 1
    go = Signal()
    a_ref, b_ref, a, b = (Signal(8, name=n) for n in ("a_ref", "b_ref", "a", "b"))
    with m.If(sel == 1):
        with m.If(go):
            m.d.sync += [a_ref.eq(a_ref + 3), b_ref.eq(b_ref + 3)]
    with m.Elif(sel == 2):
        m.d.sync += a_ref.eq(7)
    with m.Elif(sel == 3):
        m.d.sync += b_ref.eq(b_ref - 1)
    one, two, three = sel == 1, sel == 2, sel == 3
    select_update(
        m,
        go,
        [
            (one, True, [a.eq(a + 3), b.eq(b + 3)]),
            (two, False, [a.eq(7)]),
            (three, False, [b.eq(b - 1)]),
        ],
    )
    return m, sel, go, (a_ref, b_ref, a, b)


def test_matches_if_elif_cycle_by_cycle():
    m, sel, go, (a_ref, b_ref, a, b) = _pair()
    rng = np.random.default_rng(1)

    async def tb(ctx):
        changes = 0
        for _ in range(400):
            ctx.set(sel, int(rng.integers(0, 4)))
            ctx.set(go, int(rng.integers(0, 2)))
            before = ctx.get(a)
            await ctx.tick()
            assert ctx.get(a) == ctx.get(a_ref)
            assert ctx.get(b) == ctx.get(b_ref)
            changes += ctx.get(a) != before
        assert changes > 50  # the registers did move

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_rejects_what_it_cannot_write():
    m, x = Module(), Signal(4)
    with pytest.raises(TypeError, match="assignments to signals"):
        select_update(m, x[3], [(x[0], True, [x[1:].eq(0)])])
    c = x[0]
    with pytest.raises(ValueError, match="assigned twice"):
        select_update(m, x[3], [(c, False, [x.eq(1), x.eq(2)])])


def test_one_hot_update_matches_if_elif_cycle_by_cycle():
    """one_hot_update over exclusive selects: the same register as an If/Elif chain, and
    the register holds when no select is true."""
    m = Module()
    sel = Signal(2)  # 0: hold, 1: add 3, 2: load 7, 3: subtract 1
    ref, reg = Signal(8), Signal(8)
    with m.If(sel == 1):
        m.d.sync += ref.eq(ref + 3)
    with m.Elif(sel == 2):
        m.d.sync += ref.eq(7)
    with m.Elif(sel == 3):
        m.d.sync += ref.eq(ref - 1)
    one_hot_update(m, reg, [(sel == 1, reg + 3), (sel == 2, 7), (sel == 3, reg - 1)])
    rng = np.random.default_rng(2)

    async def tb(ctx):
        held = 0
        for _ in range(400):
            s = int(rng.integers(0, 4))
            ctx.set(sel, s)
            await ctx.tick()
            assert ctx.get(reg) == ctx.get(ref)
            held += s == 0
        assert held > 50  # the hold case was exercised

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
