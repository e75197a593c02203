"""The DMA engine under cocotb with cocotbext-axi's AxiRam, on Icarus and Verilator:
data byte for byte with guard bytes, exact cycles against model/dma.py, bursts against the
monitor, random pauses, and bus errors."""

import json
import sys
import tempfile
from pathlib import Path

import pytest

from snowsim.model.config import PRESETS
from snowsim.model.dma import descriptor_bursts, read_cycles, write_cycles
from snowsim.sim.runner import SIMULATORS, run_cocotb, write_verilog

sys.path.insert(0, str(Path(__file__).parent))
from dma_top import DmaTop

GUARD = 0xA5
SRC, DST = 0x1000, 0x9000


def _case(cfg, row_elems, rows=1, planes=1, offset=0, gap=0, pgap=0, pause=0.0, error=None):
    e, eb = cfg.bus_elems, cfg.elem_bytes
    row_stride = eb * (row_elems + gap)
    plane_stride = rows * row_stride + eb * pgap
    span = (planes - 1) * plane_stride + (rows - 1) * row_stride + eb * row_elems
    d = {
        "row_elems": row_elems,
        "rows": rows,
        "dram_row_stride": row_stride,
        "planes": planes,
        "dram_plane_stride": plane_stride,
        "buf_addr": offset % e,
        "buf_row_stride": row_stride // eb,
        "buf_plane_stride": plane_stride // eb,
    }
    return {
        "ld": {**d, "dram_addr": SRC + eb * offset},
        "st": {**d, "dram_addr": DST + eb * offset},
        "src_base": SRC,
        "src_bytes": eb * offset + span + 64,
        "dst_base": DST,
        "dst_bytes": eb * offset + span + 64,
        "pause": pause,
        "error": error,
    }


def _expected(case, src: bytes, cfg) -> bytes:
    eb = cfg.elem_bytes
    dst = bytearray([GUARD] * (case["dst_bytes"] + 128))
    d = case["st"]
    for p in range(d["planes"]):
        for r in range(d["rows"]):
            off = d["dram_addr"] - DST + p * d["dram_plane_stride"] + r * d["dram_row_stride"]
            n = d["row_elems"] * eb
            dst[64 + off : 64 + off + n] = src[off : off + n]
    return bytes(dst)


def _run(sim, preset, cases, tag):
    cfg = PRESETS[preset]
    job = Path(tempfile.mkdtemp(prefix="dma-"))
    (job / "cases.json").write_text(
        json.dumps(
            {"cases": cases, "mem_size": 0x20000, "max_burst": cfg.max_burst_beats, "seed": 7}
        )
    )
    verilog = write_verilog(DmaTop(cfg), f"dma_top_{preset}")
    out = run_cocotb(
        sim,
        f"dma_top_{preset}",
        [verilog],
        "snowsim.sim.tb.dma_tb",
        env={"SNOWSIM_JOB_DIR": str(job)},
        build_tag=tag,
    )
    return cfg, json.loads((out / "result.json").read_text())


def _bursts(d, cfg):
    return descriptor_bursts(
        d["dram_addr"],
        d["row_elems"] * cfg.elem_bytes,
        d["rows"],
        d["dram_row_stride"],
        d["planes"],
        d["dram_plane_stride"],
        cfg,
    )


SWEEP = [dict(row_elems=n, offset=o) for n in (1, 3, 4, 7, 33, 130) for o in (0, 1, 3)] + [
    dict(row_elems=5, rows=3, gap=2, offset=1),
    dict(row_elems=9, rows=2, planes=2, gap=3, pgap=5, offset=2),
    dict(row_elems=2040, offset=2),  # crosses a 4 KiB boundary, several bursts
]


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_dma_copies_exactly_and_on_time(sim):
    cfg = PRESETS["tiny"]
    cases = [_case(cfg, **c) for c in SWEEP]
    cfg, results = _run(sim, "tiny", cases, "exact")
    for case, res in zip(cases, results, strict=True):
        src = bytes.fromhex(res["src"])
        assert bytes.fromhex(res["dst"]) == _expected(case, src, cfg), case
        ld_b, st_b = _bursts(case["ld"], cfg), _bursts(case["st"], cfg)
        assert res["ld_cycles"] == read_cycles(ld_b, cfg), case
        assert res["st_cycles"] == write_cycles(st_b, cfg), case
        mon = res["monitor"]
        assert mon["read_bursts"] == len(ld_b) and mon["write_bursts"] == len(st_b)
        assert mon["read_beats"] == sum(b.beats for b in ld_b)
        assert [tuple(t) for t in mon["ar"]] == [(b.addr, b.beats - 1, 3) for b in ld_b]
        assert not res["checker"]


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_dma_under_random_pauses(sim):
    cfg = PRESETS["tiny"]
    cases = [_case(cfg, **c, pause=0.4) for c in SWEEP[::3]]
    cfg, results = _run(sim, "tiny", cases, "pause")
    for case, res in zip(cases, results, strict=True):
        src = bytes.fromhex(res["src"])
        assert bytes.fromhex(res["dst"]) == _expected(case, src, cfg), case
        assert res["ld_cycles"] >= read_cycles(_bursts(case["ld"], cfg), cfg)
        assert not res["checker"]


