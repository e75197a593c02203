"""``snowsim roofline``: the config's roofline with layers, networks and measured points."""

import argparse
import json

from snowsim.sim.cli import CliError, command, load_config_arg


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="snowflake", help="preset name or .json/.toml file")
    p.add_argument(
        "--network",
        action="append",
        default=[],
        help="add a network's layers (repeatable); default: alexnet and seed-rnn",
    )
    p.add_argument(
        "--points",
        nargs="*",
        default=[],
        help="co-simulation / benchmark JSON reports to plot as measured points",
    )
    p.add_argument("--out", required=True, help="output file (.png or .svg)")


def measured_points(paths: list[str]):
    """RTL and timing-model points from ``snowsim sim --json`` / bench reports."""
    from snowsim.sim.plots import report_points

    points = []
    for path in paths:
        try:
            data = json.loads(open(path).read())
        except (OSError, json.JSONDecodeError) as exc:
            raise CliError(f"cannot read report {path!r}: {exc}") from None
        reports = data if isinstance(data, list) else data.get("layers", [data])
        try:
            points += report_points([r for r in reports if r.get("result", "ok") == "ok"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CliError(f"report {path!r} lacks the co-simulation keys: {exc}") from None
    return points


@command("roofline", "draw the roofline with layer / network / measured points", _args)
def run(args: argparse.Namespace) -> int:
    from snowsim.model.analysis import Machine, analyze, analyze_gru_step
    from snowsim.model.layers import GRU
    from snowsim.model.networks import get_network
    from snowsim.sim.plots import RooflinePoint, plot_roofline

    if not args.out.endswith((".png", ".svg")):
        raise CliError(f"--out must end in .png or .svg, not {args.out!r}")
    cfg = load_config_arg(args.config)
    machine = Machine.from_config(cfg)
    points = []
    for name in args.network or ([] if args.points else ["alexnet", "seed-rnn"]):
        net = get_network(name)
        for layer in net.layers:
            # a GRU re-reads every weight each timestep (batch-1 inference): plot one step
            if isinstance(layer, GRU):
                a = analyze_gru_step(layer, machine)
            else:
                a = analyze(layer, machine)
            points.append(
                RooflinePoint(
                    f"{name}:{layer.name}", a.arithmetic_intensity, a.attainable_ops_per_s
                )
            )
    points += measured_points(args.points)
    out = plot_roofline(
        machine.peak_ops_per_s,
        machine.dram_bytes_per_s,
        points,
        args.out,
        title=f"{cfg.name}: {machine.peak_ops_per_s / 1e9:.0f} G-ops/s, "
        f"{machine.dram_bytes_per_s / 1e9:.1f} GB/s",
    )
    print(f"wrote {out} ({len(points)} points)")
    return 0
