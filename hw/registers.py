"""AXI4-Lite register block, generated from :data:`snowsim.model.regmap.REGISTERS`.

RO constants (ID, VERSION, CONFIG0/1 from the config), RW registers (CTRL.IRQ_EN, PROG_BASE,
PROG_LEN), W1C IRQ_STATUS, self-clearing START / SOFT_RESET pulses, STATUS / ERR_ADDR from
the core, and 64-bit counters (``_HI`` latched when ``_LO`` is read; all cleared by START
and soft reset).  ``irq = IRQ_EN & |IRQ_STATUS``.

AXI4-Lite: AW and W are accepted independently (each is held until both have arrived), one
write and one read in progress at a time; ``BRESP``/``RRESP`` are OKAY for mapped offsets and
SLVERR for unmapped ones (writes to unmapped or RO offsets change nothing).  A read's word
is chosen in two registered levels: RVALID comes three cycles after the AR handshake.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snowsim.hw.axi import AXIL_ADDR_BITS, Resp, axi4_lite_slave
from snowsim.model.config import AcceleratorConfig
from snowsim.model.regmap import COUNTERS, REGISTERS, Access, by_name

__all__ = ["RegisterBlock", "constant_value"]

#: Width of each counter's per-cycle increment input.
INC_BITS = 16


def constant_value(name: str, cfg: AcceleratorConfig) -> int:
    """The value of an RO constant register (its reset value, or built from the config)."""
    reg = by_name(name)
    values = {
        "N_CU": cfg.n_cu,
        "N_VMAC": cfg.n_vmac,
        "N_LANES": cfg.n_lanes,
        "DATA_BITS": cfg.data_bits,
        "BUS_BYTES": cfg.bus_bytes,
        "MAX_BURST": cfg.max_burst_beats,
        "MAX_OUTSTANDING": cfg.max_outstanding,
    }
    if name in ("CONFIG0", "CONFIG1"):
        return sum(values[f.name] << f.lsb for f in reg.fields)
    return reg.reset


class RegisterBlock(wiring.Component):
    """Parameters
    ----------
    cfg : AcceleratorConfig

    Members
    -------
    s_axil_* : the AXI4-Lite slave port, flat names (:func:`snowsim.hw.axi.axi4_lite_slave`).
    start, soft_reset : Out(1)
        One-cycle pulses, from flip-flops, the cycle after CTRL is written with the bit set.
    irq_en : Out(1)
    prog_base, prog_len : Out(32)
    busy, done, error : In(1)
    error_code : In(4)
    err_addr : In(32)
        STATUS and ERR_ADDR.
    set_irq_done, set_irq_error : In(1)
        Pulses setting IRQ_STATUS bits.
    inc_<counter> : In(16)
        Added to the counter every cycle, two cycles later (registered twice first: no
        logic that computes an increment reaches a 64-bit counter's carry chain, or
        crosses the die, in the same cycle;
        ``counter`` is each name of ``COUNTERS``, lower case).
    irq : Out(1)
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                **axi4_lite_slave(),
                "start": Out(1),
                "soft_reset": Out(1),
                "irq_en": Out(1),
                "prog_base": Out(32),
                "prog_len": Out(32),
                "busy": In(1),
                "done": In(1),
                "error": In(1),
                "error_code": In(4),
                "err_addr": In(32),
                "set_irq_done": In(1),
                "set_irq_error": In(1),
                **{f"inc_{n.lower()}": In(INC_BITS) for n, _ in COUNTERS},
                "irq": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        p = "s_axil_"
        s = {n[len(p) :]: getattr(self, n) for n in axi4_lite_slave()}

        irq_status = Signal(2)
        counters = {n: Signal(64, name=f"cnt_{n.lower()}") for n, _ in COUNTERS}
        hi_latch = {n: Signal(32, name=f"hi_{n.lower()}") for n, _ in COUNTERS}
        # a START while BUSY is ignored (hw/accelerator.py): it clears nothing either.  The
        # clear is a flip-flop, a cycle after the pulse, for it drives the set/reset pins of
        # every counter register (about 700) and `busy` comes from the controller (Fmax):
        # the job's first strobe reaches the counters' registers two cycles after START's
        # pulse at the earliest (start_go, then BUSY), after the clear
        clear, clear_q = Signal(), Signal()
        m.d.sync += [clear.eq((self.start & ~self.busy) | self.soft_reset), clear_q.eq(clear)]
        # each increment goes through two registers before its adder: the strobes come
        # from all over the die (the AXI handshakes, the sequencers), and the first
        # register lets the placer keep their logic by its source (a strobe's LUT shared
        # with a FIFO's enable was pulled across the die to the counters: Fmax).  That
        # first register has the core's reset but no clear (Fmax: the clear -> 4.7 ns
        # across the die -> its reset pin, 8.1 ns, led the `ecp5` preset's seed 1 at
        # 928f796): the counters and the second register clear for two cycles instead, so
        # a strobe the first holds from before the clear is dropped as before, and the
        # same strobes are counted.
        for n, _ in COUNTERS:
            inc0 = Signal(INC_BITS, name=f"inc_p_{n.lower()}")
            inc = Signal(INC_BITS, name=f"inc_q_{n.lower()}")
            m.d.sync += inc0.eq(getattr(self, f"inc_{n.lower()}"))
            with m.If(clear):
                m.d.sync += hi_latch[n].eq(0)
            with m.If(clear | clear_q):
                m.d.sync += [counters[n].eq(0), inc.eq(0)]
            with m.Else():
                m.d.sync += [inc.eq(inc0), counters[n].eq(counters[n] + inc)]

        # -- write channel: AW and W independently, then B --------------------------------
        aw_have, w_have, bvalid = Signal(), Signal(), Signal()
        awaddr, wdata, wstrb = Signal(AXIL_ADDR_BITS), Signal(32), Signal(4)
        bresp = Signal(2)
        m.d.comb += [
            s["awready"].eq(~aw_have),
            s["wready"].eq(~w_have),
            s["bvalid"].eq(bvalid),
            s["bresp"].eq(bresp),
        ]
        with m.If(s["awvalid"] & ~aw_have):
            m.d.sync += [aw_have.eq(1), awaddr.eq(s["awaddr"])]
        with m.If(s["wvalid"] & ~w_have):
            m.d.sync += [w_have.eq(1), wdata.eq(s["wdata"]), wstrb.eq(s["wstrb"])]
        with m.If(bvalid & s["bready"]):
            m.d.sync += bvalid.eq(0)

        ctrl = by_name("CTRL")
        bit = {f.name: f.lsb for f in ctrl.fields}
        irq_en = Signal()
        prog_base, prog_len = Signal(32), Signal(32)
        rw = {"PROG_BASE": prog_base, "PROG_LEN": prog_len}
        do_write = Signal()
        m.d.comb += do_write.eq(aw_have & w_have & ~bvalid)
        mapped = {r.offset: r for r in REGISTERS}
        m.d.comb += [
            self.irq_en.eq(irq_en),
            self.prog_base.eq(prog_base),
            self.prog_len.eq(prog_len),
        ]
        wmask = Cat(*[wstrb[i].replicate(8) for i in range(4)])
        # START and SOFT_RESET are one-cycle pulses from flip-flops, the cycle after the
        # write: they reset the whole core, so they start from a register (Fmax)
        m.d.sync += [self.start.eq(0), self.soft_reset.eq(0)]
        with m.If(do_write):
            m.d.sync += [aw_have.eq(0), w_have.eq(0), bvalid.eq(1), bresp.eq(Resp.SLVERR)]
            with m.Switch(awaddr[2:]):
                for off, reg in mapped.items():
                    with m.Case(off >> 2):
                        m.d.sync += bresp.eq(Resp.OKAY)
                        if reg.name == "CTRL":
                            with m.If(wstrb[0]):
                                m.d.sync += irq_en.eq(wdata[bit["IRQ_EN"]])
                                m.d.sync += [
                                    self.start.eq(wdata[bit["START"]]),
                                    self.soft_reset.eq(wdata[bit["SOFT_RESET"]]),
                                ]
                        elif reg.name in rw:
                            sig = rw[reg.name]
                            m.d.sync += sig.eq((sig & ~wmask) | (wdata & wmask))
                        elif reg.access == Access.W1C:
                            m.d.sync += irq_status.eq(irq_status & ~(wdata[:2] & wmask[:2]))
        # set after clear: a cause arriving in the cycle of the W1C write is not lost
        with m.If(self.set_irq_done):
            m.d.sync += irq_status[0].eq(1)
        with m.If(self.set_irq_error):
            m.d.sync += irq_status[1].eq(1)
        m.d.comb += self.irq.eq(irq_en & irq_status.any())

        # -- read channel: the word in two registered levels ------------------------------
        # The read multiplexer gathers registers from across the design (STATUS and
        # ERR_ADDR from the controller, the counters): the word is chosen within groups of
        # eight offsets into a register per group, then among the groups (Fmax: the one
        # level from ERR_ADDR across the die was a critical path), so RVALID comes three
        # cycles after the AR handshake.  One read is in progress at a time.
        rvalid, rdata, rresp = Signal(), Signal(32), Signal(2)
        reading = Signal()  # from the AR handshake to the R handshake
        s1, s2 = Signal(), Signal()  # the two levels' cycles
        ridx = Signal(AXIL_ADDR_BITS - 2)  # the word index read (held while reading)
        m.d.comb += [
            s["arready"].eq(~reading),
            s["rvalid"].eq(rvalid),
            s["rdata"].eq(rdata),
            s["rresp"].eq(rresp),
        ]
        accept = s["arvalid"] & ~reading
        m.d.sync += [s1.eq(accept), s2.eq(s1)]
        # which counter's _LO is read, decoded as the address is taken (a flag each): the
        # _HI latches load from flip-flops, not from a decode of the held index (Fmax)
        lo_read = {n: Signal(name=f"lo_read_{n.lower()}") for n, _ in COUNTERS}
        with m.If(accept):
            m.d.sync += [reading.eq(1), ridx.eq(s["araddr"][2:])]
            m.d.sync += [
                lo_read[n].eq(s["araddr"][2:] == by_name(f"{n}_LO").offset >> 2) for n in lo_read
            ]
        with m.If(rvalid & s["rready"]):
            m.d.sync += [rvalid.eq(0), reading.eq(0)]
        status = by_name("STATUS")
        sbit = {f.name: f.lsb for f in status.fields}
        status_v = Signal(32)
        m.d.comb += status_v.eq(
            (self.busy << sbit["BUSY"])
            | (self.done << sbit["DONE"])
            | (self.error << sbit["ERROR"])
            | (self.error_code << sbit["ERROR_CODE"])
        )
        live = {
            "CTRL": irq_en << bit["IRQ_EN"],
            "STATUS": status_v,
            "IRQ_STATUS": irq_status,
            "PROG_BASE": prog_base,
            "PROG_LEN": prog_len,
            "ERR_ADDR": self.err_addr,
        }
        for n, _ in COUNTERS:
            live[f"{n}_LO"] = counters[n][:32]
            live[f"{n}_HI"] = hi_latch[n]
        # level 1: each group's word (0 and not `hit` for an unmapped offset); a _LO read
        # latches its _HI here, with the _LO value
        groups = sorted({off >> 5 for off in mapped})
        grp = {g: Signal(32, name=f"rd_grp{g}") for g in groups}
        hit = {g: Signal(name=f"rd_hit{g}") for g in groups}
        with m.If(s1):
            m.d.sync += [grp[g].eq(0) for g in groups] + [hit[g].eq(0) for g in groups]
            for g in groups:
                with m.Switch(ridx[:3]):
                    for off, reg in mapped.items():
                        if off >> 5 != g:
                            continue
                        with m.Case((off >> 2) & 7):
                            m.d.sync += hit[g].eq(1)
                            if reg.name in live:
                                m.d.sync += grp[g].eq(live[reg.name])
                            else:
                                m.d.sync += grp[g].eq(constant_value(reg.name, cfg))
            for n, flag in lo_read.items():
                with m.If(flag):
                    m.d.sync += hi_latch[n].eq(counters[n][32:])
        # level 2: the group's word, and the response
        with m.If(s2):
            m.d.sync += [rvalid.eq(1), rdata.eq(0), rresp.eq(Resp.SLVERR)]
            with m.Switch(ridx[3:]):
                for g in groups:
                    with m.Case(g):
                        m.d.sync += [
                            rdata.eq(grp[g]),
                            rresp.eq(Mux(hit[g], Resp.OKAY, Resp.SLVERR)),
                        ]
        return m
