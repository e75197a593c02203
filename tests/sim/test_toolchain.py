"""The simulators run Amaranth-generated Verilog under cocotb (fails, never skips, when a
simulator is missing)."""

import pytest
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from snowsim.sim.runner import SIMULATORS, check_simulator, run_cocotb, write_verilog


class Counter(wiring.Component):
    count: Out(8)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.count.eq(self.count + 1)
        return m


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_counter_runs(sim, tmp_path):
    path = write_verilog(Counter(), "toolchain_counter", tmp_path)
    run_cocotb(sim, "toolchain_counter", [path], "snowsim.sim.tb.toolchain_tb")


def test_unknown_simulator_is_named():
    with pytest.raises(ValueError, match=r"unknown simulator 'xsim'; valid simulators: icarus"):
        check_simulator("xsim")
