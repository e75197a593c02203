"""AcceleratorConfig: presets, derived numbers, file loading, validation messages."""

import json

import pytest

from snowsim.model.config import PRESETS, AcceleratorConfig, load_config


def test_snowflake_preset_is_the_published_machine():
    c = PRESETS["snowflake"]
    assert (c.n_cu, c.n_vmac, c.n_lanes, c.macs) == (4, 4, 16, 256)
    assert c.peak_ops_per_s == 128e9
    assert c.dram_bytes_per_s == 4e9
    assert sum(c.on_chip_bytes.values()) < 545 * 4608  # XC7Z045 block RAM, bytes


def test_accumulators_cannot_overflow():
    c = PRESETS["tiny"]
    worst = c.max_reduction * (1 << (2 * c.data_bits - 2))  # |-32768 * -32768| per product
    assert worst < 1 << (c.acc_bits - 1)


def test_json_and_toml_files_with_base(tmp_path):
    j = tmp_path / "big.json"
    j.write_text(json.dumps({"base": "tiny", "n_lanes": 8}))
    cfg = load_config(str(j))
    assert cfg.name == "big" and cfg.n_lanes == 8 and cfg.n_cu == PRESETS["tiny"].n_cu
    t = tmp_path / "t.toml"
    t.write_text('base = "snowflake"\nname = "sf2"\nmax_outstanding = 4\n')
    assert load_config(str(t)).max_outstanding == 4


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"n_lanes": 0}, r"n_lanes must be a positive integer, not 0"),
        ({"n_lanes": -4}, r"n_lanes must be a positive integer, not -4"),
        ({"n_cu": 0}, r"n_cu must be a positive integer, not 0"),
        ({"n_vmac": 0}, r"n_vmac must be a positive integer, not 0"),
        ({"n_lanes": 4.0}, r"n_lanes must be a positive integer, not 4.0"),
        ({"n_lanes": 6}, r"n_lanes must be a power of two \(1, 2, 4, ... 64\).*not 6"),
        ({"n_lanes": 12}, r"n_lanes must be a power of two .*not 12"),
        ({"n_lanes": 128}, r"n_lanes <= 64"),
        ({"data_bits": 12}, r"data_bits must be 8 or 16 \(the supported data widths\), not 12"),
        ({"data_bits": 0}, r"data_bits must be 8 or 16 .*, not 0"),
        ({"data_bits": 33}, r"data_bits must be 8 or 16 .*, not 33"),
        ({"data_bits": 64}, r"data_bits must be 8 or 16 .*, not 64"),
        ({"data_bits": 16.0}, r"data_bits must be 8 or 16 .*, not 16.0"),
        ({"frac_bits": 16}, r"frac_bits must be in 0..15 for 16-bit data, not 16"),
        ({"frac_bits": 17}, r"frac_bits must be in 0..15 for 16-bit data, not 17"),
        ({"frac_bits": -1}, r"frac_bits must be in 0..15 for 16-bit data, not -1"),
        (
            {"data_bits": 8, "frac_bits": 8, "n_lanes": 8},
            r"frac_bits must be in 0..7 for 8-bit data, not 8",
        ),
        ({"bus_data_bits": 96}, r"bus_data_bits must be one of 32, 64, 128, 256, not 96"),
        (
            {"n_lanes": 2},
            r"a vMAC word of 2 lanes x 16 bits = 32 bits must be a whole number of "
            r"64-bit bus beats",
        ),
        ({"maps_depth": 1000}, r"maps_depth must be a power of two >= 2"),
        ({"weights_depth": 1}, r"weights_depth must be a power of two >= 2.*not 1"),
        ({"acc_depth": 0}, r"acc_depth must be a power of two >= 2.*not 0"),
        (
            {"maps_depth": 4},
            r"maps_depth 4 is too small for one trace: each ping-pong half needs at least "
            r"one 4-element bus beat, so maps_depth >= 8",
        ),
        (
            {"vector_depth": 4},
            r"vector_depth 4 is too small for one trace: each ping-pong half needs the 4 "
            r"words \(n_cu x n_vmac\) one pixel step drains, so vector_depth >= 8",
        ),
        ({"bias_depth": 512}, r"bias_depth 512 is larger than MAC.bias_addr \(8 bits\)"),
        ({"acc_depth": 8192}, r"acc_depth 8192 is larger than MAC.acc_addr \(12 bits\)"),
        ({"maps_depth": 1 << 17}, r"maps_depth 131072 is larger .* at most 65536"),
        (
            {"n_vmac": 16, "n_lanes": 64, "bus_data_bits": 256, "weights_depth": 1 << 15},
            r"the WEIGHTS buffer space of 16 vMACs x weights_depth 32768 x 64 elements = "
            r"33554432 exceeds the 24-bit DMA buf_addr",
        ),
        ({"max_burst_beats": 0}, r"max_burst_beats must be in 1..256, not 0"),
        ({"max_burst_beats": "16"}, r"max_burst_beats must be in 1..256, not '16'"),
        ({"max_burst_beats": 600}, r"max_burst_beats must be in 1..256, not 600"),
        (
            {"max_burst_beats": 256, "bus_data_bits": 256, "n_lanes": 16},
            r"exceeds the 4 KiB an AXI4 burst may cover",
        ),
        ({"mem_latency": -1}, r"mem_latency must be in 0..1000 cycles, not -1"),
        ({"max_outstanding": 65}, r"max_outstanding must be in 1..64 .*, not 65"),
    ],
)
def test_bad_configs_name_the_value(changes, match):
    with pytest.raises(ValueError, match=match):
        PRESETS["tiny"].replace(**changes)


def test_smallest_valid_buffers_are_accepted():
    # each ping-pong half holds exactly one trace
    c = PRESETS["tiny"].replace(
        maps_depth=8, weights_depth=2, bias_depth=2, acc_depth=2, vector_depth=8
    )
    assert c.maps_depth == 2 * c.bus_elems and c.vector_depth == 2 * c.n_cu * c.n_vmac


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_and_any_power_of_two_lanes_are_valid(name):
    base = PRESETS[name]
    for lanes in (4, 8, 16, 32, 64):
        if lanes * base.data_bits >= base.bus_data_bits:
            assert base.replace(n_lanes=lanes).n_lanes == lanes


def test_bad_names_and_files(tmp_path):
    with pytest.raises(
        ValueError, match="unknown config 'huge'; valid presets: tiny, ecp5, snowflake"
    ):
        load_config("huge")
    bad = tmp_path / "x.json"
    bad.write_text('{"n_lanes": 4, "colour": 1}')
    with pytest.raises(ValueError, match=r"unknown config field.*'colour'"):
        load_config(str(bad))
    broken = tmp_path / "y.json"
    broken.write_text("{")
    with pytest.raises(ValueError, match="is not valid"):
        load_config(str(broken))
    with pytest.raises(ValueError, match="does not exist"):
        AcceleratorConfig.from_file(tmp_path / "none.toml")
