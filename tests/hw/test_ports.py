"""The buffer spaces' address bits (hw/ports.py): every beat of a space is in range, and the
first beat past its power-of-two size is not (the DMA side drops such a write)."""

import pytest
from amaranth import Module, Signal
from amaranth.sim import Simulator

from snowsim.hw.ports import (
    BEAT_ADDR_BITS,
    high_zero,
    in_range,
    in_range_of_sum,
    space_bits,
)
from snowsim.model.config import PRESETS
from snowsim.model.dma import buffer_elems
from snowsim.model.isa import Buf

SPACES = (Buf.MAPS, Buf.WEIGHTS, Buf.BIAS)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_space_bits_cover_each_space_and_no_more(preset):
    cfg = PRESETS[preset]
    for buf in SPACES:
        beats = buffer_elems(buf, cfg) // cfg.bus_elems
        bits = space_bits(buf, cfg)
        # a power of two, at most twice the space (four times for a vMAC count that is
        # not a power of two)
        assert beats <= 1 << bits < 2 * beats * (1 if buf == Buf.MAPS else 2), (buf, bits)


@pytest.mark.parametrize("preset", ["tiny", "snowflake"])
def test_in_range_at_the_edges_of_each_space(preset):
    cfg = PRESETS[preset]
    buf, addr = Signal(2), Signal(BEAT_ADDR_BITS)
    out = in_range(buf, addr, cfg)
    cases = []
    for k in SPACES:
        top = 1 << space_bits(k, cfg)
        cases += [(k, 0, 1), (k, top - 1, 1), (k, top, 0), (k, (1 << BEAT_ADDR_BITS) - 1, 0)]
    cases.append((Buf.VECTOR, (1 << BEAT_ADDR_BITS) - 1, 1))

    async def tb(ctx):
        for k, a, want in cases:
            ctx.set(buf, k)
            ctx.set(addr, a)
            assert ctx.get(out) == want, (k, a)

    sim = Simulator(Module())
    sim.add_testbench(tb)
    sim.run()


@pytest.mark.parametrize("preset", ["tiny", "snowflake"])
def test_in_range_of_a_sum_is_in_range_of_the_sum(preset):
    """The DMA side's form (a base's high bits tested once, a short sum per beat) against
    in_range of the whole sum, for bases and offsets at and across each space's end."""
    cfg = PRESETS[preset]
    buf, base, off = Signal(2), Signal(BEAT_ADDR_BITS), Signal(9)
    total = Signal(BEAT_ADDR_BITS + 1)
    hz = Signal(3)
    m = Module()
    m.d.comb += [total.eq(base + off), hz.eq(high_zero(base, cfg))]
    want, got = in_range(buf, total, cfg), in_range_of_sum(buf, hz, base, off, cfg)
    cases = []
    for k in (*SPACES, Buf.VECTOR):
        top = 1 << space_bits(k, cfg) if k != Buf.VECTOR else 1 << 10
        for b in (0, 1, top - 300, top - 2, top - 1, top, top + 5, (1 << BEAT_ADDR_BITS) - 3):
            for o in (0, 1, 2, 3, 255, 299, 300, 301, 511):
                cases.append((k, b % (1 << BEAT_ADDR_BITS), o))

    async def tb(ctx):
        outcomes = set()
        for k, b, o in cases:
            ctx.set(buf, k)
            ctx.set(base, b)
            ctx.set(off, o)
            assert ctx.get(got) == ctx.get(want), (k, b, o)
            outcomes.add((k, ctx.get(want)))
        # both outcomes seen for every ranged space
        assert all((k, v) in outcomes for k in SPACES for v in (0, 1))

    sim = Simulator(m)
    sim.add_testbench(tb)
    sim.run()
