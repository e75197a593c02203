"""Bit-exact fixed-point golden model, and its float counterpart.

The fixed-point functions compute exactly what the accelerator computes
(``docs/architecture.md`` section 1): exact integer products and sums, biases added at
product scale, one requantisation (round half up, saturate), ReLU, max-pool on the
requantised values, and for the GRU the gate arithmetic of section 2 with the
piecewise-linear activations of :mod:`.activations`.  Tensors are numpy integer arrays of
Q-format values with PyTorch's names and layouts.  Every RTL test compares against these.

The ``*_f`` functions are the same layers in float64 with PyTorch's equations; the test
suite measures how far the fixed-point results are from them (``docs/golden.md``).
"""

import numpy as np

from . import fixedpoint as fx
from .activations import sigmoid_q, tanh_q
from .config import AcceleratorConfig

__all__ = ["conv2d", "conv2d_f", "gru", "gru_f", "linear", "linear_f", "maxpool2d"]


def _shape(name: str, a: np.ndarray, shape: tuple) -> np.ndarray:
    a = np.asarray(a)
    if a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape}, expected {shape}")
    return a.astype(np.int64) if a.dtype.kind in "iu" else a


def linear(x, weight, bias, cfg: AcceleratorConfig) -> np.ndarray:
    """``requant(x @ weight.T + bias << frac)``; x: batch x in, weight: out x in."""
    x = np.asarray(x)
    w = _shape("weight", weight, (np.shape(weight)[0], x.shape[-1]))
    b = _shape("bias", bias, (w.shape[0],))
    acc = x.astype(np.int64) @ w.T + (b << cfg.frac_bits)
    return fx.requant(acc, cfg.frac_bits, cfg.data_bits)


