"""DMA write side: an AXI4 write master that copies the vector buffer to a 3-D DRAM
descriptor.

AWs go out one per cycle (at most ``DMA_MAX_WRITES_IN_FLIGHT`` awaiting B).  W data never
runs ahead of its AW: a burst's beats are read from the vector buffer from the cycle after its
AW handshake, through a small FIFO and a register slice that drives W (WREADY reaches only
the slice) and keeps W valid held under back-pressure; ``WSTRB``
masks partial first/last beats and ``WLAST`` marks each burst's last beat.  The store is done
when the last B arrives.  A ``SLVERR``/``DECERR`` stops new AWs; bursts already announced get
their beats with ``WSTRB = 0`` (nothing more is written), and the store ends with ``error``
once every B is back.  Timing is :func:`snowsim.model.dma.write_cycles`.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from snowsim.hw.axi import Resp, axi4_write_master
from snowsim.hw.burst_gen import BurstGen
from snowsim.hw.delay import delayed
from snowsim.hw.ports import BufReadSignature
from snowsim.hw.reg_slice import RegSlice
from snowsim.hw.ring_fifo import PrefetchRingFIFO
from snowsim.hw.thermometer import up_down
from snowsim.model.config import AcceleratorConfig
from snowsim.model.latencies import BUFFER_READ_LATENCY, DMA_MAX_WRITES_IN_FLIGHT
from snowsim.model.regmap import ErrorCode

__all__ = ["DmaWrite"]

W_FIFO_DEPTH = 4


class DmaWrite(wiring.Component):
    """Parameters
    ----------
    cfg : AcceleratorConfig

    Members
    -------
    m_axi_aw*, m_axi_w*, m_axi_b* :
        The AXI4 write channels.
    req_valid : In(1), req_ready : Out(1)
    req_dram_addr, req_row_elems, req_rows, req_dram_row_stride, req_planes,
    req_dram_plane_stride, req_buf_addr, req_buf_row_stride, req_buf_plane_stride : In
        A STORE descriptor (the source is the vector buffer).
    rd : Out(BufReadSignature)
        Vector-buffer read port (fixed latency).
    done, error : Out(1); err_code : Out(4); err_addr : Out(32)
    stat_beat, stat_burst, stat_wait : Out(1)
        A W beat sent, an AW handshake, a cycle with data to send and W or AW not taken or
        with B outstanding - the cycle after, each from a flip-flop (the wait: an OR of
        one flip-flop per channel).
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                **axi4_write_master(cfg),
                "req_valid": In(1),
                "req_ready": Out(1),
                "req_dram_addr": In(32),
                "req_row_elems": In(16),
                "req_rows": In(16),
                "req_dram_row_stride": In(32),
                "req_planes": In(16),
                "req_dram_plane_stride": In(32),
                "req_buf_addr": In(24),
                "req_buf_row_stride": In(24),
                "req_buf_plane_stride": In(24),
                "rd": Out(BufReadSignature(cfg)),
                "done": Out(1),
                "error": Out(1),
                "err_code": Out(4),
                "err_addr": Out(32),
                "stat_beat": Out(1),
                "stat_burst": Out(1),
                "stat_wait": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        e, eb = cfg.bus_elems, cfg.elem_bytes
        m.submodules.gen = gen = BurstGen(cfg)
        rec = data.StructLayout(
            # last: the burst's last beat index (beats - 1: AWLEN); the burst's address waits
            # for its B in bq; one: a single beat (last == 0, so that the current burst's
            # load is no compare)
            {"last": 8, "one": 1, "first_mask": e, "last_mask": e, "buf_beat": 24}
        )
        n_fl = DMA_MAX_WRITES_IN_FLIGHT
        # bursts announced on AW whose W beats are not all read yet; its pop (the current
        # burst's end) reloads only the head register (a shift register's pop enabled all
        # sixteen entries: about 800 late inputs at 110 MHz), in slices of at most 12 bits
        # with a read pointer each (Fmax: from one pointer the reload of the whole head
        # led two of five `tiny` runs, b9f3b00 with -cmp2softlogic, 5.4 ns of routing),
        # one-hot, so that the reload is an AND-OR of the entries, not a 16:1 multiplexer
        m.submodules.wq = wq = PrefetchRingFIFO(
            width=rec.size, depth=n_fl, pointer_copies=-(-rec.size // 12), one_hot=True
        )
        # addresses of bursts awaiting B (for ERR_ADDR)
        m.submodules.bq = bq = SyncFIFO(width=32, depth=n_fl)
        wbeat = data.StructLayout({"data": cfg.bus_data_bits, "strb": cfg.bus_bytes, "last": 1})
        # the W beats, in flip-flops with the head in a register of its own (the same cycles
        # as a SyncFIFO): W comes straight out of flip-flops and a push enables one entry,
        # decoded from the write pointer (Fmax: the LUT-RAM FIFO's level -> 3.2 ns -> its
        # write enables -> 3.0 ns -> the level, 7.9 ns, was the `ecp5` preset's seed 1's third
        # worst path at 08b1a33)
        m.submodules.wf = wf = PrefetchRingFIFO(
            width=wbeat.size, depth=W_FIFO_DEPTH, pointer_copies=-(-wbeat.size // 12)
        )

        busy, failed = Signal(), Signal()
        m.d.comb += self.req_ready.eq(~busy)
        start = self.req_valid & self.req_ready
        m.d.comb += [
            gen.load.eq(start),
            gen.d_dram_addr.eq(self.req_dram_addr),
            gen.d_row_bytes.eq(self.req_row_elems * eb),
            gen.d_rows.eq(self.req_rows),
            gen.d_dram_row_stride.eq(self.req_dram_row_stride),
            gen.d_planes.eq(self.req_planes),
            gen.d_dram_plane_stride.eq(self.req_dram_plane_stride),
            gen.d_buf_addr.eq(self.req_buf_addr),
            gen.d_buf_row_stride.eq(self.req_buf_row_stride),
            gen.d_buf_plane_stride.eq(self.req_buf_plane_stride),
        ]
        with m.If(start):
            m.d.sync += [busy.eq(1), failed.eq(0)]

        # --- AW ---------------------------------------------------------------------------
        # A burst is taken from the generator into a register slice that drives AW the cycle
        # after (DMA_ADDR_SLICE), so AWREADY reaches the slice, not the generator: the take
        # is decided from flip-flops only.  The in-flight limit counts bursts from their take
        # to their B (`room`, a flip-flop, as bq's own w_rdy would be a compare of its
        # level).  A burst taken is announced on AW even after an error (AXI: VALID may not
        # drop before READY) and gets its beats with WSTRB = 0; an error stops further takes.
        slice_rec = data.StructLayout({"addr": 32, "b": rec})
        m.submodules.aw = aw = RegSlice(slice_rec.size)
        room = Signal()  # fewer than n_fl bursts taken and not answered on B
        # the generator is told "the DMA side can take a burst" (flip-flops only); it
        # advances when it also presents one (take)
        can_take = busy & ~failed & room & aw.i_ready
        take = can_take & gen.valid
        into = slice_rec(Signal(slice_rec.size))
        m.d.comb += [
            gen.next.eq(can_take),
            into.addr.eq(gen.addr),
            into.b.last.eq(gen.length),
            into.b.one.eq(gen.length == 0),
            into.b.first_mask.eq(gen.first_mask),
            into.b.last_mask.eq(gen.last_mask),
            into.b.buf_beat.eq(gen.buf_beat),
            aw.i_valid.eq(take),
            aw.i_data.eq(into.as_value()),
            aw.o_ready.eq(self.m_axi_awready),
        ]
        out_aw = slice_rec(aw.o_data)
        m.d.comb += [
            self.m_axi_awvalid.eq(aw.o_valid),
            self.m_axi_awaddr.eq(out_aw.addr),
            self.m_axi_awlen.eq(out_aw.b.last),
            self.m_axi_awsize.eq(cfg.bus_bytes.bit_length() - 1),
            self.m_axi_awburst.eq(1),
            self.m_axi_awcache.eq(0b0011),
        ]
        aw_fire = aw.o_valid & self.m_axi_awready
        new = out_aw.b
        m.d.comb += [
            bq.w_data.eq(out_aw.addr),
            bq.w_en.eq(aw_fire),
        ]
        m.d.sync += self.stat_burst.eq(aw_fire)

        # --- W data: read the buffer for the current burst, one beat per cycle ---------------
        # The burst being read is held in registers of its own, loaded as the previous one's
        # last beat is read (or while idle) from the queue's head, or from the AW itself when
        # the queue is empty: its buffer address counts up and its last beat is a flag, so
        # the read decision and the queue's pop start at flip-flops (Fmax).  A burst's first
        # beat is read the cycle after its AW handshake at the earliest, as before.
        head = rec(wq.r_data)
        cur_valid, cur_first, cur_last = Signal(), Signal(), Signal()
        cur_left = Signal(8)  # beats after the one read next
        cur_addr = Signal(24)
        cur_fm, cur_lm = Signal(e), Signal(e)
        # W FIFO entries taken: its level plus the buffer reads whose data is not in it yet,
        # kept as one count
        taken = Signal(range(W_FIFO_DEPTH + 1))
        space = Signal(init=1)  # taken < W_FIFO_DEPTH, as a flip-flop
        rd_go = cur_valid & space
        r_last = cur_last
        free = ~cur_valid | (rd_go & cur_last)  # the current burst ends (or none): load one
        # A burst accepted on AW waits in a one-entry register (`nx`) before the queue, so
        # the queue's push - its entries' enables - starts at flip-flops, not at the
        # AW handshake (Fmax).  The current burst loads from the oldest of the queue's
        # head, `nx` and the AW itself, so the cycles are those of a direct push.
        nx_v = Signal()
        nx_r = rec(Signal(rec.size, reset_less=True))  # used only while nx_v
        src = rec(Signal(rec.size))
        m.d.comb += src.eq(Mux(wq.r_rdy, head, Mux(nx_v, nx_r, new)))
        load = free & (wq.r_rdy | nx_v | aw_fire)  # a burst becomes current
        # The current burst's fields load whenever one is offered, taken or not - from
        # the AW slice while its valid is up, even before AWREADY - and only `cur_valid`
        # waits for the AW handshake: the fields are read only once it is set, so their
        # sixty-odd enables are flip-flops' LUTs, not the handshake's (Fmax: AWVALID &
        # AWREADY -> 4.4 ns across the die -> these enables was the critical path of
        # d6781f8's seeds 4 and 6 and of the ecp5 preset's seed 1)
        load_fields = free & (wq.r_rdy | nx_v | aw.o_valid)
        takes_nx = free & ~wq.r_rdy & nx_v  # nx goes straight to the current burst
        takes_new = free & ~wq.r_rdy & ~nx_v  # ... or the AW does (when it fires)
        m.d.sync += [nx_v.eq(aw_fire & ~takes_new), nx_r.eq(new)]
        m.d.comb += [
            wq.w_data.eq(nx_r.as_value()),
            wq.w_en.eq(nx_v & ~takes_nx),
            wq.r_en.eq(free & wq.r_rdy),
            self.rd.en.eq(rd_go),
            self.rd.addr.eq(cur_addr),
        ]
        with m.If(load):
            m.d.sync += cur_valid.eq(1)
        with m.Elif(rd_go):
            m.d.sync += cur_valid.eq(~cur_last)
        with m.If(load_fields):
            m.d.sync += [
                cur_first.eq(1),
                cur_last.eq(src.one),
                cur_left.eq(src.last),
                cur_addr.eq(src.buf_beat),
                cur_fm.eq(src.first_mask),
                cur_lm.eq(src.last_mask),
            ]
        with m.Elif(rd_go):
            m.d.sync += [
                cur_first.eq(0),
                cur_last.eq(cur_left == 1),
                cur_left.eq(cur_left - 1),
                cur_addr.eq(cur_addr + 1),
            ]
        emask = Signal(e)
        m.d.comb += emask.eq(
            ((1 << e) - 1) & (cur_fm | Cat(*[~cur_first] * e)) & (cur_lm | Cat(*[~cur_last] * e))
        )
        # the beat's strobe and last flag travel alongside the buffer read
        strb = Cat(*[emask[i // eb] for i in range(cfg.bus_bytes)])
        d_valid = delayed(m, rd_go, BUFFER_READ_LATENCY, "d_valid")
        d_strb = delayed(m, strb, BUFFER_READ_LATENCY, "d_strb")
        d_last = delayed(m, r_last, BUFFER_READ_LATENCY, "d_last")
        wb = wbeat(Signal(wbeat.size))
        m.d.comb += [
            wb.data.eq(self.rd.data),
            wb.strb.eq(Mux(failed, 0, d_strb)),
            wb.last.eq(d_last),
            wf.w_data.eq(wb.as_value()),
            wf.w_en.eq(d_valid),
        ]
        # W is driven from a register slice (DMA_W_SLICE) fed by the FIFO, so that WREADY
        # reaches only the slice's registers: the FIFO pops on the slice's i_ready, a
        # flip-flop, and its head, pointers, flags and this side's counters are steered by
        # flip-flops alone (Fmax: the FIFO's r_rdy -> the pop's LUT of WREADY -> 3 to 5.5 ns
        # across the die -> a head slice's read-pointer copy or `space` led `tiny`'s seeds 3
        # and 4 and the `ecp5` preset's seed 1 at 35f2f6f)
        m.submodules.ws = ws = RegSlice(wbeat.size)
        m.d.comb += [
            ws.i_valid.eq(wf.r_rdy),
            ws.i_data.eq(wf.r_data),
            wf.r_en.eq(ws.i_ready),
            ws.o_ready.eq(self.m_axi_wready),
        ]
        out = wbeat(ws.o_data)
        m.d.comb += [
            self.m_axi_wvalid.eq(ws.o_valid),
            self.m_axi_wdata.eq(out.data),
            self.m_axi_wstrb.eq(out.strb),  # stable once presented (AXI)
            self.m_axi_wlast.eq(out.last),
        ]
        w_fire = ws.o_valid & self.m_axi_wready  # a beat on the bus
        w_pop = wf.r_rdy & ws.i_ready  # a beat leaves the FIFO for the slice
        m.d.sync += self.stat_beat.eq(w_fire)
        m.d.sync += taken.eq(taken + rd_go - w_pop)
        with m.If(rd_go & ~w_pop):
            m.d.sync += space.eq(taken < W_FIFO_DEPTH - 1)
        with m.Elif(w_pop & ~rd_go):
            m.d.sync += space.eq(1)

        # --- B ------------------------------------------------------------------------------
        m.d.comb += [self.m_axi_bready.eq(1), bq.r_en.eq(self.m_axi_bvalid & bq.r_rdy)]
        b_fire = self.m_axi_bvalid & bq.r_rdy
        # the bursts taken and not answered, a thermometer code: `room` is its top bit's
        # complement, a flip-flop, and the take (late: the generator's valid) meets the
        # count in one LUT per bit, no counter's carry chain (Fmax: ab639f4's seeds 1
        # and 2 had the count's sum late)
        taken_n = up_down(m, "taken_n", n_fl, take, b_fire)
        m.d.comb += room.eq(~taken_n[n_fl - 1])
        bad = (self.m_axi_bresp == Resp.SLVERR) | (self.m_axi_bresp == Resp.DECERR)
        code_r, addr_r = Signal(4), Signal(32)
        first_err = b_fire & bad & ~failed
        code_now = ErrorCode.WRITE_SLVERR + (self.m_axi_bresp == Resp.DECERR)
        # held in registers: done comes a cycle after the last B (DMA_DONE_LATENCY)
        m.d.comb += [self.err_code.eq(code_r), self.err_addr.eq(addr_r)]
        with m.If(first_err):
            m.d.sync += [failed.eq(1), addr_r.eq(bq.r_data), code_r.eq(code_now)]
        # a wait of each channel in a flip-flop of its own, beside that channel's logic,
        # and the cycle's wait their OR (Fmax: one flip-flop of all three put the W slice's
        # o_valid -> its LUT of WREADY -> 4.1 ns across the die -> the B side's wait, 8.6 ns,
        # in `tiny`'s seed 1 at 2b6f4f7)
        waits = {
            "w": ws.o_valid & ~self.m_axi_wready,
            "aw": aw.o_valid & ~self.m_axi_awready,
            "b": bq.r_rdy & ~b_fire,
        }
        wait_q = [Signal(name=f"{k}_wait") for k in waits]
        m.d.sync += [q.eq(busy & w) for q, w in zip(wait_q, waits.values(), strict=True)]
        m.d.comb += self.stat_wait.eq(Cat(*wait_q).any())
        # done: the B of the last announced burst, nothing more to announce; registered
        # (DMA_DONE_LATENCY), the engine takes the next descriptor the cycle after
        # The generator's valid is read a cycle late, from a flip-flop beside this logic
        # (Fmax: the write generator's `active` -> 3.4 ns across the die -> here -> `error`
        # was 6eb0dd9's seed-1 critical path).  The same decisions: while a descriptor
        # runs the valid stays up until its last burst is taken (hw/burst_gen.py: its walk
        # is active to the end), and that take's burst is in the AW slice the next cycle
        # (`aw.empty` low); it rises only as a descriptor starts, with no B due
        gen_valid_q = Signal()
        m.d.sync += gen_valid_q.eq(gen.valid)
        nothing_left = (~gen_valid_q | failed | (b_fire & bad)) & aw.empty
        done_r, error_r = Signal(), Signal()
        finishing = busy & ~done_r & b_fire & (bq.level == 1) & nothing_left
        # error is a flip-flop of its own (not done & a flag): the controller's stop
        # decision reads it
        m.d.sync += [done_r.eq(finishing), error_r.eq(finishing & (failed | bad))]
        m.d.comb += [self.done.eq(done_r), self.error.eq(error_r)]
        with m.If(done_r):
            m.d.sync += busy.eq(0)
        return m