def _err(side, start, end, resp):
    return {"side": side, "start": start, "end": end, "resp": resp}


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_dma_bus_errors_end_cleanly(sim):
    cfg = PRESETS["tiny"]
    n = 200  # 400 bytes: 50 beats, 4 bursts of <= 16
    cases = []
    for side, base in (("read", SRC), ("write", DST)):
        for where, resp in ((0, "slverr"), (200, "decerr"), (392, "slverr")):
            cases.append(_case(cfg, n, error=_err(side, base + where, base + where + 2, resp)))
    cases.append(_case(cfg, 37, offset=1))  # a clean job after the errors
    cfg, results = _run(sim, "tiny", cases, "errors")
    for case, res in zip(cases[:-1], results[:-1], strict=True):
        e = case["error"]
        err = res["ld_err"] if e["side"] == "read" else res["st_err"]
        assert err["error"] == 1, case
        code = {
            ("read", "slverr"): 1,
            ("read", "decerr"): 2,
            ("write", "slverr"): 3,
            ("write", "decerr"): 4,
        }[(e["side"], e["resp"])]
        assert err["code"] == code
        bursts = _bursts(case["ld" if e["side"] == "read" else "st"], cfg)
        failing = next(
            b.addr for b in bursts if b.addr <= e["start"] < b.addr + b.beats * cfg.bus_bytes
        )
        assert err["addr"] == failing
        dst = bytes.fromhex(res["dst"])
        if e["side"] == "read":
            assert set(dst) == {GUARD}  # nothing stored after a failed load
        else:
            # bursts already announced may complete (AXI writes are posted), but every byte
            # that changed holds the right data and nothing outside the rows changed
            want = _expected(case, bytes.fromhex(res["src"]), cfg)
            changed = [i for i, b in enumerate(dst) if b != GUARD]
            assert all(dst[i] == want[i] for i in changed)
        assert not res["checker"]
    clean = results[-1]
    assert bytes.fromhex(clean["dst"]) == _expected(cases[-1], bytes.fromhex(clean["src"]), cfg)


@pytest.mark.cosim
def test_sustained_read_bandwidth_snowflake():
    """A 64 KiB read with no pauses: beats per cycle over the whole descriptor."""
    cfg = PRESETS["snowflake"]
    case = _case(cfg, 32768)
    case["st"]["row_elems"] = 8
    cfg, (res,) = _run("verilator", "snowflake", [case], "bw")
    beats = sum(b.beats for b in _bursts(case["ld"], cfg))
    assert res["ld_cycles"] == read_cycles(_bursts(case["ld"], cfg), cfg)
    assert beats / res["ld_cycles"] >= 0.95


@pytest.mark.cosim
def test_single_beat_write_runs_are_exact():
    """A run of one-beat write bursts, the hardest case for the memory's AW queue (each
    burst's AW must be taken one cycle after the last): exact once the AxiRam queues the AWs
    of every burst in flight (sim/dram.py; with its default two it took 39 cycles)."""
    cfg = PRESETS["tiny"]
    case = _case(cfg, 2, rows=20, gap=6)
    cfg, (res,) = _run("icarus", "tiny", [case], "gap")
    bursts = _bursts(case["st"], cfg)
    assert {b.beats for b in bursts} == {1} and len(bursts) == 20
    assert res["ld_cycles"] == read_cycles(_bursts(case["ld"], cfg), cfg)
    assert res["st_cycles"] == write_cycles(bursts, cfg)
