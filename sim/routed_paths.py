"""The routed path into every register, from the SDF nextpnr writes after routing.

nextpnr's log shows one critical path per clock, and its detailed timing report
(:mod:`snowsim.sim.routed`) the arrival at every endpoint but not the path to it.  With
``--sdf`` nextpnr also writes every routed connection's delay (``INTERCONNECT``) and every
cell's delays as it times them (``IOPATH``: clock to output, and input to output through
logic) and setup times (``SETUPHOLD``).  This module redoes nextpnr's setup analysis on
that file - latest arrival at every cell pin, from the clock edge that launches it - and
keeps, for each pin, the input it came from, so that the path into *any* register can be
read back, hop by hop, with the routing and logic delay of each: every late register of
one run, not only the worst.

Delays are the SDF's maxima (rise and fall alike); a pin driven by nothing timed (a
constant, or a top-level input out of context) starts no path, as in nextpnr.  A path
ends at a register input with a setup check; its ``arrival_ns`` includes that setup, as
nextpnr's critical path does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from snowsim.sim.routed import _FF_SUFFIX  # a flip-flop cell's name: <register>_TRELLIS_FF_Q...

__all__ = ["Hop", "RoutedPath", "paths_report", "routed_paths"]

# a clock input: what starts a path (clock to output) and what setup is checked against
_CLOCK_PORT = re.compile(r"^(CLK\w*|WCK|CLKI)$")
_DELAY = r"\(([-\d.]*):([-\d.]*):([-\d.]*)\)"
_INTERCONNECT = re.compile(rf"\(INTERCONNECT (\S+) (\S+) {_DELAY} {_DELAY}\)")
_IOPATH = re.compile(rf"\(IOPATH (\S+) (\S+) {_DELAY} {_DELAY}\)")
_SETUP = re.compile(rf"\(SETUPHOLD \(posedge (\S+)\) \((?:posedge|negedge) (\S+)\) {_DELAY} ")
_INSTANCE = re.compile(r"\(INSTANCE (.*)\)")


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name)


def _split_pin(pin: str) -> tuple[str, str]:
    """``cell/port`` (escaped) -> (cell, port): the port is after the last unescaped
    ``/`` (nextpnr's divider)."""
    cut = max(i for i, ch in enumerate(pin) if ch == "/" and (i == 0 or pin[i - 1] != "\\"))
    return _unescape(pin[:cut]), _unescape(pin[cut + 1 :])


def _max_ns(groups: tuple[str, ...]) -> float:
    """The largest maximum of a (rise) (fall) pair of ``min:typ:max`` triples, ps -> ns."""
    return max(float(groups[2] or 0), float(groups[5] or 0)) / 1000.0


@dataclass(frozen=True)
class Hop:
    """One step of a routed path: a route (``kind`` "route") from ``source`` to ``sink``,
    or a cell's delay (``kind`` "logic", or "clock" for clock to output) from its input
    ``source`` to its output ``sink``; pins as ``cell/port``."""

    kind: str
    delay_ns: float
    source: str
    sink: str


@dataclass(frozen=True)
class RoutedPath:
    """The latest path into one register input.

    Attributes
    ----------
    register : str
        The register (a flip-flop cell's name without Yosys's ``_TRELLIS_FF_Q*``), or the
        block RAM or multiplier cell.
    port : str
        The input the path ends at.
    arrival_ns : float
        From the launching clock edge to the input, the input's setup time included.
    hops : tuple[Hop, ...]
        The path from the launching register's clock to the input.
    """

    register: str
    port: str
    arrival_ns: float
    hops: tuple[Hop, ...]

    @property
    def routing_ns(self) -> float:
        return sum(h.delay_ns for h in self.hops if h.kind == "route")

    @property
    def logic_ns(self) -> float:
        return sum(h.delay_ns for h in self.hops if h.kind != "route")

    @property
    def setup_ns(self) -> float:
        return self.arrival_ns - self.logic_ns - self.routing_ns


class _Timing:
    """The SDF as a graph: routes into cell inputs, arcs through cells, setup checks."""

    def __init__(self, text: str):
        bare = re.sub(r"\\.", "", text)  # escaped characters are names', not the file's
        whole = bare.lstrip().startswith("(DELAYFILE") and bare.count("(") == bare.count(")")
        if not whole:
            raise ValueError(
                "not a whole SDF file: it must be one (DELAYFILE ...) with every parenthesis "
                "closed (is nextpnr still writing it?)"
            )
        self.route: dict[tuple[str, str], tuple[tuple[str, str], float]] = {}
        self.arcs: dict[tuple[str, str], list[tuple[str, float]]] = {}
        self.clock_out: dict[tuple[str, str], tuple[float, str]] = {}  # (delay, clock port)
        self.setup: dict[tuple[str, str], float] = {}
        cell = None
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("(INTERCONNECT"):
                m = _INTERCONNECT.match(line)
                if m:
                    self.route[_split_pin(m[2])] = (_split_pin(m[1]), _max_ns(m.groups()[2:]))
            elif line.startswith("(INSTANCE"):
                m = _INSTANCE.match(line)
                cell = _unescape(m[1]) if m else None
            elif line.startswith("(IOPATH") and cell is not None:
                m = _IOPATH.match(line)
                if m:
                    src, dst, d = _unescape(m[1]), _unescape(m[2]), _max_ns(m.groups()[2:])
                    if _CLOCK_PORT.match(src):
                        key = (cell, dst)
                        self.clock_out[key] = max(self.clock_out.get(key, (d, src)), (d, src))
                    else:
                        self.arcs.setdefault((cell, dst), []).append((src, d))
            elif line.startswith("(SETUPHOLD") and cell is not None:
                m = _SETUP.match(line)
                if m and _CLOCK_PORT.match(_unescape(m[2])):
                    key = (cell, _unescape(m[1]))
                    d = float(m[5] or 0) / 1000.0  # the setup's maximum
                    self.setup[key] = max(self.setup.get(key, d), d)
        # latest arrival at every pin, and where it came from
        self.arrival: dict[tuple[str, str], tuple[float, tuple[str, str] | None, str]] = {}

    def latest(self, pin: tuple[str, str]) -> float | None:
        """Latest arrival at ``pin`` (an input: through its route; an output: through its
        cell), None when nothing timed drives it."""
        stack = [pin]
        while stack:
            p = stack[-1]
            if p in self.arrival:
                stack.pop()
                continue
            if p in self.route:  # a cell input: its driver, then the route
                drv, d = self.route[p]
                if drv not in self.arrival:
                    stack.append(drv)
                    continue
                a = self.arrival[drv][0]
                self.arrival[p] = (a + d, drv, "route") if a is not None else (None, None, "")
                stack.pop()
                continue
            cell, _ = p
            ins = [(cell, src) for src, _ in self.arcs.get(p, [])]
            pending = [i for i in ins if i not in self.arrival]
            if pending:
                stack.extend(pending)
                continue
            best: tuple[float | None, tuple[str, str] | None, str] = (None, None, "")
            if p in self.clock_out:
                best = (self.clock_out[p][0], None, "clock")
            for src, d in self.arcs.get(p, []):
                a = self.arrival[(cell, src)][0]
                if a is not None and (best[0] is None or a + d > best[0]):
                    best = (a + d, (cell, src), "logic")
            self.arrival[p] = best
            stack.pop()
        return self.arrival[pin][0]

    def hops(self, pin: tuple[str, str]) -> tuple[Hop, ...]:
        out: list[Hop] = []
        p: tuple[str, str] | None = pin
        while p is not None:
            a, prev, kind = self.arrival[p]
            if kind == "clock":
                clock_port = self.clock_out[p][1]
                out.append(Hop("clock", a, f"{p[0]}/{clock_port}", f"{p[0]}/{p[1]}"))
                break
            if prev is None:
                break
            out.append(Hop(kind, a - self.arrival[prev][0], "/".join(prev), "/".join(p)))
            p = prev
        return tuple(reversed(out))


def routed_paths(sdf: Path | str | None = None, *, text: str | None = None) -> list[RoutedPath]:
    """The latest path into each register (its worst input), slowest first, from an SDF
    file that nextpnr wrote after routing, or from its ``text`` (one of the two)."""
    if (sdf is None) == (text is None):
        raise ValueError("give the SDF file or its text, one of the two")
    timing = _Timing(text if text is not None else Path(sdf).read_text())
    worst: dict[str, tuple[float, tuple[str, str]]] = {}
    for pin, setup in timing.setup.items():
        a = timing.latest(pin)
        if a is None:
            continue
        name = _FF_SUFFIX.sub("", pin[0])
        if name not in worst or a + setup > worst[name][0]:
            worst[name] = (a + setup, pin)
    rows = [
        RoutedPath(name, pin[1], round(t, 3), timing.hops(pin)) for name, (t, pin) in worst.items()
    ]
    return sorted(rows, key=lambda r: (-r.arrival_ns, r.register))


def paths_report(paths: list[RoutedPath], freq_mhz: float, limit: int = 10) -> str:
    """Markdown: the ``limit`` latest registers, each with its routed path hop by hop."""
    period = 1000.0 / freq_mhz
    late = [p for p in paths if p.arrival_ns > period]
    lines = [
        f"{len(late)} of {len(paths)} registers arrive after the {period:.2f} ns period "
        f"({freq_mhz:g} MHz), setup included (routed, from nextpnr's SDF)",
    ]
    for p in paths[:limit]:
        lines += [
            "",
            f"`{p.register}` ({p.port}): {p.arrival_ns:.2f} ns, {p.logic_ns:.2f} ns logic, "
            f"{p.routing_ns:.2f} ns routing, {p.setup_ns:.2f} ns setup",
            "",
            "| ns | step | to |",
            "|---:|---|---|",
        ]
        lines += [f"| {h.delay_ns:.2f} | {h.kind} | `{h.sink}` |" for h in p.hops]
    return "\n".join(lines)
