"""The fixed-point golden model against float (PyTorch's equations) and its edge cases."""

import numpy as np
import pytest

from snowsim.model import golden
from snowsim.model.config import PRESETS
from snowsim.model.fixedpoint import requant
from snowsim.model.layers import GRU, Conv2d, Linear, MaxPool2d
from snowsim.model.workload import random_tensors

CFG = PRESETS["tiny"]
ONE = 256.0

# measured maximum |fixed - float| in real units on these workloads (docs/golden.md)
LINEAR_BOUND = 0.5 / 256  # one rounding of the exact sum: at most half an LSB
CONV_BOUND = 0.5 / 256
GRU_BOUND = 0.015  # measured 0.0088 over 20 seeds x 6 steps; activations add ~0.006


def test_linear_within_one_lsb_of_float():
    layer = Linear(in_features=200, out_features=30, batch=4)
    t = random_tensors(layer, CFG, 3)
    q = golden.linear(t["input"], t["weight"], t["bias"], CFG) / ONE
    f = golden.linear_f(t["input"] / ONE, t["weight"] / ONE, t["bias"] / ONE)
    assert np.max(np.abs(q - f)) <= LINEAR_BOUND


def test_conv_pool_relu_within_one_lsb_of_float():
    layer = Conv2d(
        in_channels=6,
        out_channels=5,
        kernel_size=3,
        padding=1,
        height=9,
        width=9,
        relu=True,
        pool=MaxPool2d(3, 2),
    )
    t = random_tensors(layer, CFG, 4)
    kw = dict(stride=1, padding=1, relu=True, pool_kernel=3, pool_stride=2)
    q = golden.conv2d(t["input"], t["weight"], t["bias"], CFG, **kw) / ONE
    f = golden.conv2d_f(t["input"] / ONE, t["weight"] / ONE, t["bias"] / ONE, **kw)
    assert q.shape == f.shape == (5, 4, 4)
    assert np.max(np.abs(q - f)) <= CONV_BOUND


def test_gru_tracks_float_over_steps():
    layer = GRU(input_size=24, hidden_size=32, steps=6, batch=2)
    t = random_tensors(layer, CFG, 5)
    q = (
        golden.gru(
            t["input"], t["h0"], t["weight_ih"], t["weight_hh"], t["bias_ih"], t["bias_hh"], CFG
        )
        / ONE
    )
    f = golden.gru_f(
        *(t[k] / ONE for k in ("input", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    )
    assert q.shape == f.shape == (6, 2, 32)
    assert np.max(np.abs(q - f)) <= GRU_BOUND


def test_requant_rounds_half_up_and_saturates():
    assert requant(128, 8) == 1 and requant(127, 8) == 0
    assert requant(-128, 8) == 0 and requant(-129, 8) == -1
    assert requant((1 << 40), 8) == 32767 and requant(-(1 << 40), 8) == -32768


def test_most_negative_operands_do_not_overflow():
    x = np.full((1, 4), -32768)
    w = np.full((2, 4), -32768)
    y = golden.linear(x, w, np.zeros(2, dtype=np.int64), CFG)
    assert (y == 32767).all()  # 4 * 2**30 >> 8 saturates, it does not wrap


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"bias has shape \(3,\), expected \(2,\)"):
        golden.linear(np.zeros((1, 4)), np.zeros((2, 4)), np.zeros(3), CFG)
    with pytest.raises(ValueError, match=r"weight has shape \(2, 3, 3, 3\), expected Cout x 4"):
        golden.conv2d(np.zeros((4, 5, 5)), np.zeros((2, 3, 3, 3)), np.zeros(2), CFG)
