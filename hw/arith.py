"""Arithmetic tests shaped for FPGA timing: results that a plain expression would put
behind a carry chain, built from LUTs alone."""

from amaranth import Value

__all__ = ["sum_equals"]


def sum_equals(a: Value, b: Value, k: int, width: int) -> Value:
    """``a + b == k`` modulo ``2**width``, without an adder: bit ``i`` of the sum is
    ``k``'s exactly when the carry into it is ``a_i ^ b_i ^ k_i``, and then the carry out
    of it is ``a_i & b_i | (a_i | b_i) & ~k_i``; so the sum is ``k`` when each bit's
    required carry in equals the carry out that bit ``i - 1`` then gives (0 into bit 0).
    Each bit's test is a function of two bits of ``a`` and ``b`` (one LUT), and the result
    their AND (a LUT tree), in place of a carry chain and a compare behind it.

    ``a`` and ``b`` are unsigned and zero-extended to ``width`` bits; with ``a + b <
    2**width`` the test is exact."""
    if not 0 <= k < (1 << width):
        raise ValueError(f"k must be in [0, 2**{width}), not {k}")
    a, b = a.as_unsigned()[:width], b.as_unsigned()[:width]
    need = (a ^ b ^ k)[:width]  # the carry into each bit the sum needs
    gives = (a & b) | ((a | b) & (~k & ((1 << width) - 1)))  # the carry out of each bit
    return need == (gives << 1)[:width]
