"""Up/down counts kept as thermometer codes: a count's tests are single bits and its update
a shift, with no counter's carry chain behind its late step signals (Fmax)."""

from amaranth import Cat, Const, Module, Mux, Signal, Value

__all__ = ["nonzero_next", "up_down"]


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


def nonzero_next(code: Value, inc: Value, dec: Value) -> Value:
    """ "The count is not zero after this cycle's step" for an :func:`up_down` code and its
    ``inc`` / ``dec``, from the code's two low bits and the steps alone (count > 1, or
    count == 1 and no lone ``dec``, or count == 0 and a lone ``inc``): registered, it is a
    "not zero" flip-flop of its own, placed by its loads rather than by the count's (Fmax).
    The code needs at least two bits."""
    return code[1] | Mux(code[0], inc | ~dec, inc & ~dec)
