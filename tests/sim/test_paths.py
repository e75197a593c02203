"""The netlist delay estimate (sim/paths.py) on hand-built synth_ecp5 netlists."""

import pytest

from snowsim.sim.paths import paths_table, register_paths


def _ff(d, q, port="DI"):
    return {
        "type": "TRELLIS_FF",
        "port_directions": {"CLK": "input", port: "input", "Q": "output"},
        "connections": {"CLK": [1], port: [d], "Q": [q]},
    }


def _lut(ins, out):
    return {
        "type": "LUT4",
        "port_directions": {"A": "input", "B": "input", "C": "input", "D": "input", "Z": "output"},
        "connections": {"A": [ins[0]], "B": [ins[1]], "C": ["0"], "D": ["0"], "Z": [out]},
    }


def _ccu(a, cin, s, cout):
    dirs = {p: "input" for p in ("A0", "B0", "C0", "D0", "A1", "B1", "C1", "D1", "CIN")}
    dirs.update(S0="output", S1="output", COUT="output")
    conn = {p: ["0"] for p in dirs}
    conn.update(A0=[a], CIN=[cin], S0=[s], S1=[90 + s], COUT=[cout])
    return {"type": "CCU2C", "port_directions": dirs, "connections": conn}


def _netlist():
    cells = {
        "a": _ff(2, 10),  # the source register a (its D from the input port 2)
        "b": _ff(11, 20),  # a -> LUT -> b
        "lut1": _lut((10, 10), 11),
        "c0": _ccu(10, "0", 30, 31),  # a -> carry cell -> carry cell's sum -> c
        "c1": _ccu("0", 31, 32, 33),
        "c": _ff(32, 40),
        "lut2": _lut((2, 2), 50),  # the top's input 2 -> LUT -> d: not timed
        "d": _ff(50, 60),
        "e": _ff(11, 70, port="LSR"),  # LSR: setup 0.42
    }
    names = {
        "in_port": {"bits": [2]},
        "a": {"bits": [10]},
        "b": {"bits": [20]},
        "c": {"bits": [40]},
        "d": {"bits": [60]},
        "e": {"bits": [70]},
        "mid": {"bits": [11]},
        "tmp": {"bits": [31], "hide_name": 1},
    }
    return {"modules": {"top": {"cells": cells, "netnames": names}}}


def test_arrivals_follow_the_delay_table():
    got = {p.register: p for p in register_paths(_netlist(), "top", route_ns=1.0)}
    # clk-to-q 0.52, route 1 + LUT 0.24, route 1 into the register
    assert got["b"].arrival_ns == pytest.approx(0.52 + 1.24 + 1.0)
    assert got["b"].through == ("mid", "a")
    # route 1 + carry in to COUT 0.45, CIN to S 0.44, route 1
    assert got["c"].arrival_ns == pytest.approx(0.52 + 1.45 + 0.44 + 1.0)
    assert got["e"].arrival_ns == pytest.approx(0.52 + 1.24 + 1.0 + 0.42)
    assert got["e"].pin == "LSR"
    # a path from the top's input port is not timed (as nextpnr out of context)
    assert "d" not in got and "a" not in got
    assert [p.register for p in register_paths(_netlist(), "top")] == ["c", "e", "b"]


def test_route_delay_scales_every_net():
    slow = {p.register: p.arrival_ns for p in register_paths(_netlist(), "top", route_ns=2.0)}
    assert slow["b"] == pytest.approx(0.52 + 2.24 + 2.0)


def test_table_counts_the_groups_over_the_period():
    paths = register_paths(_netlist(), "top")
    # c 3.41, e 3.18, b 2.76: at 320 MHz (3.125 ns) two are over
    table = paths_table(paths, 320.0, limit=2)
    assert table.startswith("2 of 3 register groups over the 3.12 ns period (320 MHz)")
    assert "| 3.41 | `c` | DI |" in table
    assert "| 3.18 | `e` | LSR | a |" in table
    assert "`b`" not in table  # limit=2


def _mult(a, p, regs: dict[str, str]):
    dirs = {"A0": "input", "B0": "input", "CLK0": "input", "P0": "output"}
    conn = {"A0": [a], "B0": ["0"], "CLK0": [1], "P0": [p]}
    return {"type": "MULT18X18D", "parameters": regs, "port_directions": dirs, "connections": conn}


@pytest.mark.parametrize(
    "regs, to_dsp, from_dsp",
    [
        # no registers: a -> route -> A to P 3.93 -> route -> q
        ({}, None, 0.52 + 1.0 + 3.93 + 1.0),
        # input and output registers (hw/multiplier.py's ECP5 form): the block is a register
        (
            {"REG_INPUTA_CLK": "CLK0", "REG_INPUTB_CLK": "CLK0", "REG_OUTPUT_CLK": "CLK0"},
            0.52 + 1.0 + 0.08,
            0.74 + 1.0,
        ),
        # output register only: A/B setup 3.49
        ({"REG_OUTPUT_CLK": "CLK0"}, 0.52 + 1.0 + 3.49, 0.74 + 1.0),
        # inputs registered only: CLK0 to P 3.86
        (
            {"REG_INPUTA_CLK": "CLK0", "REG_INPUTB_CLK": "CLK0", "REG_OUTPUT_CLK": "NONE"},
            0.52 + 1.0 + 0.08,
            3.86 + 1.0,
        ),
    ],
)
def test_multiplier_timing_follows_its_registers(regs, to_dsp, from_dsp):
    cells = {"a": _ff(2, 10), "m": _mult(10, 20, regs), "q": _ff(20, 30)}
    names = {"a": {"bits": [10]}, "prod": {"bits": [20]}, "q": {"bits": [30]}}
    got = {
        p.register: p.arrival_ns
        for p in register_paths({"modules": {"top": {"cells": cells, "netnames": names}}}, "top")
    }
    assert got["q"] == pytest.approx(from_dsp)
    if to_dsp is None:
        assert "DSP m" not in got
    else:
        assert got["DSP m"] == pytest.approx(to_dsp)


@pytest.mark.parametrize("regmode, clk_to_out", [("NOREG", 5.61), ("OUTREG", 0.97)])
def test_block_ram_output_timing_follows_its_register(regmode, clk_to_out):
    ram = {
        "type": "DP16KD",
        "parameters": {"REGMODE_A": regmode, "REGMODE_B": "NOREG"},
        "port_directions": {"CLKA": "input", "DOA0": "output", "DOB0": "output"},
        "connections": {"CLKA": [1], "DOA0": [10], "DOB0": [11]},
    }
    cells = {"ram": ram, "qa": _ff(10, 20), "qb": _ff(11, 21)}
    names = {"qa": {"bits": [20]}, "qb": {"bits": [21]}}
    got = {
        p.register: p.arrival_ns
        for p in register_paths({"modules": {"top": {"cells": cells, "netnames": names}}}, "top")
    }
    assert got["qa"] == pytest.approx(clk_to_out + 1.0)
    assert got["qb"] == pytest.approx(5.61 + 1.0)  # port B keeps no output register


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"no module 'nope'.*'top'"):
        register_paths(_netlist(), "nope")
    with pytest.raises(ValueError, match="route_ns must be >= 0, not -1"):
        register_paths(_netlist(), "top", route_ns=-1)
