"""SCALE-Sim topology import."""

from pathlib import Path

import pytest

from snowsim.model.layers import Conv2d, Linear
from snowsim.model.scalesim import read_topology

SHIPPED = Path(__file__).resolve().parents[2] / "model" / "networks"


def test_conv_topology():
    layers = read_topology(SHIPPED / "alexnet_scalesim.csv")
    assert [type(x) for x in layers] == [Conv2d] * 5
    assert layers[0].conv_height == 55 and layers[0].out_channels == 64


def test_gemm_topology():
    layers = read_topology(SHIPPED / "seed_gemm.csv")
    assert layers[1] == Linear(name="linear_b4", in_features=1024, out_features=1024, batch=4)


@pytest.mark.parametrize(
    "text, match",
    [
        ("Layer,M,N,K\nfc,1,2\n", r"bad.csv:2: expected 4 columns, found 3"),
        ("Layer,M,N,K\nfc,1,x,3\n", r"bad.csv:2: N must be a positive integer, not 'x'"),
        ("Layer,M,N,K\nfc,1,0,3\n", r"bad.csv:2: N must be a positive integer, not 0"),
        ("a,b,c\n", r"bad.csv:1: unknown header"),
        (
            "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
            "Num Filter, Strides,\nc,8,8,3,2,4,4,1,\n",
            r"bad.csv:2: filter 3x2 is not square",
        ),
        (
            "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
            "Num Filter, Strides,\nc,2,8,3,3,4,4,1,\n",
            r"bad.csv:2: Conv2d: height 2",
        ),
        ("", r"empty topology file"),
    ],
)
def test_malformed_rows_name_file_line_and_value(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_topology(path)


def test_missing_file():
    with pytest.raises(ValueError, match="does not exist"):
        read_topology("/nonexistent.csv")
