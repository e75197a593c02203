"""A small synchronous FIFO whose pop moves a pointer: a drop-in for
:class:`amaranth.lib.fifo.SyncFIFO` (same ports, same cycle behaviour) for queues whose
pop is a late, widely fanned-out decision.

The entries are registers written in place (a push enables one entry, decoded from the
write pointer); the head is the entry at the read pointer, through a multiplexer.  A pop
changes only the read pointer, the level and the two flags, where a
:class:`~snowsim.hw.shift_fifo.ShiftFIFO` pop steers every entry's ``width`` flip-flops; the
price is the multiplexer on the head's path.  ``r_rdy`` and ``w_rdy`` are flip-flops.
"""

from amaranth import Array, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["RingFIFO"]


class RingFIFO(wiring.Component):
    """Parameters
    ----------
    width : int
        Bits per entry (>= 1).
    depth : int
        Entries (>= 1).

    Members
    -------
    w_data : In(width), w_en : In(1), w_rdy : Out(1)
        Write port: ``w_data`` is stored when ``w_en`` and ``w_rdy`` (not full).
    r_data : Out(width), r_en : In(1), r_rdy : Out(1)
        Read port: ``r_data`` is the oldest entry while ``r_rdy`` (not empty); ``r_en``
        removes it.  An entry written in one cycle is readable the next (as ``SyncFIFO``).
    level : Out(range(depth + 1))
        Entries held.
    """

    def __init__(self, *, width: int, depth: int):
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"RingFIFO width must be an integer >= 1, not {width!r}")
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"RingFIFO depth must be an integer >= 1, not {depth!r}")
        self.width, self.depth = width, depth
        super().__init__(
            {
                "w_data": In(width),
                "w_en": In(1),
                "w_rdy": Out(1),
                "r_data": Out(width),
                "r_en": In(1),
                "r_rdy": Out(1),
                "level": Out(range(depth + 1)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        n = self.depth
        q = Array(Signal(self.width, name=f"entry{i}") for i in range(n))
        rd, wr = Signal(range(n)), Signal(range(n))
        nonempty, notfull = Signal(), Signal(init=1)
        m.d.comb += [self.r_data.eq(q[rd]), self.r_rdy.eq(nonempty), self.w_rdy.eq(notfull)]
        push = self.w_en & notfull
        pop = self.r_en & nonempty

        def step(ptr):
            return ptr + 1 if n & (n - 1) == 0 else (ptr + 1) % n

        with m.If(push):
            m.d.sync += [q[wr].eq(self.w_data), wr.eq(step(wr))]
        with m.If(pop):
            m.d.sync += rd.eq(step(rd))
        level = self.level
        m.d.sync += level.eq(level + push - pop)
        with m.If(push & ~pop):
            m.d.sync += [nonempty.eq(1), notfull.eq(level != n - 1)]
        with m.Elif(pop & ~push):
            m.d.sync += [nonempty.eq(level != 1), notfull.eq(1)]
        return m
