"""The benchmark behind ``make bench``: full-size layers co-simulated on the RTL.

Every layer is compiled for the config, priced by the timing model and run on the generated
Verilog (``snowsim.sim.cosim.run_layer``); the report of each run is kept with the program's
own facts (MAC issue cycles, DRAM bytes per buffer), so that where a target is missed the
table shows which term costs the cycles.  Layers the compiler cannot map are recorded as
``not mapped`` with the compiler's reason; the bench goes on.
"""

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from snowsim.model.compiler import CompiledLayer, compile_layer
from snowsim.model.config import AcceleratorConfig
from snowsim.model.costs import mac_steps, reduction
from snowsim.model.dma import descriptor_bursts, totals
from snowsim.model.isa import INSTR_BYTES, Buf, Instruction, Op
from snowsim.model.layers import GRU, Conv2d, Layer, Linear, MaxPool2d
from snowsim.model.networks import alexnet
from snowsim.model.timing import predict

__all__ = [
    "TARGETS",
    "bench_layers",
    "bench_markdown",
    "bench_roofline",
    "program_facts",
    "run_bench",
]

#: Issue #7's targets: (report key, lowest acceptable value) per bench layer name.
TARGETS: dict[str, tuple[str, float]] = {
    "alexnet-conv1": ("mac_utilization", 0.75),
    "alexnet-conv2": ("mac_utilization", 0.98),
    "alexnet-conv3": ("mac_utilization", 0.98),
    "alexnet-conv4": ("mac_utilization", 0.98),
    "alexnet-conv5": ("mac_utilization", 0.98),
    "linear-b1": ("bus_utilization", 0.95),
    "seed-gru": ("bus_utilization", 0.95),
}
#: Largest |model - RTL| / RTL cycle error a benchmark layer may show, in percent.
CYCLE_ERROR_GOAL_PCT = 0.5
#: Wall-time goal for the five AlexNet conv layers, and SCALE-Sim v3's time on this machine.
ALEXNET_WALL_GOAL_S = 300.0
SCALESIM_ALEXNET_S = 220.0


def _full_layers() -> list[tuple[str, Layer]]:
    layers: list[tuple[str, Layer]] = [(f"alexnet-{c.name}", c) for c in alexnet().layers[:5]]
    layers.append(
        (
            "seed-conv",
            Conv2d(
                name="seed-conv",
                in_channels=192,
                out_channels=192,
                kernel_size=3,
                padding=1,
                height=13,
                width=13,
            ),
        )
    )
    for b in (1, 4, 16):
        layers.append(
            (
                f"linear-b{b}",
                Linear(name=f"linear-b{b}", in_features=1024, out_features=1024, batch=b),
            )
        )
    layers.append(("seed-gru", GRU(name="seed-gru", input_size=400, hidden_size=400, steps=4)))
    return layers


def _quick_layers() -> list[tuple[str, Layer]]:
    """Small layers for a small config (tests): every kind, and one that cannot map."""
    return [
        (
            "q-conv",
            Conv2d(
                name="q-conv",
                in_channels=8,
                out_channels=16,
                kernel_size=3,
                padding=1,
                height=10,
                width=10,
                relu=True,
                pool=MaxPool2d(2, 2),
            ),
        ),
        ("q-linear-b1", Linear(name="q-linear-b1", in_features=64, out_features=32, batch=1)),
        ("q-linear-b4", Linear(name="q-linear-b4", in_features=64, out_features=32, batch=4)),
        ("q-gru", GRU(name="q-gru", input_size=16, hidden_size=16, steps=2)),
        (
            "q-too-wide",
            Conv2d(
                name="q-too-wide",
                in_channels=3,
                out_channels=8,
                kernel_size=11,
                stride=4,
                padding=2,
                height=224,
                width=224,
            ),
        ),
    ]


