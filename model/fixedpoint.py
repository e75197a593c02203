"""Fixed-point arithmetic shared by the golden model, the compiler and the RTL tests.

These functions *are* the hardware's arithmetic (``docs/architecture.md`` section 1); the RTL
is tested bit for bit against them.  They work on Python ints and on numpy ``int64`` arrays.
"""

from typing import TypeVar

import numpy as np

__all__ = ["fmul", "from_float", "relu", "requant", "sadd", "saturate", "ssub", "to_float"]

T = TypeVar("T", int, np.ndarray)


def saturate(x: T, bits: int = 16) -> T:
    """Clamp to the signed range of ``bits`` bits."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if isinstance(x, np.ndarray):
        return np.clip(x, lo, hi).astype(np.int64)
    return min(max(int(x), lo), hi)


def requant(acc: T, shift: int, bits: int = 16) -> T:
    """Round half up (towards +inf) by an arithmetic right shift, then saturate."""
    if shift < 0:
        raise ValueError(f"shift must be >= 0, not {shift}")
    rnd = (1 << (shift - 1)) if shift > 0 else 0
    if isinstance(acc, np.ndarray):
        return saturate((acc.astype(np.int64) + rnd) >> shift, bits)
    return saturate((int(acc) + rnd) >> shift, bits)


def relu(x: T) -> T:
    if isinstance(x, np.ndarray):
        return np.maximum(x, 0)
    return max(int(x), 0)


def fmul(a: T, b: T, frac_bits: int = 8, bits: int = 16) -> T:
    """Vector-unit multiply of two fixed-point values: round half up, saturate."""
    return requant(a * b, frac_bits, bits)


def sadd(a: T, b: T, bits: int = 16) -> T:
    return saturate(a + b, bits)


def ssub(a: T, b: T, bits: int = 16) -> T:
    return saturate(a - b, bits)


def from_float(x: np.ndarray | float, frac_bits: int = 8, bits: int = 16) -> np.ndarray:
    """Quantise floats: round to nearest, saturate."""
    return saturate(
        np.round(np.asarray(x, dtype=np.float64) * (1 << frac_bits)).astype(np.int64), bits
    )


def to_float(x: np.ndarray | int, frac_bits: int = 8) -> np.ndarray:
    return np.asarray(x, dtype=np.float64) / (1 << frac_bits)
