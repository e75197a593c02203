"""Credit counter for a registered issue interface.

The sender may hand over an item only while it holds a credit; the receiver returns one
credit, from a flip-flop, for every item it takes out of its queue.  Neither side's
handshake then depends on the other's logic in the same cycle: the sender's decision starts
at its own counter and the receiver's returned-credit flip-flop (``hw/compute_engine.py``,
``docs/timing.md``).
"""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["CreditCounter"]


class CreditCounter(wiring.Component):
    """Credits the sender holds; starts full (``credits``) and after every reset.

    Parameters
    ----------
    credits : int
        Entries of the receiver's queue the sender may fill (>= 1).

    Members
    -------
    avail : Out(1)
        A credit may be spent this cycle: one is held, or one is returned this cycle.
    spend : In(1)
        The sender hands over an item this cycle (only while ``avail``).
    ret : In(1)
        The receiver returns a credit this cycle.
    """

    def __init__(self, credits: int):
        if not isinstance(credits, int) or credits < 1:
            raise ValueError(f"credits must be an integer >= 1, not {credits!r}")
        self.credits = credits
        super().__init__({"avail": Out(1), "spend": In(1), "ret": In(1)})

    def elaborate(self, platform):
        m = Module()
        count = Signal(range(self.credits + 1), init=self.credits)
        held = Signal(init=1)  # count != 0, a flip-flop of its own (the sender's handshake)
        nxt = Signal.like(count)
        m.d.comb += [
            self.avail.eq(held | self.ret),
            nxt.eq(count + self.ret - self.spend),
        ]
        m.d.sync += [count.eq(nxt), held.eq(nxt != 0)]
        return m