def maxpool2d(y: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """Max over ``kernel x kernel`` windows of a C x H x W array (no padding)."""
    c, h, w = y.shape
    oh, ow = (h - kernel) // stride + 1, (w - kernel) // stride + 1
    out = np.full((c, oh, ow), np.iinfo(np.int64).min, dtype=y.dtype)
    for i in range(kernel):
        for j in range(kernel):
            out = np.maximum(
                out,
                y[
                    :,
                    i : i + (oh - 1) * stride + 1 : stride,
                    j : j + (ow - 1) * stride + 1 : stride,
                ],
            )
    return out


def _conv_acc(x: np.ndarray, w: np.ndarray, stride: int, padding: int) -> np.ndarray:
    cin, h, wd = x.shape
    cout, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    oh, ow = (h + 2 * padding - k) // stride + 1, (wd + 2 * padding - k) // stride + 1
    # im2col: (cin*k*k) x (oh*ow) patches, then one matrix product
    cols = np.empty((cin, k, k, oh, ow), dtype=xp.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, i, j] = xp[
                :, i : i + (oh - 1) * stride + 1 : stride, j : j + (ow - 1) * stride + 1 : stride
            ]
    return (w.reshape(cout, -1) @ cols.reshape(cin * k * k, -1)).reshape(cout, oh, ow)


def conv2d(
    x,
    weight,
    bias,
    cfg: AcceleratorConfig,
    *,
    stride: int = 1,
    padding: int = 0,
    relu: bool = False,
    pool_kernel: int | None = None,
    pool_stride: int | None = None,
) -> np.ndarray:
    """Fixed-point convolution of one C x H x W image (or N x C x H x W), then bias,
    requantisation, optional ReLU and optional max-pool."""
    x = np.asarray(x).astype(np.int64)
    if x.ndim == 4:
        return np.stack(
            [
                conv2d(
                    img,
                    weight,
                    bias,
                    cfg,
                    stride=stride,
                    padding=padding,
                    relu=relu,
                    pool_kernel=pool_kernel,
                    pool_stride=pool_stride,
                )
                for img in x
            ]
        )
    if x.ndim != 3:
        raise ValueError(f"input has shape {x.shape}, expected C x H x W")
    w = np.asarray(weight).astype(np.int64)
    if w.ndim != 4 or w.shape[1] != x.shape[0] or w.shape[2] != w.shape[3]:
        raise ValueError(f"weight has shape {w.shape}, expected Cout x {x.shape[0]} x K x K")
    b = _shape("bias", bias, (w.shape[0],))
    acc = _conv_acc(x, w, stride, padding) + (b << cfg.frac_bits)[:, None, None]
    y = fx.requant(acc, cfg.frac_bits, cfg.data_bits)
    if relu:
        y = fx.relu(y)
    if pool_kernel:
        y = maxpool2d(y, pool_kernel, pool_stride or pool_kernel)
    return y


def gru(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, cfg: AcceleratorConfig) -> np.ndarray:
    """Fixed-point GRU over ``x`` (steps x batch x input) from ``h0`` (batch x hidden);
    returns every hidden state (steps x batch x hidden).  Gate order r, z, n."""
    x = np.asarray(x).astype(np.int64)
    if x.ndim != 3:
        raise ValueError(f"input has shape {x.shape}, expected steps x batch x input")
    steps, batch, n_in = x.shape
    h = _shape("h0", h0, (batch, np.shape(h0)[-1]))
    n_h = h.shape[1]
    wi = _shape("weight_ih", weight_ih, (3 * n_h, n_in))
    wh = _shape("weight_hh", weight_hh, (3 * n_h, n_h))
    bi = _shape("bias_ih", bias_ih, (3 * n_h,))
    bh = _shape("bias_hh", bias_hh, (3 * n_h,))
    f, bits = cfg.frac_bits, cfg.data_bits
    r_, z_, n_ = slice(0, n_h), slice(n_h, 2 * n_h), slice(2 * n_h, 3 * n_h)
    out = []
    for t in range(steps):
        gi, gh = x[t] @ wi.T, h @ wh.T
        a_r = fx.requant(gi[:, r_] + gh[:, r_] + ((bi[r_] + bh[r_]) << f), f, bits)
        a_z = fx.requant(gi[:, z_] + gh[:, z_] + ((bi[z_] + bh[z_]) << f), f, bits)
        a_nx = fx.requant(gi[:, n_] + (bi[n_] << f), f, bits)
        a_nh = fx.requant(gh[:, n_] + (bh[n_] << f), f, bits)
        r, z = sigmoid_q(a_r, cfg), sigmoid_q(a_z, cfg)
        n = tanh_q(fx.sadd(a_nx, fx.fmul(r, a_nh, f, bits), bits), cfg)
        h = fx.sadd(n, fx.fmul(z, fx.ssub(h, n, bits), f, bits), bits)
        out.append(h)
    return np.stack(out)


# -- float counterparts (PyTorch's equations) -------------------------------------------------
def linear_f(x, weight, bias) -> np.ndarray:
    return np.asarray(x, float) @ np.asarray(weight, float).T + np.asarray(bias, float)


def conv2d_f(
    x, weight, bias, *, stride=1, padding=0, relu=False, pool_kernel=None, pool_stride=None
) -> np.ndarray:
    y = _conv_acc(np.asarray(x, float), np.asarray(weight, float), stride, padding)
    y = y + np.asarray(bias, float)[:, None, None]
    if relu:
        y = np.maximum(y, 0)
    if pool_kernel:
        y = maxpool2d(y, pool_kernel, pool_stride or pool_kernel)
    return y


def gru_f(x, h0, weight_ih, weight_hh, bias_ih, bias_hh) -> np.ndarray:
    x, h = np.asarray(x, float), np.asarray(h0, float)
    wi, wh = np.asarray(weight_ih, float), np.asarray(weight_hh, float)
    bi, bh = np.asarray(bias_ih, float), np.asarray(bias_hh, float)
    n_h = h.shape[1]
    out = []
    for xt in x:
        gi, gh = xt @ wi.T + bi, h @ wh.T + bh
        r = 1 / (1 + np.exp(-(gi[:, :n_h] + gh[:, :n_h])))
        z = 1 / (1 + np.exp(-(gi[:, n_h : 2 * n_h] + gh[:, n_h : 2 * n_h])))
        n = np.tanh(gi[:, 2 * n_h :] + r * gh[:, 2 * n_h :])
        h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out)
