"""Register-to-register delay estimate on the ``synth_ecp5`` netlist, in seconds instead of
the minutes nextpnr takes, and for every register instead of nextpnr's one critical path.

nextpnr reports only the worst path of a clock; when a design misses its clock by a wide
margin that one path says little about how much of the design is slow.  This estimate
walks Yosys's mapped netlist (the JSON ``synth_ecp5`` writes) and gives every register its
latest arrival, grouped by the register's name, with the path that sets it:

* cell delays are nextpnr's for the LFE5U at speed grade 6, as its critical-path reports
  print them: flip-flop clock-to-output 0.52 ns, LUT4 0.24 ns, PFUMX 0.26, L6MUX21 0.20,
  CCU2C carry input to COUT 0.45 and COUT to COUT 0.07 per cell, to a sum output 0.44,
  DP16KD clock-to-output 5.61 ns without its output register and 0.97 ns with it
  (``REGMODE = "OUTREG"``, as :mod:`snowsim.sim.outreg` sets), MULT18X18D by its register settings
  (speed-6 maxima of prjtrellis-db's ``ECP5/timing/cell_timing_6.html``: no registers, A/B
  to P 3.93 ns; input and output registers, CLK0 to P 0.74 ns and A/B setup 0.08 ns; input
  registers only, CLK0 to P 3.86 ns; output register only, A/B setup 3.49 ns);
* every net costs a fixed ``route_ns`` (1.0 ns by default: the typical hop in nextpnr's
  routed reports of this design, which range from 0.1 to 4 ns);
* paths start at flip-flops, block RAM outputs and registered multipliers; the top's input
  ports are not timed (as nextpnr's out-of-context flow does not time them).

It is an estimate, for ranking: the achieved Fmax comes only from place and route.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RegisterPath", "paths_table", "register_paths"]

_CLK_TO_Q = {"TRELLIS_FF": 0.52, "DP16KD": 5.61, "TRELLIS_DPR16X4": 1.0}
_UNTIMED = -1e9  # arrival of a top-level input: never the latest
_BRAM_OUTREG_NS = 0.97  # DP16KD clock to output with REGMODE = "OUTREG"
#: MULT18X18D timing by (inputs registered, output registered): A/B -> P when neither,
#: else CLK0 -> P (output side) and A/B setup (input side)
_MULT_COMB_NS = 3.93
_MULT_CLK_TO_P = {(True, True): 0.74, (True, False): 3.86, (False, True): 0.74}
_MULT_SETUP = {(True, True): 0.08, (True, False): 0.08, (False, True): 3.49}


def _bram_clk_to_out(cell: dict, pin: str) -> float:
    """Clock to output of a DP16KD data output: its port's REGMODE decides."""
    regmode = str(cell["parameters"].get(f"REGMODE_{pin[2]}", "NOREG")).rstrip()
    return _BRAM_OUTREG_NS if regmode == "OUTREG" else _CLK_TO_Q["DP16KD"]


def _mult_regs(cell: dict) -> tuple[bool, bool]:
    """(A and B registered, P registered) of a MULT18X18D, as nextpnr reads them (one
    input registered alone counts as neither)."""
    params = cell.get("parameters", {})

    def reg(name: str) -> bool:
        return str(params.get(f"REG_{name}_CLK", "NONE")).strip() not in ("NONE", "")

    return reg("INPUTA") and reg("INPUTB"), reg("OUTPUT")


def _mult_data_inputs(cell: dict) -> list[str]:
    return [p for p in cell["port_directions"] if p[0] in "AB" and p[1:].isdigit()]


@dataclass(frozen=True)
class RegisterPath:
    """The latest arrival at one register (or block RAM), and the path that sets it.

    Attributes
    ----------
    register : str
        The register's name in the netlist (its bit index dropped), ``BRAM <cell>`` or
        ``DSP <cell>`` (a multiplier with registers).
    pin : str
        The input the path ends at (``DI``, ``CE``, ``LSR``, a block RAM address...).
    arrival_ns : float
        Estimated delay from the launching clock edge, setup included.
    through : tuple[str, ...]
        Named nets along the path, from the endpoint back towards its start.
    """

    register: str
    pin: str
    arrival_ns: float
    through: tuple[str, ...]


