"""``snowsim validate``: the regression set on both simulators -> docs/validation.md."""

import argparse
import time
from pathlib import Path

from snowsim.sim.cli import command, load_config_arg


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="tiny")
    p.add_argument(
        "--sim", action="append", choices=("icarus", "verilator"), help="simulator(s); default both"
    )
    p.add_argument("--out", default="docs/validation.md")


def regression_set():
    from snowsim.model.layers import GRU, Conv2d, Linear, MaxPool2d

    return [
        Linear(in_features=64, out_features=32, batch=1),
        Linear(in_features=64, out_features=32, batch=4),
        Linear(in_features=600, out_features=24, batch=2),
        Conv2d(in_channels=4, out_channels=8, kernel_size=3, padding=1, height=8, width=8),
        Conv2d(
            in_channels=3,
            out_channels=16,
            kernel_size=3,
            stride=2,
            padding=1,
            height=15,
            width=15,
            relu=True,
        ),
        Conv2d(
            in_channels=8,
            out_channels=16,
            kernel_size=3,
            padding=1,
            height=10,
            width=10,
            relu=True,
            pool=MaxPool2d(2, 2),
        ),
        Conv2d(
            in_channels=40,
            out_channels=16,
            kernel_size=3,
            padding=1,
            height=9,
            width=9,
            relu=True,
            pool=MaxPool2d(3, 2),
        ),
        Conv2d(
            in_channels=3,
            out_channels=8,
            kernel_size=5,
            stride=1,
            padding=2,
            height=12,
            width=12,
            relu=True,
            pool=MaxPool2d(3, 2),
        ),
        GRU(input_size=16, hidden_size=16, steps=4, batch=1),
        GRU(input_size=24, hidden_size=32, steps=2, batch=2),
    ]


@command("validate", "run the regression set and write docs/validation.md", _args)
def run(args: argparse.Namespace) -> int:
    from snowsim.sim.cosim import run_layer
    from snowsim.sim.report import validation_markdown

    cfg = load_config_arg(args.config)
    sims = args.sim or ["icarus", "verilator"]
    reports = []
    t0 = time.perf_counter()
    for sim in sims:
        for layer in regression_set():
            report, _ = run_layer(layer, cfg, sim=sim, seed=1)
            reports.append(report)
            print(
                f"{sim:9} {layer.kind:6} model {report.model['cycles']:>8} "
                f"RTL {report.rtl['cycles']:>8} ({report.cycle_error_pct:+.3f} %) "
                f"{'bit-exact' if report.bit_exact else 'MISMATCH'}",
                flush=True,
            )
    cmd = f"make validate  (snowsim validate --config {cfg.name})"
    text = validation_markdown(reports, cmd)
    text += f"\n{len(reports)} runs in {time.perf_counter() - t0:.0f} s.\n"
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")
    ok = all(r.agrees() for r in reports)
    return 0 if ok else 1
