"""sim/outreg.py: the registers after DP16KD reads move into the DP16KD, and only those."""

import copy

import pytest

from snowsim.sim.outreg import absorb_output_registers


def _bram(name, *, width=18, dout=(10, 11), clk=2, clkb=None, rst="0"):
    """A DP16KD whose port A outputs drive nets ``dout`` (PDP: DOA and DOB halves)."""
    conns = {"CLKA": [clk], "CLKB": [clkb or clk], "RSTA": [rst], "RSTB": ["0"], "OCEA": ["0"]}
    dirs = {p: "input" for p in conns}
    for i, bit in enumerate(dout):
        pin = f"DOA{i}" if width != 36 or i < 18 else f"DOB{i - 18}"
        conns[pin] = [bit]
        dirs[pin] = "output"
    params = {
        "DATA_WIDTH_A": format(width, "032b"),
        "DATA_WIDTH_B": format(width, "032b"),
        "REGMODE_A": "NOREG",
        "REGMODE_B": "NOREG",
        "CLKAMUX": "CLKA",
        "CLKBMUX": "CLKB",
    }
    return name, {
        "type": "DP16KD",
        "parameters": params,
        "port_directions": dirs,
        "connections": conns,
    }


def _ff(name, d, q, *, clk=2, cemux="1", lsr="0"):
    return name, {
        "type": "TRELLIS_FF",
        "parameters": {"CEMUX": cemux, "CLKMUX": "CLK", "LSRMUX": "LSR", "REGSET": "RESET"},
        "port_directions": {"CLK": "input", "DI": "input", "LSR": "input", "Q": "output"},
        "connections": {"CLK": [clk], "DI": [d], "LSR": [lsr], "Q": [q]},
    }


def _netlist(*cells, outputs=(20, 21)):
    return {
        "modules": {
            "top": {
                "ports": {"y": {"direction": "output", "bits": list(outputs)}},
                "cells": dict(cells),
            }
        }
    }


def test_registers_after_a_read_move_into_the_block():
    n = _netlist(_bram("ram"), _ff("r0", 10, 20), _ff("r1", 11, 21))
    assert absorb_output_registers(n, "top") == 2
    cells = n["modules"]["top"]["cells"]
    assert set(cells) == {"ram"}
    ram = cells["ram"]
    assert ram["parameters"]["REGMODE_A"] == "OUTREG"
    assert ram["parameters"]["REGMODE_B"] == "NOREG"  # port B reads nothing
    assert ram["connections"]["DOA0"] == [20] and ram["connections"]["DOA1"] == [21]
    assert ram["connections"]["OCEA"] == ["1"]


def test_outputs_that_drive_nothing_do_not_stop_the_move():
    # DOA2 is connected to a net nothing reads (a width that does not fill the block)
    n = _netlist(_bram("ram", dout=(10, 11, 12)), _ff("r0", 10, 20), _ff("r1", 11, 21))
    assert absorb_output_registers(n, "top") == 2
    ram = n["modules"]["top"]["cells"]["ram"]
    assert ram["parameters"]["REGMODE_A"] == "OUTREG"
    assert ram["connections"]["DOA2"] == [12]


def test_pseudo_dual_port_moves_both_halves_on_the_read_clock():
    bits = list(range(100, 136))
    ffs = [_ff(f"r{i}", b, 200 + i, clk=3) for i, b in enumerate(bits)]
    n = _netlist(_bram("ram", width=36, dout=bits, clk=2, clkb=3), *ffs)
    assert absorb_output_registers(n, "top") == 36
    ram = n["modules"]["top"]["cells"]["ram"]
    assert ram["parameters"]["REGMODE_A"] == ram["parameters"]["REGMODE_B"] == "OUTREG"
    assert ram["connections"]["DOB17"] == [235]
    assert ram["connections"]["OCEB"] == ["1"]


