"""The accelerator: register block, controller, three decoupled units, DMA engine and
compute engine (``docs/architecture.md``).

Controller: START (from the registers) clears the token queues and issues one read
descriptor for the whole program; the program loader routes the arriving instructions into
the three units' instruction memories; when the fetch is complete the three sequencers start
together.  The job ends when all three have halted on END — or, after a bus error, when every
engine is idle (no new instruction issues once an error is seen).  Soft reset waits until the
DMA engine is idle, then resets everything but the register block.

Every cycle count here is the one ``model/timing.py`` uses (constants in
``model/latencies.py``).
"""

from functools import partial

from amaranth import Cat, ClockDomain, DomainRenamer, Module, Mux, Signal
from amaranth.hdl import MemoryData
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from snowsim.hw.axi import axi4_lite_slave, axi4_master
from snowsim.hw.collisions import NO_RW_CHECK, collision
from snowsim.hw.compute_engine import ComputeEngine, head_flags
from snowsim.hw.credits import CreditCounter
from snowsim.hw.dma_read import DmaRead
from snowsim.hw.dma_write import DmaWrite
from snowsim.hw.fanout import replicas
from snowsim.hw.fill_engine import FillEngine, fill_moves
from snowsim.hw.instr_fields import field
from snowsim.hw.primitives import checks
from snowsim.hw.program_loader import ProgramLoader
from snowsim.hw.read_port import RegisteredReadPort
from snowsim.hw.registers import RegisterBlock
from snowsim.hw.sequencer import UnitSequencer
from snowsim.hw.tokens import TokenCounters
from snowsim.model.config import AcceleratorConfig
from snowsim.model.isa import FIELDS, INSTR_BITS, INSTR_BYTES, Op, Unit
from snowsim.model.latencies import COMPUTE_IN_FLIGHT, ENGINE_CREDITS
from snowsim.model.regmap import ErrorCode

__all__ = ["Accelerator"]


