"""Tensor <-> DRAM byte conversions for the internal layouts (rows pitched to bus beats)."""

import numpy as np

from .config import AcceleratorConfig

__all__ = ["from_rows", "pitch", "to_rows"]


def pitch(n: int, cfg: AcceleratorConfig) -> int:
    """``n`` elements rounded up to whole bus beats."""
    return -(-n // cfg.bus_elems) * cfg.bus_elems


def _dtype(cfg: AcceleratorConfig):
    return np.int16 if cfg.elem_bytes == 2 else np.int8


def to_rows(a: np.ndarray, row_pitch: int, cfg: AcceleratorConfig) -> bytes:
    """A 2-D array as rows of ``row_pitch`` elements (zero padded)."""
    a = np.asarray(a)
    rows = np.zeros((a.shape[0], row_pitch), dtype=_dtype(cfg))
    rows[:, : a.shape[1]] = a
    return rows.tobytes()


def from_rows(
    raw: bytes, n_rows: int, n_cols: int, row_pitch: int, cfg: AcceleratorConfig
) -> np.ndarray:
    a = np.frombuffer(raw, dtype=_dtype(cfg))[: n_rows * row_pitch]
    return a.reshape(n_rows, row_pitch)[:, :n_cols].astype(np.int64)
