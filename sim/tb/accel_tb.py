"""cocotb testbench for the whole accelerator: one job from a job file.

The host side (:mod:`snowsim.sim.cosim`) writes ``job.json`` and ``dram.bin`` into the test
directory and reads back ``result.json`` and ``dram_out.bin``.  The testbench:
clock and reset; cocotbext-axi ``AxiRam`` as DRAM on ``m_axi_*`` (optionally with random
pauses on every channel); ``AxiLiteMaster`` on ``s_axil_*``; the passive protocol checker and
the transaction monitor on ``m_axi_*``; program and tensors placed in memory; START; then it
waits for the ``irq`` edge (no Python wakes up per cycle while the job runs), reads status
and counters, and dumps the memory.
"""

import json
import os
import random
import time
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from snowsim.sim.axi_checker import AxiProtocolChecker
from snowsim.sim.dram import axi_ram
from snowsim.sim.driver import Driver

CLOCK_NS = 10


def _pause_generator(rng: random.Random, p: float):
    while True:
        yield rng.random() < p


def collisions(dut) -> list[str]:
    """The RTL's simulation check (hw/collisions.py): a memory read and written at one
    address in one cycle since rst.  The top must have been generated with checks."""
    if int(dut.sim_collision.value):
        return ["an on-chip memory was read and written at one address in one cycle"]
    return []


@cocotb.test()
async def run_job(dut):
    test_dir = Path(os.environ["SNOWSIM_TEST_DIR"])
    job_dir = Path(os.environ["SNOWSIM_JOB_DIR"])
    job = json.loads((job_dir / "job.json").read_text())
    image = (job_dir / "dram.bin").read_bytes()

    Clock(dut.clk, CLOCK_NS, unit="ns").start()
    ram = axi_ram(dut, len(image))
    ram.write(0, image)
    axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
    checker = AxiProtocolChecker(dut, "m_axi", dut.clk, dut.rst, max_burst=job["max_burst"])
    monitor = checker  # the checker is also the transaction monitor
    if job.get("pause_seed") is not None:
        rng = random.Random(job["pause_seed"])
        for ch in (
            ram.write_if.aw_channel,
            ram.write_if.w_channel,
            ram.write_if.b_channel,
            ram.read_if.ar_channel,
            ram.read_if.r_channel,
        ):
            ch.set_pause_generator(_pause_generator(rng, job.get("pause_p", 0.3)))

    dut.rst.value = 1
    await ClockCycles(dut.clk, 4)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)

    drv = Driver(axil)
    assert await drv.read("ID") == job["id"], "ID register mismatch"
    await drv.write("PROG_BASE", job["prog_base"])
    await drv.write("PROG_LEN", job["prog_len"])
    monitor.clear()
    wall = time.perf_counter()
    await drv.write("CTRL", 0b101)  # IRQ_EN | START
    t_start = cocotb.utils.get_sim_time("ns")
    await with_timeout(RisingEdge(dut.irq), job["timeout_cycles"] * CLOCK_NS, "ns")
    t_irq = cocotb.utils.get_sim_time("ns")
    wall = time.perf_counter() - wall
    status = await drv.status()
    counters = await drv.counters()
    err_addr = await drv.read("ERR_ADDR")
    await ClockCycles(dut.clk, 8)
    checker_errors = checker.finish() + collisions(dut)

    (test_dir / "dram_out.bin").write_bytes(ram.read(0, len(image)))
    result = {
        "status": dict(status),
        "counters": counters,
        "err_addr": err_addr,
        "irq_cycles": round((t_irq - t_start) / CLOCK_NS),
        "monitor": monitor.summary(),
        "checker_errors": checker_errors,
        "sim_seconds": wall,
    }
    (test_dir / "result.json").write_text(json.dumps(result, indent=1))
    assert not checker_errors, f"AXI protocol violations or collisions: {checker_errors[:5]}"


