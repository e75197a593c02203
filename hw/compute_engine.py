"""Compute engine: the MAC array (``n_cu`` CUs x ``n_vmac`` vMACs x ``n_lanes`` lanes) with
its buffers, the MAC-instruction sequencer, the drain into the vector buffer, and the vector
unit.  ``docs/architecture.md`` sections 2-4 define what it computes; ``docs/timing.md`` the
cycle rules the timing model counts.

MAC pipeline, for an issue in cycle ``t-1``: the maps address (its walkers run a cycle
behind the loop registers) and the issue's control registered (``t``, ``MAC_MAPS_ADDRESS``),
the maps read (``t``, its word in the block RAM's output register in ``t+2``:
:mod:`~snowsim.hw.read_port`), the word copied into a register beside each vMAC (``t+2``)
and the lanes' element selected from the copy into a register (``t+3``), the weights read
(``t+1``, in the output register in ``t+3``, copied beside their vMAC), operands registered
(``t+4``), products registered (``t+5``, in the hard multiplier) and again (``t+6``, in the
fabric), accumulators updated (``t+7``), sums valid in ``t+8`` (operands to accumulators:
one :class:`~snowsim.hw.vmac.VMac` per CU and vMAC) — written back to the accumulator memory
(whose row was read in ``t+4``, is in its output register in ``t+6`` and becomes the start
value registered for ``t+7``; rows the four steps ahead write back are forwarded), or
captured by the drain chain, which requantises (bias and round half up, the shift in two
stages, saturation and ReLU in two: five register stages) and writes one vector word per
cycle from ``t + MAC_DRAIN_DONE`` (the issue + ``MAC_DRAIN_DONE + 1``: ``model/latencies.py``).

Instruction flow: instructions arrive through a register into a queue of
``ENGINE_CREDITS`` entries, paced by credits (the sender fires while it holds one; a credit
returns, from a flip-flop, as an instruction leaves the queue), so no handshake signal
crosses between the sequencer and the engine in one cycle.  The queue's head is the slot.  A
MAC leaves it and becomes current when the previous one issues its last MAC, so MAC
instructions follow each other with no idle cycle (one handed over while the array is idle
starts issuing three cycles later); a VEC leaves it for the vector unit.  The vector-buffer
hazards hold an instruction in the slot: a VEC waits for the previous VEC and every draining
MAC to complete, a draining MAC for the VEC.  A pixel step of a draining MAC may not end
sooner than ``n_cu * n_vmac`` cycles after the previous draining step (the drain chain's
length).  A VEC runs in the vector unit beside MAC instructions that do not drain (they
touch no vector-buffer word); completions are reported in program order.
"""

from itertools import pairwise
from types import SimpleNamespace

from amaranth import Array, Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.hdl import MemoryData
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from snowsim.hw.collisions import NO_RW_CHECK, collision
from snowsim.hw.delay import delayed
from snowsim.hw.fanout import replicas
from snowsim.hw.instr_fields import field
from snowsim.hw.multiplier import PipelinedMultiplier
from snowsim.hw.ports import VEC_ADDR_BITS, BufReadSignature, BufWriteSignature, space_bits
from snowsim.hw.primitives import checks
from snowsim.hw.read_port import RegisteredReadPort
from snowsim.hw.ring_fifo import RingFIFO
from snowsim.hw.select_update import one_hot_update
from snowsim.hw.shift_fifo import ShiftFIFO
from snowsim.hw.thermometer import nonzero_next, up_down
from snowsim.hw.vector_unit import PREDECODE, VectorUnit, predecode
from snowsim.hw.vmac import VMac
from snowsim.model.config import AcceleratorConfig
from snowsim.model.isa import FIELDS, INSTR_BITS, Buf, Op
from snowsim.model.latencies import (
    COMPUTE_IN_FLIGHT,
    COMPUTE_REPORT,
    ENGINE_CREDITS,
    MAC_ACC_DONE,
    MAC_DRAIN_DONE,
    MAC_MAPS_ADDRESS,
    MAC_OPERAND_SELECT,
)

__all__ = ["HEAD_FLAGS", "ComputeEngine", "head_flags"]


def _is_pow2(x: int) -> bool:
    return x > 0 and x & (x - 1) == 0


