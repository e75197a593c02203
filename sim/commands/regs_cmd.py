"""``snowsim regs``: the register map, as a table or as ``docs/registers.md``."""

import argparse
from pathlib import Path

from snowsim.sim.cli import command


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", help="write the register map as markdown to this file")


@command("regs", "print the register map or write docs/registers.md", _args)
def run(args: argparse.Namespace) -> int:
    from snowsim.model.regmap import registers_markdown

    text = registers_markdown()
    if args.markdown:
        Path(args.markdown).write_text(text)
    else:
        print(text, end="")
    return 0
