"""DMA write side: STORE descriptors, AW/W/B of the AXI4 master.

An AW is driven one cycle after the descriptor handshake
(:data:`~snowsim.model.latencies.DMA_WRITE_SETUP`), then one per cycle while fewer than
:data:`~snowsim.model.latencies.DMA_MAX_WRITES_IN_FLIGHT` bursts wait for their B.  Each
accepted AW queues its burst for the data path, which reads the vector buffer one beat per
cycle from the cycle after the AW handshake (fixed read latency), puts the beat into a small
W FIFO and so presents it on W :data:`~snowsim.model.latencies.DMA_WRITE_DATA_LATENCY` cycles
after the AW handshake.  Reads are issued only while the W FIFO has room for every read in
flight, so W backpressure never loses a beat.  The store is done on its last B.

After an error (``halt``), no new AW is issued; bursts already announced still get all their
W beats, with ``WSTRB = 0`` for every beat first presented after the error.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from snowsim.hw.axi import Resp, axi4_write_master
from snowsim.hw.burst_gen import BurstGen
from snowsim.hw.dma_desc import DESC_LAYOUT, load_burst_gen
from snowsim.hw.ports import BEAT_ADDR_BITS, BufReadSignature
from snowsim.model.config import AcceleratorConfig
from snowsim.model.latencies import BUFFER_READ_LATENCY, DMA_MAX_WRITES_IN_FLIGHT
from snowsim.model.regmap import ErrorCode

__all__ = ["DmaWrite"]

#: Depth of the W FIFO: holds the beats of the buffer reads in flight while W stalls.
W_FIFO_DEPTH = 4


class DmaWrite(wiring.Component):
    """Parameters
    ----------
    cfg : AcceleratorConfig

    Members
    -------
    m_axi_aw*, m_axi_w*, m_axi_b* : AXI4 AW, W and B channels (master side).
    desc_valid : In(1)
    desc_ready : Out(1)
    desc : In(DESC_LAYOUT)
        A STORE descriptor (``buf`` is VECTOR).
    vec_r : Out(BufReadSignature)
        Vector-buffer read port (fixed latency).
    done : Out(1)
        Pulse in the cycle of the store's last B.
    halt, abort : In(1)
        As :class:`~snowsim.hw.dma_read.DmaRead`.
    err, err_code, err_addr : Out
        ``err`` pulses on a B with SLVERR/DECERR; code and burst address with it.
    quiet : Out(1)
        No AW pending and every announced burst has its B.
    perf_beat, perf_burst, perf_wait : Out(1)
        Counter strobes: W beat accepted, AW handshake, waiting (AW or W stalled, or only B
        responses outstanding).
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                **axi4_write_master(cfg),
                "desc_valid": In(1),
                "desc_ready": Out(1),
                "desc": In(DESC_LAYOUT),
                "vec_r": Out(BufReadSignature(cfg)),
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
        assert BUFFER_READ_LATENCY == 1, "the W pipeline below has one read stage"
        m = Module()
        cfg = self.cfg
        e, eb = cfg.bus_elems, cfg.elem_bytes
        full = (1 << e) - 1
        m.submodules.bg = bg = BurstGen(cfg)
        job_l = data.StructLayout(
            {"buf_beat": BEAT_ADDR_BITS, "beats": 9, "first_mask": e, "last_mask": e}
        )
        m.submodules.jobs = jobs = SyncFIFO(width=job_l.size, depth=DMA_MAX_WRITES_IN_FLIGHT)
        m.submodules.baddr = baddr = SyncFIFO(width=32, depth=DMA_MAX_WRITES_IN_FLIGHT)
        beat_l = data.StructLayout({"data": cfg.bus_data_bits, "mask": e, "last": 1})
        m.submodules.wf = wf = SyncFIFO(width=beat_l.size, depth=W_FIFO_DEPTH)
        job = data.View(job_l, jobs.r_data)
        wbeat = data.View(beat_l, wf.r_data)

        active = Signal()
        all_issued = Signal()
        b_out = Signal(range(DMA_MAX_WRITES_IN_FLIGHT + 1))
        aw_pending = Signal()

        m.d.comb += self.desc_ready.eq(~active & ~self.halt)
        with m.If(self.desc_valid & self.desc_ready):
            m.d.sync += active.eq(1)
            m.d.comb += bg.load.eq(1)
        m.d.comb += load_burst_gen(bg, self.desc, cfg)

        # AW
        aw_fire = Signal()
        m.d.comb += [
            self.m_axi_awvalid.eq(
                active & bg.valid & (aw_pending | (~self.halt & (b_out < DMA_MAX_WRITES_IN_FLIGHT)))
            ),
            self.m_axi_awaddr.eq(bg.addr),
            self.m_axi_awlen.eq(bg.beats - 1),
            self.m_axi_awsize.eq(cfg.bus_bytes.bit_length() - 1),
            self.m_axi_awburst.eq(1),
            self.m_axi_awcache.eq(0b0011),
            aw_fire.eq(self.m_axi_awvalid & self.m_axi_awready),
            bg.next.eq(aw_fire),
            jobs.w_en.eq(aw_fire),
            jobs.w_data.eq(Cat(bg.buf_beat, bg.beats, bg.first_mask, bg.last_mask)),
            baddr.w_en.eq(aw_fire),
            baddr.w_data.eq(bg.addr),
        ]
        m.d.sync += aw_pending.eq(self.m_axi_awvalid & ~self.m_axi_awready)
        with m.If(aw_fire & bg.last):
            m.d.sync += all_issued.eq(1)

        # buffer reads -> W FIFO
        k = Signal(9)
        rd = Signal()
        in_flight = Signal()  # a read issued last cycle: its beat enters the FIFO now
        s_mask = Signal(e)
        s_last = Signal()
        job_last = Signal()
        m.d.comb += [
            job_last.eq(k == job.beats - 1),
            rd.eq(jobs.r_rdy & (wf.level + in_flight < W_FIFO_DEPTH)),
            jobs.r_en.eq(rd & job_last),
            self.vec_r.en.eq(rd),
            self.vec_r.addr.eq(job.buf_beat + k),
        ]
        with m.If(rd):
            m.d.sync += k.eq(Mux(job_last, 0, k + 1))
        m.d.sync += [
            in_flight.eq(rd),
            s_mask.eq(Mux(k == 0, job.first_mask, full) & Mux(job_last, job.last_mask, full)),
            s_last.eq(job_last),
        ]
        m.d.comb += [
            wf.w_en.eq(in_flight),
            wf.w_data.eq(Cat(self.vec_r.data, s_mask, s_last)),
        ]

        # W: a beat first presented after the error goes out with WSTRB = 0; a stalled beat
        # keeps its strobes (payload stable while WVALID & ~WREADY).
        stalled = Signal()
        masked_q = Signal()
        masked = Signal()
        m.d.comb += [
            masked.eq(Mux(stalled, masked_q, self.halt)),
            self.m_axi_wvalid.eq(wf.r_rdy),
            self.m_axi_wdata.eq(wbeat.data),
            self.m_axi_wstrb.eq(
                Mux(masked, 0, Cat(*[wbeat.mask[i].replicate(eb) for i in range(e)]))
            ),
            self.m_axi_wlast.eq(wbeat.last),
            wf.r_en.eq(self.m_axi_wready),
        ]
        m.d.sync += [
            stalled.eq(self.m_axi_wvalid & ~self.m_axi_wready),
            masked_q.eq(masked),
        ]

        # B
        b_fire = Signal()
        bad = Signal()
        m.d.comb += [
            self.m_axi_bready.eq(1),
            b_fire.eq(self.m_axi_bvalid),
            bad.eq(self.m_axi_bresp[1]),
            baddr.r_en.eq(b_fire),
            self.done.eq(b_fire & ~bad & ~self.halt & all_issued & (b_out == 1)),
            self.err.eq(b_fire & bad),
            self.err_code.eq(
                Mux(
                    self.m_axi_bresp == Resp.DECERR,
                    ErrorCode.WRITE_DECERR,
                    ErrorCode.WRITE_SLVERR,
                )
            ),
            self.err_addr.eq(baddr.r_data),
            self.quiet.eq((b_out == 0) & ~self.m_axi_awvalid),
            self.perf_beat.eq(self.m_axi_wvalid & self.m_axi_wready),
            self.perf_burst.eq(aw_fire),
            self.perf_wait.eq(
                (self.m_axi_awvalid & ~self.m_axi_awready)
                | (self.m_axi_wvalid & ~self.m_axi_wready)
                | ((b_out != 0) & ~self.m_axi_wvalid & ~jobs.r_rdy & ~in_flight)
            ),
        ]
        m.d.sync += b_out.eq(b_out + aw_fire - b_fire)
        with m.If(self.done | self.abort):
            m.d.sync += [active.eq(0), all_issued.eq(0)]
        with m.If(self.abort):
            m.d.sync += k.eq(0)
        return m
