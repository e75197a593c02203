"""Every register's latest routed arrival, from nextpnr's detailed timing report.

nextpnr's log names one critical path per clock; with ``--detailed-timing-report`` its JSON
report also holds, for every net that ends at a timing endpoint (a flip-flop's data, enable
or reset input, a block RAM or multiplier input), the arrival time at that endpoint after
placement and routing.  This module groups those arrivals by register, so that one place
and route run shows *all* the registers that miss the clock and by how much, with the
routed delays - where :mod:`snowsim.sim.paths` estimates them from the Yosys netlist with a
flat delay per net.

An arrival is measured from the launching clock edge to the endpoint's input, the
endpoint's setup time not included (nextpnr adds 0 to 0.4 ns for ECP5 flip-flops: the
0.42 ns of an LSR input is the largest in its reports of this design), so a register is
over the period here when its arrival alone exceeds it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RoutedDriver",
    "RoutedRegister",
    "drivers_table",
    "routed_drivers",
    "routed_module_table",
    "routed_registers",
    "routed_table",
]

# a flip-flop cell is named after its register by Yosys's techmap: <register>_TRELLIS_FF_Q,
# then _<n> for each further bit
_FF_SUFFIX = re.compile(r"_TRELLIS_FF_Q(_\d+)?$")


@dataclass(frozen=True)
class RoutedRegister:
    """The latest routed arrival at the inputs of one register (all its bits).

    Attributes
    ----------
    register : str
        The register's name (a flip-flop cell's name without Yosys's ``_TRELLIS_FF_Q*``
        suffix), or the cell's name for a block RAM or multiplier.
    arrival_ns : float
        Latest arrival at any of its inputs, from the launching clock edge.
    port : str
        The input it arrives at (``DI``, ``M``, ``CE``, ``LSR``, a block RAM's ``ADB9``...).
    late : int
        Inputs of this register (one per bit and pin) whose arrival exceeds the period the
        table was made for.
    """

    register: str
    arrival_ns: float
    port: str
    late: int


def _nets(report: Path | dict) -> list[dict]:
    """The report's timed nets (a report file's path, or the report itself)."""
    data = json.loads(Path(report).read_text()) if not isinstance(report, dict) else report
    if "detailed_net_timings" not in data:
        raise ValueError(
            "the report has no detailed_net_timings: run nextpnr with --detailed-timing-report"
        )
    return data["detailed_net_timings"]


def _arrival(endpoint: dict) -> float:
    """An endpoint's arrival: the latest of its (min, max) delay pair, or its one delay."""
    delay = endpoint["delay"]
    return float(delay[1] if isinstance(delay, list) else delay)


def _endpoints(nets: list[dict]) -> dict[tuple[str, str], float]:
    latest: dict[tuple[str, str], float] = {}
    for net in nets:
        for ep in net["endpoints"]:
            key, arrival = (ep["cell"], ep["port"]), _arrival(ep)
            latest[key] = max(latest.get(key, arrival), arrival)
    return latest


@dataclass(frozen=True)
class RoutedDriver:
    """A register's outputs, as routed: how far and how widely they reach.

    Attributes
    ----------
    register : str
        The register's name (as :class:`RoutedRegister`'s).
    arrival_ns : float
        Latest arrival at any load of any of its bits, from the launching clock edge: its
        clock to output plus its longest route.
    loads : int
        The most loads of any one of its bits (timing endpoints and logic inputs).
    """

    register: str
    arrival_ns: float
    loads: int


def routed_drivers(report: Path | dict) -> list[RoutedDriver]:
    """Every flip-flop register whose output nets the report times, latest arrival first:
    the registers whose loads are far (a wide fan-out across the die is what
    :func:`snowsim.hw.fanout.replicas` splits)."""
    worst: dict[str, tuple[float, int]] = {}
    for net in _nets(report):
        if net.get("port") != "Q" or not _FF_SUFFIX.search(net.get("driver", "")):
            continue
        name = _FF_SUFFIX.sub("", net["driver"])
        arrival = max(_arrival(ep) for ep in net["endpoints"])
        a, n = worst.get(name, (arrival, 0))
        worst[name] = (max(a, arrival), max(n, len(net["endpoints"])))
    rows = [RoutedDriver(name, a, n) for name, (a, n) in worst.items()]
    return sorted(rows, key=lambda r: (-r.arrival_ns, r.register))


def drivers_table(rows: list[RoutedDriver], limit: int = 30) -> str:
    """Markdown: the ``limit`` registers whose outputs arrive latest at their loads."""
    lines = [
        "| latest load (ns) | register (its output) | loads (widest bit) |",
        "|---:|---|---:|",
    ]
    lines += [f"| {r.arrival_ns:.2f} | `{r.register}` | {r.loads} |" for r in rows[:limit]]
    return "\n".join(lines)


def routed_registers(report: Path | dict, period_ns: float) -> list[RoutedRegister]:
    """Every register of a routed design with its latest arrival, slowest first; ``late``
    counts its inputs whose arrival exceeds ``period_ns``."""
    if period_ns <= 0:
        raise ValueError(f"period_ns must be > 0, not {period_ns!r}")
    worst: dict[str, tuple[float, str]] = {}
    late: dict[str, int] = defaultdict(int)
    for (cell, port), arrival in _endpoints(_nets(report)).items():
        name = _FF_SUFFIX.sub("", cell)
        if name not in worst or arrival > worst[name][0]:
            worst[name] = (arrival, port)
        if arrival > period_ns:
            late[name] += 1
    rows = [RoutedRegister(n, a, p, late[n]) for n, (a, p) in worst.items()]
    return sorted(rows, key=lambda r: (-r.arrival_ns, r.register))


def routed_table(rows: list[RoutedRegister], freq_mhz: float, limit: int = 30) -> str:
    """Markdown: how many registers and inputs miss ``freq_mhz``'s period, then the
    ``limit`` latest registers."""
    period = 1000.0 / freq_mhz
    over = [r for r in rows if r.arrival_ns > period]
    lines = [
        f"{len(over)} of {len(rows)} registers ({sum(r.late for r in over)} inputs) arrive "
        f"after the {period:.2f} ns period ({freq_mhz:g} MHz), routed (nextpnr's detailed "
        "timing report; setup not included)",
        "",
        "| arrival (ns) | register | input | inputs late |",
        "|---:|---|---|---:|",
    ]
    lines += [
        f"| {r.arrival_ns:.2f} | `{r.register}` | {r.port} | {r.late} |" for r in rows[:limit]
    ]
    return "\n".join(lines)


def routed_module_table(rows: list[RoutedRegister], freq_mhz: float, depth: int = 2) -> str:
    """Markdown: the late inputs by module (the register names' first ``depth`` parts),
    most first: where the misses are, in bulk."""
    period = 1000.0 / freq_mhz
    by_module: dict[str, list[RoutedRegister]] = defaultdict(list)
    for r in rows:
        if r.arrival_ns > period:
            by_module[".".join(r.register.split(".")[:depth])].append(r)
    lines = [
        "| module | registers late | inputs late | latest (ns) |",
        "|---|---:|---:|---:|",
    ]
    order = sorted(by_module.items(), key=lambda kv: -sum(r.late for r in kv[1]))
    for module, regs in order:
        lines.append(
            f"| `{module}` | {len(regs)} | {sum(r.late for r in regs)} | "
            f"{max(r.arrival_ns for r in regs):.2f} |"
        )
    return "\n".join(lines)