async def _fault_setup(dut):
    """The fault tests' set-up: clock, DRAM image, AXI-Lite master, protocol checker and
    reset; returns (test directory, job, image, ram, checker, driver)."""
    test_dir = Path(os.environ["SNOWSIM_TEST_DIR"])
    job_dir = Path(os.environ["SNOWSIM_JOB_DIR"])
    job = json.loads((job_dir / "job.json").read_text())
    image = (job_dir / "dram.bin").read_bytes()
    Clock(dut.clk, CLOCK_NS, unit="ns").start()
    ram = axi_ram(dut, len(image))
    ram.write(0, image)
    axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
    checker = AxiProtocolChecker(dut, "m_axi", dut.clk, dut.rst, max_burst=job["max_burst"])
    dut.rst.value = 1
    await ClockCycles(dut.clk, 4)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)
    return test_dir, job, image, ram, checker, Driver(axil)


async def _rerun(dut, test_dir, job, image, ram, drv, checker, results: dict) -> None:
    """After a fault: the same job from a fresh image, to its IRQ; writes the memory and
    ``result.json`` (``results`` plus the clean run's status and the checker's verdict)."""
    ram.write(0, image)
    await drv.start(job["prog_base"], job["prog_len"])
    await with_timeout(RisingEdge(dut.irq), job["timeout_cycles"] * CLOCK_NS, "ns")
    clean = dict(await drv.status())
    await ClockCycles(dut.clk, 8)
    (test_dir / "dram_out.bin").write_bytes(ram.read(0, len(image)))
    results = {**results, "clean": clean, "checker": checker.finish() + collisions(dut)}
    (test_dir / "result.json").write_text(json.dumps(results))


@cocotb.test()
async def error_then_reset(dut):
    """A job whose memory answers SLVERR/DECERR in a region ends in STATUS.ERROR with the
    code, the failing address and an IRQ; nothing outside the output region changes; a soft
    reset returns to idle and the same job then runs cleanly."""
    from snowsim.sim.axi_errmem import ErrorRegion

    test_dir, job, image, ram, checker, drv = await _fault_setup(dut)
    errors = ErrorRegion(ram)
    errors.set(job["error"])
    await drv.start(job["prog_base"], job["prog_len"])
    await with_timeout(RisingEdge(dut.irq), job["timeout_cycles"] * CLOCK_NS, "ns")
    failed = {
        "status": dict(await drv.status()),
        "err_addr": await drv.read("ERR_ADDR"),
        "irq_status": await drv.read("IRQ_STATUS"),
    }
    (test_dir / "dram_error.bin").write_bytes(ram.read(0, len(image)))
    errors.set(None)
    await drv.write("IRQ_STATUS", 0b11)
    await drv.soft_reset()
    await ClockCycles(dut.clk, 10)
    idle = dict(await drv.status())
    await _rerun(dut, test_dir, job, image, ram, drv, checker, {"failed": failed, "idle": idle})


@cocotb.test()
async def reset_mid_job(dut):
    """``rst`` for one cycle while the job writes its output: every AXI VALID is low from the
    first edge that samples ``rst`` (and stays low), the registers read idle, nothing
    outside the output region changed, and the same job then runs cleanly."""
    from cocotb.triggers import ReadOnly

    test_dir, job, image, ram, checker, drv = await _fault_setup(dut)
    await drv.start(job["prog_base"], job["prog_len"])
    # mid-job: a few cycles into the first output burst (its W beats in flight)
    await with_timeout(RisingEdge(dut.m_axi_awvalid), job["timeout_cycles"] * CLOCK_NS, "ns")
    await ClockCycles(dut.clk, job["reset_after"])
    dut.rst.value = 1
    await RisingEdge(dut.clk)  # the first edge that samples rst
    dut.rst.value = 0
    valids = ("m_axi_arvalid", "m_axi_awvalid", "m_axi_wvalid", "s_axil_rvalid", "s_axil_bvalid")
    high = []
    for cycle in range(16):
        await ReadOnly()
        high += [f"{v} high {cycle} cycles after rst" for v in valids if int(getattr(dut, v).value)]
        await RisingEdge(dut.clk)
    (test_dir / "dram_reset.bin").write_bytes(ram.read(0, len(image)))
    idle = dict(await drv.status())
    await _rerun(
        dut, test_dir, job, image, ram, drv, checker, {"valid_in_reset": high, "idle": idle}
    )
