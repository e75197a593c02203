"""CreditCounter against a reference count, cycle by cycle, on random spends and returns."""

import pytest
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from snowsim.hw.credits import CreditCounter


@settings(max_examples=20, deadline=None)
@given(
    credits=st.integers(1, 4), steps=st.lists(st.tuples(st.booleans(), st.booleans()), max_size=60)
)
def test_avail_follows_the_count(credits, steps):
    """``avail`` is exactly "a credit is held or returned this cycle"; a spend is only
    made while ``avail`` (the sender's contract), a return only for a credit outstanding."""
    dut = CreditCounter(credits)
    seen = []

    async def tb(ctx):
        held = credits
        for want_spend, want_ret in steps:
            ret = want_ret and held < credits  # only a credit that was spent comes back
            ctx.set(dut.ret, ret)
            avail = ctx.get(dut.avail)
            seen.append((avail, held > 0 or ret))
            spend = want_spend and avail
            ctx.set(dut.spend, spend)
            held += ret - spend
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert all(bool(got) == want for got, want in seen)


def test_starts_full_and_runs_dry():
    dut = CreditCounter(2)
    avail = []

    async def tb(ctx):
        for _ in range(3):
            avail.append(ctx.get(dut.avail))
            ctx.set(dut.spend, ctx.get(dut.avail))
            await ctx.tick()
        ctx.set(dut.spend, 0)
        ctx.set(dut.ret, 1)  # a return is usable in its own cycle
        avail.append(ctx.get(dut.avail))
        await ctx.tick()
        ctx.set(dut.ret, 0)
        avail.append(ctx.get(dut.avail))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert avail == [1, 1, 0, 1, 1]


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize("bad", [0, -1, 1.5, None])
def test_rejects_bad_credit_counts(bad):
    with pytest.raises(ValueError, match="credits must be an integer >= 1"):
        CreditCounter(bad)
