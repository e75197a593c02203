"""A full register slice (the AXI "skid buffer"): a valid/ready stage whose output and whose
``i_ready`` both come straight out of flip-flops, at one transfer per cycle.

A plain output register would take its next word when the consumer's ready is high, so the
consumer's ready would reach the producer's advance (and every register it enables) in the
same cycle.  Here the producer sees only ``i_ready``, a flip-flop: when the consumer stalls,
the word already accepted waits in a second register (the skid) and ``i_ready`` drops the
next cycle.  Latency is one cycle; with the consumer always ready the skid stays empty.
"""

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["RegSlice"]


class RegSlice(wiring.Component):
    """Parameters
    ----------
    width : int
        Bits of the word carried (>= 1).

    Members
    -------
    i_valid : In(1), i_ready : Out(1), i_data : In(width)
        Input: the word is taken when ``i_valid & i_ready``; ``i_ready`` is a flip-flop.
    o_valid : Out(1), o_ready : In(1), o_data : Out(width)
        Output, from flip-flops; once valid, held until ``o_ready`` (AXI's rule for VALID).
    empty : Out(1)
        No word held (neither the output nor the skid register).
    """

    def __init__(self, width: int):
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"{type(self).__name__} width must be an integer >= 1, not {width!r}")
        self.width = width
        super().__init__(
            {
                "i_valid": In(1),
                "i_ready": Out(1),
                "i_data": In(width),
                "o_valid": Out(1),
                "o_ready": In(1),
                "o_data": Out(width),
                "empty": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        # the valid flags, and a copy of each for the data registers (kept: the same next
        # values, so always equal): the originals steer the handshake, the copies the
        # data registers' enables and choice, so that no flag (or LUT of it and the
        # consumer's ready) drives both the handshake and a word's worth of enables (Fmax:
        # the W slice's o_valid -> its LUT of WREADY, placed among the data registers ->
        # 3 to 4 ns -> the slice's own flags, 8.2 ns in `tiny`'s seed 2 at 9fac0b0)
        o_v, s_v = Signal(), Signal()
        o_vd = Signal(name="o_v_data", attrs={"keep": 1})
        s_vd = Signal(name="s_v_data", attrs={"keep": 1})
        # data registers: read only while their valid flag (reset) is set
        o_d = Signal(self.width, reset_less=True)
        s_d = Signal(self.width, reset_less=True)
        m.d.comb += [
            self.i_ready.eq(~s_v),
            self.o_valid.eq(o_v),
            self.o_data.eq(o_d),
            self.empty.eq(~o_v & ~s_v),
        ]
        take = self.i_valid & ~s_v
        for ov, sv in ((o_v, s_v), (o_vd, s_vd)):
            with m.If(~ov | self.o_ready):  # the output register is free this cycle
                with m.If(sv):  # (no input is taken while the skid is full)
                    m.d.sync += [ov.eq(1), sv.eq(0)]
                with m.Else():
                    m.d.sync += ov.eq(take)
            with m.Elif(~sv):
                m.d.sync += sv.eq(self.i_valid)
        with m.If(~o_vd | self.o_ready):
            m.d.sync += o_d.eq(Mux(s_vd, s_d, self.i_data))
        with m.Elif(~s_vd):
            # the output stalls with the skid empty: the skid takes the input whether or
            # not it is valid (it is read only once s_v is set), so that its data enable
            # is the stall alone, not the producer's late valid (Fmax: the write side's
            # AW take -> `s_d`'s enable was ab639f4's seed-1 critical path)
            m.d.sync += s_d.eq(self.i_data)
        return m
