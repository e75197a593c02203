"""DMA engine: the accelerator's AXI4 master, a read side and a write side that run
concurrently, with one error and soft-reset policy for both.

A SLVERR/DECERR on R or B records the first error (code and burst address) and halts both
sides in the same cycle: no new AR/AW, no more buffer or program writes, W beats of bursts
already announced go out with ``WSTRB = 0``.  Every outstanding transaction is drained (R
beats accepted, B responses collected); then ``error`` rises.  ``soft_reset`` halts the same
way and, once the bus is quiet, returns everything to idle (and clears the error).
"""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snowsim.hw.axi import axi4_master
from snowsim.hw.dma_desc import DESC_LAYOUT
from snowsim.hw.dma_read import DmaRead
from snowsim.hw.dma_write import DmaWrite
from snowsim.hw.ports import BufReadSignature, BufWriteSignature
from snowsim.model.config import AcceleratorConfig

__all__ = ["DmaEngine"]

_PERF = ("rd_beat", "rd_burst", "rd_wait", "wr_beat", "wr_burst", "wr_wait")


class DmaEngine(wiring.Component):
    """Parameters
    ----------
    cfg : AcceleratorConfig

    Members
    -------
    m_axi_* : the AXI4 master port, flat names (:func:`snowsim.hw.axi.axi4_master`).
    rd_valid, rd_ready, rd_desc, rd_prog, rd_done :
        Read descriptor handshake (LOAD fields, ``rd_prog``: beats go to the program loader)
        and its completion pulse (the cycle of the last beat).
    wr_valid, wr_ready, wr_desc, wr_done :
        Write (STORE) descriptor handshake and its completion pulse (the cycle of the last B).
    buf_w : Out(BufWriteSignature)
        Load beats into the buffers.
    prog_valid, prog_data : Out
        Program-fetch beats.
    vec_r : Out(BufReadSignature)
        Store reads from the vector buffer.
    soft_reset : In(1)
        Pulse: halt, drain, return to idle.
    error, error_code, error_addr : Out
        ``error`` is 1 once the failed job has drained, until soft reset; ``error_code`` is
        a :class:`~snowsim.model.regmap.ErrorCode`, ``error_addr`` the failing burst's address.
    idle : Out(1)
        No descriptor active, nothing outstanding on the bus.
    perf_rd_beat, perf_rd_burst, perf_rd_wait, perf_wr_beat, perf_wr_burst, perf_wr_wait :
        Out(1) counter strobes (``model.regmap.COUNTERS``; bytes are beats x bus bytes).
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                **axi4_master(cfg),
                "rd_valid": In(1),
                "rd_ready": Out(1),
                "rd_desc": In(DESC_LAYOUT),
                "rd_prog": In(1),
                "rd_done": Out(1),
                "wr_valid": In(1),
                "wr_ready": Out(1),
                "wr_desc": In(DESC_LAYOUT),
                "wr_done": Out(1),
                "buf_w": Out(BufWriteSignature(cfg)),
                "prog_valid": Out(1),
                "prog_data": Out(cfg.bus_data_bits),
                "vec_r": Out(BufReadSignature(cfg)),
                "soft_reset": In(1),
                "error": Out(1),
                "error_code": Out(4),
                "error_addr": Out(32),
                "idle": Out(1),
                **{f"perf_{n}": Out(1) for n in _PERF},
            }
        )

    def elaborate(self, platform):
        m = Module()
        m.submodules.rd = rd = DmaRead(self.cfg)
        m.submodules.wr = wr = DmaWrite(self.cfg)
        for name in axi4_master(self.cfg):
            ch = name[len("m_axi_") :]
            side = rd if ch.startswith(("ar", "r")) else wr
            port, inner = getattr(self, name), getattr(side, name)
            if self.signature.members[name].flow == wiring.In:
                m.d.comb += inner.eq(port)
            else:
                m.d.comb += port.eq(inner)

        err_seen = Signal()
        sr_pending = Signal()
        quiet = Signal()
        halt = Signal()
        m.d.comb += [
            quiet.eq(rd.quiet & wr.quiet),
            halt.eq(err_seen | sr_pending | rd.err | wr.err),
            rd.halt.eq(halt),
            wr.halt.eq(halt),
            rd.desc_valid.eq(self.rd_valid),
            rd.desc.eq(self.rd_desc),
            rd.to_prog.eq(self.rd_prog),
            self.rd_ready.eq(rd.desc_ready),
            self.rd_done.eq(rd.done),
            wr.desc_valid.eq(self.wr_valid),
            wr.desc.eq(self.wr_desc),
            self.wr_ready.eq(wr.desc_ready),
            self.wr_done.eq(wr.done),
        ]
        wiring.connect(m, wiring.flipped(self.buf_w), rd.buf_w)
        wiring.connect(m, wiring.flipped(self.vec_r), wr.vec_r)
        m.d.comb += [self.prog_valid.eq(rd.prog_valid), self.prog_data.eq(rd.prog_data)]
        for side, pre in ((rd, "rd"), (wr, "wr")):
            for n in ("beat", "burst", "wait"):
                m.d.comb += getattr(self, f"perf_{pre}_{n}").eq(getattr(side, f"perf_{n}"))

        with m.If(~err_seen):
            with m.If(rd.err):
                m.d.sync += [
                    err_seen.eq(1),
                    self.error_code.eq(rd.err_code),
                    self.error_addr.eq(rd.err_addr),
                ]
            with m.Elif(wr.err):
                m.d.sync += [
                    err_seen.eq(1),
                    self.error_code.eq(wr.err_code),
                    self.error_addr.eq(wr.err_addr),
                ]
        with m.If(self.soft_reset):
            m.d.sync += sr_pending.eq(1)
        abort = Signal()
        m.d.comb += [
            abort.eq(sr_pending & quiet),
            rd.abort.eq(abort),
            wr.abort.eq(abort),
            self.error.eq(err_seen & quiet & ~sr_pending),
            self.idle.eq(quiet & rd.desc_ready & wr.desc_ready),
        ]
        with m.If(abort):
            m.d.sync += [
                sr_pending.eq(0),
                err_seen.eq(0),
                self.error_code.eq(0),
                self.error_addr.eq(0),
            ]
        return m
