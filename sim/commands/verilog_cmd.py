"""``snowsim verilog``: the self-contained Verilog-2005 top for a config, optionally with a
FuseSoC core file and a Verilator lint."""

import argparse
from pathlib import Path

from snowsim.sim.cli import CliError, command, load_config_arg


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="tiny", help="preset name or .json/.toml file")
    p.add_argument("-o", "--output", help="Verilog file to write (default: build/<top>.v)")
    p.add_argument(
        "--fusesoc",
        action="store_true",
        help="also write <top>.core (FuseSoC CAPI2) and <top>.vlt (lint waivers) next to it",
    )
    p.add_argument(
        "--primitives",
        default="generic",
        help="generic (inferred, portable; the default) or ecp5 (Lattice MULT18X18D instances "
        "with their input and output registers: what snowsim synth --target ecp5 measures)",
    )
    p.add_argument(
        "--lint", action="store_true", help="run verilator --lint-only -Wall; fail on any warning"
    )


@command("verilog", "generate the Verilog top for a config (deterministic)", _args)
def run(args: argparse.Namespace) -> int:
    from snowsim.hw.primitives import FAMILIES
    from snowsim.hw.top import top_name, top_verilog
    from snowsim.sim.fusesoc import core_text
    from snowsim.sim.lint import lint_verilog, waiver_text
    from snowsim.sim.runner import BUILD_ROOT, SimulatorMissing, _prepare_env, write_if_changed

    if args.primitives not in FAMILIES:
        raise CliError(f"unknown --primitives {args.primitives!r}; valid: {', '.join(FAMILIES)}")
    if args.lint and args.primitives != "generic":
        raise CliError("--lint checks the generic form; drop --primitives or --lint")
    cfg = load_config_arg(args.config)
    top = top_name(cfg)
    out = Path(args.output) if args.output else Path("build") / f"{top}.v"
    if out.suffix != ".v":
        raise CliError(f"output file {str(out)!r} must end in .v")
    _prepare_env()  # the builtin Yosys, never a system one: the text depends on it
    text = top_verilog(cfg, args.primitives)
    write_if_changed(out, text)
    print(f"{out}  ({top}, {len(text.splitlines())} lines)")
    if args.fusesoc:
        vlt = out.with_suffix(".vlt")
        vlt.write_text(waiver_text().replace("*snowsim_*.v", f"*{out.name}"))
        core = out.with_suffix(".core")
        core.write_text(core_text(cfg, top, out.name, vlt.name))
        print(f"{core}  (FuseSoC CAPI2; waivers {vlt})")
    if args.lint:
        try:
            problems = lint_verilog(out, top, BUILD_ROOT / "lint" / top)
        except SimulatorMissing as exc:
            raise CliError(str(exc)) from None
        for line in problems:
            print(line)
        print(f"verilator --lint-only -Wall: {'clean' if not problems else 'NOT clean'}")
        return 1 if problems else 0
    return 0
