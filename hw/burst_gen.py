"""Burst generator: walks a 3-D descriptor and presents one AXI burst at a time, exactly as
:func:`snowsim.model.dma.split_row` splits rows (beat-aligned, INCR, ends at the row's end,
a 4 KiB boundary or ``max_burst_beats``), with the element masks of the burst's first and
last beat and the buffer beat its data belongs to.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snowsim.model.config import AcceleratorConfig

__all__ = ["BurstGen"]


class BurstGen(wiring.Component):
    """Parameters
    ----------
    cfg : AcceleratorConfig

    Members
    -------
    load : In(1)
        Pulse: start a descriptor (the ``d_*`` inputs are sampled).
    d_dram_addr, d_row_bytes, d_rows, d_dram_row_stride, d_planes, d_dram_plane_stride,
    d_buf_addr, d_buf_row_stride, d_buf_plane_stride : In
        The descriptor (byte lengths and addresses for DRAM, element addresses for the buffer).
    valid : Out(1)
        A burst is presented.
    next : In(1)
        Advance to the next burst (only while ``valid``).
    addr, beats, first_mask, last_mask, buf_beat, last : Out
        The presented burst; ``last`` marks the descriptor's final burst.
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                "load": In(1),
                "d_dram_addr": In(32),
                "d_row_bytes": In(18),
                "d_rows": In(16),
                "d_dram_row_stride": In(32),
                "d_planes": In(16),
                "d_dram_plane_stride": In(32),
                "d_buf_addr": In(24),
                "d_buf_row_stride": In(24),
                "d_buf_plane_stride": In(24),
                "valid": Out(1),
                "next": In(1),
                "addr": Out(32),
                "beats": Out(9),
                "first_mask": Out(cfg.bus_elems),
                "last_mask": Out(cfg.bus_elems),
                "buf_beat": Out(24),
                "last": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        bus, e, eb = cfg.bus_bytes, cfg.bus_elems, cfg.elem_bytes
        lb, le = bus.bit_length() - 1, e.bit_length() - 1
        row_bytes = Signal(18)
        row_stride, plane_stride = Signal(32), Signal(32)
        brow_stride, bplane_stride = Signal(24), Signal(24)
        rows = Signal(16)
        rows_left, planes_left = Signal(16), Signal(16)
        plane_addr, plane_elem = Signal(33), Signal(24)
        row_addr, row_elem = Signal(33), Signal(24)
        cur = Signal(33)
        active = Signal()
        m.d.comb += self.valid.eq(active)
        # Kept as registers so that no path has more than one wide adder: the beats left in
        # the row (from cur), whether cur is the row's first burst, the byte offset of the
        # row's end within its last beat, and the buffer beat of cur.
        rem = Signal(19)
        first = Signal()
        tail = Signal(max(lb, 1))
        buf_beat = Signal(24)

        to_4k = Signal(13)
        m.d.comb += to_4k.eq((4096 - cur[:12]) >> lb)
        beats = Signal(9)
        lim = min(cfg.max_burst_beats, 4096 // bus)
        cap = Signal(13)  # min(lim, to_4k)
        m.d.comb += cap.eq(Mux(to_4k < lim, to_4k, lim))
        row_done = Signal()
        m.d.comb += [row_done.eq(rem <= cap), beats.eq(Mux(row_done, rem, cap))]
        head = row_addr[:lb]
        full = (1 << e) - 1
        first_bits = Cat(*[(i * eb) >= head for i in range(e)])
        last_bits = Cat(*[(tail == 0) | ((i * eb) < tail) for i in range(e)])
        m.d.comb += [
            self.addr.eq(cur),
            self.beats.eq(beats),
            self.first_mask.eq(Mux(first, first_bits, full)),
            self.last_mask.eq(Mux(row_done, last_bits, full)),
            self.buf_beat.eq(buf_beat),
            self.last.eq(row_done & (rows_left == 1) & (planes_left == 1)),
        ]

        def start_row(addr, elem, nbytes):
            off = addr[:lb] if lb else 0
            return [
                row_addr.eq(addr),
                row_elem.eq(elem),
                cur.eq(Cat(Signal(lb), addr[lb:])),
                rem.eq((off + nbytes + bus - 1) >> lb),
                first.eq(1),
                tail.eq((off + nbytes[:lb]) if lb else 0),
                buf_beat.eq(elem >> le),
            ]

        with m.If(self.load):
            m.d.sync += [
                row_bytes.eq(self.d_row_bytes),
                rows.eq(self.d_rows),
                row_stride.eq(self.d_dram_row_stride),
                plane_stride.eq(self.d_dram_plane_stride),
                brow_stride.eq(self.d_buf_row_stride),
                bplane_stride.eq(self.d_buf_plane_stride),
                rows_left.eq(self.d_rows),
                planes_left.eq(self.d_planes),
                plane_addr.eq(self.d_dram_addr),
                plane_elem.eq(self.d_buf_addr),
                active.eq((self.d_rows != 0) & (self.d_planes != 0) & (self.d_row_bytes != 0)),
            ]
            m.d.sync += start_row(self.d_dram_addr, self.d_buf_addr, self.d_row_bytes)
        with m.Elif(active & self.next):
            with m.If(~row_done):
                m.d.sync += [
                    cur.eq(cur + (beats << lb)),
                    rem.eq(rem - beats),
                    first.eq(0),
                    buf_beat.eq(buf_beat + beats),
                ]
            with m.Elif(rows_left > 1):
                m.d.sync += rows_left.eq(rows_left - 1)
                m.d.sync += start_row(row_addr + row_stride, row_elem + brow_stride, row_bytes)
            with m.Elif(planes_left > 1):
                m.d.sync += [
                    planes_left.eq(planes_left - 1),
                    rows_left.eq(rows),
                    plane_addr.eq(plane_addr + plane_stride),
                    plane_elem.eq(plane_elem + bplane_stride),
                ]
                m.d.sync += start_row(
                    plane_addr + plane_stride, plane_elem + bplane_stride, row_bytes
                )
            with m.Else():
                m.d.sync += active.eq(0)
        return m