class _Netlist:
    def __init__(self, module: dict, route_ns: float):
        self.cells: dict = module["cells"]
        self.route = route_ns
        self.names: dict[int, str] = {}
        for name, net in module["netnames"].items():
            if net.get("hide_name"):
                continue
            for i, bit in enumerate(net["bits"]):
                if isinstance(bit, int):
                    label = f"{name}[{i}]" if len(net["bits"]) > 1 else name
                    if bit not in self.names or len(label) < len(self.names[bit]):
                        self.names[bit] = label
        self.driver: dict[int, tuple[str, str]] = {}
        for cname, cell in self.cells.items():
            for port, direction in cell["port_directions"].items():
                if direction == "output":
                    for bit in cell["connections"][port]:
                        if isinstance(bit, int):
                            self.driver[bit] = (cname, port)
        self.arrival: dict[int, tuple[float, int | None]] = {}

    def bits(self, cell: dict, ports: Iterable[str]) -> list[int]:
        return [b for p in ports for b in cell["connections"].get(p, []) if isinstance(b, int)]

    def fanin(self, cname: str, port: str) -> list[tuple[int, float]] | None:
        """(input bit, delay from it to ``port``) of a combinational output; None if the
        cell starts paths (or is unknown)."""
        cell = self.cells[cname]
        kind, r = cell["type"], self.route
        if kind == "LUT4":
            return [(b, r + 0.24) for b in self.bits(cell, "ABCD")]
        if kind == "PFUMX":
            return [(b, 0.26) for b in self.bits(cell, ("ALUT", "BLUT"))] + [
                (b, r + 0.26) for b in self.bits(cell, ("C0",))
            ]
        if kind == "L6MUX21":
            return [(b, 0.20) for b in self.bits(cell, ("D0", "D1"))] + [
                (b, r + 0.30) for b in self.bits(cell, ("SD",))
            ]
        if kind == "CCU2C":
            carry = port == "COUT"
            ins = ("A0", "B0", "C0", "D0", "A1", "B1", "C1", "D1")
            return [(b, r + (0.45 if carry else 0.44)) for b in self.bits(cell, ins)] + [
                (b, 0.07 if carry else 0.44) for b in self.bits(cell, ("CIN",))
            ]
        if kind == "MULT18X18D":
            if any(_mult_regs(cell)):
                return None  # P starts paths (registered output, or registered inputs)
            return [(b, r + _MULT_COMB_NS) for b in self.bits(cell, _mult_data_inputs(cell))]
        if kind == "TRELLIS_DPR16X4":  # LUT RAM: asynchronous read
            return [(b, r + 0.5) for b in self.bits(cell, ("RAD",))]
        return None

    def latest(self, bit: int) -> float:
        stack = [bit]
        while stack:
            b = stack[-1]
            if b in self.arrival:
                stack.pop()
                continue
            if b not in self.driver:
                self.arrival[b] = (_UNTIMED, None)
                stack.pop()
                continue
            cname, port = self.driver[b]
            kind = self.cells[cname]["type"]
            fanin = None if kind in ("TRELLIS_FF", "DP16KD") else self.fanin(cname, port)
            if fanin is None:
                start = _CLK_TO_Q.get(kind, _UNTIMED)
                if kind == "DP16KD":
                    start = _bram_clk_to_out(self.cells[cname], port)
                if kind == "MULT18X18D":
                    start = _MULT_CLK_TO_P.get(_mult_regs(self.cells[cname]), _UNTIMED)
                self.arrival[b] = (start, None)
                stack.pop()
                continue
            pending = [i for i, _ in fanin if i not in self.arrival]
            if pending:
                stack.extend(pending)
                continue
            best = max(((self.arrival[i][0] + d, i) for i, d in fanin), default=(_UNTIMED, None))
            self.arrival[b] = (max(best[0], _CLK_TO_Q.get(kind, _UNTIMED)), best[1])
            stack.pop()
        return self.arrival[bit][0]

    def through(self, bit: int | None) -> tuple[str, ...]:
        out: list[str] = []
        while bit is not None:
            name = self.names.get(bit)
            if name:
                base = re.sub(r"\[\d+\]$", "", name)
                if not out or out[-1] != base:
                    out.append(base)
            bit = self.arrival[bit][1]
        return tuple(out)


def register_paths(netlist: Path | dict, top: str, *, route_ns: float = 1.0) -> list[RegisterPath]:
    """Every register group of ``top`` in a ``synth_ecp5`` JSON netlist with its latest
    estimated arrival, slowest first."""
    if route_ns < 0:
        raise ValueError(f"route_ns must be >= 0, not {route_ns!r}")
    data = json.loads(Path(netlist).read_text()) if not isinstance(netlist, dict) else netlist
    if top not in data.get("modules", {}):
        raise ValueError(f"no module {top!r} in the netlist; it has {sorted(data['modules'])}")
    net = _Netlist(data["modules"][top], route_ns)
    worst: dict[str, tuple[float, str, int]] = {}
    for cname, cell in net.cells.items():
        kind = cell["type"]
        if kind == "TRELLIS_FF":
            q = cell["connections"]["Q"][0]
            group = re.sub(r"\[\d+\]$", "", net.names.get(q, cname))
            pins = ("DI", "M", "CE", "LSR")
        elif kind == "DP16KD":
            group = "BRAM " + cname.split("$")[0]
            pins = tuple(
                p for p, d in cell["port_directions"].items() if d == "input" and "CLK" not in p
            )
        elif kind == "MULT18X18D" and any(_mult_regs(cell)):
            group = "DSP " + cname.split("$")[0]
            pins = tuple(_mult_data_inputs(cell))
        else:
            continue
        for pin in pins:
            setup = 0.42 if pin == "LSR" else 0.0  # nextpnr's LSR setup; DI/CE: 0
            if kind == "MULT18X18D":
                setup = _MULT_SETUP[_mult_regs(cell)]
            for b in net.bits(cell, (pin,)):
                t = net.latest(b) + net.route + setup
                if group not in worst or t > worst[group][0]:
                    worst[group] = (t, re.sub(r"\d+$", "", pin) or pin, b)
    rows = [
        RegisterPath(g, pin, round(t, 2), net.through(b))
        for g, (t, pin, b) in worst.items()
        if t > 0
    ]
    return sorted(rows, key=lambda p: (-p.arrival_ns, p.register))


def paths_table(paths: list[RegisterPath], freq_mhz: float, limit: int = 20) -> str:
    """Markdown: how many register groups miss ``freq_mhz`` by this estimate, then the
    ``limit`` slowest with the nets their paths go through."""
    period = 1000.0 / freq_mhz
    late = [p for p in paths if p.arrival_ns > period]
    lines = [
        f"{len(late)} of {len(paths)} register groups over the {period:.2f} ns period "
        f"({freq_mhz:g} MHz) by the netlist estimate (sim/paths.py)",
        "",
        "| estimate (ns) | register | pin | through (endpoint first) |",
        "|---:|---|---|---|",
    ]
    for p in paths[:limit]:
        via = " <- ".join(p.through[1:6]) if len(p.through) > 1 else ""
        lines.append(f"| {p.arrival_ns:.2f} | `{p.register}` | {p.pin} | {via} |")
    return "\n".join(lines)
