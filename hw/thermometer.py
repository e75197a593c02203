"""Up/down counts kept as thermometer codes: a count's tests are single bits and its update
a shift, with no counter's carry chain behind its late step signals (Fmax)."""

from amaranth import Cat, Const, Module, Signal, Value

__all__ = ["up_down"]


def up_down(m: Module, name: str, n: int, inc: Value, dec: Value) -> Signal:
    """A count 0..``n`` as a thermometer code (bit i: the count is above i), stepped up on
    ``inc`` and down on ``dec`` (both: unchanged) in ``m``'s ``sync`` domain, reset to 0.
    The caller keeps it within 0..``n`` (no ``inc`` at ``n``, no ``dec`` at 0).  Returns
    the code: ``code[0]`` is "not zero", ``~code[n - 1]`` "below ``n``"."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"a thermometer count needs n >= 1, not {n!r}")
    t = Signal(n, name=name)
    with m.If(inc & ~dec):
        m.d.sync += t.eq(Cat(Const(1, 1), t[:-1]))
    with m.Elif(dec & ~inc):
        m.d.sync += t.eq(t[1:])
    return t
