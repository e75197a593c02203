"""Layer shapes, counts and validation messages."""

import pytest

from snowsim.model.layers import GRU, Conv2d, Linear, MaxPool2d, layer_from_dict


def test_conv_shapes_and_counts_alexnet_conv1():
    c = Conv2d(
        in_channels=3,
        out_channels=64,
        kernel_size=11,
        stride=4,
        padding=2,
        height=224,
        width=224,
        relu=True,
        pool=MaxPool2d(3, 2),
    )
    assert (c.conv_height, c.conv_width) == (55, 55)
    assert (c.out_height, c.out_width) == (27, 27)
    assert c.macs == 55 * 55 * 64 * 363
    assert c.output_elems == 64 * 27 * 27
    assert c.weight_elems == 64 * 363 + 64


def test_gru_counts():
    g = GRU(input_size=10, hidden_size=20, steps=3, batch=2)
    assert g.step_macs == 2 * 3 * 20 * 30
    assert g.macs == 3 * g.step_macs
    assert g.weight_elems == 3 * 20 * 30 + 6 * 20
    assert g.output_elems == 3 * 2 * 20


@pytest.mark.parametrize(
    "layer",
    [
        Linear(in_features=3, out_features=5, batch=7),
        Conv2d(
            in_channels=2,
            out_channels=3,
            kernel_size=3,
            padding=1,
            height=6,
            width=7,
            relu=True,
            pool=MaxPool2d(2),
        ),
        GRU(input_size=4, hidden_size=6, steps=2),
    ],
)
def test_dict_round_trip(layer):
    assert layer_from_dict(layer.to_dict()) == layer


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: Linear(in_features=0, out_features=3),
            r"Linear: in_features must be an integer "
            r">= 1, not 0",
        ),
        (lambda: Linear(in_features=3, out_features=2.5), r"out_features .* not 2.5"),
        (lambda: Conv2d(kernel_size=3, padding=3), r"padding 3 must be smaller than kernel_size 3"),
        (lambda: Conv2d(kernel_size=5, height=3, width=8), r"height 3 with padding 0 is smaller"),
        (
            lambda: Conv2d(kernel_size=3, height=4, width=4, pool=MaxPool2d(3)),
            r"convolution output height 2 is smaller than the pooling kernel 3",
        ),
        (lambda: MaxPool2d(4), r"kernel_size must be 2 or 3, not 4"),
        (lambda: MaxPool2d(2, 5), r"stride must be 1, 2 or 3, not 5"),
        (lambda: GRU(hidden_size=-1), r"GRU: hidden_size must be an integer >= 1, not -1"),
        (lambda: layer_from_dict({"type": "lstm"}), r"unknown layer type 'lstm'"),
    ],
)
def test_invalid_parameters_name_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make()
