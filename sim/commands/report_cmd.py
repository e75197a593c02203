"""``snowsim report``: print co-simulation reports, or write them as SCALE-Sim CSV files.

Inputs are the JSON of ``snowsim sim --json`` (one object) or of ``snowsim bench`` (a list
of objects, one per layer; layers that were not mapped or failed keep their row with empty
numbers).  Without ``--csv`` the model-vs-RTL table of every report is printed.  With
``--csv OUTDIR`` two files are written in SCALE-Sim's (v2/v3) column layout, SCALE-Sim's
columns first, then ours:

``COMPUTE_REPORT.csv`` and ``BANDWIDTH_REPORT.csv``; one row per layer.  What each column
means on this machine (a *word* is one ``data_bits`` element, as SCALE-Sim's words; bandwidths
are words per RTL cycle; "the program" is the layer compiled again from the report's layer
and config, used only when its DRAM traffic equals the measured counters — otherwise, and
for columns nothing measures, the cell is empty):
"""

import argparse
import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from snowsim.sim.cli import CliError, command

# (column, meaning, value(report, facts) -> number | str | None); facts: program_facts or None
Column = tuple[str, str, Callable[[dict[str, Any], dict[str, Any] | None], Any]]


def _cycles(r: dict[str, Any]) -> int:
    return max(int(r["rtl"]["cycles"]), 1)


def _macs(r: dict[str, Any]) -> int:
    c = r["config"]
    return int(c["n_cu"]) * int(c["n_vmac"]) * int(c["n_lanes"])


