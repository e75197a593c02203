"""Delay lines: a value carried through flip-flops alongside a pipeline."""

from amaranth import Module, Signal, Value

__all__ = ["delayed"]


def delayed(m: Module, value: Value, cycles: int, name: str, *, reset_less: bool = False) -> Value:
    """``value`` as it was ``cycles`` cycles ago: ``cycles`` registers of ``value``'s shape in
    ``m``'s ``sync`` domain, named ``{name}_d1`` ... (``value`` itself for 0 cycles).
    ``reset_less``: data whose every use is qualified by a flag that is reset (the
    registers then need no reset net)."""
    for k in range(cycles):
        r = Signal.like(value, name=f"{name}_d{k + 1}", reset_less=reset_less)
        m.d.sync += r.eq(value)
        value = r
    return value
