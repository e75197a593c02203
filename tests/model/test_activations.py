"""Piecewise-linear sigmoid / tanh: the measured error bound, the integer algorithm, edges."""

import math

import numpy as np
import pytest

from snowsim.model.activations import max_error, pwl, sigmoid_q, table, tanh_q
from snowsim.model.config import PRESETS

CFG = PRESETS["tiny"]

# measured over all 65536 Q8.8 inputs (docs/golden.md); the bounds are the measurements
# rounded up in the 4th decimal, so a worse table fails
BOUNDS = {"sigmoid": 0.0059, "tanh": 0.0054}


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_error_bound_over_every_input(name):
    assert max_error(name, CFG) <= BOUNDS[name]


def test_knots_are_rounded_function_values():
    p = pwl("sigmoid", CFG)
    for j, t in enumerate(p.knots):
        v = 1 / (1 + math.exp(-(p.lo + (j << p.fbits)) / 256))
        assert t == math.floor(v * 256 + 0.5)
    assert table("tanh", CFG)[0] == -256 and table("tanh", CFG)[-1] == 256


def test_interpolation_and_saturation_edges():
    p = pwl("tanh", CFG)
    assert tanh_q(p.lo - 1, CFG) == p.knots[0]
    assert tanh_q(-32768, CFG) == p.knots[0]
    assert tanh_q(p.hi, CFG) == p.knots[-1] and tanh_q(32767, CFG) == p.knots[-1]
    assert sigmoid_q(0, CFG) == 128
    # halfway between two knots: floor of the average
    x = p.lo + (3 << p.fbits) + (1 << (p.fbits - 1))
    assert tanh_q(x, CFG) == p.knots[3] + ((p.knots[4] - p.knots[3]) >> 1)


def test_monotonic():
    x = np.arange(-32768, 32768)
    assert (np.diff(sigmoid_q(x, CFG)) >= 0).all()
    assert (np.diff(tanh_q(x, CFG)) >= 0).all()


def test_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation 'relu6'"):
        pwl("relu6", CFG)