def bench_layers(
    quick: bool = False, names: Sequence[str] | None = None
) -> list[tuple[str, Layer]]:
    """The bench's (name, layer) list, optionally only ``names`` (in the bench's order)."""
    layers = _quick_layers() if quick else _full_layers()
    if not names:
        return layers
    known = [n for n, _ in layers]
    bad = [n for n in names if n not in known]
    if bad:
        raise ValueError(
            f"unknown bench layer(s) {', '.join(map(repr, bad))}; valid: {', '.join(known)}"
        )
    return [(n, layer) for n, layer in layers if n in names]


def program_facts(
    compiled: CompiledLayer | list[Instruction], cfg: AcceleratorConfig
) -> dict[str, int]:
    """What a program does, counted from its instructions alone.

    Returns ``mac_issue_cycles`` (sum over MAC instructions of pixel steps x reduction: the
    cycles the array issues), ``drain_writes`` (words the drains write into the vector
    buffer), the bytes on the bus of the program fetch, of the loads into each buffer and of
    the stores (whole beats, as the RTL's counters count them) and ``instructions``.
    """
    program = compiled.program if isinstance(compiled, CompiledLayer) else compiled
    facts = dict.fromkeys(
        (
            "mac_issue_cycles",
            "drain_writes",
            "fetch_bytes",
            "maps_bytes",
            "weights_bytes",
            "bias_bytes",
            "vector_bytes",
            "store_bytes",
        ),
        0,
    )
    facts["instructions"] = len(program)
    fetch = descriptor_bursts(0, len(program) * INSTR_BYTES, 1, 0, 1, 0, cfg)
    facts["fetch_bytes"] = totals(fetch, cfg)["bytes"]
    load_key = {
        Buf.MAPS: "maps_bytes",
        Buf.WEIGHTS: "weights_bytes",
        Buf.BIAS: "bias_bytes",
        Buf.VECTOR: "vector_bytes",
    }
    for f in program:
        if f.op == Op.MAC:
            steps, real = mac_steps(f, cfg)
            facts["mac_issue_cycles"] += steps * reduction(f)
            if f["drain"]:
                facts["drain_writes"] += real * cfg.n_vmac * cfg.n_lanes
        elif f.op in (Op.LOAD, Op.STORE):
            bursts = descriptor_bursts(
                f["dram_addr"],
                f["row_elems"] * cfg.elem_bytes,
                f["rows"],
                f["dram_row_stride"],
                f["planes"],
                f["dram_plane_stride"],
                cfg,
            )
            key = "store_bytes" if f.op == Op.STORE else load_key[Buf(f["buf"])]
            facts[key] += totals(bursts, cfg)["bytes"]
    return facts


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.strip().splitlines()[0] if out.strip() else "?"


def _machine_facts(sim: str) -> dict[str, Any]:
    from snowsim.sim.runner import verilator_bin_dir

    if sim == "verilator":
        d = verilator_bin_dir()
        simver = _version([str(d / "verilator") if d else "verilator", "--version"])
    else:
        simver = _version(["iverilog", "-V"])
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "simulator": sim,
        "simulator_version": simver,
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def _entry(name: str, compiled: CompiledLayer, cfg: AcceleratorConfig, report) -> dict[str, Any]:
    """A report as a bench entry: the co-simulation keys plus the bench's own."""
    e: dict[str, Any] = {"name": name, "result": "ok", **report.to_dict()}
    cycles = max(report.rtl["cycles"], 1)
    seconds = cycles / (cfg.clock_mhz * 1e6)
    moved = report.rtl["bytes_read"] + report.rtl["bytes_written"]
    facts = program_facts(compiled, cfg)
    pred = predict(compiled.program, cfg)
    e.update(
        gops=report.ops / seconds / 1e9,
        ops_per_byte=report.ops / max(moved, 1),
        sim_cycles_per_s=cycles / max(report.sim_seconds, 1e-9),
        program=facts,
        model_breakdown={
            "mac_issue_cycles": facts["mac_issue_cycles"],
            "mapping_efficiency": compiled.useful_macs
            / max(facts["mac_issue_cycles"] * cfg.macs, 1),
            "vec_cycles": pred.vec_cycles,
            "vec_alone_cycles": pred.vec_alone_cycles,
            "fetch_cycles": pred.fetch_cycles,
            "load_busy": pred.load_busy,
            "store_busy": pred.store_busy,
        },
    )
    e["targets"] = _targets(e)
    return e


