"""Built-in networks: published MAC counts, and speed."""

import time

import pytest

from snowsim.model.networks import NETWORKS, get_network


@pytest.mark.parametrize(
    "name, gmacs", [("alexnet", 0.714), ("vgg16", 15.47), ("resnet18", 1.814), ("resnet50", 4.089)]
)
def test_mac_counts_match_published(name, gmacs):
    assert get_network(name).macs / 1e9 == pytest.approx(gmacs, rel=2e-3)


def test_alexnet_conv_stack_is_0_66_gmac():
    net = get_network("alexnet")
    assert sum(layer.macs for layer in net.layers if layer.kind == "conv") == 655_566_528


def test_every_network_analyses():
    for name in NETWORKS:
        rows = get_network(name).analyze("snowflake")
        assert rows and all(r.ops > 0 for r in rows)


def test_resnet50_evaluates_well_under_a_second():
    t0 = time.perf_counter()
    get_network("resnet50").analyze("snowflake")
    assert time.perf_counter() - t0 < 0.5


def test_unknown_network_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown network 'lenet'; valid networks: alexnet"):
        get_network("lenet")
