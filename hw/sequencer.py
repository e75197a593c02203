"""In-order instruction sequencer of one unit (load, compute or store).

Reads the unit's instruction memory ahead of execution into ``1 + BUFFER_READ_LATENCY``
registered entries (so an engine that can take back-to-back instructions gets one every cycle,
and issue decisions never start at the memory's output), waits for the tokens
an instruction pops, hands it to the unit's engine with a valid/ready handshake, and performs
its pushes when the engine reports the instruction complete (engines complete in order).

Cycle rules (used by the timing model, ``docs/timing.md``): the handshake cycle is the
instruction's *start*; pops take effect in that cycle; the engine's ``done`` pulse is its
*completion*; the pushes happen in that cycle and are visible to the other unit one cycle
later.  ``END`` stops the sequencer; ``halted`` rises when END is at the head and every issued
instruction has completed.
"""

from collections.abc import Callable

from amaranth import Array, Cat, Module, Mux, ResetInserter, Signal, Value
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from snowsim.hw.ring_fifo import ring_step
from snowsim.hw.shift_fifo import ShiftFIFO
from snowsim.model.config import AcceleratorConfig
from snowsim.model.isa import HEADER, INSTR_BITS, Op
from snowsim.model.latencies import BUFFER_READ_LATENCY

__all__ = ["UnitSequencer", "header_bit"]

#: the header's token flags
_FLAGS = ("pop_prev", "pop_next", "push_prev", "push_next")


def header_bit(name: str) -> int:
    """Bit position of a one-bit header field (``pop_prev``...)."""
    pos = 0
    for field, width in HEADER:
        if field == name:
            return pos
        pos += width
    raise KeyError(name)


