"""sim/routed_paths.py: setup analysis on nextpnr's SDF, on a hand-written file in
nextpnr's format (sdf.cc: escaped names, ``cell/port`` pins, rise and fall triples in ps)."""

import pytest

from snowsim.sim.routed_paths import paths_report, routed_paths

FF = """  (CELL
    (CELLTYPE "TRELLIS_FF")
    (INSTANCE {name})
    (DELAY
      (ABSOLUTE
        (IOPATH CLK Q (400:450:520) (400:450:510))
      )
    )
    (TIMINGCHECK
      (SETUPHOLD (posedge DI) (posedge CLK) (0:0:{setup}) (0:0:0))
      (SETUPHOLD (negedge DI) (posedge CLK) (0:0:{setup}) (0:0:0))
    )
  )
"""

SDF = (
    """(DELAYFILE
  (SDFVERSION "3.0")
  (DESIGN "top")
  (VENDOR "nextpnr")
  (PROGRAM "nextpnr")
  (DIVIDER /)
  (TIMESCALE 1ps)
  (CELL
    (CELLTYPE "top")
    (INSTANCE )
    (DELAY
      (ABSOLUTE
        (INTERCONNECT a_TRELLIS_FF_Q/Q lut\\$1\\[0\\]/A (100:200:300) (100:200:300))
        (INTERCONNECT b_TRELLIS_FF_Q/Q lut\\$1\\[0\\]/B (100:200:900) (100:200:800))
        (INTERCONNECT konst/Z lut\\$1\\[0\\]/C (0:0:2000) (0:0:2000))
        (INTERCONNECT lut\\$1\\[0\\]/F q_TRELLIS_FF_Q/DI (100:100:100) (100:100:100))
        (INTERCONNECT lut\\$1\\[0\\]/F q_TRELLIS_FF_Q_1/DI (50:50:50) (50:50:50))
        (INTERCONNECT a_TRELLIS_FF_Q/Q b_TRELLIS_FF_Q/DI (70:70:70) (70:70:70))
      )
    )
  )
  (CELL
    (CELLTYPE "TRELLIS_COMB")
    (INSTANCE lut\\$1\\[0\\])
    (DELAY
      (ABSOLUTE
        (IOPATH A F (100:141:141) (100:141:141))
        (IOPATH B F (100:240:240) (100:230:235))
        (IOPATH C F (100:379:379) (100:379:379))
      )
    )
  )
"""
    + FF.format(name="a_TRELLIS_FF_Q", setup=0)
    + FF.format(name="b_TRELLIS_FF_Q", setup=0)
    + FF.format(name="q_TRELLIS_FF_Q", setup=10)
    + FF.format(name="q_TRELLIS_FF_Q_1", setup=10)
    + ")\n"
)


def test_each_register_gets_its_latest_path_with_every_hop():
    paths = {p.register: p for p in routed_paths(None, text=SDF)}
    # b's clock to Q 0.52, its route 0.9 (the later of rise and fall), the LUT's B arc
    # 0.24, the route to q's first bit 0.1, setup 0.01; the constant's pin starts nothing
    q = paths["q"]
    assert q.port == "DI"
    assert q.arrival_ns == pytest.approx(0.52 + 0.9 + 0.24 + 0.1 + 0.01)
    assert [h.kind for h in q.hops] == ["clock", "route", "logic", "route"]
    assert [h.delay_ns for h in q.hops] == pytest.approx([0.52, 0.9, 0.24, 0.1])
    assert (q.hops[0].source, q.hops[0].sink) == ("b_TRELLIS_FF_Q/CLK", "b_TRELLIS_FF_Q/Q")
    assert q.hops[2].source == "lut$1[0]/B"  # unescaped
    assert q.routing_ns == pytest.approx(1.0)
    assert q.logic_ns == pytest.approx(0.76)
    assert q.setup_ns == pytest.approx(0.01)
    assert paths["b"].arrival_ns == pytest.approx(0.52 + 0.07)
    assert "a" not in paths  # no timed input: nothing drives its DI
    assert [p.register for p in routed_paths(None, text=SDF)] == ["q", "b"]


def test_report_counts_the_late_registers():
    text = paths_report(routed_paths(None, text=SDF), freq_mhz=1000.0, limit=1)
    assert text.startswith("1 of 2 registers arrive after the 1.00 ns period")
    assert "`q` (DI): 1.77 ns" in text
    assert "`b`" not in text.split("\n", 1)[1]  # only the first path is listed


def test_needs_the_file_or_its_text():
    with pytest.raises(ValueError, match="one of the two"):
        routed_paths()
    with pytest.raises(ValueError, match="one of the two"):
        routed_paths("x.sdf", text=SDF)


@pytest.mark.parametrize("cut", [0, 200, len(SDF) - 3])
def test_a_cut_file_is_refused(cut):
    """An SDF read while nextpnr still writes it ends early: refused, not read as a design
    with fewer paths."""
    with pytest.raises(ValueError, match="not a whole SDF file"):
        routed_paths(text=SDF[:cut] if cut else "(CELL )")


def test_synth_paths_prints_the_best_seeds_routed_paths(tmp_path, monkeypatch, capsys):
    """``snowsim synth --paths N`` after place and route: the estimate, the arrivals and
    the routed paths of the best seed's directory.  The generator and the tools are stood
    in for: what is checked is that the command reads the files a run leaves."""
    import json

    import snowsim.sim.cosim as cosim
    import snowsim.sim.synth as synth
    from snowsim.sim.cli import main

    (tmp_path / "top.v").write_text("module top; endmodule\n")
    monkeypatch.setattr(cosim, "build_top", lambda cfg, prim, checks: ([tmp_path / "top.v"], "top"))

    def fake_synthesize(verilog, top, target, workdir, **kw):
        (workdir / "seed2").mkdir(parents=True)
        (workdir / "top.json").write_text(
            json.dumps({"modules": {"top": {"cells": {}, "netnames": {}}}})
        )
        net = {"driver": "lut", "port": "F", "net": "n", "event": "posedge clk", "sources": []}
        net["endpoints"] = [
            {"cell": "q_TRELLIS_FF_Q", "port": "DI", "delay": [1.0, 1.76], "event": "posedge clk"}
        ]
        (workdir / "seed2" / "report.json").write_text(json.dumps({"detailed_net_timings": [net]}))
        (workdir / "seed2" / "routed.sdf").write_text(SDF)
        return synth.SynthResult(
            "ecp5",
            top,
            "LFE5U-85F",
            luts=1,
            ffs=1,
            dsps=0,
            brams=0,
            fmax_mhz=1000.0,
            freq_mhz=1000.0,
            seconds=1.0,
            capacity=synth.CAPACITY["ecp5"],
            seed=2,
            fmax_by_seed={1: 500.0, 2: 1000.0},
        )

    monkeypatch.setattr(synth, "synthesize", fake_synthesize)
    work = tmp_path / "w"
    rc = main(
        [
            "synth",
            "--config",
            "tiny",
            "--target",
            "ecp5",
            "--seed",
            "1",
            "2",
            "--workdir",
            str(work),
            "--paths",
            "3",
            "--freq",
            "1000",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "1 of 2 registers arrive after the 1.00 ns period" in out
    assert "`q` (DI): 1.77 ns, 0.76 ns logic, 1.00 ns routing, 0.01 ns setup" in out
    assert "| 0.90 | route | `lut$1[0]/B` |" in out