def _product_at_most(a, b, limit: int):
    """``a * b <= limit`` for unsigned ``a``, ``b`` and a small constant ``limit``, without
    the multiplication: a zero factor, or a pair of small factors whose product fits.  The
    factors' high bits (above ``limit``'s) are tested for zero apart from the table of
    their low bits, so that no compare spans a whole factor (Fmax)."""
    k = limit.bit_length()
    lo_a, lo_b = a[:k], b[:k]
    # (lo_b <= limit // x) only where it is not always true (lint: no constant compares)
    small = Cat(
        *[
            (lo_a == x) & ((lo_b <= limit // x) if limit // x < (1 << k) - 1 else 1)
            for x in range(1, limit + 1)
        ]
    ).any()
    return (a == 0) | (b == 0) | ((a[k:] == 0) & (b[k:] == 0) & small)


#: The engine queue head's flags: the few bits of a queue entry that the take reads and
#: the loop registers' load sends on to the loop-end flags, which the ring keeps in its
#: head flip-flops.  They are decoded from the instruction as the program loader writes
#: it into the compute unit's instruction memory, stored beside it there and in the
#: sequencer's ring, and reach the engine (``pre``) with it, so that no decode stands
#: between the queue's write data and the ring's prefetch choice (Fmax: the write data ->
#: the flags' decode -> the prefetch choice -> ``head_fin0`` was the critical path of
#: five of the 21 tiny runs of d26646c, d6781f8 and 6eb0dd9).  ``steps2``, which only the
#: loop registers' load reads, is among them for the same reason (decoded in the engine,
#: the queue's write data -> four LUTs -> the ring entry led `tiny`'s seed 2 at 1336574).
HEAD_FLAGS = data.StructLayout(
    {
        "vec": 1,
        "drain": 1,
        "single": 3,  # each loop has one iteration
        "all_single": 1,  # every loop has one iteration: a step is one MAC
        "steps1": 1,  # npix <= pixels per step: the first step is the last
        "steps2": 1,  # npix <= 2 * pixels per step: the second step is the last
        "fin0": 1,  # all_single & steps1: the first MAC is the instruction's last
    }
)


def head_flags(cfg: AcceleratorConfig, instr: Value) -> Value:
    """The :data:`HEAD_FLAGS` of an encoded instruction (``instr``, ``INSTR_BITS`` wide):
    a value of ``HEAD_FLAGS.size`` bits in the layout's order.  The loop and pixel flags are
    decoded from the MAC fields whatever the opcode (a VEC's are never read)."""
    op = instr[0:4]
    f = {name: field(instr, Op.MAC, name) for name in ("k0_count", "k1_count", "k2_count")}
    px, py = field(instr, Op.MAC, "px_count"), field(instr, Op.MAC, "py_count")
    single = Cat(f["k0_count"] == 1, f["k1_count"] <= 1, f["k2_count"] <= 1)
    # the step count's two smallest cases from the pixel counts themselves (no multiplier)
    steps1, steps2 = (
        Mux(
            field(instr, Op.MAC, "pixel_mode"),
            _product_at_most(px, py, n * cfg.n_cu),
            _product_at_most(px, py, n),
        )
        for n in (1, 2)
    )
    value = {
        "vec": op == Op.VEC,
        "drain": (op == Op.MAC) & field(instr, Op.MAC, "drain"),
        "single": single,
        "all_single": single.all(),
        "steps1": steps1,
        "steps2": steps2,
        "fin0": single.all() & steps1,
    }
    return Cat(*(value[name] for name in HEAD_FLAGS.members))


class ComputeEngine(wiring.Component):
    """Parameters
    ----------
    cfg : AcceleratorConfig

    Members
    -------
    valid : In(1), instr : In(INSTR_BITS)
        MAC and VEC instructions, in program order, registered on entry.  The sender
        offers one (``valid``) only while it holds a credit: it starts with
        ``ENGINE_CREDITS`` (:class:`~snowsim.hw.credits.CreditCounter`).
    pre : In(HEAD_FLAGS)
        :func:`head_flags` of ``instr``, decoded before the instruction reaches the engine
        (the program loader stores them beside it in the compute unit's memory).
    credit : Out(1)
        Pulse, from a flip-flop: an instruction left the engine's queue; one credit
        returns to the sender.
    done : Out(1)
        Pulse, from a flip-flop: the oldest accepted instruction not yet reported is
        complete (program order; at most ``COMPUTE_IN_FLIGHT`` accepted and not
        reported), ``COMPUTE_REPORT`` cycles after the engine's decision.
    dma_wr : In(BufWriteSignature)
        Beats into the maps, weights and bias buffers.
    store_rd : In(BufReadSignature)
        The store side's read port of the vector buffer.
    mac_active : Out(16)
        MAC lanes that issued useful work in the previous cycle (the MAC_ACTIVE increment).
    """

    def __init__(self, cfg: AcceleratorConfig):
        for name in ("n_lanes", "bus_elems", "word_beats"):
            if not _is_pow2(getattr(cfg, name)):
                raise ValueError(
                    f"the compute engine needs a power-of-two {name}, not {getattr(cfg, name)!r}"
                )
        self.cfg = cfg
        d, a, n = cfg.data_bits, cfg.acc_bits, cfg.n_lanes
        self._maps = [
            MemoryData(shape=cfg.bus_elems * d, depth=cfg.maps_depth // cfg.bus_elems, init=[])
            for _ in range(cfg.n_cu)
        ]
        self._weights = [
            [MemoryData(shape=n * d, depth=cfg.weights_depth, init=[]) for _ in range(cfg.n_vmac)]
            for _ in range(cfg.n_cu)
        ]
        self._bias = [
            [MemoryData(shape=n * 2 * d, depth=cfg.bias_depth, init=[]) for _ in range(cfg.n_vmac)]
            for _ in range(cfg.n_cu)
        ]
        self._acc = [
            [MemoryData(shape=n * a, depth=cfg.acc_depth, init=[]) for _ in range(cfg.n_vmac)]
            for _ in range(cfg.n_cu)
        ]
        self._vec = MemoryData(shape=n * d, depth=cfg.vector_depth, init=[])
        #: simulation check (hw/collisions.py): a buffer read and written at one address
        #: this cycle; driven only when elaborated with checks, not a port
        self.sim_collision = Signal(name="buffer_collision")
        super().__init__(
            {
                "valid": In(1),
                "instr": In(INSTR_BITS),
                "pre": In(HEAD_FLAGS),
                "credit": Out(1),
                "done": Out(1),
                "dma_wr": In(BufWriteSignature(cfg)),
                "store_rd": In(BufReadSignature(cfg)),
                "mac_active": Out(16),
            }
        )

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        d, a, n, e = cfg.data_bits, cfg.acc_bits, cfg.n_lanes, cfg.bus_elems
        ncu, nv = cfg.n_cu, cfg.n_vmac
        words = ncu * nv  # drain chain length
        le = e.bit_length() - 1
        wb_bits = cfg.word_beats.bit_length() - 1
        lanes = data.ArrayLayout(signed(d), n)
        accs = data.ArrayLayout(signed(a), n)
        biases = data.ArrayLayout(signed(2 * d), n)

        # ---- buffers and their DMA side ---------------------------------------------
        # The DMA side's writes (LOAD and FILL beats) are registered as they arrive (the
        # beat is the DMA read side's or the FILL engine's, chosen by a multiplexer in
        # the core), then decoded into each block RAM's write enables, address and data
        # through registers (the write ports are driven from the sync domain): the choice,
        # the decode and the routes to block RAMs across the die are three cycles, not
        # one.  A word is written two cycles after the beat's register, two cycles after
        # the load's done at the latest; the first read of a loaded buffer is three
        # cycles after the done at the earliest (the token, the compute handshake, the
        # take), and the co-simulation's collision check holds it.
        # The beat's register holds, besides its data and mask, one "for this buffer of
        # this CU" flag per buffer kind and CU (valid & buf & cu_mask, decoded as the beat
        # arrives) and a copy of the address per CU, loaded only with that CU's beats (so
        # that Yosys does not merge the copies): each CU decodes its write enables from
        # registers of its own, by its block RAMs, not from a decode shared across the die
        # (Fmax).
        dw = SimpleNamespace()
        for name in ("data", "mask"):
            setattr(
                dw,
                name,
                Signal.like(getattr(self.dma_wr, name), name=f"dw_{name}", reset_less=True),
            )
        m.d.sync += [getattr(dw, name).eq(getattr(self.dma_wr, name)) for name in vars(dw)]
        dw_to = {
            k: [Signal(name=f"dw_{k.name.lower()}{c}") for c in range(ncu)]
            for k in (Buf.MAPS, Buf.WEIGHTS, Buf.BIAS)
        }
        for k, flags in dw_to.items():
            for c, flag in enumerate(flags):
                m.d.sync += flag.eq(
                    self.dma_wr.valid
                    & (self.dma_wr.buf == k)
                    & self.dma_wr.cu_mask[c]
                    & self.dma_wr.in_range
                )
        dw_addr = [
            Signal.like(self.dma_wr.addr, name=f"dw_addr{c}", reset_less=True) for c in range(ncu)
        ]
        for c in range(ncu):
            with m.If(self.dma_wr.valid & self.dma_wr.cu_mask[c]):
                m.d.sync += dw_addr[c].eq(self.dma_wr.addr)

        def dma_port(port, name):
            # The DMA side's port signals, each a register without reset (m.d.sync drives
            # them): a write port's own signals would take the core reset, and with it a
            # LUT in front of every enable's LSR and the reset's fan-out over the data and
            # address bits (Fmax: core_rst -> a maps enable's LSR, 6.4 ns of routing, was
            # a critical path).  A beat the DMA delivered before the core reset is written
            # up to two cycles after the reset takes effect (one, with the ports' resets):
            # into its own buffer, at its own address; no buffer's contents are reset.
            regs = SimpleNamespace(
                **{
                    f: Signal.like(getattr(port, f), name=f"{name}_{f}", reset_less=True)
                    for f in ("addr", "data", "en")
                }
            )
            m.d.comb += [getattr(port, f).eq(r) for f, r in vars(regs).items()]
            return regs

        maps_rp, w_rp, b_rp, acc_rp, acc_wp = [], [], [], [], []
        maps_wp, w_wp, b_wp = [], [], []  # the DMA side's ports, for the collision check
        for c in range(ncu):
            m.submodules[f"maps{c}"] = mem = Memory(data=self._maps[c], attrs=NO_RW_CHECK)
            wp = mem.write_port(granularity=d)
            maps_wp.append(wp)
            wr = dma_port(wp, f"maps{c}_w")
            m.d.sync += [
                wr.addr.eq(dw_addr[c]),
                wr.en.eq(Mux(dw_to[Buf.MAPS][c], dw.mask, 0)),
                wr.data.eq(dw.data),
            ]
            maps_rp.append(RegisteredReadPort(m, mem, f"maps{c}"))
            w_rp.append([])
            w_wp.append([])
            b_rp.append([])
            b_wp.append([])
            acc_rp.append([])
            acc_wp.append([])
            for v in range(nv):
                # weights: beat b -> vMAC b // (depth*word_beats), word, part of the word
                m.submodules[f"w{c}_{v}"] = wmem = Memory(
                    data=self._weights[c][v], attrs=NO_RW_CHECK
                )
                wwp = wmem.write_port(granularity=d)
                w_wp[c].append(wwp)
                per_vmac = cfg.weights_depth * cfg.word_beats
                # the vMAC-select bits only: the bits above are zero (in_range)
                vsel = dw_addr[c][ceil_log2(per_vmac) : space_bits(Buf.WEIGHTS, cfg)]
                rest = dw_addr[c] % per_vmac
                part = rest % cfg.word_beats if cfg.word_beats > 1 else 0
                hit = dw_to[Buf.WEIGHTS][c] & ((vsel == v) if len(vsel) else 1)
                wr = dma_port(wwp, f"w{c}_{v}_w")
                m.d.sync += [
                    wr.addr.eq(rest >> wb_bits),
                    wr.data.eq(dw.data.replicate(cfg.word_beats)),
                    wr.en.eq(Mux(hit, dw.mask << (part * e) if cfg.word_beats > 1 else dw.mask, 0)),
                ]
                w_rp[c].append(RegisteredReadPort(m, wmem, f"w{c}_{v}"))
                # bias: words of n_lanes x 2*data_bits, written as data_bits halves
                m.submodules[f"b{c}_{v}"] = bmem = Memory(data=self._bias[c][v], attrs=NO_RW_CHECK)
                bwp = bmem.write_port(granularity=d)
                b_wp[c].append(bwp)
                b_beats = 2 * n // e  # beats per bias word
                per_vmac_b = cfg.bias_depth * b_beats
                bvsel = dw_addr[c][ceil_log2(per_vmac_b) : space_bits(Buf.BIAS, cfg)]
                brest = dw_addr[c] % per_vmac_b
                bpart = brest % b_beats
                bhit = dw_to[Buf.BIAS][c] & ((bvsel == v) if len(bvsel) else 1)
                wr = dma_port(bwp, f"b{c}_{v}_w")
                m.d.sync += [
                    wr.addr.eq(brest // b_beats),
                    wr.data.eq(dw.data.replicate(b_beats)),
                    wr.en.eq(Mux(bhit, dw.mask << (bpart * e), 0)),
                ]
                b_rp[c].append(RegisteredReadPort(m, bmem, f"b{c}_{v}"))
                # A read of the row written back in the same cycle is never used (d = 4 in
                # the datapath takes that row from wb_q2), so the memory may return anything
                # then (hw/collisions.py); the only buffer whose collisions are not checked
                m.submodules[f"acc{c}_{v}"] = amem = Memory(data=self._acc[c][v], attrs=NO_RW_CHECK)
                awp = amem.write_port()
                acc_wp[c].append(awp)
                acc_rp[c].append(RegisteredReadPort(m, amem, f"acc{c}_{v}"))  # see the datapath

        # ---- issue queue and dispatch -----------------------------------------------
        # The sequencer hands instructions over through a register and a queue of
        # ENGINE_CREDITS entries, paced by credits (hw/credits.py): it fires while it holds
        # a credit, and the engine returns one, from a flip-flop, for every instruction that
        # leaves the queue.  No signal of the handshake crosses between the two in the same
        # cycle (the compute issue handshake limited Fmax).  The head of the queue is the
        # slot: a MAC leaves it when the array is idle or on the current MAC's last issue, a
        # VEC for the vector unit.  The vector-buffer hazards are checked there: a VEC waits
        # until the previous VEC and every draining MAC are complete; a draining MAC until
        # the VEC is complete.  A MAC that does not drain touches no vector-buffer word and
        # runs beside a VEC (docs/architecture.md section 5).
        in_valid = Signal()
        in_instr = Signal(INSTR_BITS, reset_less=True)  # used only with in_valid
        in_pre = Signal(HEAD_FLAGS, reset_less=True)
        m.d.sync += [in_valid.eq(self.valid), in_instr.eq(self.instr), in_pre.eq(self.pre)]
        entry = data.StructLayout(
            {
                # first: the bits the take decides by, and those the loop registers' load
                # sends on to the loop-end flags and their replicas (HEAD_FLAGS, decoded
                # before the engine), kept in the ring's head flip-flops (Fmax: the
                # head's single flags -> the ring's read multiplexer -> their AND ->
                # k_last's case -> its replicas, four LUTs, was c2's seed-1 critical path)
                **HEAD_FLAGS.members,
                "instr": INSTR_BITS,
                "npix": 24,
                "row_span": 28,
                "vec_pre": PREDECODE,  # a VEC's predecode (hw/vector_unit.py)
                # the loop registers' start values that need arithmetic on the fields,
                # computed as the instruction enters (the take then loads registers)
                # each loop's end - 2 (its counter is compared with it one step ahead), and
                # whether its end - 1 is 0
                "ppen": data.StructLayout({"k0": 16, "k1": 8, "k2": 8}),
                "pen0": 3,
                "adv": 24,  # maps address step from one pixel step to the next
                "adv_py": 24,  # ... plus py_stride (the row wrap's step, less row_span)
                "wrap_at": 13,  # px_count - pixels per step
                "thr_step": 15,  # wrap_at - pixels per step (signed)
                "wrap0": ncu,  # each CU's first pixel wraps: start >= wrap_at
                "out_step": VEC_ADDR_BITS,  # vector-word step from one pixel step to the next
                "base": data.ArrayLayout(24, ncu),  # maps address of each CU's first pixel
            }
        )
        # a ring: the take (a late decision) moves a pointer, not every entry's flip-flops;
        # `vec` and `drain`, which the take itself reads, come from flip-flops (head_bits:
        # the slot -> take -> the ring's flags was six LUTs, Fmax), and so do the loop
        # flags (all of HEAD_FLAGS, the entry's first bits)
        m.submodules.slots = slots = RingFIFO(
            width=entry.size, depth=ENGINE_CREDITS, head_bits=HEAD_FLAGS.size
        )
        w_entry, head = Signal(entry), Signal(entry)
        # a MAC's pixel count px_count * py_count and row span px_count * px_stride, from
        # multipliers whose operand registers load with in_instr: the products arrive with
        # it and enter the queue entry (no multiplier between two fabric registers)
        mul_npix = m.submodules.mul_npix = PipelinedMultiplier(12, 12, product_register=False)
        mul_span = m.submodules.mul_span = PipelinedMultiplier(12, 16, product_register=False)
        m.d.comb += [
            mul_npix.a.eq(field(self.instr, Op.MAC, "px_count")),
            mul_npix.b.eq(field(self.instr, Op.MAC, "py_count")),
            mul_span.a.eq(field(self.instr, Op.MAC, "px_count")),
            mul_span.b.eq(field(self.instr, Op.MAC, "px_stride")),
        ]
        m.d.comb += [
            w_entry.instr.eq(in_instr),
            w_entry.npix.eq(mul_npix.p),
            w_entry.row_span.eq(mul_span.p),
            w_entry.vec_pre.eq(predecode(in_instr)),
            *(w_entry[name].eq(in_pre[name]) for name in HEAD_FLAGS.members),
            slots.w_data.eq(w_entry),
            slots.w_en.eq(in_valid),
            head.eq(slots.r_data),
        ]
        # the loop registers' start values (the take loads them without arithmetic)
        in_f = {name: field(in_instr, Op.MAC, name) for name, _ in FIELDS[Op.MAC]}
        in_pixels = Mux(in_f["pixel_mode"], ncu, 1)
        in_adv = Mux(in_f["pixel_mode"], ncu * in_f["px_stride"], in_f["px_stride"])
        m.d.comb += [
            # a loop of n iterations ends at n - 1 (k1 / k2 count 0 counts as 1): end - 2
            # is n - 3, or -2 for a count of 0, chosen after the subtraction (its carry
            # chain starts at the field's flip-flops, not after the zero test: Fmax, the
            # zero test then the chain into the ring entry was among the latest inputs of
            # every 7ed77bc seed)
            w_entry.ppen.k0.eq(in_f["k0_count"] - 3),  # k0_count is at least 1
            w_entry.ppen.k1.eq(Mux(in_f["k1_count"] == 0, -2, in_f["k1_count"] - 3)),
            w_entry.ppen.k2.eq(Mux(in_f["k2_count"] == 0, -2, in_f["k2_count"] - 3)),
            w_entry.pen0.eq(
                Cat(in_f["k0_count"] == 2, in_f["k1_count"] == 2, in_f["k2_count"] == 2)
            ),
            w_entry.adv.eq(in_adv),
            w_entry.adv_py.eq(in_adv + in_f["py_stride"]),
            w_entry.wrap_at.eq(in_f["px_count"] - in_pixels),
            w_entry.thr_step.eq(in_f["px_count"] - 2 * in_pixels),
            # start >= px_count - pixels, with start = c, pixels = ncu in pixel mode (else
            # 0, 1): compares of the field with constants, no subtraction before them
            w_entry.wrap0.eq(
                Cat(
                    *(
                        Mux(in_f["pixel_mode"], in_f["px_count"] <= c + ncu, in_f["px_count"] <= 1)
                        for c in range(ncu)
                    )
                )
            ),
            w_entry.out_step.eq(
                Mux(in_f["pixel_mode"], in_f["out_pix_stride"] * ncu, in_f["out_pix_stride"])
            ),
        ]
        for c in range(ncu):
            start = Mux(in_f["pixel_mode"], c, 0)
            m.d.comb += w_entry.base[c].eq(in_f["maps_addr"] + start * in_f["px_stride"])
        slot, slot_valid, slot_npix = head.instr, slots.r_rdy, head.npix
        slot_is_vec, slot_drain, slot_pre = head.vec, head.drain, head.vec_pre
        vec_busy = Signal()  # a VEC taken from the slot and not complete
        drain_any = Signal(name="drain_any")  # draining MACs taken and not complete (below)
        can_take = Signal()  # the slot's MAC becomes current (MAC sequencer, below)
        vec_take = Signal()  # the slot's VEC goes to the vector unit
        vu_ready = Signal()  # the vector unit is idle (it is built below)
        m.d.comb += [
            vec_take.eq(slot_valid & slot_is_vec & ~vec_busy & ~drain_any & vu_ready),
            slots.r_en.eq(can_take | vec_take),
        ]
        m.d.sync += self.credit.eq(slots.r_en)

        # MAC completions, in order among MACs: a shift register with a bit per cycle ahead
        # (bit i: a completion i + 1 cycles after this one), set the cycle after the
        # instruction's last issue (below); `lag` counts the cycles to the last scheduled
        # completion, so that each is at least one cycle after the previous.  mac_done is
        # bit 0, registered.  `lag` is a thermometer code (bit i: lag > i), so that its
        # step down is a shift, the max below an OR and the new completion's bit a LUT of
        # two neighbouring bits, with no compare, increment or decoder (Fmax: with
        # MAC_DRAIN_DONE 12 the count needs a fifth bit, and its compare, sum and decode
        # into `mac_due` were 6c0aa9c's seed-2 critical path)
        horizon = MAC_DRAIN_DONE + words  # the latest completion, in cycles after the issue
        due = Signal(horizon, name="mac_due")
        due_drain = Signal(horizon, name="mac_due_drain")
        lag = Signal(horizon, name="mac_lag")
        mac_done, done_drains = Signal(), Signal()
        m.d.sync += [
            mac_done.eq(due[0]),
            done_drains.eq(due_drain[0]),
            due.eq(due >> 1),
            due_drain.eq(due_drain >> 1),
            lag.eq(lag >> 1),  # lag - 1, or 0
        ]

        def therm(x):  # the thermometer code of x >= 0
            return Const((1 << x) - 1, horizon)

        def schedule(drains):
            # a completion `delay` cycles after this one (horizon - 1 for a draining MAC,
            # else MAC_ACC_DONE - 1), or the cycle after the previous: `at` = max(delay,
            # lag + 1) cycles from now, bit at - 2 of the register's next value, and lag
            # becomes at - 1.  As codes: T(at - 1) = T(delay - 1) | T(lag), T(at - 2) =
            # T(delay - 2) | T(lag - 1), and the bit is where they differ.
            t1 = Mux(drains, therm(horizon - 2), therm(MAC_ACC_DONE - 2)) | lag
            t2 = Mux(drains, therm(horizon - 3), therm(MAC_ACC_DONE - 3)) | (lag >> 1)
            onehot = t1 & ~t2
            return [
                due.eq((due >> 1) | onehot),
                due_drain.eq((due_drain >> 1) | Mux(drains, onehot, 0)),
                lag.eq(t1),
            ]

        # Completions are reported in program order (the sequencer pops each instruction's
        # token pushes in that order): the kind of every accepted instruction is queued,
        # completions not yet reportable are counted, and the oldest is reported as soon
        # as it is complete, one per cycle.
        m.submodules.order = order = ShiftFIFO(width=1, depth=COMPUTE_IN_FLIGHT)
        vec_done = Signal()  # a VEC completes (the cycle after the vector unit's done)
        head_vec = order.r_data[0]
        # "a completion is counted" flags (pend != 0) as flip-flops: the report reaches the
        # sequencer's token pushes and must start at flip-flops
        mac_any, vec_any = Signal(), Signal()
        report = order.r_rdy & Mux(head_vec, vec_any | vec_done, mac_any | mac_done)
        m.d.comb += [
            order.w_en.eq(in_valid),
            order.w_data.eq(w_entry.vec),
            order.r_en.eq(report),
        ]
        # the report leaves through COMPUTE_REPORT flip-flops: the first by the engine's
        # decision, the last by its loads, the compute sequencer's token pushes and
        # push-flag queue, placed away from the engine - the crossing between them has no
        # logic (Fmax: from one flip-flop, the crossing then four LUTs to the token
        # counters was the critical path of two of ae1d42f's three seeds, 6.5 ns of routing)
        reported = report
        for i in range(COMPUTE_REPORT):
            reported_q = Signal(name=f"report_q{i}")
            m.d.sync += reported_q.eq(reported)
            reported = reported_q
        m.d.comb += self.done.eq(reported)
        for kind, any_, done, taken in (
            ("mac", mac_any, mac_done, report & ~head_vec),
            ("vec", vec_any, vec_done, report & head_vec),
        ):
            pend = up_down(m, f"{kind}_pend", COMPUTE_IN_FLIGHT, done, taken)
            m.d.sync += any_.eq(nonzero_next(pend, done, taken))  # pend + done - taken != 0
        d_inc, d_dec = can_take & slot_drain, mac_done & done_drains
        drains = up_down(m, "drain_cnt", COMPUTE_IN_FLIGHT, d_inc, d_dec)
        # "a draining MAC is not complete", for the VEC take, a flip-flop of its own (as
        # mac_any above), placed by the take's logic rather than by the count's (Fmax:
        # drain_cnt's bit 0 -> 3.3 ns across the die -> four LUTs of the take -> the queue's
        # pointer was e645cd8's seed-1 critical path, 112.2 MHz)
        m.d.sync += drain_any.eq(nonzero_next(drains, d_inc, d_dec))
        with m.If(vec_take):
            m.d.sync += vec_busy.eq(1)
        with m.Elif(vec_done):
            m.d.sync += vec_busy.eq(0)

        # ---- MAC sequencer ---------------------------------------------------------------
        # (`keep`: the five flip-flops the loop decisions read, and the inner loops' end
        # flags, are replicated below, and an original not kept would be merged with one
        # of its replicas)
        kept = {"keep": 1}
        f = {
            name: Signal(width, name=f"cur_{name}", attrs=kept if name == "drain" else {})
            for name, width in FIELDS[Op.MAC]
        }
        active = Signal(attrs=kept)  # a MAC instruction is current
        k0, k1, k2 = Signal(16), Signal(8), Signal(8)
        # The last MAC of a step and the last step come out of flip-flops (Fmax): each loop
        # level keeps an "at its end" flag, updated with its counter: a counter at end - 1
        # steps onto its end.  That "at end - 1" is a flip-flop too (`pen_hit`), updated
        # as the counter moves: 1 + k == end - 1 is k == end - 2 (`ppen`, registered with
        # the bounds), and a counter returning to 0 is at end - 1 when end - 1 is 0.
        # The flags are assigned as next-state values (`*_n`, below), so that what the issue
        # and take decisions read - the step's last MAC, the instruction's last MAC - are
        # flip-flops of their own, not ANDs of the flags.
        k_ppen = [Signal(16, name="k0_ppen"), Signal(8, name="k1_ppen"), Signal(8, name="k2_ppen")]
        pen0 = [Signal(name=f"k{i}_pen0") for i in range(3)]  # end - 1 == 0
        pen_hit = [Signal(name=f"k{i}_pen_hit") for i in range(3)]  # counter == end - 1
        at_end = [Signal(name=f"k{i}_at_end", attrs=kept) for i in range(3)]
        at_end_n = [Signal(name=f"k{i}_at_end_next") for i in range(3)]
        single = [Signal(name=f"k{i}_single") for i in range(3)]  # one iteration
        step_last = Signal()  # the current pixel step is the instruction's last
        step_last_n = Signal()
        k_last = Signal(attrs=kept)  # the current MAC is its step's last (all loops at their end)
        fin = Signal(attrs=kept)  # ... and the step is the instruction's last
        m.d.comb += [at_end_n[i].eq(at_end[i]) for i in range(3)]
        m.d.comb += step_last_n.eq(step_last)
        m.d.sync += [at_end[i].eq(at_end_n[i]) for i in range(3)]
        m.d.sync += step_last.eq(step_last_n)
        # the pixels from CU 0's to the end, npix - pix[0]: loaded with npix itself, no
        # subtraction between the queue's head and the register (Fmax: npix - 2 * pixels
        # at the load put a carry chain on `left`'s path, 19 of c2's seed-1 late inputs)
        left = Signal(signed(26))
        next_last = Signal()  # the next step is the last (left < 3 * adv + 1), a flip-flop
        # the MAC is its step's first (no words into the weights yet): a flag, set at the
        # load and the step, cleared by the count (no counter and zero test)
        k_first = Signal(init=1)
        # The weights address is a walker, w_ptr = w_addr + the words into the step,
        # stepped with each MAC, so that the weights block RAMs' address comes straight
        # from a flip-flop, no carry chain in front (Fmax).  So are the maps addresses, per
        # CU (below).
        w_ptr = Signal(24)
        step = Signal(16)
        npix = Signal(24)
        # the maps address step from one pixel step to the next, and when the step wraps
        # to the next output row: a copy per CU, loaded with its walkers (from one pair of
        # registers both CUs' walker sums fanned out across the die; Fmax)
        # (the maps addresses are as wide as a CU's maps elements, `mw`: their walkers' sums
        # are exact modulo that, so the steps and bases need no more bits)
        mw = le + len(maps_rp[0].addr)
        adv_stride = [Signal(mw, name=f"adv_stride{c}") for c in range(ncu)]
        wrap_delta = [Signal(mw, name=f"wrap_delta{c}") for c in range(ncu)]
        # a CU's output column wraps when ox + adv >= px_count, i.e. ox >= wrap_at (one
        # compare of flip-flops, no add before it); it then steps to ox - wrap_at
        wrap_at = Signal(signed(13))  # px_count - adv
        out_step = Signal(VEC_ADDR_BITS)  # vector-word step from one pixel step to the next
        pix = [Signal(24, name=f"pix{c}") for c in range(ncu)]  # pixel index of CU c
        ox = [Signal(12, name=f"ox{c}") for c in range(ncu)]
        # ox >= wrap_at, kept as a flip-flop updated with ox (Fmax: the step's choice of
        # base increment starts at a flip-flop, not at a compare): a step that wraps leaves
        # ox - wrap_at, which wraps again when ox >= 2 * wrap_at; one that does not leaves
        # ox + adv, which wraps when ox >= wrap_at - adv
        wraps = [Signal(name=f"wraps{c}") for c in range(ncu)]
        thr_wrap, thr_step = Signal(signed(15)), Signal(signed(15))  # 2 wrap_at, wrap_at - adv
        base = [Signal(mw, name=f"base{c}") for c in range(ncu)]  # maps address of pixel
        out_base = Signal(VEC_ADDR_BITS)  # vector word of this step's (c=0, v=0)
        drain_gap = Signal(range(words + 1))  # cycles before a draining step may end
        gap_open = Signal(attrs=kept)  # drain_gap != 0, as a flip-flop
        adv = Mux(f["pixel_mode"], ncu, 1)  # pixels one step advances each CU by
        # A draining step may not end sooner than `words` cycles after the previous one
        # (the drain chain's length): its last MAC waits for the gap to close.  The step
        # ends in the same cycle as if it had waited before its first MAC.
        # Issue, last issue and take are one LUT level or two from flip-flops: the
        # take fans out to the queue's shift enables and every loop register's load.
        gap_wait = f["drain"] & gap_open  # a draining step's last MAC must wait
        stall = active & k_last & gap_wait
        issue = active & ~stall
        last_issue = active & fin & ~gap_wait  # issue & k_last & step_last
        gap_open_n = Signal()  # gap_open's next value (its replicas, below)
        m.d.comb += gap_open_n.eq(drain_gap > 1)
        m.d.sync += [drain_gap.eq(Mux(gap_open, drain_gap - 1, 0)), gap_open.eq(gap_open_n)]
        with m.If(issue & k_last & f["drain"]):
            m.d.sync += drain_gap.eq(words - 1)
            m.d.comb += gap_open_n.eq(words > 1)

        # load a new instruction from the slot when idle or on the current's last issue
        s = {name: field(slot, Op.MAC, name) for name, _ in FIELDS[Op.MAC]}
        m.d.comb += can_take.eq(
            slot_valid & ~slot_is_vec & ~(slot_drain & vec_busy) & (~active | last_issue)
        )
        # The loop registers load from the slot whenever the array is free for its MAC (idle,
        # or the current MAC's last issue), whether or not it is taken: the load enable is
        # one LUT from flip-flops, not the take (which adds the slot's state and hazards).
        # What they load when nothing is taken is never used (every use is gated by
        # `active`, which only the take sets).
        active_n = Signal()
        m.d.comb += active_n.eq(can_take | (active & ~last_issue))
        m.d.sync += active.eq(active_n)
        # k_last's and fin's next values (assigned below), and the drain flag's
        k_last_n, fin_n, drain_n = Signal(), Signal(), Signal()
        m.d.comb += [k_last_n.eq(k_last), fin_n.eq(fin), drain_n.eq(f["drain"])]
        m.d.sync += [k_last.eq(k_last_n), fin.eq(fin_n)]

        # The loop registers' case decisions - load, count, step - come from replicas of
        # the flip-flops they read (active, k_last, fin, and the wait: the drain flag and
        # gap_open, ANDed before the register, so that a decision has an input less; Fmax:
        # a drain flag's replica -> six LUTs -> fin's replicas led `tiny`'s seeds 1 and 2
        # at 928f796, 6.8 ns), a set per group of registers: the inner loops', the pixel
        # step's, and each CU's pixel walkers (whose base is its maps address).  From one
        # set the decisions fanned out to every loop register across the die, and a
        # decision's net, not its two LUTs, was the path (docs/fpga-history.md; Fmax).
        # Every replica has its original's next value and reset, so the decisions are the
        # same in every cycle.
        groups = ["k", "px", *(f"cu{c}" for c in range(ncu))]
        rep = {
            name: dict(zip(groups, replicas(m, v, len(groups), f"{name}_", reset_less=False)))
            for name, v in (
                ("active", active_n),
                ("k_last", k_last_n),
                ("fin", fin_n),
                ("wait", drain_n & gap_open_n),
            )
        }

        def decide(g):
            # (load, counting, stepping) of group g: the load when idle or on the last
            # issue; counting, a MAC inside its step (never stalled, never the last);
            # stepping, the step's last MAC that is not the instruction's
            a, kl, fi = rep["active"][g], rep["k_last"][g], rep["fin"][g]
            wait = rep["wait"][g]
            return ~a | (fi & ~wait), a & ~kl, a & kl & ~fi & ~wait

        load, counting, stepping = decide("k")
        with m.If(load):
            m.d.sync += [
                k0.eq(0),
                k1.eq(0),
                k2.eq(0),
                k_first.eq(1),
                w_ptr.eq(s["w_addr"]),
                k_ppen[0].eq(head.ppen.k0),
                k_ppen[1].eq(head.ppen.k1),
                k_ppen[2].eq(head.ppen.k2),
            ]
            for i in range(3):
                m.d.sync += [
                    single[i].eq(head.single[i]),
                    pen0[i].eq(head.pen0[i]),
                    pen_hit[i].eq(head.pen0[i]),
                ]
                m.d.comb += at_end_n[i].eq(head.single[i])
            m.d.comb += step_last_n.eq(head.steps1)
        # the current instruction's fields load with the original decision: they are read
        # by the issue's control, beside the original flip-flops
        with m.If(~active | last_issue):
            m.d.sync += [f[name].eq(s[name]) for name in f]
            m.d.comb += drain_n.eq(s["drain"])

        # loop counters.  `fin` implies `k_last` (both load from `last_n` each cycle), so
        # "issue and not the last issue" splits into two cases without the issue logic:
        # a MAC inside its step (active & ~k_last: never stalled, never the last) and the
        # step's last MAC that is not the instruction's (stepping to the next pixels).
        # k_last and fin, next: the AND of the three loops' next "at end" flags, written
        # out per case so that the case decision and the flags' values are parallel LUTs,
        # not a chain (Fmax).  Counting (not every loop at its end): the innermost loop
        # not at its end steps, those inside it return to their start.
        all_single = Signal()  # every loop has one iteration
        counted = Mux(
            ~at_end[0],
            pen_hit[0] & at_end[1] & at_end[2],
            Mux(~at_end[1], single[0] & pen_hit[1] & at_end[2], single[0] & single[1] & pen_hit[2]),
        )
        with m.If(load):  # a new instruction's loops load
            m.d.sync += all_single.eq(head.all_single)
            m.d.comb += [k_last_n.eq(head.all_single), fin_n.eq(head.fin0)]
        with m.Elif(counting):
            m.d.comb += [k_last_n.eq(counted), fin_n.eq(counted & step_last)]
        with m.Elif(stepping):
            m.d.comb += [k_last_n.eq(all_single), fin_n.eq(all_single & next_last)]
        with m.If(counting):
            m.d.sync += [k_first.eq(0), w_ptr.eq(w_ptr + 1)]
            with m.If(~at_end[0]):
                m.d.sync += [k0.eq(k0 + 1), pen_hit[0].eq(k0 == k_ppen[0])]
                m.d.comb += at_end_n[0].eq(pen_hit[0])
            with m.Else():
                m.d.sync += [k0.eq(0), pen_hit[0].eq(pen0[0])]
                m.d.comb += at_end_n[0].eq(single[0])
                with m.If(~at_end[1]):
                    m.d.sync += [
                        k1.eq(k1 + 1),
                        pen_hit[1].eq(k1 == k_ppen[1]),
                    ]
                    m.d.comb += at_end_n[1].eq(pen_hit[1])
                with m.Else():
                    m.d.sync += [
                        k1.eq(0),
                        pen_hit[1].eq(pen0[1]),
                        k2.eq(k2 + 1),
                        pen_hit[2].eq(k2 == k_ppen[2]),
                    ]
                    m.d.comb += [at_end_n[1].eq(single[1]), at_end_n[2].eq(pen_hit[2])]
        with m.Elif(stepping):  # next pixel step
            m.d.sync += [
                k_first.eq(1),
                w_ptr.eq(f["w_addr"]),
                k0.eq(0),
                k1.eq(0),
                k2.eq(0),
                *[pen_hit[i].eq(pen0[i]) for i in range(3)],
            ]
            m.d.comb += [
                *[at_end_n[i].eq(single[i]) for i in range(3)],
                step_last_n.eq(next_last),
            ]

        # the pixel step's registers
        load, _, stepping = decide("px")
        with m.If(load):
            m.d.sync += [
                step.eq(0),
                npix.eq(slot_npix),
                left.eq(slot_npix),
                out_base.eq(s["out_addr"]),
                wrap_at.eq(head.wrap_at),
                out_step.eq(head.out_step),
                thr_wrap.eq(head.wrap_at.as_signed() * 2),
                thr_step.eq(head.thr_step.as_signed()),
                next_last.eq(head.steps2),
            ]
        with m.Elif(stepping):
            m.d.sync += [
                left.eq(left - adv),
                # the step after this one is the last when fewer than two steps' pixels
                # are left after it: left - adv - 2 * adv <= 0, written `left < 3 * adv +
                # 1`, a compare of the register with a constant per mode that Yosys cannot
                # merge with the subtraction above (`<=` shares its adder and then needs a
                # zero test of the 26-bit difference behind the carry chain)
                next_last.eq(left < Mux(f["pixel_mode"], 3 * ncu + 1, 4)),
                step.eq(step + 1),
                out_base.eq(out_base + out_step),
            ]

        # Each CU's pixel walkers, and its maps address.  The address is kept as base +
        # koff, with koff the inner loops' offset (k0 + k1 * k1_stride + k2 * k2_stride):
        # `base` (the pixel step's) walks with the loop registers; the address, the start
        # of the current k1 row (m1) and of the k2 plane (m2) walk one cycle behind them
        # (MAC_MAPS_ADDRESS), each from the case the loops took the cycle before,
        # registered: a count (+1), the next row (m1 + k1_stride), the next plane (m2 +
        # k2_stride), or a start (the new base, already in `base`).  So each is its own sum
        # with a registered step, then one 4:1 choice by two flip-flops, and nothing else
        # (Fmax: the walkers' sums, then an AND-OR of six cases, were late in every run of
        # ee123ec; a register behind such walkers did not help, 6f3bc3e).  The maps block
        # RAMs' address and the element select come straight from the flip-flops.  All of
        # them are as wide as a CU's maps elements (`mw`): their sums are exact modulo that.
        maddr = [Signal(mw, name=f"maddr{c}") for c in range(ncu)]
        m1 = [Signal(mw, name=f"maddr{c}_k1") for c in range(ncu)]
        m2 = [Signal(mw, name=f"maddr{c}_k2") for c in range(ncu)]
        # the k1 and k2 strides, a copy per CU loaded with its walkers (Fmax: from the
        # current instruction's fields, shared by the CUs, 2.0 ns of routing led the row
        # step's sum into `maddr1`, b9f3b00 with -cmp2softlogic, seed 3)
        k1s = [Signal(mw, name=f"k1_stride{c}") for c in range(ncu)]
        k2s = [Signal(mw, name=f"k2_stride{c}") for c in range(ncu)]
        wrap_delta_v = head.adv_py - head.row_span  # loaded into every CU's copy
        for c in range(ncu):
            load, counting, stepping = decide(f"cu{c}")
            ends = [
                replicas(m, at_end_n[i], 1, f"k{i}_at_end_cu{c}_", reset_less=False)[0]
                for i in range(2)
            ]
            with m.If(stepping):
                m.d.sync += [
                    pix[c].eq(pix[c] + adv),
                    ox[c].eq(Mux(wraps[c], ox[c] - wrap_at, ox[c] + adv)),
                    wraps[c].eq(Mux(wraps[c], ox[c] >= thr_wrap, ox[c] >= thr_step)),
                ]
            with m.Elif(load):
                start = Mux(s["pixel_mode"], c, 0)
                m.d.sync += [
                    pix[c].eq(start),
                    ox[c].eq(start),
                    wraps[c].eq(head.wrap0[c]),
                    adv_stride[c].eq(head.adv),
                    wrap_delta[c].eq(wrap_delta_v),
                    k1s[c].eq(s["k1_stride"]),
                    k2s[c].eq(s["k2_stride"]),
                ]
            # the pixel step's base: an enable and an AND-OR of its cases' values under
            # one-hot selects from flip-flops (the cases never coincide), so that no case's
            # sum passes the other cases' multiplexers (Fmax)
            step_w, step_s = stepping & wraps[c], stepping & ~wraps[c]
            to_w, to_s = base[c] + wrap_delta[c], base[c] + adv_stride[c]
            one_hot_update(m, base[c], [(load, head.base[c]), (step_w, to_w), (step_s, to_s)])
            # the case taken this cycle, for the walkers behind: `case` 0 a count or
            # nothing (`inc` says which), 1 the next row, 2 the next plane, 3 a start (a
            # load or a pixel step); the row and plane strides registered with it, or 0
            start = load | stepping
            next_row = counting & ends[0] & ~ends[1]
            next_plane = counting & ends[0] & ends[1]
            case = Signal(2, name=f"maddr{c}_case")
            inc = Signal(name=f"maddr{c}_inc")
            row_d = Signal(mw, name=f"maddr{c}_row_d")
            plane_d = Signal(mw, name=f"maddr{c}_plane_d")
            m.d.sync += [
                case.eq(Cat(start | next_row, start | next_plane)),
                inc.eq(counting & ~ends[0]),
                row_d.eq(Mux(next_row, k1s[c], 0)),
                plane_d.eq(Mux(next_plane, k2s[c], 0)),
            ]
            to_plane, to_row = m2[c] + plane_d, m1[c] + row_d
            to_start = Mux(case[0], base[c], to_plane)  # case 3 or 2
            m.d.sync += [
                m2[c].eq(Mux(case == 3, base[c], to_plane)),
                m1[c].eq(Mux(case[1], to_start, to_row)),
                maddr[c].eq(Mux(case[1], to_start, Mux(case[0], to_row, maddr[c] + inc))),
            ]

        # ---- issue: buffer reads and the control that travels with them ----------------
        ctl = data.StructLayout(
            {
                "valid": 1,
                "first": 1,
                "last": 1,
                "drain": 1,
                "clear": 1,
                "relu": 1,
                "shift": 6,
                "acc_row": 12,
                "bias_addr": 8,
                "out_base": VEC_ADDR_BITS,
                "pm": 1,
                "stride": 12,
                "cu_valid": ncu,
                # each CU's element in its maps word: set in c1, from the maps address (a
                # cycle behind the issue), not in c0
                "sel": ncu * max(le, 1),
            }
        )
        c0 = Signal(ctl)
        cu_valid = Cat(*[pix[c] < npix for c in range(ncu)])
        m.d.comb += [
            c0.valid.eq(issue),
            c0.first.eq(k_first),
            c0.last.eq(k_last),
            c0.drain.eq(f["drain"]),
            c0.clear.eq(f["acc_clear"]),
            c0.relu.eq(f["relu"]),
            c0.shift.eq(f["shift"]),
            c0.acc_row.eq(f["acc_addr"] + step),
            c0.bias_addr.eq(f["bias_addr"]),
            c0.out_base.eq(out_base),
            c0.pm.eq(f["pixel_mode"]),
            c0.stride.eq(f["out_pix_stride"]),
            c0.cu_valid.eq(cu_valid),
        ]
        # Only the stages' valid bits are reset: every other field is read under its valid
        # (a reset would put about 220 more flip-flops on the core reset's fan-out; Fmax)
        assert ctl["valid"].offset == 0
        ca, c1, c2, c3, c4, c5, c6, c7, c8 = (
            data.View(
                ctl,
                Cat(
                    Signal(name=f"ctl{i}_valid"),
                    Signal(ctl.size - 1, name=f"ctl{i}_rest", reset_less=True),
                ),
            )
            for i in ("a", 1, 2, 3, 4, 5, 6, 7, 8)
        )
        # The address stage (t, the issue's cycle + 1): the issue's control registered,
        # beside the maps addresses, which walk a cycle behind the loops (above).  The
        # element select travels on from the address itself.  The maps word, in its block
        # RAM's output register in t+2, is copied into a register beside each vMAC in t+2,
        # and the element selected from that copy into a register in t+3; the weights are
        # read a cycle after the maps (t+1, in the block RAMs' output registers in t+3)
        # and copied into a register beside their vMAC in t+3: both operands of a MAC reach
        # the multipliers' operand registers from flip-flops of the fabric placed near
        # them, never from a block RAM across the die (Fmax: a weights block RAM -> 6.0 ns
        # -> a multiplier and a maps block RAM -> 4.5 ns -> the select -> `x*`, 7.1 and
        # 7.0 ns, were in the `ecp5` preset's worst at f099326).
        assert MAC_MAPS_ADDRESS == 1 and MAC_OPERAND_SELECT == 2
        m.d.sync += ca.eq(c0)
        w_ptr_q = delayed(m, w_ptr, MAC_MAPS_ADDRESS + 1, "w_ptr", reset_less=True)
        for c in range(ncu):
            m.d.comb += [maps_rp[c].addr.eq(maddr[c] >> le), maps_rp[c].en.eq(1)]
            for v in range(nv):
                m.d.comb += [w_rp[c][v].addr.eq(w_ptr_q), w_rp[c][v].en.eq(1)]
        stages = [ca, c1, c2, c3, c4, c5, c6, c7, c8]
        m.d.sync += [later.eq(earlier) for earlier, later in pairwise(stages)]
        if le:
            m.d.sync += [c1.sel[c * le : (c + 1) * le].eq(maddr[c][:le]) for c in range(ncu)]
        # the MAC_ACTIVE counter's increment, from the issue's control in c1 (two cycles
        # after the issue, off the issue logic's paths; the count is complete long before
        # the job ends)
        ones = sum(c1.cu_valid[c] for c in range(ncu))
        m.d.comb += self.mac_active.eq(Mux(c1.valid, ones * (nv * n), 0))

        # ---- datapath: copy (t+2), select (t+3), operands (t+4), products (t+5, t+6),
        # accumulate (t+7) ---------------------------------------------------------------
        # A step's first product starts from its accumulator row, or from zero (`clear`).
        # The start value is chosen in t+6 into a register (`init`), so the accumulate of
        # t+7 is one 2:1 choice - the accumulators themselves or `init` - and an add.  The
        # row is read in t+4 and is in the block RAM's output register in t+6.  Write-backs
        # happen in t+8, so the read misses the writes of the four steps ahead of it; those
        # rows come from the accumulators instead, selected by hazard flags registered a
        # cycle ahead (d: how many cycles earlier the writer issued):
        #   d = 1: written in the reader's t+7: the accumulators themselves in t+7 (the
        #          add then continues from them, as inside a step);
        #   d = 2: written in t+6: the accumulators in t+6;
        #   d = 3: written in t+5: wb_q, the accumulators one cycle late;
        #   d = 4: written in t+4 (the same cycle as the read): wb_q2, two cycles late.
        vmacs = [[VMac(cfg) for v in range(nv)] for c in range(ncu)]
        acc = [[vmacs[c][v].acc for v in range(nv)] for c in range(ncu)]

        def writes_back(s):
            return s.valid & s.last & ~s.drain

        # for the reader in c6: fwd<d> = writes_back(c<d+5>) & (c<d+5>.acc_row == c5.acc_row),
        # and for the reader in c7, from_acc: continue from the accumulators (not the
        # step's first MAC, or its row is the one the accumulators are finishing, d = 1).
        # Each drives a multiplexer select in every accumulator bit (hundreds of loads
        # across the CUs), so each is computed a stage earlier from the stages before
        # (c1..c8 shift every cycle) into a flip-flop (`_pre`), then copied into one
        # flip-flop per vMAC (the forwarding flags and `clear`, `init`'s selects) or per
        # lane (from_acc and valid, inside the VMac): the selects' inputs are flip-flops
        # beside their loads, not a compare or one net across the die (Fmax; the same
        # values, a cycle of the pipeline earlier).
        early = {
            "fwd2": writes_back(c6) & (c6.acc_row == c4.acc_row),
            "fwd3": writes_back(c7) & (c7.acc_row == c4.acc_row),
            "fwd4": writes_back(c8) & (c8.acc_row == c4.acc_row),
            "from_acc": ~c5.first | (~c5.clear & writes_back(c6) & (c6.acc_row == c5.acc_row)),
        }
        pre = {}
        for flag, value in early.items():
            pre[flag] = Signal(name=f"{flag}_pre")
            m.d.sync += pre[flag].eq(value)
        nvm = ncu * nv
        fwd2, fwd3, fwd4 = (replicas(m, pre[f], nvm, f) for f in ("fwd2", "fwd3", "fwd4"))
        clear = replicas(m, c5.clear, nvm, "clear")  # c6.clear, a copy per vMAC
        # and each vMAC's accumulator and bias memory controls: c4.acc_row (read), c8's
        # write-back (its enable reset: no write in the cycle after a reset) and
        # c5.bias_addr, each memory's own copy (Fmax: the write-back's enable, one LUT from
        # ctl6_valid to every accumulator block RAM, was 3.4 ns across the die at 8 lanes)
        acc_ra = replicas(m, c3.acc_row, nvm, "acc_ra")
        acc_wa = replicas(m, c7.acc_row, nvm, "acc_wa")
        acc_we = replicas(m, writes_back(c7), nvm, "acc_we", reset_less=False)
        bias_ra = replicas(m, c4.bias_addr, nvm, "bias_ra")
        for c in range(ncu):
            # the element, selected from the word's copy into a register (t+3): the
            # multipliers' operand registers are a route from a flip-flop, not from a block
            # RAM through the select (Fmax); a copy per vMAC, each beside its lanes'
            # multipliers (one register drove every multiplier of the CU, 16 at 8 lanes:
            # 6.4 ns of routing), each with a select of its own, c3's (Fmax: from the shared
            # stage register, 5.2 ns across the die led the `ecp5` preset's seed 2 at
            # ee123ec into `x1_0`)
            sels = replicas(m, c2.sel[c * le : (c + 1) * le], nv, f"sel{c}_") if le else None
            for v in range(nv):
                word_q = Signal(
                    len(maps_rp[c].data), name=f"mword{c}_{v}", reset_less=True, attrs={"keep": 1}
                )
                w_q = Signal.like(w_rp[c][v].data, name=f"wword{c}_{v}", reset_less=True)
                m.d.sync += [word_q.eq(maps_rp[c].data), w_q.eq(w_rp[c][v].data)]
                word = Array(word_q[k * d : (k + 1) * d] for k in range(e))
                x = Signal(signed(d), name=f"x{c}_{v}", reset_less=True, attrs={"keep": 1})
                m.d.sync += x.eq(word[sels[v] if le else 0].as_signed())
                i = c * nv + v  # the vMAC's replicas
                vm = vmacs[c][v]
                m.submodules[f"vmac{c}_{v}"] = vm
                m.d.comb += [vm.x.eq(x), vm.w.eq(w_q)]
                m.d.comb += [acc_rp[c][v].addr.eq(acc_ra[i]), acc_rp[c][v].en.eq(1)]
                wb_q = Signal(accs, name=f"wb_q{c}_{v}", reset_less=True)
                wb_q2 = Signal(accs, name=f"wb_q2_{c}_{v}", reset_less=True)
                m.d.sync += [wb_q.eq(acc[c][v]), wb_q2.eq(wb_q)]
                init = Signal(accs, name=f"init{c}_{v}", reset_less=True)  # used under c7
                m.d.sync += init.eq(
                    Mux(
                        clear[i],
                        0,
                        Mux(
                            fwd2[i],
                            acc[c][v],
                            Mux(fwd3[i], wb_q, Mux(fwd4[i], wb_q2, acc_rp[c][v].data)),
                        ),
                    )
                )
                # valid and first a cycle ahead: the VMac copies them into a flip-flop per lane
                m.d.comb += [
                    vm.valid.eq(c6.valid),
                    vm.first.eq(~pre["from_acc"]),
                    vm.init.eq(init),
                ]
                # write-back of a non-draining step's sums: t+8
                m.d.comb += [
                    acc_wp[c][v].addr.eq(acc_wa[i]),
                    acc_wp[c][v].data.eq(acc[c][v]),
                    acc_wp[c][v].en.eq(acc_we[i]),
                ]
                m.d.comb += [b_rp[c][v].addr.eq(bias_ra[i]), b_rp[c][v].en.eq(1)]

        # ---- drain chain: capture in t+8, requantise, one vector word per cycle ---------
        # `bias`: the bias plus the rounding constant, added into a register of its own
        # (`brnd`, per chain word) the cycle before the sums are captured - the bias word is
        # read a cycle ahead for it, the constant comes from the shift in c7 -, so that the
        # capture takes a register and stage 1 is one add (Fmax: the constant -> 3.7 ns ->
        # the add -> the capture's choice -> the chain, 7.7 ns, led the `ecp5` preset at
        # f099326 after the W FIFO)
        entry = data.StructLayout(
            {
                "acc": accs,
                "bias": data.ArrayLayout(signed(a + 1), n),
                "valid": 1,
                "addr": VEC_ADDR_BITS,
                "relu": 1,
                "shift": 6,
            }
        )
        # no reset: the chain is read only while `left` (reset) counts its captured words
        chain = [Signal(entry, name=f"chain{j}", reset_less=True) for j in range(words)]
        left = Signal(range(words + 1))
        # the chain's two cases, capture and shift, as flip-flops
        capture_n = c7.valid & c7.last & c7.drain
        capture = Signal()  # c8.valid & c8.last & c8.drain, registered from c7's
        m.d.sync += capture.eq(capture_n)
        shifting = Signal()  # left != 0
        # round half up: 2**(shift-1), with c7, a copy per lane of each chain word (its
        # bias add's), registered from a copy per word, decoded from c5's shift (Fmax: one
        # copy per word -> 5.0 ns to a lane's add led the `ecp5` preset's seed 2 at 928f796)
        rnd_word = replicas(
            m,
            Mux(c5.shift == 0, 0, (Const(1, unsigned(a)) << c5.shift) >> 1).as_unsigned()[:a],
            words,
            "rnd",
        )
        rnd = [replicas(m, rnd_word[j], n, f"rnd{j}_") for j in range(words)]
        # Each chain word's enable is registered from the next values: a capture, or a
        # shift that still brings the word one the head will read (word j, while
        # left > j + 1); the capture chooses its value.  The enable and the choice are
        # flip-flops per word and per lane (`replicas`: a lane's accumulator and bias
        # bits, lane 0's also the word's other fields), so no one net drives every chain
        # register's enable (about 1 700 at 8 lanes, through a LUT, was the `ecp5`
        # preset's critical path, 8.4 ns of routing) or every word's choice (Fmax).  The
        # last word is only captured.

        def lane_fields(word, lane):
            rest = [word.valid, word.addr, word.relu, word.shift] if lane == 0 else []
            return [word.acc[lane], word.bias[lane], *rest]

        for j in range(words):
            c, v = divmod(j, nv)
            off = Mux(c8.pm, c * c8.stride + v, c * nv + v)
            captured = Signal.like(chain[j], name=f"chain{j}_in")
            brnd = Signal(entry["bias"].shape, name=f"brnd{j}", reset_less=True)
            m.d.sync += [
                brnd[lane].eq(data.View(biases, b_rp[c][v].data)[lane] + rnd[j][lane])
                for lane in range(n)
            ]
            m.d.comb += [
                captured.acc.eq(acc[c][v]),
                captured.bias.eq(brnd),
                captured.valid.eq(c8.cu_valid[c]),
                captured.addr.eq(c8.out_base + off),
                captured.relu.eq(c8.relu),
                captured.shift.eq(c8.shift),
            ]
            take = replicas(m, capture_n, n, f"chain{j}_cap")  # `capture`, per lane
            if j + 1 < words:
                word_en = replicas(
                    m, capture_n | capture | (shifting & (left > j + 2)), n, f"chain{j}_en"
                )
            for lane in range(n):
                dst, src = lane_fields(chain[j], lane), lane_fields(captured, lane)
                if j + 1 < words:
                    sh = lane_fields(chain[j + 1], lane)
                    with m.If(word_en[lane]):
                        m.d.sync += [
                            reg.eq(Mux(take[lane], new, shifted_in))
                            for reg, new, shifted_in in zip(dst, src, sh)
                        ]
                else:
                    with m.If(take[lane]):
                        m.d.sync += [reg.eq(new) for reg, new in zip(dst, src)]
        with m.If(capture):
            m.d.sync += [left.eq(words), shifting.eq(1)]
        with m.Elif(shifting):
            m.d.sync += [left.eq(left - 1), shifting.eq(left != 1)]
        head = chain[0]
        # stage 1: add the bias and the rounding constant
        # the stages' data need no reset (their valid flags have one)
        s1_valid = Signal()
        s1 = Signal(
            data.StructLayout(
                {
                    "sum": data.ArrayLayout(signed(a + 1), n),
                    "addr": VEC_ADDR_BITS,
                    "relu": 1,
                    "shift": 6,
                }
            ),
            reset_less=True,
        )
        for lane in range(n):
            m.d.sync += s1.sum[lane].eq(head.acc[lane] + head.bias[lane])
        m.d.sync += [
            s1_valid.eq(shifting & head.valid),
            s1.addr.eq(head.addr),
            s1.relu.eq(head.relu),
            s1.shift.eq(head.shift),
        ]
        # stages 2a and 2: the arithmetic shift, a barrel shifter in two registered halves
        # (the shift's low three bits, then its high three: eight places per step), Fmax
        s2a = Signal(data.ArrayLayout(signed(a + 1), n), reset_less=True)
        s2a_valid = Signal()
        s2a_addr, s2a_relu = Signal(VEC_ADDR_BITS, reset_less=True), Signal(reset_less=True)
        s2a_hi = Signal(3, reset_less=True)
        for lane in range(n):
            m.d.sync += s2a[lane].eq(s1.sum[lane] >> s1.shift[:3])
        m.d.sync += [
            s2a_valid.eq(s1_valid),
            s2a_addr.eq(s1.addr),
            s2a_relu.eq(s1.relu),
            s2a_hi.eq(s1.shift[3:]),
        ]
        s2 = Signal(data.ArrayLayout(signed(a + 1), n), reset_less=True)
        s2_valid = Signal()
        s2_addr, s2_relu = Signal(VEC_ADDR_BITS, reset_less=True), Signal(reset_less=True)
        for lane in range(n):
            m.d.sync += s2[lane].eq(s2a[lane] >> Cat(Const(0, 3), s2a_hi))
        m.d.sync += [s2_valid.eq(s2a_valid), s2_addr.eq(s2a_addr), s2_relu.eq(s2a_relu)]
        # stages 3a and 3: saturate, ReLU.  The shifted value fits d bits when its bits
        # from d - 1 up are all equal; its sign is the sum's (the shift is arithmetic).  The
        # two all-equal tests are the carries out of top + 1 (all ones) and ~top + 1 (all
        # zeros): carry chains, not a tree of LUTs over the 30-odd bits.  Stage 3a registers
        # the test with the value's sign and low bits, stage 3 chooses, one LUT per bit
        # (Fmax: the carry chains, then the choice, into `s3` were late in four of five
        # `tiny` runs, docs/fpga-history.md)
        lo, hi = -(1 << (d - 1)), (1 << (d - 1)) - 1
        s3a_fits, s3a_neg = Signal(n, reset_less=True), Signal(n, reset_less=True)
        s3a_low = Signal(lanes, reset_less=True)
        s3a_valid, s3a_relu = Signal(), Signal(reset_less=True)
        s3a_addr = Signal(VEC_ADDR_BITS, reset_less=True)
        for lane in range(n):
            sh = s2[lane]
            top = sh[d - 1 :].as_unsigned()
            width = len(top)
            m.d.sync += [
                s3a_fits[lane].eq((top + 1)[width] | ((~top).as_unsigned() + 1)[width]),
                s3a_neg[lane].eq(sh[-1]),
                s3a_low[lane].eq(sh[:d]),
            ]
        m.d.sync += [s3a_valid.eq(s2_valid), s3a_addr.eq(s2_addr), s3a_relu.eq(s2_relu)]
        s3 = Signal(lanes, reset_less=True)
        s3_valid, s3_addr = Signal(), Signal(VEC_ADDR_BITS, reset_less=True)
        for lane in range(n):
            neg = s3a_neg[lane]
            y = Mux(s3a_fits[lane], s3a_low[lane], Mux(neg, lo, hi))
            m.d.sync += s3[lane].eq(Mux(s3a_relu & neg, 0, y))
        m.d.sync += [s3_valid.eq(s3a_valid), s3_addr.eq(s3a_addr)]

        # ---- vector buffer and vector unit ------------------------------------------------
        m.submodules.vbuf = vbuf = Memory(data=self._vec, attrs=NO_RW_CHECK)
        vwp = vbuf.write_port()
        store_port = RegisteredReadPort(m, vbuf, "vbuf_store")
        m.submodules.vu = vu = VectorUnit(cfg)
        va, vb = RegisteredReadPort(m, vbuf, "vbuf_a"), RegisteredReadPort(m, vbuf, "vbuf_b")
        m.d.comb += [
            va.addr.eq(vu.rd_a.addr),
            va.en.eq(vu.rd_a.en),
            vu.rd_a.data.eq(va.data),
            vb.addr.eq(vu.rd_b.addr),
            vb.en.eq(vu.rd_b.en),
            vu.rd_b.data.eq(vb.data),
        ]
        with m.If(vu.wr.en):
            m.d.comb += [vwp.en.eq(1), vwp.addr.eq(vu.wr.addr), vwp.data.eq(vu.wr.data)]
        with m.Else():
            m.d.comb += [vwp.en.eq(s3_valid), vwp.addr.eq(s3_addr), vwp.data.eq(s3)]
        if checks(platform):  # the co-simulation's proof that no buffer relies on a collision
            # maps and weights are read every cycle, used when a MAC issues (the maps in
            # stage 0, the weights in stage 1); the bias word in stage 4, used when a
            # draining step's sums are captured (stage 7, added to the rounding constant
            # in stage 6)
            capture_next = c5.valid & c5.last & c5.drain
            hits = [collision(vwp, store_port), collision(vwp, va), collision(vwp, vb, vu.b_used)]
            for c in range(ncu):
                hits.append(collision(maps_wp[c], maps_rp[c], ca.valid))
                for v in range(nv):
                    hits.append(collision(w_wp[c][v], w_rp[c][v], c1.valid))
                    hits.append(collision(b_wp[c][v], b_rp[c][v], capture_next))
            m.d.comb += self.sim_collision.eq(Cat(*hits).any())

        # store reads: beat b of word b >> log2(word_beats)
        sr = self.store_rd
        part, part_q = Signal(max(wb_bits, 1)), Signal(max(wb_bits, 1))
        m.d.comb += [store_port.addr.eq(sr.addr >> wb_bits), store_port.en.eq(sr.en)]
        if wb_bits:
            with m.If(sr.en):
                m.d.sync += part.eq(sr.addr[:wb_bits])
            m.d.sync += part_q.eq(part)  # with the word, in the output register
            m.d.comb += sr.data.eq(store_port.data.word_select(part_q, cfg.bus_data_bits))
        else:
            m.d.comb += sr.data.eq(store_port.data)

        # VEC instructions go to the vector unit as soon as their hazards clear (no draining
        # MAC in flight: the vector buffer's write port is the VEC's)
        m.d.comb += [
            vu_ready.eq(vu.ready),
            vu.valid.eq(vec_take),
            vu.instr.eq(slot),
            vu.pre.eq(slot_pre),
        ]

        # ---- completions ------------------------------------------------------------------
        # scheduled the cycle after the last issue, from flip-flops, a cycle sooner than
        # from the issue: the same completion cycles (each scheduled completion and `lag`
        # are only moved a cycle in time), without the issue's logic and the instruction's
        # drain flag in front of the schedule's compare, decode and OR (Fmax: `cur_drain`
        # -> the delay's compare with `lag` -> `mac_due` led 6c0aa9c's seed 2)
        last_q, last_drain_q = Signal(name="mac_last_q"), Signal(name="mac_last_drain_q")
        m.d.sync += [last_q.eq(last_issue), last_drain_q.eq(f["drain"])]
        with m.If(last_q):
            m.d.sync += schedule(last_drain_q)
        m.d.sync += vec_done.eq(vu.done)
        return m
