"""Put the flip-flops that follow an ECP5 block RAM's read into the block RAM's output register.

Every buffer read of the accelerator is a block-RAM read followed by a register with no enable
and no reset (:mod:`snowsim.hw.read_port`).  The DP16KD has that register inside
(``REGMODE_A/B = "OUTREG"``): used, the word leaves the block 0.94 ns after the clock
instead of 5.57 ns (speed grade 6, prjtrellis-db ``cell_timing_6``).  Vivado and Lattice's
own tools move such a register into the block RAM; Yosys's ``synth_ecp5`` maps the RAM with
``REGMODE = "NOREG"`` and keeps the register in the fabric.  :func:`absorb_output_registers`
makes the move on Yosys's JSON netlist, before nextpnr reads it.

A read port's flip-flops move when every data output of the port that drives anything
drives exactly one load, the data input of a ``TRELLIS_FF`` that

* is clocked by the port's read clock net, on the same edge,
* has no clock enable (``CEMUX = "1"``) and no set/reset (``LSR`` tied to 0),

and the port has ``REGMODE = "NOREG"``, no read reset (``RST`` tied to 0) and a
non-inverted clock.  The port then gets ``REGMODE = "OUTREG"`` with its output clock enable
tied to 1, its outputs drive the flip-flops' nets, and the flip-flops are removed: the same
register, in the block.  A port where any output fails the rule is left alone (the output
register is one setting for the whole port).  In 36-bit pseudo-dual-port mode
(``DATA_WIDTH_A = 36``) both halves' outputs belong to the read port, clocked by ``CLKB``, and
both ``REGMODE`` settings change (nextpnr maps ``PDPW16KD``'s ``REGMODE`` to both).
"""

__all__ = ["absorb_output_registers"]

_CONST = ("0", "1", "x", "z")


def _param_int(value) -> int:
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text, 2) if text and set(text) <= {"0", "1"} else int(text)


def _param_str(value) -> str:
    return str(value).rstrip()  # Yosys pads strings made only of 0s and 1s with a space


def _read_ports(cell: dict) -> list[tuple[tuple[str, ...], str, str, str, tuple[str, ...]]]:
    """(data output prefixes, clock pin, reset pin, clock mux parameter, REGMODE params)
    for each read port of a DP16KD."""
    pdp = _param_int(cell["parameters"].get("DATA_WIDTH_A", 18)) == 36
    if pdp:
        return [(("DOA", "DOB"), "CLKB", "RSTB", "CLKBMUX", ("REGMODE_A", "REGMODE_B"))]
    return [
        (("DOA",), "CLKA", "RSTA", "CLKAMUX", ("REGMODE_A",)),
        (("DOB",), "CLKB", "RSTB", "CLKBMUX", ("REGMODE_B",)),
    ]


def _bit(cell: dict, pin: str):
    bits = cell["connections"].get(pin)
    return bits[0] if bits else None


def absorb_output_registers(netlist: dict, top: str) -> int:
    """Move the registers after DP16KD reads into the DP16KDs (module docstring), in place.

    Parameters
    ----------
    netlist : dict
        Yosys's JSON netlist (``write_json`` / ``synth_ecp5 -json``), flattened.
    top : str
        The module to transform.

    Returns
    -------
    int
        Flip-flops removed (each now a bit of a DP16KD output register).
    """
    modules = netlist["modules"]
    if top not in modules:
        raise KeyError(f"module {top!r} not in the netlist; modules: {', '.join(modules)}")
    cells = modules[top]["cells"]
    # loads of every net bit: (cell, pin) for cell inputs; module outputs count as loads
    loads: dict = {}
    for name, cell in cells.items():
        dirs = cell.get("port_directions", {})
        for pin, bits in cell["connections"].items():
            if dirs.get(pin) == "input":
                for b in bits:
                    if b not in _CONST:
                        loads.setdefault(b, []).append((name, pin))
    for port in modules[top].get("ports", {}).values():
        if port["direction"] != "input":
            for b in port["bits"]:
                loads.setdefault(b, []).append((None, None))

    removed: list[str] = []
    for cell in list(cells.values()):
        if cell["type"] != "DP16KD":
            continue
        params = cell["parameters"]
        for prefixes, clk_pin, rst_pin, clkmux, regmodes in _read_ports(cell):
            if any(_param_str(params.get(r, "NOREG")) != "NOREG" for r in regmodes):
                continue
            if _param_str(params.get(clkmux, clk_pin)) != clk_pin:
                continue
            if _bit(cell, rst_pin) not in (None, "0"):
                continue
            clk = _bit(cell, clk_pin)
            outs = [
                (pin, bits[0])
                for pin, bits in cell["connections"].items()
                if pin.startswith(prefixes) and bits and bits[0] not in _CONST
            ]
            moves = []
            for pin, bit in outs:
                users = loads.get(bit, [])
                if not users:
                    continue  # an unused bit: nothing to move, nothing in the way
                if len(users) != 1 or users[0][1] != "DI":
                    break
                ff = cells[users[0][0]]
                p = ff["parameters"]
                if (
                    ff["type"] != "TRELLIS_FF"
                    or _param_str(p.get("CEMUX", "CE")) != "1"
                    or _param_str(p.get("CLKMUX", "CLK")) != "CLK"
                    or _bit(ff, "LSR") not in (None, "0")
                    or _bit(ff, "CLK") != clk
                ):
                    break
                moves.append((pin, users[0][0]))
            else:
                if not moves:
                    continue
                for pin, ff_name in moves:
                    cell["connections"][pin] = list(cells[ff_name]["connections"]["Q"])
                    del cells[ff_name]
                    removed.append(ff_name)
                for r in regmodes:
                    params[r] = "OUTREG"
                for oce in ("OCEA", "OCEB") if len(prefixes) == 2 else ("OCE" + clk_pin[-1],):
                    cell["connections"][oce] = ["1"]
                    cell.setdefault("port_directions", {})[oce] = "input"
    return len(removed)
