"""``snowsim bench`` and ``snowsim report --csv``: program facts, the quick bench on the RTL,
the SCALE-Sim CSV export."""

import csv
import json

import pytest

from snowsim.model.compiler import compile_layer
from snowsim.model.config import load_config
from snowsim.model.costs import vec_cycles
from snowsim.model.isa import Op
from snowsim.model.latencies import VEC_DONE, VEC_SYNC_DONE
from snowsim.model.layers import Conv2d
from snowsim.model.timing import predict
from snowsim.sim.bench import bench_layers, program_facts
from snowsim.sim.cli import main
from snowsim.sim.commands.report_cmd import BANDWIDTH_COLUMNS, COMPUTE_COLUMNS
from snowsim.sim.commands.validate_cmd import regression_set

TINY = load_config("tiny")


@pytest.mark.parametrize("name", [n for n, _ in bench_layers(quick=True)][:4])
def test_program_facts_agree_with_the_timing_model(name):
    """The bytes the facts count per buffer add up to the model's bus traffic, and the MAC
    issue cycles hold every useful MAC."""
    (layer,) = [lay for n, lay in bench_layers(quick=True) if n == name]
    compiled = compile_layer(layer, TINY)
    facts = program_facts(compiled, TINY)
    pred = predict(compiled.program, TINY)
    loaded = (
        sum(facts[k] for k in ("fetch_bytes", "maps_bytes", "weights_bytes", "bias_bytes"))
        + facts["vector_bytes"]
    )
    assert loaded == pred.read_beats * TINY.bus_bytes
    assert facts["store_bytes"] == pred.write_beats * TINY.bus_bytes
    assert facts["mac_issue_cycles"] * TINY.macs >= compiled.useful_macs > 0
    assert pred.mac_active <= facts["mac_issue_cycles"] * TINY.n_vmac * TINY.n_lanes * TINY.n_cu


def test_full_bench_layers_are_the_issue_list():
    names = [n for n, _ in bench_layers()]
    assert names[:5] == [f"alexnet-conv{i}" for i in range(1, 6)]
    assert {"seed-conv", "linear-b1", "linear-b4", "linear-b16", "seed-gru"} <= set(names)


def test_unknown_bench_layer_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"'conv9'.*valid: alexnet-conv1"):
        bench_layers(names=["conv9"])
    assert [n for n, _ in bench_layers(names=["seed-gru", "alexnet-conv2"])] == [
        "alexnet-conv2",
        "seed-gru",
    ]


def test_bench_rejects_bad_plot_suffix(tmp_path, capsys):
    rc = main(["bench", "--quick", "--out", str(tmp_path / "b.md"), "--plot", "x.pdf"])
    assert rc == 2
    assert "--plot must end in .png or .svg" in capsys.readouterr().err


@pytest.mark.cosim
def test_quick_bench_and_scalesim_csv(tmp_path, capsys):
    """A small bench on the RTL (one layer that runs, one that does not map), then its JSON
    exported as SCALE-Sim CSV."""
    out = tmp_path / "bench.md"
    rc = main(
        [
            "bench",
            "--quick",
            "--sim",
            "icarus",
            "--layers",
            "q-linear-b4,q-too-wide",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    entries = json.loads((tmp_path / "bench.json").read_text())
    assert [e["name"] for e in entries] == ["q-linear-b4", "q-too-wide"]
    ok, unmapped = entries
    assert ok["result"] == "ok" and ok["bit_exact"] and not ok["checker_errors"]
    assert ok["rtl"]["cycles"] > 0 and ok["sim_seconds"] > 0
    clock_s = ok["rtl"]["cycles"] / (TINY.clock_mhz * 1e6)
    assert ok["gops"] == pytest.approx(ok["ops"] / clock_s / 1e9)
    assert unmapped["result"] == "not mapped" and "maps buffer" in unmapped["reason"]
    assert (tmp_path / "roofline.png").stat().st_size > 10_000
    md = out.read_text()
    assert "q-too-wide" in md and "not mapped" in md and "snowsim bench --quick" in md
    assert "COMPUTE_REPORT.csv" in md  # the column definitions are embedded

    csv_dir = tmp_path / "csv"
    assert main(["report", str(tmp_path / "bench.json"), "--csv", str(csv_dir)]) == 0
    with (csv_dir / "COMPUTE_REPORT.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [c[0] for c in COMPUTE_COLUMNS]
    assert rows[0]["Total Cycles"] == str(ok["rtl"]["cycles"])
    assert float(rows[0]["Overall Util %"]) == pytest.approx(100 * ok["mac_utilization"], rel=1e-5)
    # the program's facts matched the measured counters, so its columns are filled
    assert rows[0]["Mapping Efficiency %"] != ""
    assert rows[1]["Total Cycles"] == "" and rows[1]["Result"].startswith("not mapped")
    with (csv_dir / "BANDWIDTH_REPORT.csv").open() as f:
        bw = list(csv.DictReader(f))
    assert list(bw[0]) == [c[0] for c in BANDWIDTH_COLUMNS]
    assert bw[0]["Avg FILTER DRAM BW"] != "" and bw[0]["Avg OFMAP DRAM BW"] != ""
    moved = int(bw[0]["DRAM Bytes Read"]) + int(bw[0]["DRAM Bytes Written"])
    assert moved == ok["rtl"]["bytes_read"] + ok["rtl"]["bytes_written"]

    # without --csv the model-vs-RTL tables are printed
    capsys.readouterr()
    assert main(["report", str(tmp_path / "bench.json")]) == 0
    text = capsys.readouterr().out
    assert "[q-linear-b4]" in text and "q-too-wide: not mapped" in text


def test_report_rejects_a_file_that_is_not_a_report(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"hello": 1}))
    assert main(["report", str(bad), "--csv", str(tmp_path)]) == 2
    assert "is not a co-simulation report" in capsys.readouterr().err


def test_vec_cycles_are_the_vector_units_running_cycles():
    """The bench's VEC share (Prediction.vec_cycles): every VEC runs ``positions +
    VEC_DONE`` cycles from its take; the sum is a share of the job (pooling waits in the
    engine's slot for its drains, and that wait is not counted), and the VEC-alone cycles
    are part of it."""
    # the regression set's first pooling conv (docs/validation.md)
    layer = next(x for x in regression_set() if isinstance(x, Conv2d) and x.pool is not None)
    program = compile_layer(layer, TINY).program
    pred = predict(program, TINY)
    vecs = [i for i in program if i.op == Op.VEC]
    want = sum(vec_cycles(i) + VEC_DONE for i in vecs if vec_cycles(i))
    want += sum(VEC_SYNC_DONE for i in vecs if not vec_cycles(i))
    assert len(pred.vec_spans) == len(vecs)
    assert pred.vec_cycles == want
    assert 0 < pred.vec_alone_cycles <= pred.vec_cycles < pred.cycles
