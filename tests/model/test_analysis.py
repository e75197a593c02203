"""Roofline analysis and band-tiled traffic."""

import pytest

from snowsim.model.analysis import Machine, analyze
from snowsim.model.config import PRESETS
from snowsim.model.layers import Conv2d, Linear
from snowsim.model.traffic import Buffers, Tiling, choose_tiling, traffic


def test_machine_from_config_and_roofline_min():
    m = Machine.from_config("snowflake")
    assert m.peak_ops_per_s == 128e9 and m.dram_bytes_per_s == 4e9
    lin = analyze(Linear(in_features=512, out_features=512), m)
    assert lin.attainable_ops_per_s == pytest.approx(lin.arithmetic_intensity * 4e9)
    conv = analyze(
        Conv2d(in_channels=64, out_channels=64, kernel_size=3, padding=1, height=32, width=32), m
    )
    assert conv.attainable_ops_per_s == 128e9 and conv.efficiency == 1.0
    assert conv.bound == "compute" and lin.bound == "memory"


def test_counts_are_integers_in_the_json():
    d = analyze(Linear(in_features=5, out_features=3), PRESETS["tiny"]).to_dict()
    for key in ("macs", "ops", "weight_bytes", "input_bytes", "output_bytes", "min_traffic_bytes"):
        assert isinstance(d[key], int), key


def test_data_bits_scale_bytes_not_ops():
    layer = Linear(in_features=64, out_features=64, bias=False)
    a16, a8 = analyze(layer, "tiny", 16), analyze(layer, "tiny", 8)
    assert a8.weight_bytes * 2 == a16.weight_bytes and a8.ops == a16.ops
    with pytest.raises(ValueError, match="data_bits must be 4, 8, 16 or 32, not 12"):
        analyze(layer, "tiny", 12)


def test_machine_validation():
    with pytest.raises(ValueError, match="peak_ops_per_s must be positive, not 0"):
        Machine(0, 1)


def test_weights_fetched_once_when_they_fit():
    conv = Conv2d(
        in_channels=16, out_channels=16, kernel_size=3, padding=1, height=20, width=20, bias=False
    )
    t = traffic(conv, Buffers(maps_bytes=4096, weights_bytes=1 << 20))
    assert t.weight_fetches == 1
    assert t.input_fetches > 1  # halo rows are loaded by two bands


def test_choose_tiling_fills_the_maps_buffer():
    conv = Conv2d(in_channels=8, out_channels=8, kernel_size=3, padding=1, height=10, width=10)
    row = 12 * 8 * 2
    tiling = choose_tiling(conv, Buffers(maps_bytes=6 * row, weights_bytes=64))
    assert max(tiling.band_rows) == 4 and sum(tiling.band_rows) == 10
    with pytest.raises(ValueError, match="more than the maps buffer's"):
        choose_tiling(conv, Buffers(maps_bytes=row, weights_bytes=64))
    with pytest.raises(ValueError, match=r"bands \(3,\) cover 3 rows; the layer has 10"):
        traffic(conv, Buffers(4096, 64), Tiling((3,)))
