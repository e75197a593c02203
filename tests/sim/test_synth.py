"""Yosys-only synthesis smoke test: the generated tiny top goes through synth_ecp5 (the
flow FPGA users run), and the resource counts make sense for the config.  Full place and
route belongs to `make synth` (minutes)."""

import json
import threading
import time

import pytest

from snowsim.hw.top import plain_identifiers, top_name, top_verilog
from snowsim.model.config import PRESETS
from snowsim.sim.runner import _prepare_env
from snowsim.sim.synth import CAPACITY, result_table, synthesize

TINY = PRESETS["tiny"]


@pytest.mark.slow
def test_tiny_synthesises_for_ecp5(tmp_path):
    _prepare_env()
    verilog = tmp_path / "snowsim_tiny.v"
    verilog.write_text(top_verilog(TINY))
    r = synthesize(verilog, top_name(TINY), "ecp5", tmp_path / "work", place_and_route=False)
    assert r.fmax_mhz is None and r.device == CAPACITY["ecp5"]["device"]
    # one 18x18 multiplier per MAC lane at least (the vector unit adds its own)
    assert TINY.macs <= r.dsps <= CAPACITY["ecp5"]["dsps"]
    assert r.brams > 0 and r.ffs > 1000 and r.luts > 1000
    assert r.fits()
    assert "MULT18X18D" in result_table(r)
    json.dumps(r.to_dict())  # the --json contract is serialisable


def test_vmac_synthesises_for_xilinx(tmp_path):
    # synth_xilinx on one vMAC (seconds): with Amaranth's escaped "\\acc[0]" names it failed
    # an assertion when ABC's result was put back (hw/top.py plain_identifiers)
    _prepare_env()
    from amaranth.back import verilog as amaranth_verilog

    from snowsim.hw.vmac import VMac

    v = tmp_path / "vmac.v"
    text = amaranth_verilog.convert(VMac(TINY), name="vmac", emit_src=False)
    assert "\\acc[0]" in text  # the case that broke Yosys is still generated...
    v.write_text(plain_identifiers(text))  # ...and is what the flow's renaming fixes
    r = synthesize(v, "vmac", "xilinx", tmp_path / "work")
    assert r.dsps == TINY.n_lanes  # one DSP48E1 per lane: product and accumulator
    assert r.fits()


def test_unknown_target_is_refused_before_any_tool_runs(tmp_path):
    with pytest.raises(ValueError, match="unknown target 'ice40'; valid targets: ecp5, xilinx"):
        synthesize(tmp_path / "none.v", "x", "ice40", tmp_path)
    with pytest.raises(ValueError, match="unknown ECP5 speed grade 5; valid: 6, 7, 8"):
        synthesize(tmp_path / "none.v", "x", "ecp5", tmp_path, speed=5)
    with pytest.raises(ValueError, match="unknown ECP5 router 'router3'; valid: router1, router2"):
        synthesize(tmp_path / "none.v", "x", "ecp5", tmp_path, router="router3")
    with pytest.raises(ValueError, match="unknown ECP5 placer 'ripple'; valid: static, heap, sa"):
        synthesize(tmp_path / "none.v", "x", "ecp5", tmp_path, placer="ripple")


def test_buffer_shapes_are_the_engines_memories():
    """The per-buffer probe synthesises the memories the RTL builds: same widths, depths and
    counts as the compute engine's and the controller's MemoryData."""
    from snowsim.hw.accelerator import Accelerator
    from snowsim.hw.compute_engine import ComputeEngine
    from snowsim.model.isa import Unit
    from snowsim.sim.bram import buffer_shapes

    for cfg in (TINY, PRESETS["snowflake"]):
        eng = ComputeEngine(cfg)
        imem = Accelerator(cfg)._imem
        got = {s.name: s for s in buffer_shapes(cfg)}
        flat = {
            "maps": eng._maps,
            "weights": [w for row in eng._weights for w in row],
            "bias": [b for row in eng._bias for b in row],
            "accumulators": [a for row in eng._acc for a in row],
            "vector": [eng._vec],
            "instructions": [imem[Unit.LOAD], imem[Unit.STORE]],
            "compute_instructions": [imem[Unit.COMPUTE]],
        }
        for name, mems in flat.items():
            s = got[name]
            assert s.count == len(mems), name
            for mem in mems:
                width = mem.shape if isinstance(mem.shape, int) else mem.shape.width
                assert (s.depth, s.width) == (mem.depth, width), name


