"""The snowsim command line: tables, JSON contract, exit code 2 on bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from snowsim.sim.cli import main

MODEL_KEYS = {
    "layer",
    "data_bits",
    "macs",
    "ops",
    "weight_bytes",
    "input_bytes",
    "output_bytes",
    "min_traffic_bytes",
    "arithmetic_intensity",
    "peak_ops_per_s",
    "dram_bytes_per_s",
    "attainable_ops_per_s",
    "bound",
    "bandwidth_needed_bytes_per_s",
}


@pytest.mark.parametrize(
    "argv",
    [
        ["linear", "--in-features", "1024", "--out-features", "1024", "--batch", "1"],
        [
            "conv",
            "--in-channels",
            "3",
            "--out-channels",
            "8",
            "--kernel-size",
            "3",
            "--stride",
            "2",
            "--padding",
            "1",
            "--height",
            "16",
            "--width",
            "16",
            "--relu",
            "--pool-kernel",
            "2",
            "--pool-stride",
            "2",
        ],
        ["gru", "--input-size", "400", "--hidden-size", "400", "--steps", "2", "--batch", "1"],
    ],
)
def test_model_json_contract(tmp_path, capsys, argv):
    out = tmp_path / "m.json"
    assert main(["model", *argv, "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert MODEL_KEYS <= data.keys()
    assert data["layer"]["type"] == argv[0]
    for key in ("macs", "ops", "weight_bytes", "min_traffic_bytes"):
        assert isinstance(data[key], int)
    assert data["bound"] in ("compute", "memory")
    assert "arithmetic intensity" in capsys.readouterr().out


def test_network_table_and_csv(tmp_path, capsys):
    csv_path = tmp_path / "alex.csv"
    assert main(["model", "--network", "alexnet", "--csv", str(csv_path)]) == 0
    out = capsys.readouterr().out
    assert "conv1" in out and "fc8" in out and "total" in out
    assert csv_path.read_text().count("\n") == 9


def test_topology_file(capsys):
    topo = Path(__file__).resolve().parents[2] / "model" / "networks" / "seed_gemm.csv"
    assert main(["model", "--topology", str(topo)]) == 0
    assert "linear_b16" in capsys.readouterr().out


def test_roofline_png(tmp_path):
    out = tmp_path / "r.png"
    assert main(["roofline", "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_roofline_accepts_measured_reports(tmp_path):
    from snowsim.model.config import PRESETS
    from snowsim.model.layers import Linear

    rep = {
        "layer": Linear(in_features=64, out_features=64).to_dict(),
        "config": PRESETS["tiny"].to_dict(),
        "model": {"cycles": 1000, "bytes_read": 9000, "bytes_written": 128},
        "rtl": {"cycles": 1010, "bytes_read": 9000, "bytes_written": 128},
    }
    (tmp_path / "rep.json").write_text(json.dumps(rep))
    out = tmp_path / "r.svg"
    assert (
        main(
            [
                "roofline",
                "--config",
                "tiny",
                "--points",
                str(tmp_path / "rep.json"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_text().startswith("<?xml")


@pytest.mark.parametrize(
    "argv, match",
    [
        (["model", "--network", "lenet"], "unknown network 'lenet'"),
        (["model", "linear", "--in-features", "0"], "in_features must be an integer >= 1, not 0"),
        (["model", "conv", "--in-features", "3"], "--in-features do not apply to a conv layer"),
        (["model", "linear", "--config", "huge"], "unknown config 'huge'"),
        (["model", "conv", "--pool-kernel", "5"], "kernel_size must be 2 or 3, not 5"),
        (["model"], "give a layer type"),
        (["roofline", "--out", "r.jpg"], "must end in .png or .svg"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, match):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("snowsim: error: ") and match in err
    assert "Traceback" not in err


def test_installed_console_script():
    script = Path(sys.executable).parent / "snowsim"
    proc = subprocess.run(
        [str(script), "model", "--network", "alexnet"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "conv5" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "snowsim.sim.cli", "model", "--network", "x"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("snowsim: error:")
