"""Host side of a whole-layer co-simulation: compile, price, simulate, compare, report.

``run_layer`` compiles the layer for the config (every mapping error is raised here, before
any simulator starts), makes random fixed-point tensors, computes the golden output and the
timing model's prediction, places program and tensors in a DRAM image, runs the cocotb
testbench ``snowsim.sim.tb.accel_tb`` on the generated Verilog, and compares the RTL's output
bit for bit and its counters with the model.
"""

import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from snowsim.model.compiler import CompiledLayer, compile_layer
from snowsim.model.config import AcceleratorConfig
from snowsim.model.layers import Layer
from snowsim.model.regmap import ID_VALUE
from snowsim.model.timing import Prediction, predict
from snowsim.model.workload import expected_output, random_tensors

__all__ = ["CosimReport", "run_layer"]

#: Largest |model - RTL| / RTL cycle difference accepted by default (the goal is 0.5 %).
DEFAULT_TOLERANCE_PCT = 1.0


@dataclass
class CosimReport:
    """One layer, model vs RTL (the ``--json`` contract of ``snowsim sim``)."""

    layer: dict[str, Any]
    config: dict[str, Any]
    simulator: str
    seed: int
    bit_exact: bool
    model: dict[str, Any]
    rtl: dict[str, Any]
    cycle_error_pct: float
    mac_utilization: float
    bus_utilization: float
    ops: int
    sim_seconds: float
    status: dict[str, Any] = field(default_factory=dict)
    checker_errors: list[str] = field(default_factory=list)
    writes_outside_outputs: int = 0
    mismatches: int = 0
    waves: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def agrees(self, tolerance_pct: float = DEFAULT_TOLERANCE_PCT) -> bool:
        m, r = self.model, self.rtl
        return (
            self.bit_exact
            and not self.checker_errors
            and not self.writes_outside_outputs
            and abs(self.cycle_error_pct) <= tolerance_pct
            and all(
                m[k] == r[k] for k in ("bytes_read", "bytes_written", "read_bursts", "write_bursts")
            )
        )


def _model_summary(p: Prediction, cfg: AcceleratorConfig) -> dict[str, Any]:
    return {
        "cycles": p.cycles,
        "bytes_read": p.read_beats * cfg.bus_bytes,
        "bytes_written": p.write_beats * cfg.bus_bytes,
        "read_bursts": p.read_bursts,
        "write_bursts": p.write_bursts,
        "mac_active_cycles": p.mac_active,
        "compute_busy": p.compute_busy,
        "load_busy": p.load_busy,
        "store_busy": p.store_busy,
        "fetch_cycles": p.fetch_cycles,
    }


def _rtl_key(cfg: AcceleratorConfig) -> str:
    """What the generated Verilog depends on: the config, the sources of ``snowsim.hw`` and
    ``snowsim.model`` (ISA, register map, latencies) and the Amaranth version."""
    from importlib import metadata

    import snowsim.hw
    import snowsim.model

    h = hashlib.sha1(json.dumps(cfg.to_dict(), sort_keys=True).encode())
    h.update(metadata.version("amaranth").encode())
    for pkg in (snowsim.hw, snowsim.model):
        for src in sorted(Path(next(iter(pkg.__path__))).glob("*.py")):
            h.update(src.name.encode() + src.read_bytes())
    return h.hexdigest()


def build_top(
    cfg: AcceleratorConfig, primitives: str = "generic", *, checks: bool = True
) -> tuple[list[Path], str]:
    """Generate the accelerator's Verilog for ``cfg`` in primitive family ``primitives``
    (``snowsim.hw.primitives``), with the simulation checks unless ``checks`` is false (for
    synthesis), or reuse the file generated from the same config and sources (the snowflake
    top takes over a minute to generate).  Returns the sources to simulate (the top, then
    the models of the primitives it instantiates) and the top's name."""
    from snowsim.hw.primitives import sim_models
    from snowsim.hw.top import top_name, top_verilog
    from snowsim.sim.runner import BUILD_ROOT, write_if_changed

    name = top_name(cfg)
    stem = name if primitives == "generic" else f"{name}_{primitives}"
    stem += "_sim" if checks else ""
    path = BUILD_ROOT / "verilog" / f"{stem}.v"
    stamp = path.with_suffix(".key")
    key = _rtl_key(cfg) + primitives
    if not (path.exists() and stamp.exists() and stamp.read_text() == key):
        write_if_changed(path, top_verilog(cfg, primitives, checks=checks))
        stamp.write_text(key)
    sources = [path]
    models = sim_models(primitives)
    if models:
        sources.append(BUILD_ROOT / "verilog" / f"{primitives}_models.v")
        write_if_changed(sources[-1], models)
    return sources, name


