"""A small synchronous FIFO whose pop moves a pointer: a drop-in for
:class:`amaranth.lib.fifo.SyncFIFO` (same ports, same cycle behaviour) for queues whose
pop is a late, widely fanned-out decision.

The entries are registers written in place (a push enables one entry, decoded from the
write pointer, every cycle the FIFO is not full: the entry there is free, and a push only
moves the pointer); the head is the entry at the read pointer, through a multiplexer.  A pop
changes only the read pointer, the level and the two flags, where a
:class:`~snowsim.hw.shift_fifo.ShiftFIFO` pop steers every entry's ``width`` flip-flops; the
price is the multiplexer on the head's path.  ``r_rdy`` and ``w_rdy`` are flip-flops.
"""

from itertools import pairwise

from amaranth import Array, Cat, Module, Mux, Signal

from snowsim.hw.shift_fifo import ShiftFIFO

__all__ = ["PrefetchRingFIFO", "RingFIFO", "ring_step"]


def ring_step(ptr, n: int):
    """A pointer's next place in a ring of ``n`` entries."""
    return ptr + 1 if n & (n - 1) == 0 else Mux(ptr == n - 1, 0, ptr + 1)


class RingFIFO(ShiftFIFO):
    """Parameters and members as :class:`~snowsim.hw.shift_fifo.ShiftFIFO`'s (the same
    ports and cycle behaviour); only the storage differs.

    Parameters
    ----------
    head_bits : int
        The low ``head_bits`` of ``r_data`` come from flip-flops of their own, kept as
        :class:`PrefetchRingFIFO` keeps its whole head (0, the default: none): for the
        few bits of an entry that the pop's own decision reads, so that it starts at
        flip-flops rather than behind the read multiplexer.
    """

    def __init__(self, *, width: int, depth: int, head_bits: int = 0):
        if not isinstance(head_bits, int) or not 0 <= head_bits <= width:
            raise ValueError(f"head_bits must be an integer from 0 to {width}, not {head_bits!r}")
        super().__init__(width=width, depth=depth)
        self.head_bits = head_bits

    def _write(self, m: Module, q, wr, push) -> None:
        # the free entry at `wr` takes w_data whenever there is one, pushed or not (its
        # enable is a decode of flip-flops, not of the push: a late decision)
        with m.If(self.w_rdy):
            m.d.sync += q[wr].eq(self.w_data)
        with m.If(push):
            m.d.sync += wr.eq(ring_step(wr, self.depth))

    def elaborate(self, platform):
        m = Module()
        n = self.depth
        # storage is read only while r_rdy (reset): no reset net on it
        q = Array(Signal(self.width, name=f"entry{i}", reset_less=True) for i in range(n))
        rd, wr = Signal(range(n)), Signal(range(n))
        push, pop, at = self._handshake(m)
        self._write(m, q, wr, push)
        with m.If(pop):
            m.d.sync += rd.eq(ring_step(rd, n))
        k = self.head_bits
        if k:
            fast = Signal(k, name="head_fast", reset_less=True)
            _prefetch(m, fast, q, pop, self.r_en, at, self.w_data[:k], lambda e: e[:k])
            m.d.comb += self.r_data.eq(Cat(fast, q[rd][k:]))
        else:
            m.d.comb += self.r_data.eq(q[rd])
        return m


def _pointer_copy(m: Module, name: str, shape, init: int, step, pop) -> Signal:
    """A copy of the read pointer + 1 (kept: a copy per head slice must not merge with
    another's) that moves to ``step(copy)`` on a pop.  It is loaded with ``init`` a cycle
    after a reset, from a flag of its own that the reset sets, instead of by the reset
    (Fmax: the DMA write side's reset -> 6.6 ns across the die -> the W FIFO's copies led
    the `ecp5` preset's seed 2 at 928f796 after the rounding constant): the flag is one
    flip-flop per slice on the reset's net, free to be placed between it and the copy.
    The same values: the FIFO is empty in the cycle after a reset, so nothing pops there
    and the head loads the pushed word, not the entry after it."""
    copy = Signal(shape, name=name, init=init, reset_less=True, attrs={"keep": 1})
    was_reset = Signal(name=f"{name}_was_reset", init=1, attrs={"keep": 1})
    m.d.sync += was_reset.eq(0)
    with m.If(was_reset):
        m.d.sync += copy.eq(init)
    with m.Elif(pop):
        m.d.sync += copy.eq(step(copy))
    return copy


