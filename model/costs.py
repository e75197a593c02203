"""Cycle costs of the compute-side and FILL instructions, from the loop trip counts and the
RTL's structure (``docs/timing.md``).  The DMA instructions' costs are in :mod:`.dma`."""

from .config import AcceleratorConfig
from .isa import Instruction, VecOp
from .latencies import FILL_LATENCY

__all__ = ["fill_cycles", "mac_steps", "reduction", "vec_cycles"]


def fill_cycles(f: Instruction, cfg: AcceleratorConfig) -> int:
    """Cycles from a FILL's start to its completion: ``FILL_LATENCY`` (the fields and the
    beat registered), then one per beat written (at least 1)."""
    e = cfg.bus_elems
    if f["count"] == 0 or f["rows"] == 0:
        return FILL_LATENCY + 1
    total = FILL_LATENCY
    for r in range(f["rows"]):
        start = f["addr"] + r * f["row_stride"]
        total += (start + f["count"] - 1) // e - start // e + 1
    return total


def reduction(f: Instruction) -> int:
    """Products summed per pixel step of a MAC instruction."""
    return f["k0_count"] * max(f["k1_count"], 1) * max(f["k2_count"], 1)


def mac_steps(f: Instruction, cfg: AcceleratorConfig) -> tuple[int, int]:
    """(pixel steps, CU-steps that compute a real pixel) of a MAC instruction."""
    npix = f["px_count"] * f["py_count"]
    if f["pixel_mode"]:
        return -(-npix // cfg.n_cu), npix
    return npix, npix * cfg.n_cu


def vec_cycles(f: Instruction) -> int:
    """Cycles a VEC instruction issues: one per position, and for MAXPOOL one per pair of
    window rows (the vector unit reads two rows per cycle on its two read ports)."""
    w1, w0 = max(f["w1"], 1), max(f["w0"], 1)
    if f["vop"] == VecOp.MAXPOOL:
        w1 = -(-w1 // 2)
    return f["n1"] * f["n0"] * w1 * w0
