"""hw/arith.py: the carry-free tests equal the arithmetic they replace."""

import itertools

import pytest
from amaranth import Module, Signal
from amaranth.sim import Simulator

from snowsim.hw.arith import sum_equals


@pytest.mark.parametrize("k", [0, 1, 5, 8, 15, 16, 31])
def test_sum_equals_every_pair_of_small_operands(k):
    """Every a (4 bits) and b (5 bits), at width 6 (exact) and width 4 (modulo 16)."""
    a, b = Signal(4), Signal(5)
    exact = sum_equals(a, b, k, 6)
    modulo = sum_equals(a, b, k % 16, 4)
    seen = []

    async def tb(ctx):
        for x, y in itertools.product(range(16), range(32)):
            ctx.set(a, x)
            ctx.set(b, y)
            seen.append((x, y, ctx.get(exact), ctx.get(modulo)))

    sim = Simulator(Module())  # combinational only
    sim.add_testbench(tb)
    sim.run()
    assert len(seen) == 16 * 32
    for x, y, e, m in seen:
        assert e == (x + y == k), (x, y)
        assert m == ((x + y) % 16 == k % 16), (x, y)


def test_sum_equals_refuses_a_constant_out_of_range():
    with pytest.raises(ValueError, match="k must be in"):
        sum_equals(Signal(4), Signal(4), 64, 6)