class Accelerator(wiring.Component):
    """Parameters
    ----------
    cfg : AcceleratorConfig

    Members
    -------
    clk : In(1)
        The only clock; everything is on its rising edge.
    rst : In(1)
        Active high, synchronous.  It is registered before it resets anything: the design
        is reset at the rising edge after the one that samples it (hold it one cycle or
        more), and the AXI VALID outputs are low from the edge that samples it.
    m_axi_* : the AXI4 master to DRAM (flat names, ``hw/axi.py``).
    s_axil_* : the AXI4-Lite register slave.
    irq : Out(1)
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                "clk": In(1),
                "rst": In(1),
                **axi4_master(cfg),
                **axi4_lite_slave(),
                "irq": Out(1),
            }
        )
        #: simulation check: some memory was read and written at one address in one cycle
        #: since rst (hw/collisions.py); built only with checks, read by the co-simulation
        self.sim_collision = Signal(name="sim_collision", attrs={"keep": 1})
        # bits the program loader decodes from a unit's instructions and writes after each:
        # the compute unit's, the engine queue head's flags (hw/compute_engine.py:
        # HEAD_FLAGS)
        self._loader = ProgramLoader(cfg, predecode={Unit.COMPUTE: partial(head_flags, cfg)})
        self._pre_bits = self._loader.pre_bits
        self._imem = {
            u: MemoryData(shape=INSTR_BITS + self._pre_bits[u], depth=cfg.program_depth, init=[])
            for u in Unit
        }

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        # Two domains on the one clock (one Signal: they tick together, in Amaranth's
        # simulator too): `sync` (the register block and the controller) and `core`
        # (everything else).  Each domain's reset is a flip-flop and nothing else, for it
        # reaches thousands of flip-flops' set/reset pins across the die (an OR of `rst`
        # and the soft reset in front of them limited Fmax): `rst_q` is `rst` registered,
        # `core_rst` is `rst` or the core's own reset (START, soft reset), registered.
        # The core's largest blocks - the compute engine, the DMA's read and write sides -
        # are each in a domain of their own on the clock (`core_engine`, `core_dma_rd`,
        # `core_dma_wr`), reset by a replica of `core_rst` (the same next value, the same
        # cycles), so that no one flip-flop drives every set/reset pin of the core across
        # the die (Fmax: core_rst -> 3.8 ns across the die -> a vector-unit register's
        # LSR was f3e28c1's seed-1 critical path).
        m.domains.sync = cd_sync = ClockDomain("sync", local=True)
        m.domains.core = cd_core = ClockDomain("core", local=True)
        cd_core.clk = cd_sync.clk
        rst_q = Signal(name="rst_q", reset_less=True)
        core_rst = Signal(name="core_rst", reset_less=True, attrs={"keep": 1})
        core_rst_n = Signal()  # core_rst's next value (assigned below)
        m.d.comb += [cd_sync.clk.eq(self.clk), cd_sync.rst.eq(rst_q), cd_core.rst.eq(core_rst)]
        m.d.sync += rst_q.eq(self.rst)
        blocks = ("engine", "dma_rd", "dma_wr")
        for name, block_rst in zip(blocks, replicas(m, core_rst_n, len(blocks), "core_rst_")):
            cd = ClockDomain(f"core_{name}", local=True)
            cd.clk = cd_sync.clk
            m.domains += cd
            m.d.comb += cd.rst.eq(block_rst)
        m.submodules.regs = regs = RegisterBlock(cfg)
        core = Module()
        rd, wr = DmaRead(cfg), DmaWrite(cfg)
        core.submodules.dma_rd = DomainRenamer("core_dma_rd")(rd)
        core.submodules.dma_wr = DomainRenamer("core_dma_wr")(wr)
        core.submodules.loader = loader = self._loader
        core.submodules.tokens = tokens = TokenCounters()
        core.submodules.fill = fill = FillEngine(cfg)
        engine = ComputeEngine(cfg)
        core.submodules.engine = DomainRenamer("core_engine")(engine)
        # the compute sequencer's credits for the engine's instruction queue
        core.submodules.engine_credits = credits = CreditCounter(ENGINE_CREDITS)
        imem_hits = []
        seq = {
            Unit.LOAD: UnitSequencer(cfg, 1, flag_op=Op.FILL, head_decode=fill_moves),
            Unit.COMPUTE: UnitSequencer(
                cfg, COMPUTE_IN_FLIGHT, pre_bits=self._pre_bits[Unit.COMPUTE]
            ),
            Unit.STORE: UnitSequencer(cfg, 1),
        }
        for u, s in seq.items():
            core.submodules[f"seq_{u.name.lower()}"] = s
            core.submodules[f"imem_{u.name.lower()}"] = mem = Memory(
                data=self._imem[u], attrs=NO_RW_CHECK
            )
            wp, rp = mem.write_port(), RegisteredReadPort(core, mem, f"imem_{u.name.lower()}")
            imem_hits.append(collision(wp, rp, s.imem_keep))
            n = u.name.lower()
            core.d.comb += [
                wp.en.eq(getattr(loader, f"wr_{n}_en")),
                wp.addr.eq(getattr(loader, f"wr_{n}_addr")),
                wp.data.eq(getattr(loader, f"wr_{n}_data")),
                rp.addr.eq(s.imem_addr),
                rp.en.eq(s.imem_en),
                s.imem_data.eq(rp.data),
            ]
        m.submodules.core = DomainRenamer("core")(core)
        if checks(platform):  # sticky until rst, for the co-simulation (hw/collisions.py)
            with m.If(engine.sim_collision | Cat(*imem_hits).any()):
                m.d.sync += self.sim_collision.eq(1)

        # --- AXI: the register slave, and the master shared by the two DMA sides ---------
        # AXI wants every VALID low in reset: the domains are reset a cycle after `rst` is
        # sampled, so in that cycle the VALIDs are held low by the registered resets
        for name, member in axi4_lite_slave().items():
            a, b = getattr(self, name), getattr(regs, name)
            if member.flow == In:
                m.d.comb += b.eq(a)
            else:
                m.d.comb += a.eq(b & ~rst_q if name.endswith("valid") else b)
        for name, member in axi4_master(cfg).items():
            src = rd if name in rd.signature.members else wr
            a, b = getattr(self, name), getattr(src, name)
            if member.flow == Out:
                m.d.comb += a.eq(b & ~core_rst if name.endswith("valid") else b)
            else:
                m.d.comb += b.eq(a)
        m.d.comb += self.irq.eq(regs.irq)

        # --- controller ---------------------------------------------------------------------
        busy, fetching, running, stopping, resetting = (
            Signal(name=n) for n in ("busy", "fetching", "running", "stopping", "resetting")
        )
        # running, stopping and resetting are assigned through their next values (*_n), so
        # that the job gate below can be a flip-flop holding exactly their combination
        running_n, stopping_n, resetting_n = (
            Signal(name=f"{n}_n") for n in ("running", "stopping", "resetting")
        )
        m.d.comb += [running_n.eq(running), stopping_n.eq(stopping), resetting_n.eq(resetting)]
        m.d.sync += [running.eq(running_n), stopping.eq(stopping_n), resetting.eq(resetting_n)]
        err, err_code, err_addr = Signal(name="err"), Signal(4, name="err_code"), Signal(32)
        start_seq = Signal()
        m.d.sync += start_seq.eq(0)
        # the three units halted, registered (DONE_LATENCY): the sequencers are spread over
        # the die, and the job end drives BUSY, DONE and the IRQ
        halted = Signal()
        m.d.sync += halted.eq(
            seq[Unit.LOAD].halted & seq[Unit.COMPUTE].halted & seq[Unit.STORE].halted
        )
        dma_idle = rd.req_ready & wr.req_ready
        # A stopped job ends once the DMA and FILL engines are idle, seen through a
        # register (the job end drives BUSY, the gate and the IRQ): quiet is "idle, and
        # nothing accepted" one cycle ago, so they are still idle (only an accepted request
        # makes them busy, and no unit issues while stopping)
        quiet = Signal()
        accepted = (
            (rd.req_valid & rd.req_ready)
            | (wr.req_valid & wr.req_ready)
            | (fill.valid & fill.ready)
        )
        m.d.sync += quiet.eq(dma_idle & fill.ready & ~accepted)
        # START, accepted while idle, is acted on the cycle after its pulse (start_go), with
        # the core's reset; a START while BUSY is ignored
        start_go = Signal()
        accept_start = regs.start & ~busy & ~start_go
        m.d.sync += start_go.eq(accept_start)
        m.d.comb += [
            regs.busy.eq(busy),
            regs.error.eq(err),
            regs.error_code.eq(err_code),
            regs.err_addr.eq(err_addr),
            tokens.clear.eq(start_go),
            loader.start.eq(start_go),
        ]
        for s in seq.values():
            m.d.comb += s.start.eq(start_seq)
        done_status = Signal()
        m.d.comb += regs.done.eq(done_status)

        def fail(code, addr=0):
            m.d.sync += [err.eq(1), err_code.eq(code), err_addr.eq(addr)]
            m.d.comb += stopping_n.eq(1)

        with m.If(start_go):
            m.d.sync += [
                busy.eq(1),
                fetching.eq(1),
                err.eq(0),
                err_code.eq(0),
                done_status.eq(0),
            ]
            m.d.comb += [running_n.eq(0), stopping_n.eq(0)]
        fetch_go = Signal()
        m.d.sync += fetch_go.eq(start_go)  # cycle 0: the first BUSY cycle
        m.d.comb += [rd.req_to_prog.eq(fetching)]
        # the loader's flags for the last instruction are valid the cycle after the fetch's
        # done (it registers each beat): the program is checked then
        check = Signal()
        m.d.sync += check.eq(fetching & rd.done & ~rd.error)
        with m.If(fetching & rd.error):  # (error comes with done)
            m.d.sync += fetching.eq(0)
            fail(rd.err_code, rd.err_addr)
        with m.If(check):
            m.d.sync += fetching.eq(0)
            with m.If(loader.illegal):
                fail(ErrorCode.ILLEGAL_INSTRUCTION)
            with m.Elif(loader.overflow):
                fail(ErrorCode.PROGRAM_TOO_LONG)
            with m.Else():
                m.d.sync += start_seq.eq(1)
                m.d.comb += running_n.eq(1)
        # a bus error while the job runs (`gate` is running & ~stopping: no soft reset is
        # under way while running and not stopping) - the error registers' inputs a choice
        # between the two sides' flip-flops (Fmax: the stop decision's depth)
        gate = Signal(attrs={"keep": 1})  # the job gate, below (kept: it has replicas)
        with m.If(gate & (rd.error | wr.error)):
            fail(Mux(rd.error, rd.err_code, wr.err_code), Mux(rd.error, rd.err_addr, wr.err_addr))
        finish = Signal()
        m.d.comb += finish.eq(busy & ~fetching & ~fetch_go & ((gate & halted) | (stopping & quiet)))
        with m.If(finish):
            m.d.sync += [busy.eq(0), done_status.eq(1)]
            m.d.comb += [running_n.eq(0), stopping_n.eq(0)]
            m.d.comb += [regs.set_irq_done.eq(~stopping), regs.set_irq_error.eq(stopping)]

        # soft reset: wait for the DMA engine to be idle, then reset the core for a cycle
        with m.If(regs.soft_reset):
            m.d.comb += [resetting_n.eq(1), stopping_n.eq(busy)]
        # START also resets the core: whatever an aborted job left in flight is dropped
        # (the DMA engine is idle whenever BUSY is 0).  Both resets come from a flip-flop,
        # the cycle after their cause: START is acted on in that cycle (start_go), the
        # soft reset's core is quiescent in between (no unit issues while resetting)
        m.d.comb += core_rst_n.eq(self.rst | accept_start | (resetting & dma_idle))
        m.d.sync += core_rst.eq(core_rst_n)
        with m.If(resetting & dma_idle):
            m.d.comb += [resetting_n.eq(0), running_n.eq(0), stopping_n.eq(0)]
            m.d.sync += [
                busy.eq(0),
                fetching.eq(0),
                done_status.eq(0),
                err.eq(0),
                err_code.eq(0),
            ]

        # --- program fetch: one read descriptor of the whole program --------------------
        m.d.comb += [loader.beat_valid.eq(rd.prog_valid), loader.beat_data.eq(rd.prog_data)]
        # --- load unit: LOAD -> DMA read side, FILL -> fill engine -----------------------
        ls = seq[Unit.LOAD]
        # the head is a FILL: a flip-flop of the sequencer (the issue handshake reads it)
        is_fill = ls.head_is
        # no issue outside a healthy job: the gate is a flip-flop (its value is exactly
        # running & ~stopping & ~resetting), for it drives every unit's issue handshake.
        # Its next value is written out from the only cases that change it, for its
        # depth (Fmax): it opens when the fetched program checks out (and no reset is
        # under way) and, once open, closes on a bus error, on the units' halt (the job's
        # end) or on a soft reset - the same value as running_n & ~stopping_n &
        # ~resetting_n in every cycle (a START is accepted only while not BUSY)
        opens = check & ~loader.illegal & ~loader.overflow & ~resetting
        stays = gate & ~rd.error & ~wr.error & ~halted
        gate_n = Signal()
        m.d.comb += gate_n.eq(~regs.soft_reset & (opens | stays))
        m.d.sync += gate.eq(gate_n)
        # each sequencer's hold from a copy of its own (hw/fanout.py), placed by its issue
        # logic (Fmax: the gate -> a sequencer's issue -> its token pop was 6.5 ns of routing)
        gate_ls, gate_ss, gate_cs = replicas(m, gate_n, 3, "gate_", reset_less=False)
        m.d.comb += ls.hold.eq(~gate_ls)
        with m.If(fetch_go):
            m.d.comb += [
                rd.req_valid.eq(1),
                rd.req_rows.eq(1),
                rd.req_planes.eq(1),
                rd.req_row_elems.eq(regs.prog_len * (INSTR_BYTES // cfg.elem_bytes)),
                rd.req_dram_addr.eq(regs.prog_base),
            ]
        with m.Else():
            m.d.comb += rd.req_valid.eq(ls.issue_valid & ~is_fill)
            for name, _ in FIELDS[Op.LOAD]:
                m.d.comb += getattr(rd, f"req_{name}").eq(field(ls.instr, Op.LOAD, name))
        m.d.comb += fill.valid.eq(ls.issue_valid & is_fill)
        m.d.comb += ls.issue_ready.eq(
            # (no fetch is under way when the sequencer can fire: the gate is closed then)
            (is_fill & fill.ready) | (~is_fill & rd.req_ready)
        )
        for name, _ in FIELDS[Op.FILL]:
            m.d.comb += getattr(fill, name).eq(field(ls.instr, Op.FILL, name))
        m.d.comb += fill.moves.eq(ls.head_dec)
        m.d.comb += ls.done.eq(fill.done | (rd.done & ~fetching))
        # buffer writes: from the DMA read side or the fill engine (never both in a cycle)
        with m.If(fill.wr.valid):
            m.d.comb += engine.dma_wr.valid.eq(1)
            for name in ("buf", "cu_mask", "addr", "data", "mask", "in_range"):
                m.d.comb += getattr(engine.dma_wr, name).eq(getattr(fill.wr, name))
        with m.Else():
            for name in ("valid", "buf", "cu_mask", "addr", "data", "mask", "in_range"):
                m.d.comb += getattr(engine.dma_wr, name).eq(getattr(rd.wr, name))

        # --- store unit: STORE -> DMA write side, reading the vector buffer --------------
        ss = seq[Unit.STORE]
        m.d.comb += [
            ss.hold.eq(~gate_ss),
            wr.req_valid.eq(ss.issue_valid),
            ss.issue_ready.eq(wr.req_ready),
            ss.done.eq(wr.done),
            engine.store_rd.en.eq(wr.rd.en),
            engine.store_rd.addr.eq(wr.rd.addr),
            wr.rd.data.eq(engine.store_rd.data),
        ]
        for name, _ in FIELDS[Op.STORE]:
            if name in ("buf", "cu_mask"):  # the store side always reads the vector buffer
                continue
            m.d.comb += getattr(wr, f"req_{name}").eq(field(ss.instr, Op.STORE, name))

        # --- compute unit: MAC / VEC into the engine's queue, paced by credits (the
        # engine checks the vector-buffer hazards when an instruction leaves the queue) ------
        cs = seq[Unit.COMPUTE]
        c_fire = cs.issue_valid & credits.avail
        m.d.comb += [
            cs.hold.eq(~gate_cs),
            cs.issue_ready.eq(credits.avail),
            credits.spend.eq(c_fire),
            credits.ret.eq(engine.credit),
            engine.valid.eq(c_fire),
            engine.instr.eq(cs.instr),
            engine.pre.eq(cs.pre),
            cs.done.eq(engine.done),
        ]

        # --- tokens between neighbours --------------------------------------------------
        def q(src, dst):
            return f"{src.name.lower()}_{dst.name.lower()}"

        for u, s in seq.items():
            if u > Unit.LOAD:
                prev = Unit(u - 1)
                m.d.comb += [
                    s.avail_prev.eq(getattr(tokens, f"avail_{q(prev, u)}")),
                    getattr(tokens, f"pop_{q(prev, u)}").eq(s.pop_prev),
                    getattr(tokens, f"push_{q(u, prev)}").eq(s.push_prev),
                ]
            if u < Unit.STORE:
                nxt = Unit(u + 1)
                m.d.comb += [
                    s.avail_next.eq(getattr(tokens, f"avail_{q(nxt, u)}")),
                    getattr(tokens, f"pop_{q(nxt, u)}").eq(s.pop_next),
                    getattr(tokens, f"push_{q(u, nxt)}").eq(s.push_next),
                ]

        # --- performance counters -------------------------------------------------------
        bb = cfg.bus_bytes
        m.d.comb += [
            regs.inc_cycles.eq(busy),
            regs.inc_compute_busy.eq(cs.outstanding != 0),
            regs.inc_mac_active.eq(engine.mac_active),
            regs.inc_rd_bytes.eq(rd.stat_beat * bb),
            regs.inc_rd_bursts.eq(rd.stat_burst),
            regs.inc_wr_bytes.eq(wr.stat_beat * bb),
            regs.inc_wr_bursts.eq(wr.stat_burst),
            regs.inc_rd_wait.eq(rd.stat_wait),
            regs.inc_wr_wait.eq(wr.stat_wait),
            regs.inc_load_busy.eq(ls.outstanding != 0),
            regs.inc_store_busy.eq(ss.outstanding != 0),
        ]
        return m