def _words(r: dict[str, Any], nbytes: int) -> float:
    return nbytes / (int(r["config"]["data_bits"]) // 8)


def _useful(r: dict[str, Any]) -> float:
    return r["mac_utilization"] * _cycles(r) * _macs(r)


def _pf(key: str, f: Callable[[dict[str, Any], dict[str, Any]], Any]):
    """A program-derived value, or None without program facts."""

    def get(r: dict[str, Any], facts: dict[str, Any] | None) -> Any:
        return None if facts is None else f(r, facts)

    get.__name__ = key
    return get


def _per_cu_issue(r: dict[str, Any]) -> float:
    c = r["config"]
    return r["rtl"]["mac_active_cycles"] / (int(c["n_vmac"]) * int(c["n_lanes"]))


EXTRA_COMMON: list[Column] = [
    (
        "Layer Name",
        "the bench's layer name (empty for `snowsim sim` reports)",
        lambda r, f: r.get("name", ""),
    ),
    ("Shape", "the layer's shape", lambda r, f: _label(r)),
    ("Config", "accelerator config", lambda r, f: r["config"]["name"]),
    ("Simulator", "icarus or verilator", lambda r, f: r.get("simulator", "")),
    (
        "Result",
        "ok, or why the layer has no numbers (not mapped: ..., failed: ...)",
        lambda r, f: _result(r),
    ),
]

COMPUTE_COLUMNS: list[Column] = [
    (
        "LayerID",
        "position of the layer in the inputs, from 0 (as SCALE-Sim numbers layers)",
        lambda r, f: None,
    ),
    (
        "Total Cycles",
        "RTL cycles: the CYCLES counter (STATUS.BUSY cycles of the job)",
        lambda r, f: r["rtl"]["cycles"],
    ),
    (
        "Stall Cycles",
        "RTL cycles with no compute instruction in flight: CYCLES - COMPUTE_BUSY (program "
        "fetch, waits for loads, the last stores)",
        lambda r, f: r["rtl"]["cycles"] - r["rtl"]["compute_busy"],
    ),
    (
        "Overall Util %",
        "100 x useful MACs / (Total Cycles x MACs) — SCALE-Sim's definition, our MAC utilisation",
        lambda r, f: 100 * r["mac_utilization"],
    ),
    (
        "Mapping Efficiency %",
        "100 x useful MACs / (MAC issue cycles x MACs), issue cycles = sum over the program's "
        "MAC instructions of pixel steps x K: of the cycles the array issues, the share of its "
        "lanes doing useful work (padding channels and pixel mode's idle CUs are the loss); "
        "from the program",
        _pf("mapping", lambda r, f: 100 * _useful(r) / (f["mac_issue_cycles"] * _macs(r))),
    ),
    (
        "Compute Util %",
        "100 x useful MACs / (COMPUTE_BUSY x MACs): utilisation over the cycles with a compute "
        "instruction in flight (SCALE-Sim: over the cycles that are not stalls)",
        lambda r, f: 100 * _useful(r) / (max(r["rtl"]["compute_busy"], 1) * _macs(r)),
    ),
    ("RTL Cycles", "the CYCLES counter (= Total Cycles)", lambda r, f: r["rtl"]["cycles"]),
    (
        "Model Cycles",
        "the timing model's cycles for the same program",
        lambda r, f: r["model"]["cycles"],
    ),
    ("Cycle Error %", "100 x (model - RTL) / RTL", lambda r, f: r["cycle_error_pct"]),
    (
        "MAC Lane-Cycles",
        "the MAC_ACTIVE counter (lane-cycles of CUs issuing a real pixel)",
        lambda r, f: r["rtl"]["mac_active_cycles"],
    ),
    ("Ops", "2 x the layer's MACs", lambda r, f: r["ops"]),
    (
        "G-ops/s",
        "Ops / (Total Cycles / the config's clock) / 1e9",
        lambda r, f: r["ops"] / (_cycles(r) / (float(r["config"]["clock_mhz"]) * 1e6)) / 1e9,
    ),
    (
        "Bit Exact",
        "RTL output equal to the golden model's, every element",
        lambda r, f: int(bool(r["bit_exact"])),
    ),
    *EXTRA_COMMON,
]

BANDWIDTH_COLUMNS: list[Column] = [
    ("LayerID", "as in COMPUTE_REPORT.csv", lambda r, f: None),
    (
        "Avg IFMAP SRAM BW",
        "maps-buffer words read by the MAC array per cycle: one per CU per cycle it issues a "
        "real pixel = MAC_ACTIVE / (n_vmac x n_lanes) / Total Cycles",
        lambda r, f: _per_cu_issue(r) / _cycles(r),
    ),
    (
        "Avg FILTER SRAM BW",
        "weights-buffer words read per cycle: one n_lanes word per vMAC of an issuing CU = "
        "MAC_ACTIVE / Total Cycles (the bias word read once per MAC instruction not counted)",
        lambda r, f: r["rtl"]["mac_active_cycles"] / _cycles(r),
    ),
    (
        "Avg OFMAP SRAM BW",
        "words the drain writes into the vector (output) buffer per cycle (n_lanes per drained "
        "vMAC word; vector-unit results not counted); from the program",
        _pf("ofmap_sram", lambda r, f: f["drain_writes"] / _cycles(r)),
    ),
    (
        "Avg IFMAP DRAM BW",
        "words loaded into the maps buffers and the vector buffer (a GRU's hidden state) per "
        "cycle over the whole job (SCALE-Sim divides by the stream's own active window, which "
        "we do not time-stamp); from the program",
        _pf(
            "ifmap_dram",
            lambda r, f: _words(r, f["maps_bytes"] + f.get("vector_bytes", 0)) / _cycles(r),
        ),
    ),
    (
        "Avg FILTER DRAM BW",
        "words of weights and biases (biases are double-width: 2 words each) loaded per cycle "
        "over the whole job; from the program",
        _pf(
            "filter_dram",
            lambda r, f: _words(r, f["weights_bytes"] + f["bias_bytes"]) / _cycles(r),
        ),
    ),
    (
        "Avg OFMAP DRAM BW",
        "words stored to DRAM per cycle over the whole job; from the program",
        _pf("ofmap_dram", lambda r, f: _words(r, f["store_bytes"]) / _cycles(r)),
    ),
    (
        "Program Fetch Bytes",
        "bytes of the program fetch (read, not in any column above); from the program",
        _pf("fetch", lambda r, f: f["fetch_bytes"]),
    ),
    ("DRAM Bytes Read", "the RD_BYTES counter (whole beats)", lambda r, f: r["rtl"]["bytes_read"]),
    (
        "DRAM Bytes Written",
        "the WR_BYTES counter (whole beats)",
        lambda r, f: r["rtl"]["bytes_written"],
    ),
    ("Read Bursts", "the RD_BURSTS counter", lambda r, f: r["rtl"]["read_bursts"]),
    ("Write Bursts", "the WR_BURSTS counter", lambda r, f: r["rtl"]["write_bursts"]),
    (
        "Bus Util %",
        "100 x AXI data beats (reads + writes) / Total Cycles, of one beat per cycle",
        lambda r, f: 100 * r["bus_utilization"],
    ),
    (
        "Ops per DRAM Byte",
        "Ops / (DRAM Bytes Read + DRAM Bytes Written): arithmetic intensity as moved",
        lambda r, f: r["ops"] / max(r["rtl"]["bytes_read"] + r["rtl"]["bytes_written"], 1),
    ),
    *EXTRA_COMMON,
]


def columns_markdown() -> str:
    """The column definitions as Markdown (docs/benchmarks.md embeds it)."""
    out = [
        "## `snowsim report --csv`: SCALE-Sim columns on this machine",
        "",
        "`snowsim report FILE.json ... --csv OUTDIR` writes `COMPUTE_REPORT.csv` and "
        "`BANDWIDTH_REPORT.csv`: SCALE-Sim's columns first (same names, same order), then ours. "
        "A *word* is one data element; bandwidths are words per RTL cycle.  Cells nothing "
        'measures are empty.  Values "from the program" come from compiling the report\'s '
        "layer for its config again, and are left empty when that program's DRAM traffic "
        "differs from the measured counters.",
        "",
    ]
    for fname, cols in (
        ("COMPUTE_REPORT.csv", COMPUTE_COLUMNS),
        ("BANDWIDTH_REPORT.csv", BANDWIDTH_COLUMNS),
    ):
        out += [f"`{fname}`:", "", "| column | meaning |", "|---|---|"]
        out += [f"| {name} | {meaning} |" for name, meaning, _ in cols]
        out.append("")
    return "\n".join(out)


def _doc_columns() -> str:
    out = []
    for fname, cols in (
        ("COMPUTE_REPORT.csv", COMPUTE_COLUMNS),
        ("BANDWIDTH_REPORT.csv", BANDWIDTH_COLUMNS),
    ):
        out.append(f"\n{fname}:")
        out += [f"  {name}: {meaning}" for name, meaning, _ in cols]
    return "\n".join(out) + "\n"


__doc__ = (__doc__ or "") + _doc_columns()


# -- reading -------------------------------------------------------------------------------------
def _label(r: dict[str, Any]) -> str:
    from snowsim.sim.report import layer_label

    try:
        return layer_label(r["layer"])
    except (KeyError, TypeError):
        return ""


def _result(r: dict[str, Any]) -> str:
    res = r.get("result", "ok")
    return res if res == "ok" else f"{res}: {r.get('reason', '')}"


def read_reports(paths: list[str]) -> list[dict[str, Any]]:
    """The reports of every file, in order (a bench file contributes one per layer)."""
    reports: list[dict[str, Any]] = []
    for path in paths:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CliError(f"cannot read report {path!r}: {exc}") from None
        items = data if isinstance(data, list) else [data]
        for item in items:
            if not isinstance(item, dict) or "layer" not in item or "config" not in item:
                raise CliError(
                    f"{path!r} is not a co-simulation report (snowsim sim --json) or a bench "
                    "report (snowsim bench --json): an object lacks 'layer' / 'config'"
                )
            if item.get("result", "ok") == "ok":
                missing = [k for k in ("rtl", "model", "mac_utilization") if k not in item]
                if missing:
                    raise CliError(f"report in {path!r} lacks {', '.join(missing)}")
            reports.append(item)
    return reports


def program_facts_for(r: dict[str, Any]) -> dict[str, Any] | None:
    """Program facts of a report: the bench's, or the layer compiled again; None when the
    program's DRAM traffic does not match the measured counters (or it cannot compile)."""
    from snowsim.model.compiler import compile_layer
    from snowsim.model.config import AcceleratorConfig
    from snowsim.model.layers import layer_from_dict
    from snowsim.sim.bench import program_facts

    facts = r.get("program")
    if facts is None or "drain_writes" not in facts:
        try:
            cfg = AcceleratorConfig.from_dict(r["config"])
            facts = program_facts(compile_layer(layer_from_dict(r["layer"]), cfg), cfg)
        except (ValueError, TypeError, KeyError):
            return None
    moved = sum(
        facts.get(k, 0)
        for k in (
            "fetch_bytes",
            "maps_bytes",
            "vector_bytes",
            "weights_bytes",
            "bias_bytes",
            "store_bytes",
        )
    )
    if moved != r["rtl"]["bytes_read"] + r["rtl"]["bytes_written"]:
        return None
    return facts


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3e}"
    return str(v)


