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

from snowsim.hw.shift_fifo import ShiftFIFO

__all__ = ["RingFIFO"]


class RingFIFO(ShiftFIFO):
    """Parameters and members as :class:`~snowsim.hw.shift_fifo.ShiftFIFO`'s (the same
    ports and cycle behaviour); only the storage differs."""

    def elaborate(self, platform):
        m = Module()
        n = self.depth
        # storage is read only while r_rdy (reset): no reset net on it
        q = Array(Signal(self.width, name=f"entry{i}", reset_less=True) for i in range(n))
        rd, wr = Signal(range(n)), Signal(range(n))
        m.d.comb += self.r_data.eq(q[rd])
        push, pop, _ = self._handshake(m)

        def step(ptr):
            return ptr + 1 if n & (n - 1) == 0 else (ptr + 1) % n

        with m.If(push):
            m.d.sync += [q[wr].eq(self.w_data), wr.eq(step(wr))]
        with m.If(pop):
            m.d.sync += rd.eq(step(rd))
        return m
