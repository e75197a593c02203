"""The Makefile's targets call the command line with arguments it accepts: each ``snowsim``
command that ``make -n`` prints (with the defaults, and with the variables the help names)
is parsed by the real parser.  Nothing is run."""

import shlex
import subprocess
from pathlib import Path

import pytest

from snowsim.sim.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def snowsim_commands(*make_args: str) -> list[list[str]]:
    """The ``snowsim`` command lines ``make -n`` prints for ``make_args``, as argv lists."""
    out = subprocess.run(
        ["make", "-n", "-s", *make_args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    lines = out.replace("\\\n", " ").splitlines()
    cmds = []
    for line in lines:
        words = shlex.split(line)
        if words and words[0].endswith("/snowsim"):
            cmds.append(words[1:])
    return cmds


@pytest.mark.parametrize(
    "make_args",
    [
        ["sim"],
        ["sim", "LAYER=gru", "SIM=verilator", "WAVES=1"],
        ["validate"],
        ["verilog", "CONFIG=ecp5"],
        ["synth"],  # TARGET=ecp5 CONFIG=tiny by default; JOBS=auto (pytest's) once reached --jobs
        ["synth", "TARGET=ecp5", "CONFIG=tiny", "SEEDS=1 2 3", "JOBS=2"],
        ["synth", "TARGET=xilinx", "CONFIG=snowflake"],
        ["bench"],
        ["docs"],
    ],
)
def test_make_targets_call_the_cli_with_valid_arguments(make_args):
    cmds = snowsim_commands(*make_args)
    assert len(cmds) == 1, (make_args, cmds)
    args = build_parser().parse_args(cmds[0])  # exits (fails the test) on a bad argument
    assert args.command == make_args[0].replace("docs", "regs")
