"""Dependency-token counters between the load, compute and store units.

Four queues (``docs/architecture.md`` section 4): LOAD->COMPUTE, COMPUTE->LOAD,
COMPUTE->STORE, STORE->COMPUTE.  A push in cycle ``t`` is visible (counter > 0) from cycle
``t + 1`` (``TOKEN_LATENCY``); a pop and a push in the same cycle cancel.
"""

from amaranth import Module, Mux, Signal
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
        Counter width; a queue holds at most ``2**width - 2`` tokens (a pop is counted a
        cycle late, so the count may exceed the tokens by one).  The compiler's programs
        hold a few at most: pushes are matched to pops one to one.

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
            push, pop = getattr(self, f"push_{n}"), getattr(self, f"pop_{n}")
            # Pushes and pops are applied to the count a cycle late, from flip-flops
            # (`push_q`, `pop_q`), so that neither the producer's completion nor the
            # consumer's issue decision (both late in their cycle, across the die) drives
            # a counter bit (Fmax: the load unit's completion into the load-compute count
            # was d26646c seed 5's critical path, docs/fpga-history.md): the count holds
            # the tokens minus the push and plus the pop not yet counted.  The tokens
            # themselves are seen through two flip-flops, `avail` (>= 1) and `avail2`
            # (>= 2), each updated in one LUT from the push and the pop.
            push_q = Signal(name=f"push_q_{n}")
            pop_q = Signal(name=f"pop_q_{n}")
            count = Signal(self.width, name=f"count_{n}")
            # count + 1 and count - 1 kept beside it, so that a push or a counted pop only
            # chooses between registers: no carry chain behind them (Fmax)
            inc = Signal(self.width, name=f"count_inc_{n}", init=1)
            dec = Signal(self.width, name=f"count_dec_{n}", init=(1 << self.width) - 1)
            avail, avail2 = Signal(name=f"avail_q_{n}"), Signal(name=f"avail2_{n}")
            # tokens >= 3, tokens = count + push_q - pop_q, from flip-flops
            at_least_3 = Mux(push_q == pop_q, count >= 3, Mux(pop_q, count >= 4, count >= 2))
            m.d.comb += getattr(self, f"avail_{n}").eq(avail)
            m.d.sync += [push_q.eq(push & ~self.clear), pop_q.eq(pop & ~self.clear)]
            with m.If(self.clear):
                m.d.sync += [count.eq(0), inc.eq(1), dec.eq(-1)]
            with m.Elif(push_q & ~pop_q):
                m.d.sync += [count.eq(inc), inc.eq(inc + 1), dec.eq(count)]
            with m.Elif(pop_q & ~push_q):
                m.d.sync += [count.eq(dec), inc.eq(count), dec.eq(dec - 1)]
            with m.If(self.clear):
                m.d.sync += [avail.eq(0), avail2.eq(0)]
            with m.Elif(push & ~pop):
                m.d.sync += [avail.eq(1), avail2.eq(avail)]
            with m.Elif(pop & ~push):
                m.d.sync += [avail.eq(avail2), avail2.eq(at_least_3)]
        return m