def test_one_buffer_probe_counts_block_ram(tmp_path):
    """Seconds: tiny's vector buffer (three read ports) through synth_xilinx alone."""
    _prepare_env()
    from snowsim.sim.bram import buffer_table, probe_buffers

    cfg = TINY.replace(vector_depth=2048)
    rows = probe_buffers(cfg, "xilinx", tmp_path, names=["vector"])
    by_name = {s.name: each for s, each in rows}
    # 2048 x 64 bits is 128 Kb, four RAMB36 at least; three read ports, three copies
    assert by_name["vector"] >= 3 * 4
    assert "**all buffers**" in buffer_table(rows, 545, "RAMB36")


def test_a_seed_sweep_places_every_seed_and_reports_the_fastest(tmp_path, monkeypatch):
    """--seed 1 2 3: nextpnr runs once per seed, each in its own directory with the netlist
    and the clock constraint; the result is the fastest run's, with every seed's Fmax.  The
    tools are stood in for: what is checked is the sweep, not Yosys or nextpnr."""
    import snowsim.sim.synth as synth

    fmax = {1: 101.6, 2: 85.9, 3: 105.3}
    runs = []

    def fake_yosys(script, workdir):
        cells = {"LUT4": 10, "TRELLIS_FF": 5, "MULT18X18D": 1, "DP16KD": 2}
        (workdir / "stat.json").write_text(
            json.dumps({"modules": {"\\top": {"num_cells_by_type": cells}}})
        )
        (workdir / "top.json").write_text(json.dumps({"modules": {"top": {"cells": {}}}}))

    def fake_run(cmd, cwd, log):
        seed = int(cmd[cmd.index("--seed") + 1])
        assert (cwd / "top.json").exists() and (cwd / "clock.lpf").exists()
        assert "--detailed-timing-report" in cmd  # the routed arrivals (sim/routed.py)
        assert cmd[cmd.index("--sdf") + 1] == "routed.sdf"  # the paths (sim/routed_paths.py)
        runs.append((seed, cwd.name))
        used = {"TRELLIS_COMB": {"used": 20 + seed}, "TRELLIS_FF": {"used": 5}}
        report = {"utilization": used, "fmax": {"clk": {"achieved": fmax[seed]}}}
        (cwd / "report.json").write_text(json.dumps(report))

    monkeypatch.setattr(synth, "_yosys", fake_yosys)
    monkeypatch.setattr(synth, "_run", fake_run)
    (tmp_path / "top.v").write_text("module top; endmodule\n")
    r = synthesize(tmp_path / "top.v", "top", "ecp5", tmp_path / "w", seed=[1, 2, 3])
    assert runs == [(1, "seed1"), (2, "seed2"), (3, "seed3")]
    assert (r.seed, r.fmax_mhz, r.luts) == (3, 105.3, 23)  # the fastest run's counts
    assert r.fmax_by_seed == fmax
    table = result_table(r)
    assert "seed 3" in table and "1: 101.6, 2: 85.9, 3: 105.3" in table
    assert "mean 97.6, least 85.9" in table  # (101.6 + 85.9 + 105.3) / 3 = 97.6
    d = r.to_dict()
    assert d["fmax_mean_mhz"] == pytest.approx(97.6) and d["fmax_min_mhz"] == 85.9
    # one seed: nextpnr works in the working directory itself, as before the sweep
    runs.clear()
    r = synthesize(tmp_path / "top.v", "top", "ecp5", tmp_path / "one", seed=2)
    assert runs == [(2, "one")] and r.fmax_by_seed == {2: 85.9}
    assert "Fmax by seed" not in result_table(r)
    # jobs=3: the three runs at once (a run waits until another has started), the result
    # as when they run one after the other
    live, peak, lock = [0], [0], threading.Lock()

    def slow_run(cmd, cwd, log):
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        time.sleep(0.2)
        fake_run(cmd, cwd, log)
        with lock:
            live[0] -= 1

    monkeypatch.setattr(synth, "_run", slow_run)
    runs.clear()
    r = synthesize(tmp_path / "top.v", "top", "ecp5", tmp_path / "par", seed=[1, 2, 3], jobs=3)
    assert sorted(runs) == [(1, "seed1"), (2, "seed2"), (3, "seed3")] and peak[0] >= 2
    assert (r.seed, r.fmax_mhz, r.luts) == (3, 105.3, 23) and list(r.fmax_by_seed) == [1, 2, 3]


@pytest.mark.parametrize("jobs", [0, -1, 1.5])
def test_bad_jobs_are_refused(tmp_path, jobs):
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        synthesize(tmp_path / "none.v", "x", "ecp5", tmp_path, jobs=jobs)


@pytest.mark.parametrize("seeds", [[], [0], [1, 1], [2, -3]])
def test_bad_seeds_are_refused(tmp_path, seeds):
    with pytest.raises(ValueError, match="placer seeds must be distinct integers >= 1"):
        synthesize(tmp_path / "none.v", "x", "ecp5", tmp_path, seed=seeds)
