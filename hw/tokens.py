"""Dependency-token counters between the load, compute and store units.

Four queues (``docs/architecture.md`` section 4): LOAD->COMPUTE, COMPUTE->LOAD,
COMPUTE->STORE, STORE->COMPUTE.  A push in cycle ``t`` is visible (counter > 0) from cycle
``t + 1`` (``TOKEN_LATENCY``); a pop and a push in the same cycle cancel.
"""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snowsim.model.isa import Unit

__all__ = ["QUEUES", "TokenCounters"]

#: (producer, consumer) of each token queue.
QUEUES = [
    (Unit.LOAD, Unit.COMPUTE),
    (Unit.COMPUTE, Unit.LOAD),
    (Unit.COMPUTE, Unit.STORE),
    (Unit.STORE, Unit.COMPUTE),
]


def _name(q: tuple[Unit, Unit]) -> str:
    return f"{q[0].name.lower()}_{q[1].name.lower()}"


class TokenCounters(wiring.Component):
    """One saturating-free up/down counter per queue.

    Parameters
    ----------
    width : int
        Counter width; a program that leaves more than ``2**width - 1`` tokens in a queue
        is rejected by the compiler (it never does: pushes are matched one to one).

    Members
    -------
    push_<p>_<c> : In(1)
    pop_<p>_<c> : In(1)
    avail_<p>_<c> : Out(1)
        The queue holds at least one token.
    clear : In(1)
        Empty every queue (job start, soft reset).
    """

    def __init__(self, width: int = 8):
        self.width = width
        members = {}
        for q in QUEUES:
            n = _name(q)
            members[f"push_{n}"] = In(1)
            members[f"pop_{n}"] = In(1)
            members[f"avail_{n}"] = Out(1)
        members["clear"] = In(1)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        for q in QUEUES:
            n = _name(q)
            count = Signal(self.width, name=f"count_{n}")
            # count + 1 and count - 1 kept beside it, so that a push or pop (the late issue
            # decisions) only chooses between registers: no carry chain behind them (Fmax)
            inc = Signal(self.width, name=f"count_inc_{n}", init=1)
            dec = Signal(self.width, name=f"count_dec_{n}", init=(1 << self.width) - 1)
            # avail (count != 0) is a flip-flop of its own, updated with the count, so that
            # a unit's issue decision starts at a register, not at a compare of the count
            avail = Signal(name=f"avail_q_{n}")
            push, pop = getattr(self, f"push_{n}"), getattr(self, f"pop_{n}")
            m.d.comb += getattr(self, f"avail_{n}").eq(avail)
            with m.If(self.clear):
                m.d.sync += [count.eq(0), inc.eq(1), dec.eq(-1), avail.eq(0)]
            with m.Elif(push & ~pop):
                m.d.sync += [count.eq(inc), inc.eq(inc + 1), dec.eq(count), avail.eq(1)]
            with m.Elif(pop & ~push):
                m.d.sync += [count.eq(dec), inc.eq(count), dec.eq(dec - 1), avail.eq(count != 1)]
        return m