def _prefetch(m: Module, head, q, pop, r_en, at, w_data, part, one_hot: bool = False) -> None:
    """Keep ``head`` equal to ``part`` of the ring's head entry: on a pop it loads the
    next entry, or the pushed word when the FIFO is or becomes empty.  The next entry is
    chosen by a copy of the read pointer + 1 of the head's own: binary, through a
    multiplexer, or with ``one_hot`` one-hot, rotated on a pop, through an OR of the
    entries ANDed with its bits (two LUT4 levels for 16 entries, where the multiplexer
    took four LUTs and a PFUMX; Fmax: the DMA write queue's head, 16 entries, led the
    `ecp5` preset's seed 1 at e060679, 7.32 ns)."""
    n = len(q)
    name = f"{head.name}_rd1"
    if one_hot:
        rd1 = _pointer_copy(m, name, n, 1 << (1 % n), lambda p: p.rotate_left(1), pop)
        w = len(head)
        chosen = [Mux(rd1[i], part(q[i]), 0) for i in range(n)]
        entry = Cat(*[Cat(*[c[b] for c in chosen]).any() for b in range(w)])
    else:
        rd1 = _pointer_copy(m, name, range(n), 1 % n, lambda p: ring_step(p, n), pop)
        entry = part(q[rd1])
    # the head after this cycle: the next entry on a pop that leaves two or more (at[0],
    # at[1]: the level is 0, 1), else the pushed word when the FIFO is or becomes empty.
    # While empty `more` is 0 too, so both cases load the same value: the pop (a late
    # decision of the reader) meets the head only in its enable, and the value is
    # formed from flip-flops alone (Fmax)
    more = ~at[0] & ~at[1]
    # pop | at[0] is r_en | at[0] (a pop is r_en while not empty, and empty is at[0]),
    # written so that the enable is one LUT of the reader's r_en and a flip-flop, not a
    # LUT after the pop's, which fans out to the pointers and flags (Fmax: the W FIFO's
    # r_rdy -> the pop -> 3.4 ns -> the enable -> 1.9 ns -> the head, 8.65 ns, led the
    # `ecp5` preset's seed 2 at e060679)
    with m.If(r_en | at[0]):
        m.d.sync += head.eq(Mux(more, entry, w_data))


class PrefetchRingFIFO(RingFIFO):
    """A ring whose head is kept in a register of its own: a pop moves the read pointer and
    reloads the head register from the ring's next entry (through the multiplexer, from the
    pointer's flip-flops), so neither a push nor a pop steers more than one entry's and the
    head's flip-flops, and ``r_data`` comes straight out of flip-flops.  Members and cycle
    behaviour as :class:`~snowsim.hw.shift_fifo.ShiftFIFO`'s.

    Parameters
    ----------
    width, depth : int
        As :class:`~snowsim.hw.shift_fifo.ShiftFIFO`'s.
    pointer_copies : int
        The head's bits are split into this many slices of about equal width, each
        reloaded through its own multiplexer from its own copy of the read pointer (1, the
        default: one pointer for the whole head), so that no pointer flip-flop steers the
        multiplexers of the whole entry (Fmax: a wide head's reload starts at a pointer
        bit with a hundred loads).
    one_hot : bool
        The read pointer's copies are one-hot, and the head reloads through an AND-OR of
        the entries rather than a multiplexer from a binary pointer (False, the default):
        fewer LUT levels for deep rings, more flip-flops.
    """

    def __init__(self, *, width: int, depth: int, pointer_copies: int = 1, one_hot: bool = False):
        super().__init__(width=width, depth=depth)
        if not isinstance(pointer_copies, int) or not 1 <= pointer_copies <= width:
            raise ValueError(
                f"pointer_copies must be an integer from 1 to the width {width}, "
                f"not {pointer_copies!r}"
            )
        self.pointer_copies = pointer_copies
        if not isinstance(one_hot, bool):
            raise TypeError(f"one_hot must be a bool, not {one_hot!r}")
        self.one_hot = one_hot

    def elaborate(self, platform):
        m = Module()
        n = self.depth
        # storage is read only while r_rdy (reset): no reset net on it
        q = Array(Signal(self.width, name=f"entry{i}", reset_less=True) for i in range(n))
        wr = Signal(range(n))
        push, pop, at = self._handshake(m)
        self._write(m, q, wr, push)
        k = self.pointer_copies
        bounds = [self.width * i // k for i in range(k + 1)]
        heads = []
        for i, (lo, hi) in enumerate(pairwise(bounds)):
            head = Signal(hi - lo, name=f"head{i}" if k > 1 else "head", reset_less=True)
            data_in, part = self.w_data[lo:hi], lambda e, lo=lo, hi=hi: e[lo:hi]
            _prefetch(m, head, q, pop, self.r_en, at, data_in, part, self.one_hot)
            heads.append(head)
        m.d.comb += self.r_data.eq(Cat(*heads))
        return m