class UnitSequencer(wiring.Component):
    """Fetch, token handling and issue for one unit.

    Parameters
    ----------
    cfg : AcceleratorConfig
        Sizes the instruction-memory address.
    in_flight : int
        Instructions that may be issued and not yet complete (1 for the DMA units; more for
        the compute unit, whose MAC array accepts the next instruction while one runs).
    flag_op : Op or None
        An opcode the unit's issue logic tells apart (the load unit's FILL): ``head_is``
        says whether the head is one, from a flip-flop.
    pre_bits : int
        Bits stored beside each instruction in the unit's memory (the program loader's
        predecode for the unit; 0, the default: none): ``imem_data`` is
        ``INSTR_BITS + pre_bits`` wide and ``pre`` carries them with the head.
    head_decode : function of the instruction, or None
        Bits decoded from each instruction as it arrives from the memory and stored with
        it in the queue: ``head_dec`` gives the head's (None, the default: none; the load
        unit's: whether a FILL moves anything, ``hw/fill_engine.py``).

    Members
    -------
    start : In(1)
        Pulse: begin at instruction 0.
    imem_addr : Out(ceil_log2(program_depth))
    imem_en : Out(1)
    imem_data : In(INSTR_BITS + pre_bits)
        Read port of the unit's instruction memory (``BUFFER_READ_LATENCY`` cycles): the
        instruction, then its predecoded bits.
    imem_keep : Out(1)
        This cycle's read is kept (its word enters the queue when it arrives).
    avail_prev, avail_next : In(1)
        Token queues from the previous / next unit hold a token.
    pop_prev, pop_next, push_prev, push_next : Out(1)
    instr : Out(INSTR_BITS)
        The instruction at the head (valid with ``issue_valid``).
    pre : Out(pre_bits)
        Its predecoded bits (a member only with ``pre_bits``).
    head_op : Out(4)
        Its opcode, from a flip-flop (the copy of the header the issue decision reads).
    head_is : Out(1)
        The head's opcode is ``flag_op``, from a flip-flop (0 without ``flag_op``).
    head_dec : Out
        ``head_decode`` of the head (a member only with ``head_decode``).
    hold : In(1)
        The unit's own hazard: do not issue this cycle.
    issue_valid : Out(1)
    issue_ready : In(1)
    done : In(1)
        The oldest issued instruction completed this cycle.
    outstanding : Out(range(in_flight + 1))
    halted : Out(1)
    """

    def __init__(
        self,
        cfg: AcceleratorConfig,
        in_flight: int = 1,
        flag_op: Op | None = None,
        pre_bits: int = 0,
        head_decode: Callable[[Value], Value] | None = None,
    ):
        if in_flight < 1:
            raise ValueError(f"in_flight must be >= 1, not {in_flight!r}")
        if flag_op is not None and not isinstance(flag_op, Op):
            raise TypeError(f"flag_op must be an Op or None, not {flag_op!r}")
        if not isinstance(pre_bits, int) or pre_bits < 0:
            raise ValueError(f"pre_bits must be an integer >= 0, not {pre_bits!r}")
        self.in_flight = in_flight
        self.flag_op = flag_op
        self.pre_bits = pre_bits
        if head_decode is not None and not callable(head_decode):
            raise TypeError(
                f"head_decode must be a function of the instruction or None, not {head_decode!r}"
            )
        self.head_decode = head_decode
        self.dec_bits = (
            len(Value.cast(head_decode(Signal(INSTR_BITS)))) if head_decode is not None else 0
        )
        self.addr_bits = max(1, ceil_log2(cfg.program_depth))
        optional = {"pre": Out(pre_bits)} if pre_bits else {}
        if self.dec_bits:
            optional["head_dec"] = Out(self.dec_bits)
        super().__init__(
            {
                "start": In(1),
                "imem_addr": Out(self.addr_bits),
                "imem_en": Out(1),
                "imem_data": In(INSTR_BITS + pre_bits),
                "imem_keep": Out(1),
                "avail_prev": In(1),
                "avail_next": In(1),
                "pop_prev": Out(1),
                "pop_next": Out(1),
                "push_prev": Out(1),
                "push_next": Out(1),
                "instr": Out(INSTR_BITS),
                **optional,
                "head_op": Out(4),
                "head_is": Out(1),
                "hold": In(1),
                "issue_valid": Out(1),
                "issue_ready": In(1),
                "done": In(1),
                "outstanding": Out(range(in_flight + 1)),
                "halted": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        n = self.in_flight
        running = Signal()
        pc = Signal(self.addr_bits + 1)
        # reads in flight: bit k set when the word read k + 1 cycles ago is to be kept
        pending = Signal(BUFFER_READ_LATENCY)
        arrives = pending[-1]  # the memory's data output holds the next instruction
        # Registered entries: the head issues from a register (no path from the
        # instruction memory's output through the issue decision into its read enable:
        # that path limited Fmax), and one entry per read in flight keeps back-to-back
        # issue free of bubbles.  The entries are a ring: an arriving instruction is
        # written at `wr`, the head is the entry at `rd`, so the issue decision moves two
        # pointers instead of steering hundreds of flip-flops' enables (the issue's fanout
        # limited Fmax).  The few header bits the decision reads are kept a second time in
        # a shift register, so the decision starts at flip-flops and not at the ring's
        # read multiplexer.
        depth = 1 + BUFFER_READ_LATENCY
        # The entries hold data only: `head_valid` / `occupied` say which are live, so they
        # have no reset (a reset would put every used bit - about 700 flip-flops per
        # sequencer - on the core reset's fan-out; Fmax)
        # an entry: the instruction, its predecoded bits, then its head_decode bits,
        # decoded as it arrives (Fmax: a FILL's zero tests behind the queue's multiplexer,
        # 8.6 ns in the `ecp5` preset's seed 2 at e060679; kept with the decoded header
        # instead, behind its shift's choices, 8.2 ns in `tiny`'s seed 2 at 5caf877)
        word = INSTR_BITS + self.pre_bits + self.dec_bits
        mem_word = INSTR_BITS + self.pre_bits
        ring = Array(Signal(word, name=f"queue_{i}", reset_less=True) for i in range(depth))
        rd, wr = Signal(range(depth)), Signal(range(depth))
        occupied = Signal(range(depth + 1))
        head_valid = Signal()  # occupied != 0, a flip-flop updated with occupied
        m.d.comb += self.instr.eq(ring[rd][:INSTR_BITS])
        if self.pre_bits:
            m.d.comb += self.pre.eq(ring[rd][INSTR_BITS:mem_word])
        if self.dec_bits:
            m.d.comb += self.head_dec.eq(ring[rd][mem_word:])
        dec = data.StructLayout({"op": 4, "end": 1, "is": 1, **{k: 1 for k in _FLAGS}})
        hq = Array(Signal(dec, name=f"hdr_{i}") for i in range(depth))
        arriving = Signal(dec)
        m.d.comb += [
            arriving.op.eq(self.imem_data[0:4]),
            arriving.end.eq(self.imem_data[0:4] == Op.END),
            arriving["is"].eq(0 if self.flag_op is None else self.imem_data[0:4] == self.flag_op),
        ]
        for k in _FLAGS:
            m.d.comb += arriving[k].eq(self.imem_data[header_bit(k)])
        is_end = hq[0].end
        m.d.comb += [self.head_op.eq(hq[0].op), self.head_is.eq(hq[0]["is"])]
        bit = {k: hq[0][k] for k in _FLAGS}

        # in-order completion FIFO of push flags (its head in flip-flops: the pushes it
        # drives go straight into the token counters); its level is the count of issued,
        # incomplete instructions
        flags = ShiftFIFO(width=2, depth=n)
        m.submodules.push_flags = ResetInserter(self.start)(flags)  # empty at every start
        m.d.comb += self.outstanding.eq(flags.level)
        full = ~flags.w_rdy

        tokens_ok = (~bit["pop_prev"] | self.avail_prev) & (~bit["pop_next"] | self.avail_next)
        m.d.comb += self.issue_valid.eq(
            running & head_valid & ~is_end & tokens_ok & ~self.hold & ~full
        )
        fire = self.issue_valid & self.issue_ready
        m.d.comb += [
            self.pop_prev.eq(fire & bit["pop_prev"]),
            self.pop_next.eq(fire & bit["pop_next"]),
        ]
        with m.If(self.done & flags.r_rdy):
            m.d.comb += [
                self.push_prev.eq(flags.r_data[0]),
                self.push_next.eq(flags.r_data[1]),
                flags.r_en.eq(1),
            ]
        m.d.comb += [
            flags.w_en.eq(fire),  # never full when it fires
            flags.w_data.eq(bit["push_prev"] | (bit["push_next"] << 1)),
        ]

        # prefetch: a read may start when its data will find a free entry whatever the
        # cycles until it arrives issue (entries and reads in flight after this cycle
        # <= depth).  The memory reads `pc` every cycle the unit runs (its enable a
        # flip-flop: the issue decision never reaches the block RAM, which is placed away
        # from the sequencer); `want` only advances `pc` and marks the word read this
        # cycle as an instruction to keep.
        in_flight = sum(pending[k] for k in range(BUFFER_READ_LATENCY))
        want = running & ((occupied + in_flight < depth) | fire)
        m.d.comb += [self.imem_addr.eq(pc), self.imem_en.eq(running), self.imem_keep.eq(want)]
        with m.If(want):
            m.d.sync += pc.eq(pc + 1)
        m.d.sync += pending.eq(Cat(want, pending[:-1]))

        with m.If(fire):
            m.d.sync += rd.eq(ring_step(rd, depth))
        with m.If(arrives):
            arrived = self.imem_data
            if self.dec_bits:
                arrived = Cat(arrived, self.head_decode(self.imem_data[:INSTR_BITS]))
            m.d.sync += [ring[wr].eq(arrived), wr.eq(ring_step(wr, depth))]
        # The decoded headers: a fire shifts them, and an arriving instruction's goes to the
        # first free place after the shift (occupied - fire).  Both of an entry's next
        # values are formed from flip-flops, and the fire (the late issue decision) only
        # chooses between them, in the last LUT (Fmax)
        for i in range(depth):
            stays = Mux(arrives & (occupied == i), arriving, hq[i])
            above = hq[i + 1] if i + 1 < depth else hq[i]
            shifted = Mux(arrives & (occupied == i + 1), arriving, above)
            m.d.sync += hq[i].eq(Mux(fire, shifted, stays))
        m.d.sync += occupied.eq(occupied - fire + arrives)
        with m.If(arrives):
            m.d.sync += head_valid.eq(1)
        with m.Elif(fire):
            m.d.sync += head_valid.eq(occupied > 1)
        m.d.comb += self.halted.eq(running & head_valid & is_end & ~flags.r_rdy)

        with m.If(self.start):
            m.d.sync += [
                running.eq(1),
                pc.eq(0),
                occupied.eq(0),
                head_valid.eq(0),
                pending.eq(0),
                rd.eq(0),
                wr.eq(0),
            ]
        return m
