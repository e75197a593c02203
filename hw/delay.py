"""Delay lines: a value carried through flip-flops alongside a pipeline."""

from amaranth import Module, Signal, Value

__all__ = ["delayed"]


def delayed(m: Module, value: Value, cycles: int, name: str) -> Value:
    """``value`` as it was ``cycles`` cycles ago: ``cycles`` registers of ``value``'s shape in
    ``m``'s ``sync`` domain, named ``{name}_d1`` ... (``value`` itself for 0 cycles)."""
    for k in range(cycles):
        r = Signal.like(value, name=f"{name}_d{k + 1}")
        m.d.sync += r.eq(value)
        value = r
    return value
