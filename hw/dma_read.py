"""DMA read side: an AXI4 read master that copies a 3-D DRAM descriptor into the on-chip
buffers (or, for the program fetch, into the program loader).

Bursts come from :class:`~snowsim.hw.burst_gen.BurstGen`; up to ``max_outstanding`` are in
flight; R is always accepted and every beat is written to the buffer the cycle after it arrives
(``BufWriteSignature``: never stalls).  An ``SLVERR``/``DECERR`` stops new ARs, the
remaining beats are accepted and dropped, and the descriptor ends with ``done`` and
``error``.  Timing is :func:`snowsim.model.dma.read_cycles`.
"""

from amaranth import Cat, Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from snowsim.hw.axi import Resp, axi4_read_master
from snowsim.hw.burst_gen import BurstGen
from snowsim.hw.ports import RANGED_SPACES, BufWriteSignature, high_zero, in_range_of_sum
from snowsim.hw.reg_slice import RegSlice
from snowsim.hw.shift_fifo import ShiftFIFO
from snowsim.model.config import AcceleratorConfig
from snowsim.model.regmap import ErrorCode

__all__ = ["DmaRead"]


class DmaRead(wiring.Component):
    """Parameters
    ----------
    cfg : AcceleratorConfig

    Members
    -------
    m_axi_ar*, m_axi_r* :
        The AXI4 read channels.
    req_valid : In(1)
    req_ready : Out(1)
    req_dram_addr, req_row_elems, req_rows, req_dram_row_stride, req_planes,
    req_dram_plane_stride, req_buf, req_cu_mask, req_buf_addr, req_buf_row_stride,
    req_buf_plane_stride : In
        A LOAD descriptor (``model/isa.py`` fields).
    req_to_prog : In(1)
        Send the beats to ``prog_*`` instead of the buffers (program fetch).
    done : Out(1)
        Pulse in the cycle of the descriptor's last beat (or when an error has drained).
    error : Out(1)
        With ``done``: the descriptor ended in a bus error.
    err_code : Out(4), err_addr : Out(32)
        The first error's code and burst address (valid with ``error``).
    wr : Out(BufWriteSignature)
    prog_valid : Out(1), prog_data : Out(bus_data_bits)
    stat_beat, stat_burst, stat_wait : Out(1)
        Counter strobes: an R beat accepted, an AR handshake, a cycle with bursts in flight
        and no R beat - each from a flip-flop, the cycle after (the handshake logic, shared
        with the DMA's own state, is then not pulled towards the counters: Fmax).
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                **axi4_read_master(cfg),
                "req_valid": In(1),
                "req_ready": Out(1),
                "req_dram_addr": In(32),
                "req_row_elems": In(16),
                "req_rows": In(16),
                "req_dram_row_stride": In(32),
                "req_planes": In(16),
                "req_dram_plane_stride": In(32),
                "req_buf": In(2),
                "req_cu_mask": In(cfg.n_cu),
                "req_buf_addr": In(24),
                "req_buf_row_stride": In(24),
                "req_buf_plane_stride": In(24),
                "req_to_prog": In(1),
                "done": Out(1),
                "error": Out(1),
                "err_code": Out(4),
                "err_addr": Out(32),
                "wr": Out(BufWriteSignature(cfg)),
                "prog_valid": Out(1),
                "prog_data": Out(cfg.bus_data_bits),
                "stat_beat": Out(1),
                "stat_burst": Out(1),
                "stat_wait": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        e = cfg.bus_elems
        m.submodules.gen = gen = BurstGen(cfg)
        # hz: the burst's start has no bit above its buffer space (ports.high_zero), made
        # as the burst is queued, so that each beat's in-range test is a short sum
        rec = data.StructLayout(
            {
                "addr": 32,
                "first_mask": e,
                "last_mask": e,
                "buf_beat": 24,
                "hz": len(RANGED_SPACES),
            }
        )
        m.submodules.fifo = fifo = ShiftFIFO(width=rec.size, depth=cfg.max_outstanding)

        busy = Signal()
        buf, cu_mask, to_prog = Signal(2), Signal(cfg.n_cu), Signal()
        failed = Signal()  # an error response was seen: stop issuing
        inflight = Signal(range(cfg.max_outstanding + 1))
        beat = Signal(9)

        m.d.comb += self.req_ready.eq(~busy)
        start = self.req_valid & self.req_ready
        m.d.comb += [
            gen.load.eq(start),
            gen.d_dram_addr.eq(self.req_dram_addr),
            gen.d_row_bytes.eq(self.req_row_elems * cfg.elem_bytes),
            gen.d_rows.eq(self.req_rows),
            gen.d_dram_row_stride.eq(self.req_dram_row_stride),
            gen.d_planes.eq(self.req_planes),
            gen.d_dram_plane_stride.eq(self.req_dram_plane_stride),
            gen.d_buf_addr.eq(self.req_buf_addr),
            gen.d_buf_row_stride.eq(self.req_buf_row_stride),
            gen.d_buf_plane_stride.eq(self.req_buf_plane_stride),
        ]
        with m.If(start):
            m.d.sync += [
                busy.eq(1),
                buf.eq(self.req_buf),
                cu_mask.eq(self.req_cu_mask),
                to_prog.eq(self.req_to_prog),
                failed.eq(0),
            ]

        # --- AR: one burst per cycle while fewer than max_outstanding are in flight --------
        # A burst is taken from the generator into a register slice that drives AR the cycle
        # after (DMA_ADDR_SLICE), so ARREADY reaches the slice, not the generator: the take
        # is decided from flip-flops only.  Its record enters the in-flight queue at the take
        # (the queue's room is the in-flight limit, the slice's bursts included).  A burst
        # taken is presented on AR and drained like any other, even after an error (AXI:
        # VALID may not drop before READY); an error stops further takes.
        bus_size = cfg.bus_bytes.bit_length() - 1
        m.submodules.ar = ar = RegSlice(32 + 8)
        # the generator is told "the DMA side can take a burst" (flip-flops only); it
        # advances when it also presents one (take)
        can_take = busy & ~failed & fifo.w_rdy & ar.i_ready
        take = can_take & gen.valid
        new = rec(Signal(rec.size))
        m.d.comb += [
            gen.next.eq(can_take),
            ar.i_valid.eq(take),
            ar.i_data.eq(Cat(gen.addr, gen.length)),
            new.addr.eq(gen.addr),
            new.first_mask.eq(gen.first_mask),
            new.last_mask.eq(gen.last_mask),
            new.buf_beat.eq(gen.buf_beat),
            new.hz.eq(high_zero(gen.buf_beat, cfg)),
            fifo.w_data.eq(new.as_value()),
            fifo.w_en.eq(take),
            ar.o_ready.eq(self.m_axi_arready),
            self.m_axi_arvalid.eq(ar.o_valid),
            self.m_axi_araddr.eq(ar.o_data[:32]),
            self.m_axi_arlen.eq(ar.o_data[32:]),
            self.m_axi_arsize.eq(bus_size),
            self.m_axi_arburst.eq(1),
            self.m_axi_arcache.eq(0b0011),
        ]
        ar_fire = ar.o_valid & self.m_axi_arready
        m.d.sync += self.stat_burst.eq(ar_fire)

        # --- R: every beat is accepted; written to the buffer unless an error was seen ------
        # A burst's last beat is the one with RLAST (AXI: the slave marks it; the co-simulation's
        # protocol checker holds it to ARLEN), so the burst's end, which pops the in-flight
        # queue, is not a compare of a counter with the queue's head (Fmax)
        head = rec(fifo.r_data)
        m.d.comb += self.m_axi_rready.eq(1)
        r_fire = self.m_axi_rvalid & fifo.r_rdy
        last_beat = self.m_axi_rlast
        mask = Signal(e)
        m.d.comb += mask.eq(
            ((1 << e) - 1)
            & (head.first_mask | Cat(*[beat != 0] * e))
            & (head.last_mask | Cat(*[~last_beat] * e))
        )
        bad = (self.m_axi_rresp == Resp.SLVERR) | (self.m_axi_rresp == Resp.DECERR)
        write = r_fire & ~failed & ~bad
        # the buffer write leaves from flip-flops, the cycle after its R beat (the address
        # sum from the in-flight FIFO's head and the element mask are off the buffers'
        # write-enable paths); the engine registers it twice more, as it arrives and
        # decoded, so the last word lands two cycles after the load's done
        # (DMA_DONE_LATENCY = 1 after its last beat), still a cycle before any reader can
        # act on that done (hw/compute_engine.py)
        buf_addr = head.buf_beat + beat
        m.d.sync += [
            self.wr.valid.eq(write & ~to_prog),
            self.wr.buf.eq(buf),
            self.wr.cu_mask.eq(cu_mask),
            self.wr.addr.eq(buf_addr),
            # ports.in_range of buf_addr, without the 24-bit sum (Fmax)
            self.wr.in_range.eq(in_range_of_sum(buf, head.hz, head.buf_beat, beat, cfg)),
            self.wr.data.eq(self.m_axi_rdata),
            self.wr.mask.eq(mask),
        ]
        m.d.comb += [
            self.prog_valid.eq(write & to_prog),
            self.prog_data.eq(self.m_axi_rdata),
        ]
        m.d.sync += [
            self.stat_beat.eq(r_fire),
            self.stat_wait.eq(busy & (inflight != 0) & ~r_fire),
        ]
        burst_done = r_fire & last_beat
        m.d.comb += fifo.r_en.eq(burst_done)
        with m.If(r_fire):
            m.d.sync += beat.eq(beat + 1)
            with m.If(last_beat):
                m.d.sync += beat.eq(0)
        # the first error's code and address: held in registers (done comes a cycle later)
        code_r, addr_r = Signal(4), Signal(32)
        first_err = r_fire & bad & ~failed
        code_now = ErrorCode.READ_SLVERR + (self.m_axi_rresp == Resp.DECERR)
        m.d.comb += [self.err_code.eq(code_r), self.err_addr.eq(addr_r)]
        with m.If(first_err):
            m.d.sync += [failed.eq(1), addr_r.eq(head.addr), code_r.eq(code_now)]
        m.d.sync += inflight.eq(inflight + ar_fire - burst_done)

        # --- done: the last beat of the last burst, or an error fully drained --------------
        # registered (DMA_DONE_LATENCY): done and error leave from flip-flops the cycle
        # after, and the engine takes the next descriptor the cycle after that
        all_issued = (~gen.valid | failed | (r_fire & bad)) & ar.empty
        finishing, done_r, error_r = Signal(), Signal(), Signal()
        m.d.comb += finishing.eq(
            busy
            & ~done_r
            & all_issued
            & ~ar_fire
            & ((burst_done & (inflight == 1)) | ((inflight == 0) & (failed | (r_fire & bad))))
        )
        # error is a flip-flop of its own (not done & a flag): the controller's stop
        # decision reads it
        m.d.sync += [done_r.eq(finishing), error_r.eq(finishing & (failed | (r_fire & bad)))]
        m.d.comb += [self.done.eq(done_r), self.error.eq(error_r)]
        with m.If(done_r):
            m.d.sync += busy.eq(0)
        return m
