"""Flip-flop replicas (hw/fanout.py): each holds the value a cycle late, and the synthesis
flows keep them apart (Yosys merges identical flip-flops unless they are kept)."""

import pytest
from amaranth import Elaboratable, Module, Signal
from amaranth.back import verilog as amaranth_verilog
from amaranth.sim import Simulator

from snowsim.hw.fanout import replicas
from snowsim.sim.runner import _prepare_env
from snowsim.sim.synth import synthesize


class Fanned(Elaboratable):
    """``value`` registered into ``count`` replicas, each gating its own output register;
    with ``original``, also into a flip-flop of its own (``keep``, as hw/fanout.py asks of
    an original), gating one more."""

    def __init__(self, count: int, original: bool = False):
        self.count = count
        self.original = original
        self.value = Signal()
        self.data = Signal(8)
        self.outs = [Signal(8, name=f"out{i}") for i in range(count + original)]
        self.reps: list[Signal] = []

    def elaborate(self, platform):
        m = Module()
        self.reps = replicas(m, self.value, self.count, "en")
        if self.original:
            orig = Signal(name="orig", reset_less=True, attrs={"keep": 1})
            m.d.sync += orig.eq(self.value)
            self.reps.append(orig)
        for i, (en, out) in enumerate(zip(self.reps, self.outs)):
            with m.If(en):
                m.d.sync += out.eq(self.data + i)
        return m


def test_each_replica_holds_the_value_a_cycle_late():
    dut = Fanned(3)
    seen = []

    async def tb(ctx):
        for v in (1, 0, 1, 1, 0):
            ctx.set(dut.value, v)
            await ctx.tick()
            seen.append([ctx.get(r) for r in dut.reps])

    m = Module()
    m.submodules.dut = dut
    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert seen == [[v] * 3 for v in (1, 0, 1, 1, 0)]


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_a_count_below_one_is_refused():
    with pytest.raises(ValueError, match="count must be >= 1, not 0"):
        replicas(Module(), Signal(), 0, "x")


@pytest.mark.parametrize("target", ["ecp5", "xilinx"])
@pytest.mark.parametrize("original", [False, True])
def test_synthesis_keeps_the_replicas_apart(tmp_path, target, original):
    # 4 replicas (+ a kept original) and 8 output bits each: 36 (45) flip-flops; with the
    # replicas merged 32 here, with the original merged into a replica 44
    _prepare_env()
    dut = Fanned(4, original)
    v = tmp_path / "fanned.v"
    v.write_text(
        amaranth_verilog.convert(dut, name="fanned", ports=[dut.value, dut.data, *dut.outs])
    )
    r = synthesize(v, "fanned", target, tmp_path / "work", place_and_route=False)
    assert r.ffs == (4 + original) * 9
