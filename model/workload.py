"""Workloads for a layer: random fixed-point tensors with PyTorch names and layouts, and the
golden model's output for them."""

import math

import numpy as np

from . import golden
from .config import AcceleratorConfig
from .layers import GRU, Conv2d, Layer, Linear

__all__ = ["expected_output", "random_tensors"]


def random_tensors(layer: Layer, cfg: AcceleratorConfig, seed: int) -> dict[str, np.ndarray]:
    """Fixed-point tensors with PyTorch names and layouts, scaled so outputs use the range
    without saturating everywhere."""
    rng = np.random.default_rng(seed)
    one = 1 << cfg.frac_bits

    def q(shape, scale: float) -> np.ndarray:
        return np.round(rng.uniform(-scale, scale, shape) * one).astype(np.int64)

    if isinstance(layer, Linear):
        k = layer.in_features
        return {
            "input": q((layer.batch, k), 1.0),
            "weight": q((layer.out_features, k), 2.0 / math.sqrt(k)),
            "bias": q((layer.out_features,), 0.5),
        }
    if isinstance(layer, Conv2d):
        k = layer.reduction
        img = (layer.in_channels, layer.height, layer.width)
        shape = img if layer.batch == 1 else (layer.batch, *img)
        return {
            "input": q(shape, 1.0),
            "weight": q(
                (layer.out_channels, layer.in_channels, layer.kernel_size, layer.kernel_size),
                2.0 / math.sqrt(k),
            ),
            "bias": q((layer.out_channels,), 0.5),
        }
    if isinstance(layer, GRU):
        h, i = layer.hidden_size, layer.input_size
        s = 1.0 / math.sqrt(h)
        return {
            "input": q((layer.steps, layer.batch, i), 1.0),
            "h0": q((layer.batch, h), 1.0),
            "weight_ih": q((3 * h, i), s),
            "weight_hh": q((3 * h, h), s),
            "bias_ih": q((3 * h,), s),
            "bias_hh": q((3 * h,), s),
        }
    raise ValueError(f"unknown layer type {type(layer).__name__}")


def expected_output(layer: Layer, t: dict[str, np.ndarray], cfg: AcceleratorConfig):
    """The golden model's output for ``t``."""
    if isinstance(layer, Linear):
        return golden.linear(t["input"], t["weight"], t["bias"], cfg)
    if isinstance(layer, Conv2d):
        pool = layer.pool
        return golden.conv2d(
            t["input"],
            t["weight"],
            t["bias"],
            cfg,
            stride=layer.stride,
            padding=layer.padding,
            relu=layer.relu,
            pool_kernel=pool.kernel_size if pool else None,
            pool_stride=pool.stride if pool else None,
        )
    if isinstance(layer, GRU):
        return golden.gru(
            t["input"], t["h0"], t["weight_ih"], t["weight_hh"], t["bias_ih"], t["bias_hh"], cfg
        )
    raise ValueError(f"unknown layer type {type(layer).__name__}")