def _targets(e: dict[str, Any]) -> list[dict[str, Any]]:
    out = [
        {
            "what": "cycle error",
            "goal": f"within +-{CYCLE_ERROR_GOAL_PCT} %",
            "value": e["cycle_error_pct"],
            "met": abs(e["cycle_error_pct"]) <= CYCLE_ERROR_GOAL_PCT,
        }
    ]
    if e["name"] in TARGETS:
        key, goal = TARGETS[e["name"]]
        what = "MAC utilisation" if key == "mac_utilization" else "bus utilisation"
        out.append(
            {"what": what, "goal": f">= {100 * goal:.0f} %", "value": e[key], "met": e[key] >= goal}
        )
    return out


def run_bench(
    layers: Sequence[tuple[str, Layer]],
    cfg: AcceleratorConfig,
    *,
    sim: str = "verilator",
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Co-simulate every layer; returns (entries, facts).

    Each entry is the layer's co-simulation report (``CosimReport.to_dict()``) plus ``name``,
    ``result`` ("ok", "not mapped" or "failed"), ``gops``, ``ops_per_byte``,
    ``sim_cycles_per_s``, ``program`` (:func:`program_facts`), ``model_breakdown`` and
    ``targets``.  ``facts`` describes the run: machine, simulator, wall times.  Progress lines
    (one per layer, with a running estimate of the time left from the model's cycles) go to
    ``progress`` (default: stderr).
    """
    from snowsim.sim.cosim import build_top, run_layer
    from snowsim.sim.runner import build_simulation, check_simulator

    say = progress or (lambda s: print(s, file=sys.stderr, flush=True))
    check_simulator(sim)
    t_start = time.monotonic()
    # compile everything first: mapping errors show before any simulation
    plan: list[tuple[str, Layer, CompiledLayer | None, str, int]] = []
    for name, layer in layers:
        try:
            compiled = compile_layer(layer, cfg)
        except ValueError as exc:
            plan.append((name, layer, None, str(exc), 0))
            continue
        plan.append((name, layer, compiled, "", predict(compiled.program, cfg).cycles))
    t0 = time.monotonic()
    sources, top = build_top(cfg)
    t1 = time.monotonic()
    # the simulator is built (or its cached build found) before the clock starts for the
    # first layer: per-layer wall times are co-simulation only
    build_simulation(sim, top, sources, build_tag=cfg.name)
    facts: dict[str, Any] = {
        **_machine_facts(sim),
        "config": cfg.name,
        "verilog_seconds": round(t1 - t0, 2),
        "sim_build_seconds": round(time.monotonic() - t1, 2),
    }
    todo = sum(c for *_, c in plan)
    done_cycles, sim_s, entries = 0, 0.0, []
    for i, (name, layer, compiled, reason, model_cycles) in enumerate(plan, 1):
        head = f"[{i}/{len(plan)}] {name:15s}"
        if compiled is None:
            entries.append(
                {
                    "name": name,
                    "result": "not mapped",
                    "reason": reason,
                    "layer": layer.to_dict(),
                    "config": cfg.to_dict(),
                    "simulator": sim,
                }
            )
            say(f"{head} not mapped: {reason}")
            continue
        t = time.monotonic()
        try:
            report, _ = run_layer(layer, cfg, sim=sim, seed=seed, compiled=compiled)
        except Exception as exc:  # a failed layer is recorded and the bench goes on
            entries.append(
                {
                    "name": name,
                    "result": "failed",
                    "reason": f"{type(exc).__name__}: {exc}".splitlines()[0][:300],
                    "layer": layer.to_dict(),
                    "config": cfg.to_dict(),
                    "simulator": sim,
                }
            )
            say(f"{head} FAILED: {entries[-1]['reason']}")
            continue
        wall = time.monotonic() - t
        e = _entry(name, compiled, cfg, report)
        e["wall_seconds"] = round(wall, 2)
        entries.append(e)
        done_cycles += model_cycles
        sim_s += report.sim_seconds
        rate = done_cycles / max(sim_s, 1e-9)
        left = (todo - done_cycles) / rate if rate else 0.0
        say(
            f"{head} {report.rtl['cycles']:>9} cycles (model {report.cycle_error_pct:+.2f} %)  "
            f"MAC {100 * report.mac_utilization:5.1f} %  bus {100 * report.bus_utilization:5.1f} %"
            f"  {'bit-exact' if report.bit_exact else 'NOT BIT-EXACT'}  "
            f"{wall:6.1f} s wall, {e['sim_cycles_per_s'] / 1e3:6.1f} k cycles/s  "
            f"(~{left:.0f} s of simulation left)"
        )
    facts["wall_seconds"] = round(time.monotonic() - t_start, 1)
    alex = [e for e in entries if e["name"].startswith("alexnet-conv") and e["result"] == "ok"]
    if alex:
        facts["alexnet_layers"] = [e["name"] for e in alex]
        facts["alexnet_wall_seconds"] = round(sum(e["wall_seconds"] for e in alex), 1)
        facts["alexnet_sim_seconds"] = round(sum(e["sim_seconds"] for e in alex), 1)
    return entries, facts


# -- outputs ------------------------------------------------------------------------------------
def bench_roofline(
    entries: Sequence[dict[str, Any]], cfg: AcceleratorConfig, path: str | Path
) -> Path:
    """The config's roofline with each layer's measured (RTL) and timing-model point."""
    from snowsim.model.analysis import Machine
    from snowsim.sim.plots import plot_roofline, report_points

    machine = Machine.from_config(cfg)
    points = report_points([e for e in entries if e["result"] == "ok"])
    return plot_roofline(
        machine.peak_ops_per_s,
        machine.dram_bytes_per_s,
        points,
        path,
        title=f"{cfg.name}: {machine.peak_ops_per_s / 1e9:.0f} G-ops/s, "
        f"{machine.dram_bytes_per_s / 1e9:.1f} GB/s; measured RTL vs timing model",
    )


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def bench_markdown(
    entries: Sequence[dict[str, Any]],
    cfg: AcceleratorConfig,
    *,
    command: str,
    facts: dict[str, Any],
    json_path: str,
    plot_path: str,
    csv_columns: str = "",
) -> str:
    """``docs/benchmarks.md``: the tables, the targets and how the run was made."""
    from snowsim.model.analysis import Machine
    from snowsim.sim.report import layer_label

    machine = Machine.from_config(cfg)
    out = [
        "# Benchmarks: full-size layers on the RTL",
        "",
        f"Generated by `{command}` (`make bench`).  Config `{cfg.name}`: "
        f"{cfg.n_cu} CU x {cfg.n_vmac} vMAC x {cfg.n_lanes} lanes = {cfg.macs} MACs at "
        f"{cfg.clock_mhz:g} MHz ({machine.peak_ops_per_s / 1e9:.0f} G-ops/s), "
        f"{cfg.bus_data_bits}-bit AXI ({machine.dram_bytes_per_s / 1e9:.1f} GB/s, ridge "
        f"{machine.ridge_ops_per_byte:.0f} ops/B).  Simulator {facts.get('simulator')} "
        f"({facts.get('simulator_version')}) on {facts.get('cpu')} ({facts.get('cpus')} CPUs), "
        f"Python {facts.get('python')}.  Whole run {facts.get('wall_seconds')} s: "
        f"Verilog {facts.get('verilog_seconds')} s, simulator build "
        f"{facts.get('sim_build_seconds')} s (both cached between runs), then the layers.",
        "",
        "Every number below is measured on the generated Verilog: cycles are the CYCLES "
        "counter, bytes the DMA counters (checked against an AXI monitor), the output compared "
        "element by element with the golden model.  Per-layer JSON: "
        f"[`{json_path}`]({json_path}).",
        "",
        f"![roofline]({plot_path})",
        "",
        "| layer | shape | RTL cycles | model cycles | error % | MAC util | bus util | G-ops/s "
        "| ops/DRAM B | bit-exact | sim s | sim k cycles/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for e in entries:
        label = layer_label(e["layer"])
        if e["result"] != "ok":
            out.append(f"| {e['name']} | {label} | {e['result']}: {e['reason']} |||||||||| ")
            continue
        out.append(
            f"| {e['name']} | {label} | {e['rtl']['cycles']} | {e['model']['cycles']} | "
            f"{e['cycle_error_pct']:+.3f} | {_pct(e['mac_utilization'])} | "
            f"{_pct(e['bus_utilization'])} | {e['gops']:.1f} | {e['ops_per_byte']:.1f} | "
            f"{'yes' if e['bit_exact'] and not e['checker_errors'] else 'NO'} | "
            f"{e['sim_seconds']:.1f} | {e['sim_cycles_per_s'] / 1e3:.1f} |"
        )
    out += [
        "",
        "## Where the cycles go",
        "",
        "From the program and the timing model (which agree with the RTL to the error above): "
        "*MAC issue* is the share of the cycles the array issues MACs (pixel steps x "
        "reduction, summed over the MAC instructions); *mapping* the share of the issuing "
        "lanes doing useful work (the rest are padding channels, or CUs idle in pixel mode); "
        "MAC utilisation = MAC issue x mapping.  *VEC* is the share of the cycles the vector unit "
        "runs (max-pooling, GRU gates), *VEC alone* the share in which it runs and the array "
        "issues nothing (pooling beside the next channel group's MACs costs nothing).  *Load "
        "busy* is the share of the cycles the load unit moves data; where it nears 100 % the "
        "bus is the limit.",
        "",
        "| layer | MAC util | MAC issue | mapping | VEC | VEC alone | fetch | load busy | "
        "store busy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in entries:
        if e["result"] != "ok":
            continue
        b, cyc = e["model_breakdown"], max(e["rtl"]["cycles"], 1)
        out.append(
            f"| {e['name']} | {_pct(e['mac_utilization'])} | "
            f"{_pct(b['mac_issue_cycles'] / cyc)} | {_pct(b['mapping_efficiency'])} | "
            f"{_pct(b['vec_cycles'] / cyc)} | {_pct(b['vec_alone_cycles'] / cyc)} | "
            f"{_pct(b['fetch_cycles'] / cyc)} | "
            f"{_pct(b['load_busy'] / cyc)} | {_pct(b['store_busy'] / cyc)} |"
        )
    out += ["", "## Targets", "", "| layer | target | measured | met |", "|---|---|---:|---|"]
    for e in entries:
        if e["result"] != "ok":
            if e["name"] in TARGETS:
                key, goal = TARGETS[e["name"]]
                out.append(f"| {e['name']} | {key} >= {100 * goal:.0f} % | {e['result']} | no |")
            continue
        for t in e["targets"]:
            v = f"{t['value']:+.3f} %" if t["what"] == "cycle error" else _pct(t["value"])
            out.append(
                f"| {e['name']} | {t['what']} {t['goal']} | {v} | {'yes' if t['met'] else 'NO'} |"
            )
    if "alexnet_wall_seconds" in facts:
        w = facts["alexnet_wall_seconds"]
        out += [
            "",
            f"AlexNet conv layers co-simulated ({', '.join(facts['alexnet_layers'])}): "
            f"{w} s wall ({facts['alexnet_sim_seconds']} s inside the simulator); goal "
            f"<= {ALEXNET_WALL_GOAL_S:.0f} s: {'met' if w <= ALEXNET_WALL_GOAL_S else 'NOT met'}; "
            f"the issue's figure for SCALE-Sim v3 (a trace-driven model, not RTL) on the five "
            f"layers on this machine is about {SCALESIM_ALEXNET_S:.0f} s (not measured by this "
            "command).",
        ]
    if csv_columns:
        out += ["", csv_columns]
    return "\n".join(out).rstrip() + "\n"
