"""The seed's three examples, computed by the model and asserted exactly (docs/seed.md)."""

import pytest

from snowsim.model.analysis import SNOWFLAKE_2017, Machine, analyze, analyze_gru_step
from snowsim.model.layers import GRU, Conv2d, Linear
from snowsim.model.networks import get_network
from snowsim.model.traffic import Buffers, Tiling, traffic

T = 128e9  # the seed's 128 G-ops/s system


@pytest.mark.parametrize("m", [400, 1024, 4096])
def test_linear_batch1_needs_bw_equal_to_t(m):
    a = analyze(Linear(in_features=m, out_features=m, bias=False), Machine(T, 4.2e9))
    assert a.weight_bytes == 2 * m * m  # b*M^2/8 with b = 16
    assert a.ops == 2 * m * m
    assert a.weight_bandwidth_bytes_per_s == T  # "BW = T" (16-bit: one byte per op)
    assert a.bound == "memory"


@pytest.mark.parametrize("batch", [1, 2, 4, 16, 64])
def test_linear_batch_b_needs_t_over_b(batch):
    a = analyze(
        Linear(in_features=1024, out_features=1024, batch=batch, bias=False), Machine(T, 4.2e9)
    )
    assert a.weight_bandwidth_bytes_per_s == T / batch


def test_seed_conv_13x13_192_to_192():
    layer = Conv2d(
        in_channels=192, out_channels=192, kernel_size=3, padding=1, height=13, width=13, bias=False
    )
    a = analyze(layer, Machine(T, 4.2e9))
    assert layer.weight_elems == 3 * 3 * 192 * 192 == 331_776
    assert a.weight_bytes == 663_552  # 0.66 MB, not the blog's "~4 MB"
    assert a.input_bytes == 64_896  # 13*13*192*2: the blog's "~0.1 MB"
    assert a.ops == 112_140_288  # 112.1 M-ops
    assert a.time_s == pytest.approx(0.876096e-3, rel=1e-12)  # at 128 G-ops/s
    # moving every datum once at full speed needs ~0.9 GB/s, not 3.2 GB/s
    once = (a.weight_bytes + a.input_bytes + a.output_bytes) / a.time_s
    assert once == pytest.approx(0.905545e9, rel=1e-5)
    assert a.bandwidth_needed_bytes_per_s == pytest.approx(once)
    assert a.bound == "compute"


def test_real_alexnet_conv3_weights_refetched_three_times_make_4mb():
    conv3 = Conv2d(
        in_channels=192, out_channels=384, kernel_size=3, padding=1, height=13, width=13, bias=False
    )
    assert conv3.weight_elems * 2 == 1_327_104  # 1.33 MB
    t = traffic(conv3, Buffers(maps_bytes=48 * 1024, weights_bytes=512 * 1024), Tiling((5, 4, 4)))
    assert t.weight_fetches == 3
    assert t.weight_bytes == 3 * 1_327_104  # 3.98 MB: Snowflake measured ~3.9-4 MB


def test_seed_rnn_gru_400_per_timestep():
    layer = GRU(input_size=400, hidden_size=400, bias=False)
    a = analyze_gru_step(layer, SNOWFLAKE_2017)
    assert layer.weight_elems == 960_000  # 3 gates x (400x400 + 400x400)
    assert a.weight_bytes == 1_920_000  # 1.92 MB per layer per timestep
    assert a.ops == 1_920_000
    assert a.weight_bandwidth_bytes_per_s == SNOWFLAKE_2017.peak_ops_per_s  # 1 op/byte
    assert a.bound == "memory"
    net = get_network("seed-rnn")
    assert len(net.layers) == 4
    assert all(g.hidden_size == 400 for g in net.layers)


def test_ridge_point_of_snowflake_is_about_30():
    assert 28 <= SNOWFLAKE_2017.ridge_ops_per_byte <= 31
