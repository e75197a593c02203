"""Re-express the wide-LUT multiplexer in front of an ECP5 flip-flop as a LUT4 of its own.

Yosys maps a function of five to seven inputs onto LUT4s joined by a ``PFUMX`` (and an
``L6MUX21`` above two of those).  nextpnr-ecp5 (0.11.1, ``pack_ffs``) puts a flip-flop in
its driver's slice, on the direct ``F`` -> ``DI`` connection, only when the driver is a
LUT's ``F`` output; a flip-flop behind a ``PFUMX`` or ``L6MUX21`` takes its data over
general routing into its ``M`` input (the silicon could take the multiplexer's output on
``DI``: the tile's ``F0`` mux selects ``F5A_SLICE``, prjtrellis-db ``PLC2``; nextpnr's
packer does not use it).  :func:`mux_into_luts` replaces such a multiplexer, when flip-flop
data inputs are all it drives, by one LUT4 per flip-flop computing the same choice of the
multiplexer's two inputs: the flip-flop then pairs with that LUT, and the route moves to
the multiplexer's inputs.
"""

__all__ = ["MUX_PINS", "mux_into_luts"]

#: Each multiplexer's (select, input chosen by 0, input chosen by 1) pins:
#: ``PFUMX``: ``Z = C0 ? ALUT : BLUT``; ``L6MUX21``: ``Z = SD ? D1 : D0`` (Yosys cells_sim).
MUX_PINS = {"PFUMX": ("C0", "BLUT", "ALUT"), "L6MUX21": ("SD", "D0", "D1")}

# LUT4 INIT for Z = B ? D : C (A unused), as Yosys writes it: bit 15 first, bit i is the
# output for D C B A = i
_MUX_INIT = "".join(str((i >> 3) & 1 if (i >> 1) & 1 else (i >> 2) & 1) for i in range(15, -1, -1))


def mux_into_luts(netlist: dict, top: str) -> int:
    """Replace every ``PFUMX`` / ``L6MUX21`` that drives only flip-flops' ``DI`` by a LUT4
    per flip-flop (module docstring), in place.

    Parameters
    ----------
    netlist : dict
        Yosys's JSON netlist (``synth_ecp5 -json``), flattened.
    top : str
        The module to transform.

    Returns
    -------
    int
        Flip-flops whose data input is now a LUT4's output.
    """
    modules = netlist["modules"]
    if top not in modules:
        raise KeyError(f"module {top!r} not in the netlist; modules: {', '.join(modules)}")
    module = modules[top]
    cells = module["cells"]
    loads: dict = {}
    bits = [0]
    for name, cell in cells.items():
        dirs = cell.get("port_directions", {})
        for pin, conn in cell["connections"].items():
            for b in conn:
                if isinstance(b, int):
                    bits.append(b)
                    if dirs.get(pin) == "input":
                        loads.setdefault(b, []).append((name, pin))
    outputs = {b for p in module.get("ports", {}).values() for b in p["bits"]}
    next_bit = max(bits) + 1
    moved = 0
    for name in [n for n, c in cells.items() if c["type"] in MUX_PINS]:
        cell = cells[name]
        sel, in0, in1 = (cell["connections"][p][0] for p in MUX_PINS[cell["type"]])
        z = cell["connections"]["Z"][0]
        users = [u for u in loads.get(z, []) if u[0] in cells]
        if (
            not users
            or z in outputs
            or any(cells[c]["type"] != "TRELLIS_FF" or pin != "DI" for c, pin in users)
        ):
            continue
        for k, (ff, _) in enumerate(users):
            lut = f"{name}_ff_lut{k}"
            cells[lut] = {
                "hide_name": 1,
                "type": "LUT4",
                "parameters": {"INIT": _MUX_INIT},
                "attributes": {},
                "port_directions": {p: "input" for p in "ABCD"} | {"Z": "output"},
                "connections": {"A": ["0"], "B": [sel], "C": [in0], "D": [in1], "Z": [next_bit]},
            }
            module.setdefault("netnames", {})[lut + "_Z"] = {
                "hide_name": 1,
                "bits": [next_bit],
                "attributes": {},
            }
            cells[ff]["connections"]["DI"] = [next_bit]
            next_bit += 1
            moved += 1
        del cells[name]
    return moved
