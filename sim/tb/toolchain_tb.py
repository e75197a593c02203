"""cocotb check of the simulator toolchain: a counter counts."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge


@cocotb.test()
async def counter_counts(dut):
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    start = int(dut.count.value)
    await ClockCycles(dut.clk, 10)
    assert int(dut.count.value) == start + 10
