"""cocotb testbench of the register block (``hw/registers.py``) through cocotbext-axi's
AxiLiteMaster, with random pauses on every AXI-Lite channel (AW and W arrive independently).
Every expected value comes from ``model/regmap.py``."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster
from cocotbext.axi.constants import AxiResp

from snowsim.hw.registers import constant_value
from snowsim.model.config import PRESETS
from snowsim.model.regmap import COUNTERS, REGISTERS, Access, by_name

CFG = PRESETS["tiny"]


class TB:
    def __init__(self, dut, seed: int):
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        rng = random.Random(seed)

        def gen():
            while True:
                yield rng.random() < 0.4

        for ch in (
            self.axil.write_if.aw_channel,
            self.axil.write_if.w_channel,
            self.axil.write_if.b_channel,
            self.axil.read_if.ar_channel,
            self.axil.read_if.r_channel,
        ):
            ch.set_pause_generator(gen())
        for n in (
            "busy",
            "done",
            "error",
            "error_code",
            "err_addr",
            "set_irq_done",
            "set_irq_error",
        ):
            getattr(dut, n).value = 0
        for n, _ in COUNTERS:
            getattr(dut, f"inc_{n.lower()}").value = 0
        self.pulses = {"start": [], "soft_reset": []}
        self.cycle = 0
        cocotb.start_soon(self._watch())

    async def _watch(self):
        while True:
            await RisingEdge(self.dut.clk)
            self.cycle += 1
            for n in self.pulses:
                if str(getattr(self.dut, n).value) == "1":
                    self.pulses[n].append(self.cycle)

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 3)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 2)

    async def read(self, name: str) -> int:
        r = await self.axil.read(by_name(name).offset, 4)
        assert r.resp == AxiResp.OKAY, f"read {name}: {r.resp!r}"
        return int.from_bytes(r.data, "little")

    async def write(self, name: str, value: int) -> None:
        w = await self.axil.write(by_name(name).offset, value.to_bytes(4, "little"))
        assert w.resp == AxiResp.OKAY, f"write {name}: {w.resp!r}"


@cocotb.test()
async def reset_values_and_access(dut):
    """Reset value of every register; RO ignores writes; RW keeps them (byte strobes)."""
    tb = TB(dut, 1)
    await tb.reset()
    for reg in REGISTERS:
        want = constant_value(reg.name, CFG) if reg.access == Access.RO else reg.reset
        if reg.name in ("STATUS", "ERR_ADDR") or reg.name.endswith(("_LO", "_HI")):
            want = 0
        assert await tb.read(reg.name) == want, reg.name
    for name in ("ID", "VERSION", "CONFIG0", "CONFIG1"):
        await tb.write(name, 0xFFFFFFFF)
        assert await tb.read(name) == constant_value(name, CFG), f"{name} is RO"
    for name in ("PROG_BASE", "PROG_LEN"):
        await tb.write(name, 0x12345678)
        assert await tb.read(name) == 0x12345678
        await tb.axil.write(by_name(name).offset + 2, b"\xab")  # one byte lane
        assert await tb.read(name) == 0x12AB5678
    # unmapped offsets answer SLVERR and change nothing: one beside mapped ones (in a
    # group of eight words the read's first level reads) and one past every register
    r = await tb.axil.read(0x3C, 4)
    assert r.resp == AxiResp.SLVERR
    r = await tb.axil.read(0xFFC, 4)
    assert r.resp == AxiResp.SLVERR and r.data == bytes(4)
    w = await tb.axil.write(0x3C, b"\x01\x00\x00\x00")
    assert w.resp == AxiResp.SLVERR


@cocotb.test()
async def ctrl_pulses_status_irq(dut):
    """START/SOFT_RESET self-clear (one-cycle pulses, read as 0), STATUS/ERR_ADDR mirror
    the core, IRQ_STATUS is W1C, irq = IRQ_EN & |IRQ_STATUS."""
    tb = TB(dut, 2)
    await tb.reset()
    await tb.write("CTRL", 0b101)
    assert len(tb.pulses["start"]) == 1 and not tb.pulses["soft_reset"]
    assert await tb.read("CTRL") == 0b100
    await tb.write("CTRL", 0b110)
    assert len(tb.pulses["start"]) == 1 and len(tb.pulses["soft_reset"]) == 1
    dut.busy.value, dut.error.value, dut.error_code.value = 1, 1, 4
    dut.err_addr.value = 0xDEAD0040
    await RisingEdge(dut.clk)
    assert await tb.read("STATUS") == 0b101 | (4 << 8)
    assert await tb.read("ERR_ADDR") == 0xDEAD0040
    assert not int(dut.irq.value)
    dut.set_irq_error.value = 1
    await RisingEdge(dut.clk)
    dut.set_irq_error.value = 0
    await RisingEdge(dut.clk)
    assert await tb.read("IRQ_STATUS") == 0b10
    assert int(dut.irq.value) == 1
    await tb.write("CTRL", 0)
    assert not int(dut.irq.value), "irq without IRQ_EN"
    await tb.write("CTRL", 0b100)
    await tb.write("IRQ_STATUS", 0b01)  # W1C of a clear bit: no change
    assert await tb.read("IRQ_STATUS") == 0b10
    await tb.write("IRQ_STATUS", 0b10)
    assert await tb.read("IRQ_STATUS") == 0
    await RisingEdge(dut.clk)
    assert not int(dut.irq.value)


@cocotb.test()
async def counters(dut):
    """64-bit counters: _HI latched when _LO is read; cleared by START (unless BUSY) and soft
    reset."""
    tb = TB(dut, 3)
    await tb.reset()
    names = [n for n, _ in COUNTERS]
    for i, n in enumerate(names):
        getattr(dut, f"inc_{n.lower()}").value = i + 1
    big = dut.inc_cycles
    big.value = 0xFFFF
    n_cycles = 66000
    await ClockCycles(dut.clk, n_cycles)
    for n in names:
        getattr(dut, f"inc_{n.lower()}").value = 0
    await RisingEdge(dut.clk)
    lo = await tb.read("CYCLES_LO")
    hi = await tb.read("CYCLES_HI")
    total = (hi << 32) | lo
    assert hi >= 1 and total % 0xFFFF == 0 and total // 0xFFFF >= n_cycles
    ticks = total // 0xFFFF
    for i, n in enumerate(names[1:], start=2):
        assert await tb.read(f"{n}_LO") == i * ticks, n
        assert await tb.read(f"{n}_HI") == 0
    # _HI is the value latched at the _LO read, whatever the counter does afterwards
    big.value = 0xFFFF
    lo = await tb.read("CYCLES_LO")
    await ClockCycles(dut.clk, 70000)
    assert await tb.read("CYCLES_HI") == hi
    big.value = 0
    await tb.write("CTRL", 0b001)
    for n in names:
        assert await tb.read(f"{n}_LO") == 0 and await tb.read(f"{n}_HI") == 0, n
    dut.inc_rd_bytes.value = 8
    await ClockCycles(dut.clk, 5)
    dut.inc_rd_bytes.value = 0
    await ClockCycles(dut.clk, 1)  # an increment lands two cycles after it is presented
    assert await tb.read("RD_BYTES_LO") == 40
    # a START while BUSY does not restart the job: it clears no counter
    dut.busy.value = 1
    await tb.write("CTRL", 0b001)
    assert await tb.read("RD_BYTES_LO") == 40
    dut.busy.value = 0
    await tb.write("CTRL", 0b010)
    assert await tb.read("RD_BYTES_LO") == 0
