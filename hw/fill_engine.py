"""FILL: write a constant into rows of the maps buffers (zero padding, the GRU's 1.0).

One beat per cycle on the buffer write port, element enables for partial first/last beats.
Timing: the handshake cycle is the start; the fields are registered (so that the handshake
drives one flip-flop and not the enables of the engine's registers), the first beat is formed
the cycle after and written from flip-flops the cycle after that (the buffers' write enables
are spread over the die: no beat logic before them); ``done`` pulses with the last beat's
write, so a FILL of ``n`` beats completes ``FILL_LATENCY + n`` cycles after its start
(``model/costs.py``).
"""

from amaranth import C, Cat, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snowsim.hw.instr_fields import field
from snowsim.hw.ports import BufWriteSignature, in_range
from snowsim.model.config import AcceleratorConfig
from snowsim.model.isa import FIELDS, Buf, Op
from snowsim.model.latencies import FILL_LATENCY

__all__ = ["FillEngine", "fill_moves"]


def _width(name: str) -> int:
    return dict(FIELDS[Op.FILL])[name]


def fill_moves(instr: Value) -> Value:
    """The :attr:`FillEngine.moves` bit of an encoded instruction (``INSTR_BITS`` wide): its
    FILL fields' rows and count are both nonzero.  Decoded from the FILL fields whatever
    the opcode (a LOAD's is never read); the load unit's sequencer decodes it as the
    instruction arrives from its memory and stores it beside it (``head_decode``)."""
    return (field(instr, Op.FILL, "rows") != 0) & (field(instr, Op.FILL, "count") != 0)


