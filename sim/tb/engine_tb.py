"""cocotb testbench for the compute engine's generated Verilog (tests/cosim/test_engine_cosim.py):
write the maps, weights and bias buffers through the DMA write port, issue MAC instructions,
wait for their completions, read the vector buffer through the store read port.  The job
(``job.json`` in ``SNOWSIM_JOB_DIR``) lists beats, instructions and reads; the words read and
the cycles go to ``result.json`` in ``SNOWSIM_TEST_DIR``."""

import json
import os
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from snowsim.model.latencies import BUFFER_READ_LATENCY


@cocotb.test()
async def engine_job(dut):
    job = json.loads((Path(os.environ["SNOWSIM_JOB_DIR"]) / "job.json").read_text())
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.valid.value = 0
    dut.dma_wr__valid.value = 0
    dut.store_rd__en.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    for beat in job["beats"]:
        dut.dma_wr__valid.value = 1
        dut.dma_wr__buf.value = beat["buf"]
        dut.dma_wr__addr.value = beat["addr"]
        dut.dma_wr__data.value = beat["data"]
        dut.dma_wr__mask.value = beat["mask"]
        dut.dma_wr__cu_mask.value = beat["cu_mask"]
        dut.dma_wr__in_range.value = 1  # (the DMA side tests it; the beats are in range)
        await RisingEdge(dut.clk)
    dut.dma_wr__valid.value = 0
    queue = [int(i) for i in job["instructions"]]
    issued = done = cycle = active = 0
    credits = job["credits"]  # the engine's contract: fire only while holding a credit
    first_issue = last_issue = None
    dut.valid.value = 1
    dut.instr.value = queue[0]
    while done < len(queue) and cycle < job["max_cycles"]:
        await ReadOnly()
        returned = int(dut.credit.value)
        fire = int(dut.valid.value)
        credits += returned - fire
        done += int(dut.done.value)
        if int(dut.mac_active.value):
            active += int(dut.mac_active.value)
            first_issue = cycle if first_issue is None else first_issue
            last_issue = cycle
        await RisingEdge(dut.clk)
        issued += fire
        # a credit returned in this cycle is usable in the next only (the pulse is over)
        dut.valid.value = int(issued < len(queue) and credits > 0)
        if issued < len(queue):
            dut.instr.value = queue[issued]
        cycle += 1
    words = []
    for addr in job["reads"]:
        dut.store_rd__en.value = 1
        dut.store_rd__addr.value = addr
        await RisingEdge(dut.clk)
        dut.store_rd__en.value = 0
        for _ in range(BUFFER_READ_LATENCY - 1):
            await RisingEdge(dut.clk)
        await ReadOnly()
        words.append(str(int(dut.store_rd__data.value)))
        await RisingEdge(dut.clk)
    result = {
        "done": done,
        "cycles": cycle,
        "first_issue": first_issue,
        "last_issue": last_issue,
        "mac_active": active,
        "words": words,
    }
    (Path(os.environ["SNOWSIM_TEST_DIR"]) / "result.json").write_text(json.dumps(result))
    assert done == len(queue), f"{done} of {len(queue)} instructions completed"
