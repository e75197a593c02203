"""Faults during a whole job - bus errors, ``rst`` mid-job: a defined end, no stray writes,
a clean rerun."""

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from snowsim.model.compiler import compile_layer
from snowsim.model.config import PRESETS
from snowsim.model.layers import Linear
from snowsim.model.regmap import ErrorCode
from snowsim.model.workload import expected_output, random_tensors
from snowsim.sim.cosim import build_top
from snowsim.sim.runner import SIMULATORS, run_cocotb

CFG = PRESETS["tiny"]
LAYER = Linear(in_features=64, out_features=24, batch=2)


def _job(sim, testcase, compiled, **job):
    """Run ``testcase`` of sim/tb/accel_tb.py on ``compiled`` (LAYER): its tensors, the DRAM
    image, the result, the memory at the end and the test's directory."""
    tensors = random_tensors(LAYER, CFG, 5)
    image = np.zeros(compiled.layout.size, dtype=np.uint8)
    for addr, data in compiled.dram_image(tensors):
        image[addr : addr + len(data)] = np.frombuffer(data, dtype=np.uint8)
    job_dir = Path(tempfile.mkdtemp(prefix="err-"))
    (job_dir / "dram.bin").write_bytes(image.tobytes())
    (job_dir / "job.json").write_text(
        json.dumps(
            {
                "prog_base": compiled.layout["program"].addr,
                "prog_len": len(compiled.program),
                "max_burst": CFG.max_burst_beats,
                "timeout_cycles": 50_000,
                **job,
            }
        )
    )
    sources, top = build_top(CFG)
    out = run_cocotb(
        sim,
        top,
        sources,
        "snowsim.sim.tb.accel_tb",
        testcase=testcase,
        env={"SNOWSIM_JOB_DIR": str(job_dir)},
    )
    res = json.loads((out / "result.json").read_text())
    final = np.frombuffer((out / "dram_out.bin").read_bytes(), dtype=np.uint8)
    return tensors, image, res, final, out


def _run(sim, region, side, resp):
    compiled = compile_layer(LAYER, CFG)
    reg = compiled.layout[region]
    error = {"side": side, "start": reg.addr + 64, "end": reg.addr + 66, "resp": resp}
    tensors, image, res, final, out = _job(sim, "error_then_reset", compiled, error=error)
    after_error = np.frombuffer((out / "dram_error.bin").read_bytes(), dtype=np.uint8)
    return compiled, tensors, image, reg, res, final, after_error


def _assert_only_output_changed(compiled, image, memory):
    changed = memory != image
    out = compiled.layout["output"]
    changed[out.addr : out.end] = False
    assert not changed.any(), "a write landed outside the output region"


def _assert_clean_rerun(compiled, tensors, res, final):
    assert res["clean"]["ERROR"] == 0 and res["clean"]["DONE"] == 1
    got = compiled.unpack(lambda a, n: final[a : a + n].tobytes())
    assert (got == expected_output(LAYER, tensors, CFG)).all()
    assert not res["checker"], res["checker"]


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize(
    "region, side, resp, code",
    [
        ("params", "read", "slverr", ErrorCode.READ_SLVERR),
        ("input", "read", "decerr", ErrorCode.READ_DECERR),
        ("output", "write", "slverr", ErrorCode.WRITE_SLVERR),
    ],
)
def test_bus_error_ends_job_then_soft_reset_recovers(sim, region, side, resp, code):
    compiled, tensors, image, reg, res, final, after_error = _run(sim, region, side, resp)
    st = res["failed"]["status"]
    assert st["ERROR"] == 1 and st["DONE"] == 1 and st["BUSY"] == 0
    assert st["ERROR_CODE"] == code
    assert reg.addr <= res["failed"]["err_addr"] < reg.end  # the failing burst's address
    assert res["failed"]["irq_status"] & 0b10  # IRQ_STATUS.ERROR
    _assert_only_output_changed(compiled, image, after_error)
    assert res["idle"]["BUSY"] == 0 and res["idle"]["ERROR"] == 0
    _assert_clean_rerun(compiled, tensors, res, final)


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_rst_mid_job_stops_cleanly_then_job_reruns(sim):
    # rst for one cycle, 3 cycles into the first output burst (its W beats in flight)
    compiled = compile_layer(LAYER, CFG)
    tensors, image, res, final, out = _job(sim, "reset_mid_job", compiled, reset_after=3)
    assert not res["valid_in_reset"], res["valid_in_reset"]
    assert res["idle"]["BUSY"] == 0 and res["idle"]["DONE"] == 0
    assert res["idle"]["ERROR"] == 0
    after_reset = np.frombuffer((out / "dram_reset.bin").read_bytes(), dtype=np.uint8)
    _assert_only_output_changed(compiled, image, after_reset)
    _assert_clean_rerun(compiled, tensors, res, final)
