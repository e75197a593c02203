"""``snowsim bench``: co-simulate full-size layers -> docs/benchmarks.md, .json, roofline.

Layers that cannot be mapped are recorded as ``not mapped: <reason>`` and the bench carries
on; the exit code is 1 only when a co-simulated layer failed or its output is not bit-exact
(missed performance targets are reported, not failed).
"""

import argparse
import json
from pathlib import Path

from snowsim.sim.cli import CliError, command, load_config_arg

DEFAULT_OUT = "docs/benchmarks.md"


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--layers",
        metavar="NAME,...",
        help="only these bench layers (comma separated; default: all)",
    )
    p.add_argument("--sim", default="verilator", choices=("icarus", "verilator"))
    p.add_argument(
        "--config", help="preset name or .json/.toml file (default: snowflake; tiny with --quick)"
    )
    p.add_argument("--out", default=DEFAULT_OUT, help=f"Markdown report (default {DEFAULT_OUT})")
    p.add_argument("--json", help="per-layer JSON (default: --out with .json)")
    p.add_argument("--plot", help="roofline picture (default: roofline.png next to --out)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="small layers (incl. one that does not map) for a small config, e.g. from a test",
    )


def _command_line(args: argparse.Namespace) -> str:
    parts = ["snowsim", "bench"]
    if args.quick:
        parts.append("--quick")
    if args.layers:
        parts += ["--layers", args.layers]
    if args.sim != "verilator":
        parts += ["--sim", args.sim]
    if args.config:
        parts += ["--config", args.config]
    parts += ["--out", args.out]
    if args.json:
        parts += ["--json", args.json]
    if args.plot:
        parts += ["--plot", args.plot]
    return " ".join(parts)


@command("bench", "co-simulate full-size layers and write docs/benchmarks.md/.json/roofline", _args)
def run(args: argparse.Namespace) -> int:
    from snowsim.sim.bench import bench_layers, bench_markdown, bench_roofline, run_bench
    from snowsim.sim.commands.report_cmd import columns_markdown
    from snowsim.sim.runner import SimulatorMissing

    cfg = load_config_arg(args.config or ("tiny" if args.quick else "snowflake"))
    names = [n.strip() for n in args.layers.split(",") if n.strip()] if args.layers else None
    try:
        layers = bench_layers(args.quick, names)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    out = Path(args.out)
    json_path = Path(args.json) if args.json else out.with_suffix(".json")
    plot_path = Path(args.plot) if args.plot else out.parent / "roofline.png"
    if plot_path.suffix not in (".png", ".svg"):
        raise CliError(f"--plot must end in .png or .svg, not {str(plot_path)!r}")
    try:
        entries, facts = run_bench(layers, cfg, sim=args.sim)
    except SimulatorMissing as exc:
        raise CliError(str(exc)) from None
    for path in (out, json_path, plot_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(entries, indent=1) + "\n")
    bench_roofline(entries, cfg, plot_path)
    out.write_text(
        bench_markdown(
            entries,
            cfg,
            command=_command_line(args),
            facts=facts,
            json_path=_relative(json_path, out.parent),
            plot_path=_relative(plot_path, out.parent),
            csv_columns=columns_markdown(),
        )
    )
    print(f"wrote {out}, {json_path}, {plot_path}")
    bad = [
        e["name"]
        for e in entries
        if e["result"] == "failed"
        or (e["result"] == "ok" and (not e["bit_exact"] or e["checker_errors"]))
    ]
    if bad:
        print(f"FAIL: {', '.join(bad)} failed or differ from the golden model")
        return 1
    return 0


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)
