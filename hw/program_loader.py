"""Program loader: assembles instructions from the program-fetch beats and writes each into
the instruction memory of the unit(s) it belongs to (``END`` goes to all three).

Routing comes from :func:`snowsim.model.isa.unit_of`, so a new opcode needs no change here.
An opcode outside :class:`~snowsim.model.isa.Op` raises ``illegal``; a unit receiving more
than ``program_depth`` instructions raises ``overflow``.
"""

from collections.abc import Callable, Mapping

from amaranth import Cat, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from snowsim.model.config import AcceleratorConfig
from snowsim.model.isa import INSTR_BITS, Op, Unit, unit_of

__all__ = ["ProgramLoader"]


class ProgramLoader(wiring.Component):
    """Beats in, instructions out to three memories.

    Parameters
    ----------
    cfg : AcceleratorConfig
    predecode : mapping of Unit to function, optional
        For a unit whose engine reads a few bits decoded from the instruction early: a
        function of the instruction (an ``INSTR_BITS`` value) giving them; they are
        decoded here, where no timing is tight, and written beside the instruction.

    Members
    -------
    start : In(1)
        Pulse: a new program begins (write pointers to 0, errors cleared).
    beat_valid : In(1)
    beat_data : In(bus_data_bits)
        Program beats in address order; each is registered, then assembled: an
        instruction's write and its ``illegal`` / ``overflow`` are decoded from its last
        beat's register and registered, so the write and the flags come two cycles after
        that beat arrives.
    wr_<unit>_en, wr_<unit>_addr, wr_<unit>_data : Out
        Write port of each unit's instruction memory (``unit`` = load, compute, store): the
        data is the instruction, then, for a unit given a predecode, its predecoded bits.
    illegal : Out(1)
    overflow : Out(1)
        Sticky until ``start``.
    """

    def __init__(
        self,
        cfg: AcceleratorConfig,
        predecode: Mapping[Unit, Callable[[Value], Value]] | None = None,
    ):
        predecode = dict(predecode or {})
        for u, fn in predecode.items():
            if not isinstance(u, Unit) or not callable(fn):
                raise TypeError(
                    f"predecode maps a Unit to a function of the instruction, not {u!r} -> {fn!r}"
                )
        self.predecode = predecode
        #: each unit's predecoded bits (the width of its function's value)
        self.pre_bits = {
            u: len(Value.cast(predecode[u](Signal(INSTR_BITS)))) if u in predecode else 0
            for u in Unit
        }
        if INSTR_BITS % cfg.bus_data_bits:
            raise ValueError(
                f"an instruction of {INSTR_BITS} bits is not a whole number of "
                f"{cfg.bus_data_bits}-bit beats"
            )
        self.cfg = cfg
        self.beats = INSTR_BITS // cfg.bus_data_bits
        self.addr_bits = max(1, ceil_log2(cfg.program_depth))
        members = {
            "start": In(1),
            "beat_valid": In(1),
            "beat_data": In(cfg.bus_data_bits),
            "illegal": Out(1),
            "overflow": Out(1),
        }
        for u in Unit:
            n = u.name.lower()
            members[f"wr_{n}_en"] = Out(1)
            members[f"wr_{n}_addr"] = Out(self.addr_bits)
            members[f"wr_{n}_data"] = Out(INSTR_BITS + self.pre_bits[u])
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        bus = cfg.bus_data_bits
        # each beat is registered before it is assembled and decoded: it comes from the
        # R channel (an input of the design) and its decode drives the instruction
        # memories' write enables, the pointers and the error flags
        # (the data registers have no reset: `beat_valid` and `nbeat` say what they hold,
        # and a word is complete only once every beat of it has been shifted in)
        beat_valid, beat_data = Signal(), Signal(bus, reset_less=True)
        m.d.sync += [beat_valid.eq(self.beat_valid), beat_data.eq(self.beat_data)]
        word = Signal(INSTR_BITS, reset_less=True)
        nbeat = Signal(range(self.beats + 1))
        assembled = Signal(INSTR_BITS)
        complete = Signal()
        m.d.comb += assembled.eq(word)
        if self.beats == 1:
            m.d.comb += [assembled.eq(beat_data), complete.eq(beat_valid)]
        else:
            # beats arrive LSB first: shift in from the top
            m.d.comb += [
                assembled.eq((word >> bus) | (beat_data << (INSTR_BITS - bus))),
                complete.eq(beat_valid & (nbeat == self.beats - 1)),
            ]
            with m.If(beat_valid):
                m.d.sync += word.eq(assembled)
                m.d.sync += nbeat.eq(0)
                with m.If(nbeat != self.beats - 1):
                    m.d.sync += nbeat.eq(nbeat + 1)
        opcode = assembled[0:4]
        legal = Signal()
        m.d.comb += legal.eq(opcode <= max(Op))
        ptr = {u: Signal(self.addr_bits + 1, name=f"ptr_{u.name.lower()}") for u in Unit}
        # the writes are registered: the decode (complete, legal, the unit's opcodes, the
        # pointer's bound) is three to four LUTs, and each unit's memory is a row of
        # block RAMs of its own, across the die from the others (Fmax: the write enable,
        # a DP16KD's byte enables at 36 bits, was the critical path of a tiny run)
        data_q = Signal(INSTR_BITS, name="wr_data", reset_less=True)  # read only with an en
        m.d.sync += data_q.eq(assembled)
        for u in Unit:
            n = u.name.lower()
            ops = [op for op in Op if u in unit_of(op)]
            mine = Signal(name=f"mine_{n}")
            m.d.comb += mine.eq(sum((opcode == op) for op in ops) != 0)
            en_q = Signal(name=f"wr_{n}_en_q")
            addr_q = Signal(self.addr_bits, name=f"wr_{n}_addr_q", reset_less=True)
            m.d.sync += [en_q.eq(0), addr_q.eq(ptr[u])]
            data_u = data_q
            if u in self.predecode:
                # decoded from the assembled word and registered with it: the unit's
                # memory stores them beside the instruction
                pre_q = Signal(self.pre_bits[u], name=f"wr_{n}_pre", reset_less=True)
                m.d.sync += pre_q.eq(self.predecode[u](assembled))
                data_u = Cat(data_q, pre_q)
            m.d.comb += [
                getattr(self, f"wr_{n}_en").eq(en_q),
                getattr(self, f"wr_{n}_addr").eq(addr_q),
                getattr(self, f"wr_{n}_data").eq(data_u),
            ]
            with m.If(complete & legal & mine):
                with m.If(ptr[u] >= cfg.program_depth):
                    m.d.sync += self.overflow.eq(1)
                with m.Else():
                    m.d.sync += [en_q.eq(1), ptr[u].eq(ptr[u] + 1)]
        with m.If(complete & ~legal):
            m.d.sync += self.illegal.eq(1)
        with m.If(self.start):
            m.d.sync += [nbeat.eq(0), self.illegal.eq(0), self.overflow.eq(0)]
            m.d.sync += [ptr[u].eq(0) for u in Unit]
        return m
