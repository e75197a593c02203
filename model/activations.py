"""Piecewise-linear sigmoid and tanh on fixed-point integers: exactly what the vector unit
computes (its ROM is built from :func:`table`).

The input range ``[lo, lo + span)`` — ``[-8, 8)`` for sigmoid, ``[-4, 4)`` for tanh — is cut
into ``2**ACT_SEG_BITS`` equal segments whose width is a power of two in fixed point.  The
table holds the function at the ``2**ACT_SEG_BITS + 1`` knots, rounded to nearest.  For an
input ``x`` inside the range, with ``u = x - lo``, ``i = u >> fbits`` and
``f = u & (2**fbits - 1)``::

    y = t[i] + (((t[i+1] - t[i]) * f) >> fbits)        # arithmetic shift (floor)

Below the range the result is ``t[0]``, at or above it ``t[-1]`` (saturation).  The maximum
error against the float function over every 16-bit input is measured by
:func:`max_error` and stated in ``docs/golden.md``.
"""

import math
from dataclasses import dataclass

import numpy as np

from .config import AcceleratorConfig

__all__ = ["ACT_SEG_BITS", "Pwl", "max_error", "pwl", "sigmoid_q", "table", "tanh_q"]

#: log2 of the number of linear segments of each activation.
ACT_SEG_BITS = 6

_RANGES = {"sigmoid": (-8, 16), "tanh": (-4, 8)}  # (lo, span) in real units
_FUNCS = {"sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)), "tanh": math.tanh}


@dataclass(frozen=True)
class Pwl:
    """The integer parameters of one activation for one number format."""

    name: str
    lo: int  # first knot, fixed point
    fbits: int  # log2 of the segment width, fixed point
    knots: tuple[int, ...]

    @property
    def hi(self) -> int:
        return self.lo + (len(self.knots) - 1 << self.fbits)


def pwl(name: str, cfg: AcceleratorConfig) -> Pwl:
    """Segment geometry and table of ``name`` (``"sigmoid"`` or ``"tanh"``) for ``cfg``."""
    if name not in _RANGES:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(_RANGES)}")
    lo_real, span_real = _RANGES[name]
    one = 1 << cfg.frac_bits
    span = span_real * one
    fbits = span.bit_length() - 1 - ACT_SEG_BITS
    if fbits < 0 or (1 << (span.bit_length() - 1)) != span:
        raise ValueError(
            f"{name}: {1 << ACT_SEG_BITS} segments do not divide the range "
            f"{span_real} at {cfg.frac_bits} fraction bits"
        )
    if -lo_real * one > 1 << (cfg.data_bits - 1):
        raise ValueError(
            f"{name}: range [{lo_real}, {lo_real + span_real}) does not fit "
            f"{cfg.data_bits}-bit Q{cfg.data_bits - cfg.frac_bits}.{cfg.frac_bits}"
        )
    f = _FUNCS[name]
    knots = tuple(
        math.floor(f((lo_real * one + (j << fbits)) / one) * one + 0.5)
        for j in range((1 << ACT_SEG_BITS) + 1)
    )
    return Pwl(name, lo_real * one, fbits, knots)


def table(name: str, cfg: AcceleratorConfig) -> tuple[int, ...]:
    """The knot values the RTL puts in its ROM."""
    return pwl(name, cfg).knots


def _apply(p: Pwl, x):
    x = np.asarray(x, dtype=np.int64)
    t = np.asarray(p.knots, dtype=np.int64)
    u = np.clip(x - p.lo, 0, p.hi - p.lo - 1)
    i = u >> p.fbits
    f = u & ((1 << p.fbits) - 1)
    y = t[i] + (((t[i + 1] - t[i]) * f) >> p.fbits)
    y = np.where(x < p.lo, t[0], y)
    return np.where(x >= p.hi, t[-1], y)


def sigmoid_q(x, cfg: AcceleratorConfig):
    """Fixed-point sigmoid of fixed-point ``x`` (int or int64 array)."""
    y = _apply(pwl("sigmoid", cfg), x)
    return int(y) if np.ndim(y) == 0 else y


def tanh_q(x, cfg: AcceleratorConfig):
    """Fixed-point tanh of fixed-point ``x``."""
    y = _apply(pwl("tanh", cfg), x)
    return int(y) if np.ndim(y) == 0 else y


def max_error(name: str, cfg: AcceleratorConfig) -> float:
    """Largest |approximation - float function| over every representable input (real
    units)."""
    one = 1 << cfg.frac_bits
    x = np.arange(-(1 << (cfg.data_bits - 1)), 1 << (cfg.data_bits - 1), dtype=np.int64)
    if name == "sigmoid":
        exact = 1 / (1 + np.exp(-x / one))
        approx = sigmoid_q(x, cfg) / one
    else:
        exact = np.tanh(x / one)
        approx = tanh_q(x, cfg) / one
    return float(np.max(np.abs(approx - exact)))
