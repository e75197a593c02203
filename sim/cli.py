"""The ``snowsim`` command line.

Subcommands register themselves with :func:`command`; each is an ``add_arguments(parser)``
and a ``run(args) -> int``.  Heavy imports (Amaranth, cocotb, matplotlib) happen inside
``run``, so ``snowsim model`` starts fast and works without them.  Bad input ends with one
``snowsim: error: ...`` line and exit code 2, never a traceback.
"""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CliError", "build_parser", "command", "layer_from_args", "main"]


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


@dataclass
class _Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


_COMMANDS: dict[str, _Command] = {}


def command(name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None]):
    """Register the decorated ``run(args) -> int`` as subcommand ``name``."""

    def wrap(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        _COMMANDS[name] = _Command(name, help, arguments, run)
        return run

    return wrap


# -- layer options shared by `model`, `sim` and friends ---------------------------------------
LAYER_TYPES = ("linear", "conv", "gru")
DEFAULTS = {
    "linear": {"in_features": 64, "out_features": 32, "batch": 2},
    "conv": {
        "in_channels": 4,
        "out_channels": 8,
        "kernel_size": 3,
        "stride": 1,
        "padding": 1,
        "height": 8,
        "width": 8,
    },
    "gru": {"input_size": 16, "hidden_size": 16, "steps": 2, "batch": 1},
}


def add_layer_arguments(p: argparse.ArgumentParser, *, optional: bool = False) -> None:
    p.add_argument("layer", nargs="?" if optional else None, choices=LAYER_TYPES, help="layer type")
    g = p.add_argument_group("layer options (PyTorch names)")
    for opt in (
        "in-features",
        "out-features",
        "batch",
        "in-channels",
        "out-channels",
        "kernel-size",
        "stride",
        "padding",
        "height",
        "width",
        "input-size",
        "hidden-size",
        "steps",
        "pool-kernel",
        "pool-stride",
    ):
        g.add_argument(f"--{opt}", type=int)
    g.add_argument("--relu", action="store_true", help="conv: ReLU after the bias")
    p.add_argument("--config", default="tiny", help="preset name or .json/.toml file")


def layer_from_args(args: argparse.Namespace, defaults: dict[str, dict[str, int]] = DEFAULTS):
    """Build the layer named by ``args.layer`` from the PyTorch-named options."""
    from snowsim.model.layers import GRU, Conv2d, Linear, MaxPool2d

    kind = args.layer
    opts = {k: v for k, v in vars(args).items() if v is not None}
    known = {
        "linear": ("in_features", "out_features", "batch"),
        "conv": (
            "in_channels",
            "out_channels",
            "kernel_size",
            "stride",
            "padding",
            "height",
            "width",
        ),
        "gru": ("input_size", "hidden_size", "steps", "batch"),
    }[kind]
    foreign = [
        k
        for k in (
            "in_features",
            "out_features",
            "in_channels",
            "out_channels",
            "kernel_size",
            "stride",
            "padding",
            "height",
            "width",
            "input_size",
            "hidden_size",
            "steps",
            "pool_kernel",
            "pool_stride",
        )
        if k in opts and k not in known and not (kind == "conv" and k.startswith("pool"))
    ]
    if foreign:
        raise CliError(
            f"option(s) {', '.join('--' + f.replace('_', '-') for f in foreign)} "
            f"do not apply to a {kind} layer"
        )
    params = {k: opts.get(k, defaults[kind][k]) for k in known}
    try:
        if kind == "linear":
            return Linear(**params)
        if kind == "conv":
            pool = None
            if opts.get("pool_kernel") is not None:
                pool = MaxPool2d(opts["pool_kernel"], opts.get("pool_stride"))
            elif opts.get("pool_stride") is not None:
                raise CliError("--pool-stride needs --pool-kernel")
            return Conv2d(**params, relu=bool(opts.get("relu")), pool=pool)
        return GRU(**params)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def load_config_arg(name: str):
    from snowsim.model.config import load_config

    try:
        return load_config(name)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def write_json(path: str | None, obj: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(obj, indent=1) + "\n")


# -- parser and entry point ------------------------------------------------------------------
def _import_commands() -> None:
    from snowsim.sim import commands  # noqa: F401  (registers the subcommands)


def build_parser() -> argparse.ArgumentParser:
    _import_commands()
    parser = argparse.ArgumentParser(
        prog="snowsim", description="Snowflake-style accelerator: RTL, model, co-simulation"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for cmd in _COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except CliError as exc:
        print(f"snowsim: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # validation errors from the model: bad input, not a crash
        print(f"snowsim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # `python -m snowsim.sim.cli`: use the registry of the real module
    from snowsim.sim.cli import main as _main

    sys.exit(_main())