class FillEngine(wiring.Component):
    """Executes FILL instructions.

    Members
    -------
    valid : In(1)
    ready : Out(1)
    value, addr, count, rows, row_stride : In
        The FILL fields.
    moves : In(1)
        The FILL moves something: :func:`fill_moves` of the instruction, decoded ahead.
    wr : Out(BufWriteSignature)
    done : Out(1)
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                "valid": In(1),
                "ready": Out(1),
                **{name: In(width) for name, width in FIELDS[Op.FILL]},
                "moves": In(1),
                "wr": Out(BufWriteSignature(cfg)),
                "done": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        e = cfg.bus_elems
        eb = (e - 1).bit_length()  # bus_elems is a power of two >= 2
        value = Signal(cfg.data_bits)
        count = Signal(_width("count"))
        row_stride = Signal(_width("row_stride"))
        # Every decision below comes from flip-flops (Fmax): the current beat, the element
        # offset of the row in its first beat, `span` = the elements from the current beat's
        # start to the row's end (the row ends with this beat when span <= e), a last-row
        # flag, and the next row's start, walked one row ahead.
        beat = Signal(24)
        first = Signal()
        off = Signal(eb)
        span = Signal(_width("count") + 1)
        rows_left = Signal(_width("rows"))
        last_row = Signal()
        nxt = Signal(25)  # element address of the next row
        busy = Signal()
        empty = Signal()  # a FILL with no rows or no elements completes after one cycle
        # the fields, registered every cycle with no enable; `pending` marks a handshake;
        # then the beat is formed (below) and registered into the write port
        assert FILL_LATENCY == 2
        pending = Signal()
        st = {name: Signal(width, name=f"s_{name}") for name, width in FIELDS[Op.FILL]}
        m.d.sync += [st[name].eq(getattr(self, name)) for name in st]
        # the FILL moves something (rows and elements), decoded by the load sequencer as
        # the instruction arrived and registered with the fields, so that `busy` and
        # `empty` load a flip-flop's value (Fmax: the two zero tests, their AND and the
        # case into `busy`, 7.7 ns, the `ecp5` preset's seed 2 at f099326; tested as the
        # fields were registered, behind the load sequencer's queue multiplexer, 8.6 ns in
        # its seed 2 at e060679)
        s_moves = Signal()
        m.d.sync += s_moves.eq(self.moves)
        m.d.sync += pending.eq(self.valid & self.ready)
        done = Signal()  # the beat formed this cycle is the last (or an empty FILL)
        wv, wa, wm = Signal(), Signal(len(self.wr.addr)), Signal(len(self.wr.mask))
        m.d.sync += [
            self.done.eq(done),
            self.wr.valid.eq(wv),
            self.wr.addr.eq(wa),
            self.wr.mask.eq(wm),
            self.wr.buf.eq(Buf.MAPS),
            self.wr.in_range.eq(in_range(Buf.MAPS, wa, cfg)),
            self.wr.cu_mask.eq((1 << cfg.n_cu) - 1),
            self.wr.data.eq(Cat(*([value] * e))),
        ]
        with m.If(empty):
            m.d.comb += done.eq(1)
            m.d.sync += empty.eq(0)

        span_hi = span[eb:] != 0  # span >= e
        # the row ends with this beat (span <= e), as a flip-flop: it steers every
        # register's update (Fmax); set when a row starts from its offset and length, and
        # as span steps down by e (span - e <= e)
        last_beat = Signal()
        # ready = ~busy & ~empty & ~pending, as a flip-flop of its own (the load
        # sequencer's issue handshake reads it: Fmax, `busy` -> its LUT -> the issue ->
        # the sequencer's enables led 635f8a7's seed 2).  From its cases: a handshake
        # sets pending, and a pending FILL sets busy or empty (one of them); empty lasts
        # a cycle; busy ends with the last row's last beat.
        ready = Signal(init=1)
        m.d.sync += ready.eq(~(self.valid & ready) & ~pending & (~busy | (last_beat & last_row)))
        m.d.comb += self.ready.eq(ready)

        def fits(lo, n, small):  # lo + n <= e for a beat offset lo and a length n < 2 e
            return small & ((lo + n[: eb + 1]) <= e)

        # ... for every beat offset, registered with count: a row's start after the first
        # takes its flag from these flip-flops by the offset, no add and compare behind the
        # next row's address (Fmax: `nxt` -> the sum's carry chain -> three LUTs ->
        # `last_beat` was the critical path of ee123ec's seed 1)
        fits_at = Signal(e)

        def start_row(addr, count, last):
            return [
                beat.eq(addr[eb:]),
                off.eq(addr[:eb]),
                span.eq(addr[:eb] + count),
                first.eq(1),
                last_beat.eq(last),
            ]

        # element i is in the row when past the first beat's offset and before its end
        # (the last element always passes the first test and only fails the second with a
        # span below e: no compare against constants, which Verilator would flag)
        mask = [(~first | (off <= i)) & (span_hi | (span[:eb] > i)) for i in range(e - 1)]
        mask.append(span_hi)

        with m.If(busy):
            m.d.comb += [wv.eq(1), wa.eq(beat), wm.eq(Cat(*mask))]
            with m.If(last_beat):
                m.d.sync += [
                    rows_left.eq(rows_left - 1),
                    last_row.eq(rows_left == 2),
                    nxt.eq(nxt + row_stride),
                    *start_row(nxt, count, fits_at.bit_select(nxt[:eb], 1)),
                ]
            with m.Else():
                m.d.sync += [
                    beat.eq(beat + 1),
                    span.eq(span - e),
                    first.eq(0),
                    last_beat.eq(span <= 2 * e),
                ]
            with m.If(last_beat & last_row):
                m.d.comb += done.eq(1)
                m.d.sync += busy.eq(0)
        with m.Elif(pending):
            small = st["count"][eb + 1 :] == 0
            m.d.sync += [
                value.eq(st["value"]),
                count.eq(st["count"]),
                rows_left.eq(st["rows"]),
                last_row.eq(st["rows"] == 1),
                row_stride.eq(st["row_stride"]),
                nxt.eq(st["addr"] + st["row_stride"]),
                fits_at.eq(Cat(*(fits(C(lo, eb), st["count"], small) for lo in range(e)))),
                *start_row(st["addr"], st["count"], fits(st["addr"][:eb], st["count"], small)),
                busy.eq(s_moves),
                empty.eq(~s_moves),
            ]
        return m
