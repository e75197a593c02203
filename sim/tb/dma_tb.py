"""cocotb testbench for the DMA engine (tests/cosim/dma_top.py): LOAD a region of AxiRam
into the scratch memory, STORE it back elsewhere, check every byte and the guard bytes
around the target, and measure each descriptor's cycles.  Cases come from ``cases.json`` in
``SNOWSIM_JOB_DIR``; measurements go to ``result.json`` in ``SNOWSIM_TEST_DIR``."""

import json
import os
import random
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from snowsim.sim.axi_checker import AxiProtocolChecker
from snowsim.sim.axi_errmem import ErrorRegion
from snowsim.sim.dram import axi_ram

FIELDS = (
    "dram_addr",
    "row_elems",
    "rows",
    "dram_row_stride",
    "planes",
    "dram_plane_stride",
    "buf_addr",
    "buf_row_stride",
    "buf_plane_stride",
)
GUARD = 0xA5


def _pauses(rng: random.Random, p: float):
    while True:
        yield rng.random() < p


async def run_descriptor(dut, side: str, d: dict, limit: int = 100_000) -> tuple[int, dict]:
    """Start a descriptor, return (cycles from handshake to done, error info)."""
    for f in FIELDS:
        getattr(dut, f"{side}_{f}").value = d[f]
    getattr(dut, f"{side}_valid").value = 1
    await RisingEdge(dut.clk)  # the handshake cycle s ends (ready is high while idle)
    getattr(dut, f"{side}_valid").value = 0
    cycles = 1  # now in cycle s + 1
    while True:
        await ReadOnly()
        if int(getattr(dut, f"{side}_done").value):
            err = {
                "error": int(getattr(dut, f"{side}_error").value),
                "code": int(getattr(dut, f"{side}_err_code").value),
                "addr": int(getattr(dut, f"{side}_err_addr").value),
            }
            await RisingEdge(dut.clk)
            return cycles, err
        await RisingEdge(dut.clk)
        cycles += 1
        assert cycles < limit, f"{side} descriptor did not finish in {limit} cycles"


@cocotb.test()
async def dma_cases(dut):
    job = Path(os.environ["SNOWSIM_JOB_DIR"])
    spec = json.loads((job / "cases.json").read_text())
    Clock(dut.clk, 10, unit="ns").start()
    ram = axi_ram(dut, spec["mem_size"])
    errors = ErrorRegion(ram)
    checker = AxiProtocolChecker(dut, "m_axi", dut.clk, dut.rst, max_burst=spec["max_burst"])
    monitor = checker  # the checker is also the transaction monitor
    for side in ("ld", "st"):
        getattr(dut, f"{side}_valid").value = 0
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)
    results = []
    rng = random.Random(spec.get("seed", 1))
    for case in spec["cases"]:
        src = bytes(rng.getrandbits(8) for _ in range(case["src_bytes"]))
        ram.write(case["src_base"], src)
        ram.write(case["dst_base"] - 64, bytes([GUARD]) * (case["dst_bytes"] + 128))
        channels = (
            ram.write_if.aw_channel,
            ram.write_if.w_channel,
            ram.write_if.b_channel,
            ram.read_if.ar_channel,
            ram.read_if.r_channel,
        )
        for ch in channels:
            ch.set_pause_generator(_pauses(rng, case["pause"]) if case["pause"] else None)
        errors.set(case.get("error"))
        monitor.clear()
        ld_cycles, ld_err = await run_descriptor(dut, "ld", case["ld"])
        st_cycles, st_err = (0, {"error": 0})
        if not ld_err["error"]:
            st_cycles, st_err = await run_descriptor(dut, "st", case["st"])
        await ClockCycles(dut.clk, 4)
        dst = ram.read(case["dst_base"] - 64, case["dst_bytes"] + 128)
        results.append(
            {
                "ld_cycles": ld_cycles,
                "st_cycles": st_cycles,
                "ld_err": ld_err,
                "st_err": st_err,
                "dst": dst.hex(),
                "src": src.hex(),
                "monitor": monitor.summary(),
                "checker": checker.errors[:],
            }
        )
        checker.errors.clear()
    errors.set(None)
    (Path(os.environ["SNOWSIM_TEST_DIR"]) / "result.json").write_text(json.dumps(results))
    problems = checker.finish()
    assert not problems, problems
