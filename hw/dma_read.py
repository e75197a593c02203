"""DMA read side: LOAD descriptors and the program fetch, AR/R of the AXI4 master.

Bursts come from :class:`~snowsim.hw.burst_gen.BurstGen` (the splitting of
:func:`snowsim.model.dma.split_row`).  An AR is driven one cycle after the descriptor
handshake (:data:`~snowsim.model.latencies.DMA_READ_SETUP`) and then one per cycle while fewer
than ``max_outstanding`` bursts are in flight; a burst leaves the count the cycle after its
last beat.  ``RREADY`` is always 1: every R beat is written into the buffers (or handed to the
program loader) in the cycle it arrives.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from snowsim.hw.axi import Resp, axi4_read_master
from snowsim.hw.burst_gen import BurstGen
from snowsim.hw.dma_desc import DESC_LAYOUT, load_burst_gen
from snowsim.hw.ports import BEAT_ADDR_BITS, BufWriteSignature
from snowsim.model.config import AcceleratorConfig
from snowsim.model.regmap import ErrorCode

__all__ = ["DmaRead"]


class DmaRead(wiring.Component):
    """Parameters
    ----------
    cfg : AcceleratorConfig

    Members
    -------
    m_axi_ar*, m_axi_r* : AXI4 AR and R channels (master side).
    desc_valid : In(1)
    desc_ready : Out(1)
        Handshake of ``desc`` (and ``to_prog``); ready while no descriptor is active.
    desc : In(DESC_LAYOUT)
    to_prog : In(1)
        Send the beats to ``prog_valid``/``prog_data`` instead of the buffers.
    buf_w : Out(BufWriteSignature)
    prog_valid, prog_data : Out
        Program beats in address order.
    done : Out(1)
        Pulse in the cycle of the descriptor's last beat.
    halt : In(1)
        Stop issuing ARs and writing beats (an error or a soft reset is pending).
    abort : In(1)
        Drop the active descriptor (only while ``quiet``).
    err, err_code, err_addr : Out
        ``err`` pulses on an R beat with SLVERR/DECERR; code and burst address with it.
    quiet : Out(1)
        No burst outstanding and no AR pending.
    perf_beat, perf_burst, perf_wait : Out(1)
        Counter strobes: R beat accepted, AR handshake, burst outstanding but no beat.
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                **axi4_read_master(cfg),
                "desc_valid": In(1),
                "desc_ready": Out(1),
                "desc": In(DESC_LAYOUT),
                "to_prog": In(1),
                "buf_w": Out(BufWriteSignature(cfg)),
                "prog_valid": Out(1),
                "prog_data": Out(cfg.bus_data_bits),
                "done": Out(1),
                "halt": In(1),
                "abort": In(1),
                "err": Out(1),
                "err_code": Out(4),
                "err_addr": Out(32),
                "quiet": Out(1),
                "perf_beat": Out(1),
                "perf_burst": Out(1),
                "perf_wait": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        e = cfg.bus_elems
        full = (1 << e) - 1
        m.submodules.bg = bg = BurstGen(cfg)
        info = data.StructLayout(
            {
                "addr": 32,
                "buf_beat": BEAT_ADDR_BITS,
                "beats": 9,
                "first_mask": e,
                "last_mask": e,
                "last": 1,
            }
        )
        m.submodules.fifo = fifo = SyncFIFO(width=info.size, depth=cfg.max_outstanding)
        head = data.View(info, fifo.r_data)

        active = Signal()
        prog = Signal()
        buf = Signal(2)
        cu_mask = Signal(cfg.n_cu)
        outstanding = Signal(range(cfg.max_outstanding + 1))
        ar_pending = Signal()  # ARVALID was high without ARREADY: keep it up
        k = Signal(9)  # beat within the head burst

        m.d.comb += self.desc_ready.eq(~active & ~self.halt)
        with m.If(self.desc_valid & self.desc_ready):
            m.d.sync += [
                active.eq(1),
                prog.eq(self.to_prog),
                buf.eq(self.desc.buf),
                cu_mask.eq(self.desc.cu_mask),
            ]
            m.d.comb += bg.load.eq(1)
        m.d.comb += load_burst_gen(bg, self.desc, cfg)

        # AR
        ar_fire = Signal()
        m.d.comb += [
            self.m_axi_arvalid.eq(
                active
                & bg.valid
                & (ar_pending | (~self.halt & (outstanding < cfg.max_outstanding)))
            ),
            self.m_axi_araddr.eq(bg.addr),
            self.m_axi_arlen.eq(bg.beats - 1),
            self.m_axi_arsize.eq(cfg.bus_bytes.bit_length() - 1),
            self.m_axi_arburst.eq(1),
            self.m_axi_arcache.eq(0b0011),
            ar_fire.eq(self.m_axi_arvalid & self.m_axi_arready),
            bg.next.eq(ar_fire),
            fifo.w_en.eq(ar_fire),
            fifo.w_data.eq(
                Cat(bg.addr, bg.buf_beat, bg.beats, bg.first_mask, bg.last_mask, bg.last)
            ),
        ]
        m.d.sync += ar_pending.eq(self.m_axi_arvalid & ~self.m_axi_arready)

        # R
        r_fire = Signal()
        last_beat = Signal()
        bad = Signal()
        m.d.comb += [
            self.m_axi_rready.eq(1),
            r_fire.eq(self.m_axi_rvalid),
            last_beat.eq(k == head.beats - 1),
            bad.eq(self.m_axi_rresp[1]),
            fifo.r_en.eq(r_fire & last_beat),
        ]
        with m.If(r_fire):
            m.d.sync += k.eq(Mux(last_beat, 0, k + 1))
        m.d.sync += outstanding.eq(outstanding + ar_fire - (r_fire & last_beat))

        write = Signal()
        m.d.comb += [
            write.eq(r_fire & ~self.halt & ~bad),
            self.buf_w.valid.eq(write & ~prog),
            self.buf_w.buf.eq(buf),
            self.buf_w.cu_mask.eq(cu_mask),
            self.buf_w.addr.eq(head.buf_beat + k),
            self.buf_w.data.eq(self.m_axi_rdata),
            self.buf_w.mask.eq(
                Mux(k == 0, head.first_mask, full) & Mux(last_beat, head.last_mask, full)
            ),
            self.prog_valid.eq(write & prog),
            self.prog_data.eq(self.m_axi_rdata),
            self.done.eq(write & last_beat & head.last),
            self.err.eq(r_fire & bad),
            self.err_code.eq(
                Mux(
                    self.m_axi_rresp == Resp.DECERR,
                    ErrorCode.READ_DECERR,
                    ErrorCode.READ_SLVERR,
                )
            ),
            self.err_addr.eq(head.addr),
            self.quiet.eq((outstanding == 0) & ~self.m_axi_arvalid),
            self.perf_beat.eq(r_fire),
            self.perf_burst.eq(ar_fire),
            self.perf_wait.eq((outstanding != 0) & ~r_fire),
        ]
        with m.If(self.done | self.abort):
            m.d.sync += active.eq(0)
        with m.If(self.abort):
            m.d.sync += k.eq(0)
        return m
