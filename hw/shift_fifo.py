"""A small synchronous FIFO whose head, ``r_rdy`` and ``w_rdy`` come straight out of
flip-flops: a drop-in for :class:`amaranth.lib.fifo.SyncFIFO` (same ports, same cycle
behaviour) on paths where the LUT-RAM FIFO's asynchronous read limited Fmax.

The entries are a shift register: a pop moves every entry one place towards the head, and
the first free place after that move takes ``w_data`` (a push then counts it in).  It costs
``width * depth`` flip-flops, so it is meant for the short queues of the DMA engine and the
controller (4-16 entries).
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["ShiftFIFO"]


class ShiftFIFO(wiring.Component):
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
            raise ValueError(f"{type(self).__name__} width must be an integer >= 1, not {width!r}")
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"{type(self).__name__} depth must be an integer >= 1, not {depth!r}")
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

    def _handshake(self, m: Module) -> tuple:
        """Drive ``r_rdy``, ``w_rdy`` and ``level`` (flip-flops) and return this cycle's
        ``(push, pop)`` and the one-hot level: the part every storage form shares."""
        n, level = self.depth, self.level
        nonempty, notfull = Signal(), Signal(init=1)
        m.d.comb += [self.r_rdy.eq(nonempty), self.w_rdy.eq(notfull)]
        push = self.w_en & notfull
        pop = self.r_en & nonempty
        # the level as a one-hot flip-flop vector (at[i]: level == i): the flags' updates
        # read one of its bits instead of comparing a count, and the `level` port is its
        # binary code, ORs of flip-flops (no counter's carry chain behind a late push)
        at = Signal(n + 1, init=1)
        m.d.comb += level.eq(
            Cat(Cat(at[i] for i in range(n + 1) if (i >> b) & 1).any() for b in range(len(level)))
        )
        with m.If(push & ~pop):
            m.d.sync += [nonempty.eq(1), notfull.eq(~at[n - 1]), at.eq(at << 1)]
        with m.Elif(pop & ~push):
            m.d.sync += [nonempty.eq(~at[1]), notfull.eq(1), at.eq(at >> 1)]
        return push, pop, at

    def elaborate(self, platform):
        m = Module()
        n = self.depth
        # storage is read only while r_rdy (reset): no reset net on it
        q = [Signal(self.width, name=f"entry{i}", reset_less=True) for i in range(n)]
        m.d.comb += self.r_data.eq(q[0])
        _, pop, at = self._handshake(m)
        # The first free place after this cycle's pop takes `w_data` whether or not it is
        # pushed (a free place is never read; a push then only moves the level): the
        # storage never waits for the push, a late decision (the AXI handshakes, an issue),
        # and "the first free place" is one LUT of pop and two bits of the one-hot level,
        # not a compare of the count (Fmax)
        for i in range(n):
            shifted = Mux(pop, q[i + 1], q[i]) if i + 1 < n else Mux(pop, 0, q[i])
            here = Mux(pop, at[i + 1], at[i])  # level - pop == i
            m.d.sync += q[i].eq(Mux(here, self.w_data, shifted))
        return m