@pytest.mark.parametrize(
    "why, cells",
    [
        ("clock enable", [_ff("r0", 10, 20), _ff("r1", 11, 21, cemux="CE")]),
        ("reset", [_ff("r0", 10, 20), _ff("r1", 11, 21, lsr=7)]),
        ("other clock", [_ff("r0", 10, 20), _ff("r1", 11, 21, clk=5)]),
        ("second load", [_ff("r0", 10, 20), _ff("r1", 11, 21), _ff("r2", 11, 22)]),
        ("logic load", [_ff("r0", 10, 20)]),  # DOA1 drives a module output directly
    ],
)
def test_a_port_with_any_output_not_a_plain_register_is_left_alone(why, cells):
    n = _netlist(_bram("ram"), *cells, outputs=(20, 11) if why == "logic load" else (20, 21))
    before = copy.deepcopy(n)
    assert absorb_output_registers(n, "top") == 0, why
    assert n == before, why


def test_a_port_with_a_read_reset_or_an_output_register_is_left_alone():
    for bram in (_bram("ram", rst=9),):
        n = _netlist(bram, _ff("r0", 10, 20), _ff("r1", 11, 21))
        assert absorb_output_registers(n, "top") == 0
    name, cell = _bram("ram")
    cell["parameters"]["REGMODE_A"] = "OUTREG"
    n = _netlist((name, cell), _ff("r0", 10, 20), _ff("r1", 11, 21))
    assert absorb_output_registers(n, "top") == 0


def test_unknown_module_is_named():
    with pytest.raises(KeyError, match="module 'nope' not in the netlist; modules: top"):
        absorb_output_registers(_netlist(), "nope")


def test_yosys_maps_each_registered_read_into_the_block_ram(tmp_path):
    """Yosys's synth_ecp5 on RegisteredReadPort memories (seconds): in a true-dual-port
    1K x 18 mapping and in a 36-bit pseudo-dual-port one, every register after a read ends
    up in a DP16KD output register and none stays in the fabric."""
    import json

    from amaranth import Module
    from amaranth.back import verilog
    from amaranth.hdl import MemoryData
    from amaranth.lib import wiring
    from amaranth.lib.memory import Memory
    from amaranth.lib.wiring import In, Out

    from snowsim.hw.collisions import NO_RW_CHECK
    from snowsim.hw.read_port import RegisteredReadPort
    from snowsim.sim.runner import _prepare_env
    from snowsim.sim.synth import synthesize

    shapes = {"deep": (1024, 36), "wide": (256, 72)}

    class Rams(wiring.Component):
        def __init__(self):
            ports = {}
            for n, (depth, width) in shapes.items():
                ports |= {
                    f"{n}_we": In(1),
                    f"{n}_waddr": In(range(depth)),
                    f"{n}_wdata": In(width),
                    f"{n}_raddr": In(range(depth)),
                    f"{n}_rdata": Out(width),
                }
            super().__init__(ports)

        def elaborate(self, platform):
            m = Module()
            for n, (depth, width) in shapes.items():
                data = MemoryData(shape=width, depth=depth, init=[])
                m.submodules[n] = mem = Memory(data=data, attrs=NO_RW_CHECK)
                wp, rp = mem.write_port(), RegisteredReadPort(m, mem, n)
                m.d.comb += [
                    wp.en.eq(getattr(self, f"{n}_we")),
                    wp.addr.eq(getattr(self, f"{n}_waddr")),
                    wp.data.eq(getattr(self, f"{n}_wdata")),
                    rp.addr.eq(getattr(self, f"{n}_raddr")),
                    rp.en.eq(1),
                    getattr(self, f"{n}_rdata").eq(rp.data),
                ]
            return m

    _prepare_env()
    v = tmp_path / "rams.v"
    v.write_text(verilog.convert(Rams(), name="rams", emit_src=False))
    r = synthesize(v, "rams", "ecp5", tmp_path / "work", place_and_route=False)
    assert r.outreg_ffs == 36 + 72 and r.ffs == 0
    netlist = json.loads((tmp_path / "work" / "rams.json").read_text())
    cells = netlist["modules"]["rams"]["cells"].values()
    brams = [c for c in cells if c["type"] == "DP16KD"]
    assert len(brams) == 4 and not [c for c in cells if c["type"] == "TRELLIS_FF"]
    for c in brams:
        assert "OUTREG" in (c["parameters"]["REGMODE_A"], c["parameters"]["REGMODE_B"])