def csv_rows(reports: list[dict[str, Any]], columns: list[Column]) -> list[list[str]]:
    rows = []
    for lid, r in enumerate(reports):
        ok = r.get("result", "ok") == "ok"
        facts = program_facts_for(r) if ok else None
        row = []
        for name, _, get in columns:
            if name == "LayerID":
                row.append(str(lid))
            elif not ok and name not in {c[0] for c in EXTRA_COMMON}:
                row.append("")
            else:
                try:
                    row.append(_fmt(get(r, facts)))
                except (KeyError, TypeError, ZeroDivisionError):
                    row.append("")
        rows.append(row)
    return rows


def write_csv(reports: list[dict[str, Any]], outdir: str | Path) -> list[Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for fname, cols in (
        ("COMPUTE_REPORT.csv", COMPUTE_COLUMNS),
        ("BANDWIDTH_REPORT.csv", BANDWIDTH_COLUMNS),
    ):
        path = outdir / fname
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow([c[0] for c in cols])
            w.writerows(csv_rows(reports, cols))
        written.append(path)
    return written


# -- command -------------------------------------------------------------------------------------
def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("reports", nargs="+", metavar="FILE.json", help="sim or bench JSON reports")
    p.add_argument(
        "--csv",
        metavar="OUTDIR",
        help="write COMPUTE_REPORT.csv and BANDWIDTH_REPORT.csv (SCALE-Sim layout) into OUTDIR",
    )


@command("report", "print co-simulation / bench reports, or write SCALE-Sim CSV files", _args)
def run(args: argparse.Namespace) -> int:
    from snowsim.sim.cosim import CosimReport
    from snowsim.sim.report import report_table

    reports = read_reports(args.reports)
    if args.csv:
        for path in write_csv(reports, args.csv):
            print(f"wrote {path} ({len(reports)} layer(s))")
        return 0
    fields = set(CosimReport.__dataclass_fields__)
    for i, r in enumerate(reports):
        if i:
            print()
        if r.get("result", "ok") != "ok":
            print(f"{r.get('name') or _label(r)}: {_result(r)}")
            continue
        if r.get("name"):
            print(f"[{r['name']}]")
        print(report_table(CosimReport(**{k: v for k, v in r.items() if k in fields})))
    return 0
