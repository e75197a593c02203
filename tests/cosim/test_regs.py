"""Register block over AXI4-Lite (sim/tb/regs_tb.py) on Icarus and Verilator."""

import pytest

from snowsim.hw.registers import RegisterBlock, constant_value
from snowsim.model.config import PRESETS
from snowsim.sim.runner import BUILD_ROOT, SIMULATORS, run_cocotb, write_verilog


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_register_block(sim):
    path = write_verilog(RegisterBlock(PRESETS["tiny"]), "regs_tiny", BUILD_ROOT / "verilog" / sim)
    run_cocotb(sim, "regs_tiny", [path], "snowsim.sim.tb.regs_tb")


def test_config_constants():
    cfg = PRESETS["snowflake"]
    assert constant_value("CONFIG0", cfg) == 4 | 4 << 8 | 16 << 16 | 16 << 24
    assert constant_value("CONFIG1", cfg) == 16 | 64 << 8 | 8 << 24
    assert constant_value("ID", cfg) == 0x534E4F57