def run_layer(
    layer: Layer,
    cfg: AcceleratorConfig,
    *,
    sim: str = "icarus",
    seed: int = 1,
    waves: bool = False,
    pause_seed: int | None = None,
    compiled: CompiledLayer | None = None,
    primitives: str = "generic",
) -> tuple[CosimReport, dict[str, Any]]:
    """Co-simulate one layer; returns the report and the tensors (incl. ``output`` from the
    RTL and ``expected`` from the golden model).  ``primitives`` picks the form of the RTL
    (``snowsim.hw.primitives.FAMILIES``): ``ecp5`` runs the netlist ``snowsim synth --target
    ecp5`` measures, its hard multipliers simulated by ``sim_models("ecp5")``."""
    from snowsim.sim.runner import check_simulator, run_cocotb

    compiled = compiled or compile_layer(layer, cfg)
    check_simulator(sim)
    tensors = random_tensors(layer, cfg, seed)
    expected = expected_output(layer, tensors, cfg)
    prediction = predict(compiled.program, cfg)
    size = compiled.layout.size
    image = np.zeros(size, dtype=np.uint8)
    for addr, data in compiled.dram_image(tensors):
        image[addr : addr + len(data)] = np.frombuffer(data, dtype=np.uint8)
    sources, top = build_top(cfg, primitives)
    work = Path(tempfile.mkdtemp(prefix="snowsim-job-"))
    (work / "dram.bin").write_bytes(image.tobytes())
    job = {
        "prog_base": compiled.layout["program"].addr,
        "prog_len": len(compiled.program),
        "id": ID_VALUE,
        "max_burst": cfg.max_burst_beats,
        "pause_seed": pause_seed,
        "timeout_cycles": 20 * prediction.cycles + 10_000,
    }
    (work / "job.json").write_text(json.dumps(job))
    test_dir = run_cocotb(
        sim,
        top,
        sources,
        "snowsim.sim.tb.accel_tb",
        testcase="run_job",
        waves=waves,
        env={"SNOWSIM_JOB_DIR": str(work)},
        build_tag=cfg.name if primitives == "generic" else f"{cfg.name}-{primitives}",
    )
    result = json.loads((test_dir / "result.json").read_text())
    final = np.frombuffer((test_dir / "dram_out.bin").read_bytes(), dtype=np.uint8)
    output = compiled.unpack(lambda a, n: final[a : a + n].tobytes())
    # every byte outside the output regions must be untouched
    changed = final != image
    for name in compiled.output_regions:
        reg = compiled.layout[name]
        changed[reg.addr : reg.end] = False
    counters = result["counters"]
    rtl = {
        "cycles": counters["CYCLES"],
        "bytes_read": counters["RD_BYTES"],
        "bytes_written": counters["WR_BYTES"],
        "read_bursts": counters["RD_BURSTS"],
        "write_bursts": counters["WR_BURSTS"],
        "mac_active_cycles": counters["MAC_ACTIVE"],
        "compute_busy": counters["COMPUTE_BUSY"],
        "load_busy": counters["LOAD_BUSY"],
        "store_busy": counters["STORE_BUSY"],
        "rd_wait": counters["RD_WAIT"],
        "wr_wait": counters["WR_WAIT"],
        "irq_cycles": result["irq_cycles"],
    }
    # the DMA counters must agree with what the AXI monitor saw on the bus
    mon = result["monitor"]
    for counter, seen in (
        ("bytes_read", "bytes_read"),
        ("bytes_written", "bytes_written"),
        ("read_bursts", "read_bursts"),
        ("write_bursts", "write_bursts"),
        ("rd_wait", "rd_wait"),
        ("wr_wait", "wr_wait"),
    ):
        if rtl[counter] != mon[seen]:
            result["checker_errors"].append(
                f"counter {counter} = {rtl[counter]} but the AXI monitor saw {mon[seen]}"
            )
    model = _model_summary(prediction, cfg)
    cycles = max(rtl["cycles"], 1)
    beats = (rtl["bytes_read"] + rtl["bytes_written"]) / cfg.bus_bytes
    mismatches = int(np.count_nonzero(np.asarray(output) != np.asarray(expected)))
    report = CosimReport(
        layer=layer.to_dict(),
        config=cfg.to_dict(),
        simulator=sim,
        seed=seed,
        bit_exact=mismatches == 0,
        model=model,
        rtl=rtl,
        cycle_error_pct=100.0 * (model["cycles"] - rtl["cycles"]) / cycles,
        mac_utilization=compiled.useful_macs / (cycles * cfg.macs),
        bus_utilization=beats / cycles,
        ops=layer.ops,
        sim_seconds=result["sim_seconds"],
        status=result["status"],
        checker_errors=result["checker_errors"],
        writes_outside_outputs=int(np.count_nonzero(changed)),
        mismatches=mismatches,
        waves=_find_waves(test_dir) if waves else None,
    )
    tensors = {**tensors, "output": output, "expected": expected}
    return report, tensors


def _find_waves(test_dir: Path) -> str | None:
    for pattern in ("*.fst", "*.vcd"):
        for p in sorted(test_dir.parent.rglob(pattern)):
            return str(p)
    return None
