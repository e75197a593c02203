"""``snowsim sim``: co-simulate one layer on the RTL and compare it with the model."""

import argparse

from snowsim.sim.cli import (
    CliError,
    add_layer_arguments,
    command,
    layer_from_args,
    load_config_arg,
    write_json,
)


def _args(p: argparse.ArgumentParser) -> None:
    add_layer_arguments(p)
    p.add_argument("--sim", default="icarus", choices=("icarus", "verilator"))
    p.add_argument("--seed", type=int, default=1, help="seed of the random tensors")
    p.add_argument("--json", help="write the report (the co-simulation contract) as JSON")
    p.add_argument("--dump", help="write inputs, weights, RTL output and golden output (.npz)")
    p.add_argument("--waves", action="store_true", help="record an FST/VCD wave file")
    p.add_argument(
        "--pauses",
        type=int,
        metavar="SEED",
        help="random pauses on every AXI channel (RTL cycles >= model cycles)",
    )
    p.add_argument(
        "--tolerance",
        type=float,
        default=1.0,
        help="largest accepted |cycle error| in %% (default 1.0)",
    )


@command("sim", "co-simulate a layer on the RTL and check it against the model", _args)
def run(args: argparse.Namespace) -> int:
    import numpy as np

    from snowsim.model.compiler import compile_layer
    from snowsim.sim.cosim import run_layer
    from snowsim.sim.report import report_table
    from snowsim.sim.runner import SimulatorMissing

    cfg = load_config_arg(args.config)
    layer = layer_from_args(args)
    compiled = compile_layer(layer, cfg)  # every mapping error before a simulator starts
    try:
        report, tensors = run_layer(
            layer,
            cfg,
            sim=args.sim,
            seed=args.seed,
            waves=args.waves,
            pause_seed=args.pauses,
            compiled=compiled,
        )
    except SimulatorMissing as exc:
        raise CliError(str(exc)) from None
    print(report_table(report))
    write_json(args.json, report.to_dict())
    if args.dump:
        np.savez(
            args.dump, frac_bits=cfg.frac_bits, **{k: np.asarray(v) for k, v in tensors.items()}
        )
        print(f"dump               {args.dump}")
    if args.pauses is not None:
        ok = (
            report.bit_exact
            and not report.checker_errors
            and report.rtl["cycles"] >= report.model["cycles"]
        )
    else:
        ok = report.agrees(args.tolerance)
    print("PASS" if ok else "FAIL: outputs differ or model and RTL disagree beyond tolerance")
    return 0 if ok else 1
