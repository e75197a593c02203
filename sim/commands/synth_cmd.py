"""``snowsim synth``: resources and Fmax of the generated top with the open-source flows
(PyPI YoWASP Yosys and nextpnr; nothing to install by hand)."""

import argparse
from pathlib import Path

from snowsim.sim.cli import CliError, command, load_config_arg, write_json


def _args(p: argparse.ArgumentParser) -> None:
    from snowsim.sim.synth import TARGETS

    p.add_argument("--config", default="tiny", help="preset name or .json/.toml file")
    p.add_argument("--target", default="ecp5", help=f"one of: {', '.join(TARGETS)}")
    p.add_argument("--json", help="write the result (fmax_mhz, luts, ffs, dsps, brams, ...)")
    p.add_argument("--markdown", help="write the result as a markdown table")
    p.add_argument(
        "--freq", type=float, help="clock constraint in MHz (default: the config's clock)"
    )
    p.add_argument(
        "--seed",
        type=int,
        nargs="+",
        default=[1],
        metavar="N",
        help="nextpnr placer seed; several (--seed 1 2 3): each placed and routed, the fastest "
        "reported with every seed's Fmax (a run's Fmax moves 10-15 MHz with the seed)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="ECP5: place and route N seeds at a time (default 1; each nextpnr run takes one "
        "core and 1-2 GB)",
    )
    p.add_argument(
        "--speed",
        type=int,
        help="ECP5: speed grade nextpnr times: 6 (the slowest, default), 7 or 8",
    )
    p.add_argument(
        "--router",
        help="ECP5: nextpnr's router: router1 (its default) or router2 (faster on big designs)",
    )
    p.add_argument(
        "--placer",
        help="ECP5: nextpnr's placer: static (electrostatic; the default), heap (nextpnr's "
        "default) or sa",
    )
    p.add_argument(
        "--primitives",
        help="form of the Verilog (snowsim.hw.primitives): ecp5 (the default for --target "
        "ecp5: MULT18X18D instances with their registers) or generic (inferred, the only "
        "form for xilinx)",
    )
    p.add_argument("--no-pnr", action="store_true", help="ECP5: stop after Yosys (no Fmax, faster)")
    p.add_argument("--workdir", help="where the tools run (default: build/synth/<top>_<target>)")
    p.add_argument(
        "--paths",
        type=int,
        metavar="N",
        help="ECP5: also estimate every register's path delay on the Yosys netlist and list "
        "the N slowest (sim/paths.py; seconds, for ranking what to pipeline) and, after "
        "place and route, the N latest registers by their routed arrivals with the late "
        "inputs per module (sim/routed.py) and the routed paths into the first ten of them, "
        "hop by hop (sim/routed_paths.py)",
    )
    p.add_argument(
        "--buffers",
        action="store_true",
        help="instead of the whole top: block RAMs of each on-chip buffer, synthesised alone "
        "(seconds, not the hour the snowflake top takes)",
    )


@command("synth", "synthesise (and on ECP5 place and route) the generated top", _args)
def run(args: argparse.Namespace) -> int:
    from snowsim.sim.synth import (
        TARGETS,
        check_jobs,
        check_pnr,
        check_seeds,
        result_table,
        synthesize,
    )

    if args.target not in TARGETS:
        raise CliError(f"unknown target {args.target!r}; valid targets: {', '.join(TARGETS)}")
    # before the Verilog is generated
    check_pnr(args.target, args.speed, args.router, args.placer)
    check_seeds(args.seed)
    check_jobs(args.jobs)
    if args.paths is not None and (args.target != "ecp5" or args.paths < 0 or args.buffers):
        raise CliError(
            f"--paths {args.paths} needs --target ecp5 (not {args.target!r}), a count >= 0 "
            "and no --buffers"
        )
    primitives = args.primitives or ("ecp5" if args.target == "ecp5" else "generic")
    if primitives not in ("generic", args.target):
        raise CliError(
            f"--primitives {primitives!r} does not suit --target {args.target!r}; "
            f"valid: generic{' or ecp5' if args.target == 'ecp5' else ''}"
        )
    cfg = load_config_arg(args.config)
    from snowsim.sim.cosim import build_top
    from snowsim.sim.runner import BUILD_ROOT, _prepare_env

    _prepare_env()
    sources, top = build_top(cfg, primitives, checks=False)
    verilog = sources[0]  # the models of the primitives are for simulation only
    workdir = Path(args.workdir) if args.workdir else BUILD_ROOT / "synth" / f"{top}_{args.target}"
    if args.buffers:
        from snowsim.sim.bram import buffer_table, probe_buffers
        from snowsim.sim.synth import CAPACITY

        print(f"yosys: each buffer of {top} alone for {args.target} in {workdir} ...", flush=True)
        try:
            rows = probe_buffers(cfg, args.target, workdir / "buffers")
        except RuntimeError as exc:
            raise CliError(str(exc)) from None
        unit = "RAMB36" if args.target == "xilinx" else "DP16KD"
        cap = CAPACITY[args.target]
        table = buffer_table(rows, float(cap["brams"]), f"{unit} ({cap['device']})")
        print(table)
        if args.markdown:
            Path(args.markdown).write_text(table + "\n")
        return 0
    freq = args.freq if args.freq is not None else cfg.clock_mhz
    what = "yosys" if args.target == "xilinx" or args.no_pnr else "yosys + nextpnr"
    print(
        f"{what}: {top} ({primitives} primitives) for {args.target} at {freq:g} MHz "
        f"in {workdir} ...",
        flush=True,
    )
    try:
        result = synthesize(
            verilog,
            top,
            args.target,
            workdir,
            freq_mhz=freq,
            place_and_route=not args.no_pnr,
            seed=args.seed,
            speed=args.speed,
            router=args.router,
            placer=args.placer,
            jobs=args.jobs,
        )
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
    table = result_table(result)
    if args.paths is not None:
        from snowsim.sim.paths import paths_table, register_paths

        paths = register_paths(workdir / f"{top}.json", top)
        table += "\n\n" + paths_table(paths, freq, args.paths)
        seed_dir = workdir if len(args.seed) == 1 else workdir / f"seed{result.seed}"
        if result.fmax_mhz is not None:  # the best seed's routed arrivals
            from snowsim.sim.routed import (
                drivers_table,
                routed_drivers,
                routed_module_table,
                routed_registers,
                routed_table,
            )

            report = seed_dir / "report.json"
            rows = routed_registers(report, 1000.0 / freq)
            table += "\n\n" + routed_table(rows, freq, args.paths)
            table += "\n\n" + routed_module_table(rows, freq)
            table += "\n\n" + drivers_table(routed_drivers(report), args.paths)
            from snowsim.sim.routed_paths import paths_report, routed_paths

            # the routed path into each of the latest registers, hop by hop
            table += "\n\n" + paths_report(
                routed_paths(seed_dir / "routed.sdf"), freq, min(args.paths, 10)
            )
    print(table)
    print(f"({result.seconds:.0f} s; logs and reports in {workdir})")
    write_json(args.json, {"config": cfg.to_dict(), "primitives": primitives, **result.to_dict()})
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")
    return 0
