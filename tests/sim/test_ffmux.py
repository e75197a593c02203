"""sim/ffmux.py: a flip-flop's PFUMX / L6MUX21 becomes a LUT4 of the same choice, and only
where flip-flop data inputs are all the multiplexer drives."""

import itertools

import pytest

from snowsim.sim.ffmux import MUX_PINS, mux_into_luts


def _mux(name, kind, sel, in0, in1, z):
    s, a0, a1 = MUX_PINS[kind]
    conns = {s: [sel], a0: [in0], a1: [in1], "Z": [z]}
    return name, {
        "type": kind,
        "port_directions": {p: ("output" if p == "Z" else "input") for p in conns},
        "connections": conns,
    }


def _ff(name, d, q):
    return name, {
        "type": "TRELLIS_FF",
        "port_directions": {"CLK": "input", "DI": "input", "Q": "output"},
        "connections": {"CLK": [2], "DI": [d], "Q": [q]},
    }


def _lut(name, a, z):
    return name, {
        "type": "LUT4",
        "parameters": {"INIT": "0" * 16},
        "port_directions": {"A": "input", "B": "input", "C": "input", "D": "input", "Z": "output"},
        "connections": {"A": [a], "B": ["0"], "C": ["0"], "D": ["0"], "Z": [z]},
    }


def _netlist(*cells, outputs=(90,)):
    return {
        "modules": {
            "top": {
                "ports": {"y": {"direction": "output", "bits": list(outputs)}},
                "cells": dict(cells),
                "netnames": {},
            }
        }
    }


def _lut_out(cell, a, b, c, d):
    init = cell["parameters"]["INIT"]  # bit 15 first
    return int(init[15 - (d << 3 | c << 2 | b << 1 | a)])


@pytest.mark.parametrize("kind", sorted(MUX_PINS))
def test_a_flip_flops_multiplexer_becomes_a_lut_of_the_same_choice(kind):
    n = _netlist(_mux("mx", kind, 10, 11, 12, 20), _ff("r", 20, 90))
    assert mux_into_luts(n, "top") == 1
    cells = n["modules"]["top"]["cells"]
    assert "mx" not in cells
    (lut,) = [c for c in cells.values() if c["type"] == "LUT4"]
    conns = lut["connections"]
    assert cells["r"]["connections"]["DI"] == conns["Z"] and conns["Z"][0] not in range(10, 91)
    pins = {p: conns[p][0] for p in "ABCD"}
    # the LUT's output, for every value of the select and the two inputs, is the mux's
    for sel, in0, in1 in itertools.product((0, 1), repeat=3):
        val = {10: sel, 11: in0, 12: in1, "0": 0}
        assert _lut_out(lut, *(val[pins[p]] for p in "ABCD")) == (in1 if sel else in0)


def test_one_lut_per_flip_flop():
    n = _netlist(_mux("mx", "PFUMX", 10, 11, 12, 20), _ff("r0", 20, 90), _ff("r1", 20, 91))
    assert mux_into_luts(n, "top") == 2
    cells = n["modules"]["top"]["cells"]
    d0, d1 = (cells[r]["connections"]["DI"] for r in ("r0", "r1"))
    assert d0 != d1
    assert sorted(c["type"] for c in cells.values()) == ["LUT4", "LUT4", "TRELLIS_FF", "TRELLIS_FF"]


@pytest.mark.parametrize(
    "cells",
    [
        # a LUT reads the output too: the flip-flop's LUT would route the inputs twice
        (_ff("r", 20, 90), _lut("l", 20, 91)),
        # a flip-flop's clock, not its data
        (
            (
                "r",
                {
                    "type": "TRELLIS_FF",
                    "port_directions": {"CLK": "input", "DI": "input"},
                    "connections": {"CLK": [20], "DI": [5]},
                },
            ),
        ),
        # no load at all
        (),
    ],
    ids=["lut-load", "clock-load", "no-load"],
)
def test_a_multiplexer_with_another_load_stays(cells):
    n = _netlist(_mux("mx", "PFUMX", 10, 11, 12, 20), *cells)
    assert mux_into_luts(n, "top") == 0
    assert "mx" in n["modules"]["top"]["cells"]


def test_a_multiplexer_driving_a_module_output_stays():
    n = _netlist(_mux("mx", "PFUMX", 10, 11, 12, 20), _ff("r", 20, 90), outputs=(20,))
    assert mux_into_luts(n, "top") == 0


def test_unknown_module_is_named():
    with pytest.raises(KeyError, match="'nope' not in the netlist; modules: top"):
        mux_into_luts(_netlist(), "nope")
