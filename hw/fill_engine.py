"""FILL: write a constant into rows of the maps buffers (zero padding, the GRU's 1.0).

One beat per cycle on the buffer write port, element enables for partial first/last beats.
Timing: the handshake cycle is the start; the first beat is written the next cycle; ``done``
pulses with the last beat, so a FILL of ``n`` beats completes ``n`` cycles after its start.
"""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snowsim.hw.ports import BufWriteSignature
from snowsim.model.config import AcceleratorConfig
from snowsim.model.isa import FIELDS, Buf, Op

__all__ = ["FillEngine"]


def _width(name: str) -> int:
    return dict(FIELDS[Op.FILL])[name]


class FillEngine(wiring.Component):
    """Executes FILL instructions.

    Members
    -------
    valid : In(1)
    ready : Out(1)
    value, addr, count, rows, row_stride : In
        The FILL fields.
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
                "wr": Out(BufWriteSignature(cfg)),
                "done": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        e = cfg.bus_elems
        ebits = max(1, (e - 1).bit_length())
        value = Signal(cfg.data_bits)
        count = Signal(_width("count"))
        rows_left = Signal(_width("rows"))
        row_stride = Signal(_width("row_stride"))
        row_start = Signal(24)  # element address of the current row
        beat = Signal(24)  # beat address being written
        last_beat = Signal(24)
        busy = Signal()
        empty = Signal()  # a FILL with no rows or no elements completes after one cycle
        m.d.comb += self.ready.eq(~busy & ~empty)
        with m.If(empty):
            m.d.comb += self.done.eq(1)
            m.d.sync += empty.eq(0)

        row_end = Signal(25)
        m.d.comb += row_end.eq(row_start + count)
        m.d.comb += last_beat.eq((row_end - 1) >> ebits if e > 1 else row_end - 1)
        mask = []
        for i in range(e):
            elem = Cat(Signal(ebits, init=i), beat) if e > 1 else beat
            mask.append((elem >= row_start) & (elem < row_end))
        final = Signal()
        m.d.comb += final.eq((rows_left == 1) & (beat == last_beat))
        with m.If(busy):
            m.d.comb += [
                self.wr.valid.eq(1),
                self.wr.buf.eq(Buf.MAPS),
                self.wr.cu_mask.eq((1 << cfg.n_cu) - 1),
                self.wr.addr.eq(beat),
                self.wr.data.eq(Cat(*([value] * e))),
                self.wr.mask.eq(Cat(*mask)),
            ]
            with m.If(beat == last_beat):
                m.d.sync += [
                    rows_left.eq(rows_left - 1),
                    row_start.eq(row_start + row_stride),
                    beat.eq((row_start + row_stride) >> ebits if e > 1 else row_start + row_stride),
                ]
            with m.Else():
                m.d.sync += beat.eq(beat + 1)
            with m.If(final):
                m.d.comb += self.done.eq(1)
                m.d.sync += busy.eq(0)
        with m.Elif(self.valid):
            m.d.sync += [
                value.eq(self.value),
                count.eq(self.count),
                rows_left.eq(self.rows),
                row_stride.eq(self.row_stride),
                row_start.eq(self.addr),
                beat.eq(self.addr >> ebits if e > 1 else self.addr),
                busy.eq((self.rows != 0) & (self.count != 0)),
                empty.eq((self.rows == 0) | (self.count == 0)),
            ]
        return m
