"""Vector unit: element-wise operations, activations and max-pooling on vector-buffer words
(``n_lanes`` lanes in parallel), executing VEC instructions (``model/isa.py``).

Loop nest: ``for i1 < n1: for i0 < n0: [for j1 < w1: for j0 < w0:]``, one position per
cycle, addresses kept incrementally; MAXPOOL visits two window rows per cycle (``j1`` and
``j1 + 1``, on read ports a and b), so a window takes ``ceil(w1 / 2) * w0`` cycles.
Position ``p``'s read addresses reach the buffer the cycle after it is issued
(``VEC_ADDRESS``: the window walkers run a cycle behind the loop counters); the words arrive
``BUFFER_READ_LATENCY`` cycles after that, from the block RAM's output register
(:mod:`snowsim.hw.read_port`), and pass ``VEC_STAGES`` registers (``model/latencies.py``) —
operands, then the arithmetic split so that no stage holds more than one adder or one
multiplier after a register — the last of which is the result (MAXPOOL keeps a running
maximum there and writes after the last window position); the write is the cycle after.
``done`` pulses with the last write; an instruction with no positions (a SYNC) pulses two
cycles after its handshake.
Instructions must not read words they write at another position (the compiler's rule).

Activation pipeline (per lane, per function): clamp and split ``u = x - lo`` into segment
``i`` and fraction ``f`` | ROM: knot ``t[i]`` and slope ``t[i+1] - t[i]`` | ``slope * f``
(multiplier with registered inputs and output) | ``t[i] + (slope * f >> fbits)``, saturated
outside the range — the same integers as ``model/activations.py``.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal, Value, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from snowsim.hw.delay import delayed
from snowsim.hw.fanout import replicas
from snowsim.hw.instr_fields import field
from snowsim.hw.multiplier import PipelinedMultiplier
from snowsim.hw.ports import VecReadSignature, VecWriteSignature
from snowsim.model.activations import pwl
from snowsim.model.config import AcceleratorConfig
from snowsim.model.isa import FIELDS, INSTR_BITS, Op, VecOp
from snowsim.model.latencies import BUFFER_READ_LATENCY, VEC_ADDRESS, VEC_STAGES

__all__ = ["PREDECODE", "VectorUnit", "predecode"]


def _biased(v: Value) -> Value:
    """A signed value as an unsigned one of the same order (its sign bit inverted), so that
    a compare is the carry of one chain, with no sign and overflow logic after it (Fmax:
    MAXPOOL's compare into ``beats_res`` ended in two LUTs behind the chain)."""
    return Cat(v[:-1], ~v[-1])


#: What the unit loads from a VEC instruction beyond its fields, computed where the
#: instruction is queued (:func:`predecode`), so that the unit's registers load from
#: flip-flops of the queue entry, with no adder or compare between (Fmax).
PREDECODE = data.StructLayout(
    {
        "a2": 16,  # a + ws1: where MAXPOOL's second window row starts
        "empty": 1,  # n0 or n1 is 0: no position
        "pool": 1,  # the op is MAXPOOL
        "j0_one": 1,  # the j0 loop has one iteration (w0 <= 1)
        "j1_one": 1,  # ... the j1 loop (w1 <= 1; MAXPOOL, two rows a step: w1 <= 2)
        "i0_one": 1,  # n0 == 1
        "i1_one": 1,  # n1 == 1
        "pair": 1,  # MAXPOOL reads two window rows in its first step (w1 > 1)
    }
)


def predecode(instr) -> data.View:
    """The :data:`PREDECODE` of the VEC instruction ``instr`` (an Amaranth value): the
    unit's ``pre`` input, or a queue entry's field."""
    f = {name: field(instr, Op.VEC, name) for name in ("a", "ws1", "n0", "n1", "w0", "w1")}
    is_pool = field(instr, Op.VEC, "vop") == VecOp.MAXPOOL
    values = {
        "a2": (f["a"] + f["ws1"])[:16],
        "empty": (f["n0"] == 0) | (f["n1"] == 0),
        "pool": is_pool,
        "j0_one": f["w0"] <= 1,
        "j1_one": Mux(is_pool, f["w1"] <= 2, f["w1"] <= 1),
        "i0_one": f["n0"] == 1,
        "i1_one": f["n1"] == 1,
        "pair": is_pool & (f["w1"] > 1),
    }
    bits = Cat(*(values[name] for name, _ in PREDECODE))
    assert len(bits) == PREDECODE.size, "a PREDECODE value's width differs from its field"
    return data.View(PREDECODE, bits)


class VectorUnit(wiring.Component):
    """Members
    -------
    valid : In(1), ready : Out(1), instr : In(INSTR_BITS)
    pre : In(PREDECODE)
        :func:`predecode` of ``instr``.
    done : Out(1)
    rd_a, rd_b : Out(VecReadSignature)
    wr : Out(VecWriteSignature)
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        #: port b's word this cycle is used (not a port: read by the collision check)
        self.b_used = Signal()
        super().__init__(
            {
                "valid": In(1),
                "ready": Out(1),
                "instr": In(INSTR_BITS),
                "pre": In(PREDECODE),
                "done": Out(1),
                "rd_a": Out(VecReadSignature(cfg)),
                "rd_b": Out(VecReadSignature(cfg)),
                "wr": Out(VecWriteSignature(cfg)),
            }
        )

    def _act(self, m: Module, name: str, x, lane: int):
        """Pipelined activation of the registered operand ``x``: result 5 registers later."""
        p = pwl(name, self.cfg)
        d = self.cfg.data_bits
        span = p.hi - p.lo
        n_seg = len(p.knots) - 1
        knots = Array(Const(v, signed(d + 1)) for v in p.knots[:-1])
        slopes = Array(Const(p.knots[i + 1] - p.knots[i], signed(d + 2)) for i in range(n_seg))
        tag = f"{name}{lane}"
        # stage A: clamp, segment and fraction
        # the lane pipeline's data need no reset: the result register loads under q_valid
        u = Signal(range(span), name=f"{tag}_u", reset_less=True)
        lt = Signal(name=f"{tag}_lt", reset_less=True)
        ge = Signal(name=f"{tag}_ge", reset_less=True)
        # the segment's slope, looked up here from x's segment bits unclamped (a value
        # outside the range has lt or ge set, and its slope is not used), so that the
        # multiplier's operand register takes it from a flip-flop, not through the table
        # (Fmax: the table into the multiplier was a critical path)
        slope = Signal(signed(d + 2), name=f"{tag}_slope", reset_less=True)
        seg = ((x - p.lo) >> p.fbits)[: ceil_log2(n_seg)]
        # u unclamped as well, x - lo in its log2(span) bits (span is a power of two): a
        # value outside the range has lt or ge set, and then neither its knot nor its
        # product is used (y is an end knot), so no choice by the compares stands between
        # them and u (Fmax: x -> the `ge` compare -> 3.2 ns -> the clamp -> u, 8.3 ns, the
        # `ecp5` preset's seed 2 at f099326)
        assert span == 1 << len(u), "the range's span must be a power of two"
        m.d.sync += [
            u.eq(x - p.lo),
            lt.eq(x < p.lo),
            ge.eq(x >= p.hi),
            slope.eq(slopes[seg]),
        ]
        i = u >> p.fbits
        # stage B: ROM; the slope and the fraction are the multiplier's operand registers
        base = Signal(signed(d + 1), name=f"{tag}_t", reset_less=True)
        lt_b, ge_b = Signal(reset_less=True), Signal(reset_less=True)
        m.d.sync += [base.eq(knots[i]), lt_b.eq(lt), ge_b.eq(ge)]
        mul = m.submodules[f"{tag}_mul"] = PipelinedMultiplier(signed(d + 2), p.fbits)
        m.d.comb += [mul.a.eq(slope), mul.b.eq(u[: p.fbits])]
        # stage C: multiply (the multiplier's product register); stage P: the product again,
        # in a flip-flop of the fabric, so that the route out of the hard multiplier ends in
        # a register, not in the add's carry chain (Fmax: the multiplier -> 4.4 to 5.0 ns
        # -> the add -> `tanh*_y`, 7.4 to 8.2 ns, led the `ecp5` preset's seed 1 after its
        # vMAC products at 08b1a33)
        prod = Signal(signed(d + 3 + p.fbits), name=f"{tag}_p", reset_less=True)
        m.d.sync += prod.eq(mul.p)
        base_c = delayed(m, base, 2, f"{tag}_base", reset_less=True)
        lt_c = delayed(m, lt_b, 2, f"{tag}_lt", reset_less=True)
        ge_c = delayed(m, ge_b, 2, f"{tag}_ge", reset_less=True)
        # stage D: add, saturate outside the range
        y = Signal(signed(d), name=f"{tag}_y", reset_less=True)
        m.d.sync += y.eq(Mux(lt_c, p.knots[0], Mux(ge_c, p.knots[-1], base_c + (prod >> p.fbits))))
        return y

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        d, n, fb = cfg.data_bits, cfg.n_lanes, cfg.frac_bits
        lanes = data.ArrayLayout(signed(d), n)
        f = {name: Signal(width, name=f"v_{name}") for name, width in FIELDS[Op.VEC]}
        busy = Signal()
        m.d.comb += self.ready.eq(~busy)
        i1, i0, j1, j0 = Signal(12), Signal(12), Signal(4), Signal(4)
        a_row, a_pos, a_win1, a_win = (
            Signal(16, name=n_) for n_ in ("a_row", "a_pos", "a_win1", "a_win")
        )
        b_row, b_pos = Signal(16), Signal(16)
        d_row, d_pos = Signal(16), Signal(16)
        # MAXPOOL reads two window rows per cycle: port a row j1, port b row j1 + 1 (a second
        # walker a2, ws1 ahead of a's); j1 steps by 2
        pool = Signal()
        a2_row, a2_pos, a2_win1, a2_win = (
            Signal(16, name=n_) for n_ in ("a2_row", "a2_pos", "a2_win1", "a2_win")
        )
        ws1x2 = f["ws1"] << 1
        # The loop ends come out of flip-flops (Fmax): each counter keeps a "last" flag,
        # updated with it from bounds registered on entry (`*_pen`: the value a counter
        # steps from onto its last; `*_one`: the loop has a single iteration).
        last_j0, last_j1, last_i0, last_i1 = (
            Signal(name=f"last_{n_}") for n_ in ("j0", "j1", "i0", "i1")
        )
        pair = Signal()  # port b reads a window row too (MAXPOOL): j1 + 1 < w1
        j0_pen, j1_pen, j1_pool_pen = Signal(signed(6)), Signal(signed(6)), Signal(signed(6))
        i0_pen, i1_pen = Signal(signed(14)), Signal(signed(14))
        j0_one, j1_one, i0_one, pair_first = Signal(), Signal(), Signal(), Signal()
        win_last = last_j0 & last_j1
        final = win_last & last_i0 & last_i1
        empty_done = Signal(2)

        s = {name: field(self.instr, Op.VEC, name) for name, _ in FIELDS[Op.VEC]}
        # the op decoded as it is taken: a flag per op, so that the lanes' result choices are
        # LUTs of flags rather than of the op's four bits (Fmax)
        is_op = {o: Signal(name=f"is_{o.name.lower()}") for o in VecOp}
        with m.If(self.valid & self.ready):
            m.d.sync += [f[k].eq(v) for k, v in s.items()]
            m.d.sync += [is_op[o].eq(s["vop"] == o) for o in VecOp]
            with m.If(self.pre.empty):
                m.d.sync += empty_done.eq(2)
            with m.Else():
                m.d.sync += busy.eq(1)
        with m.If(empty_done != 0):
            m.d.sync += empty_done.eq(empty_done - 1)

        # issue one position per cycle; its reads follow a cycle later (VEC_ADDRESS), from
        # the window walkers (below) and the b walker's registered copy
        assert VEC_ADDRESS == 1
        rd_en = Signal(name="rd_en_q")
        b_pos_q = Signal.like(b_pos, name="b_pos_q", reset_less=True)
        m.d.sync += [rd_en.eq(busy), b_pos_q.eq(b_pos)]
        m.d.comb += [
            self.rd_a.en.eq(rd_en),
            self.rd_a.addr.eq(a_win),
            self.rd_b.en.eq(rd_en),
            # `pool` loads only while idle, so it is still the a cycle later
            self.rd_b.addr.eq(Mux(pool, a2_win, b_pos_q)),
        ]
        # for the collision check (hw/collisions.py): port b's word is used only by the
        # two-operand ops and by MAXPOOL's second window row (with the read, a cycle after
        # the issue)
        two_operands = Cat(is_op[o] for o in (VecOp.ADD, VecOp.SUB, VecOp.MUL, VecOp.MAX))
        b_used = Signal(name="b_used_q")
        m.d.sync += b_used.eq(busy & (two_operands.any() | pair))
        m.d.comb += self.b_used.eq(b_used)
        # The walkers, loop counters and loop bounds load from the offered instruction on
        # every idle cycle, not only on the take: their values matter only while busy, and the
        # take (a late decision) then enables only the op fields and `busy` (Fmax)
        # the a and a2 walkers' next position (i0) and next row of positions (i1), read by
        # their position registers and their window walkers alike
        next_pos = [a_pos + f["a_s0"], a2_pos + f["a_s0"]]
        next_row = [a_row + f["a_s1"], a2_row + f["a_s1"]]
        with m.If(~busy):
            pre = self.pre
            w0 = Mux(s["w0"] == 0, 1, s["w0"])
            w1 = Mux(s["w1"] == 0, 1, s["w1"])
            m.d.sync += [
                # j0 steps by 1 to w0 - 1; j1 by 1 to w1 - 1, or (MAXPOOL) by 2 while
                # j1 + 2 < w1; i0 and i1 by 1 to n0 - 1 and n1 - 1
                j0_pen.eq(w0 - 2),
                j1_pen.eq(w1 - 2),
                j1_pool_pen.eq(w1 - 4),
                i0_pen.eq(s["n0"] - 2),
                i1_pen.eq(s["n1"] - 2),
                j0_one.eq(pre.j0_one),
                j1_one.eq(pre.j1_one),
                i0_one.eq(pre.i0_one),
                pair_first.eq(pre.pair),
                last_j0.eq(pre.j0_one),
                last_j1.eq(pre.j1_one),
                last_i0.eq(pre.i0_one),
                last_i1.eq(pre.i1_one),
                pair.eq(pre.pair),
            ]
            m.d.sync += [
                pool.eq(pre.pool),
                a2_row.eq(pre.a2),
                a2_pos.eq(pre.a2),
            ]
            m.d.sync += [
                i1.eq(0),
                i0.eq(0),
                j1.eq(0),
                j0.eq(0),
                a_row.eq(s["a"]),
                a_pos.eq(s["a"]),
                b_row.eq(s["b"]),
                b_pos.eq(s["b"]),
                d_row.eq(s["dst"]),
                d_pos.eq(s["dst"]),
            ]
        with m.Else():
            with m.If(~win_last):
                with m.If(~last_j0):
                    m.d.sync += [
                        j0.eq(j0 + 1),
                        last_j0.eq(j0 == j0_pen),
                    ]
                with m.Elif(pool):
                    m.d.sync += [
                        j0.eq(0),
                        last_j0.eq(j0_one),
                        j1.eq(j1 + 2),
                        last_j1.eq(j1 >= j1_pool_pen),
                        pair.eq(j1 <= j1_pool_pen),  # j1 + 3 < w1
                    ]
                with m.Else():
                    m.d.sync += [
                        j0.eq(0),
                        last_j0.eq(j0_one),
                        j1.eq(j1 + 1),
                        last_j1.eq(j1 == j1_pen),
                    ]
            with m.Else():
                m.d.sync += [
                    j0.eq(0),
                    j1.eq(0),
                    last_j0.eq(j0_one),
                    last_j1.eq(j1_one),
                    pair.eq(pair_first),
                ]
                with m.If(~last_i0):
                    m.d.sync += [
                        i0.eq(i0 + 1),
                        last_i0.eq(i0 == i0_pen),
                        a_pos.eq(next_pos[0]),
                        a2_pos.eq(next_pos[1]),
                        b_pos.eq(b_pos + f["b_s0"]),
                        d_pos.eq(d_pos + f["dst_s0"]),
                    ]
                with m.Else():
                    m.d.sync += [
                        i0.eq(0),
                        last_i0.eq(i0_one),
                        i1.eq(i1 + 1),
                        last_i1.eq(i1 == i1_pen),
                        a_row.eq(next_row[0]),
                        a_pos.eq(next_row[0]),
                        a2_row.eq(next_row[1]),
                        a2_pos.eq(next_row[1]),
                        b_row.eq(b_row + f["b_s1"]),
                        b_pos.eq(b_row + f["b_s1"]),
                        d_row.eq(d_row + f["dst_s1"]),
                        d_pos.eq(d_row + f["dst_s1"]),
                    ]
                    with m.If(last_i1):
                        m.d.sync += busy.eq(0)
        # The window walkers - the read ports' addresses - run a cycle behind the loop
        # counters (VEC_ADDRESS), each from the case the loops took the cycle before,
        # registered: the next window column (+ ws0), row pair (MAXPOOL: + 2 ws1) or row
        # (+ ws1, from the row's start `win1`), or a start - idle, the next position or row
        # of positions - whose address the position walkers already hold.  So each is a sum
        # with a registered step, then a 3:1 choice by two flip-flops (Fmax: the next row's
        # sum, then the AND-OR of six cases, into `a2_win` was late in every run of ee123ec;
        # a register behind the walkers did not help, e26c179).
        step_j0 = busy & ~last_j0
        step_pool = busy & last_j0 & ~last_j1 & pool
        step_j1 = busy & last_j0 & ~last_j1 & ~pool
        starts = ~busy | (busy & win_last)  # idle, the next position or row of positions
        for win1, win, pos, in_j1, tag in (
            (a_win1, a_win, a_pos, True, "a"),
            (a2_win1, a2_win, a2_pos, False, "a2"),
        ):
            start_q = Signal(name=f"{tag}_start_q")
            row_q = Signal(name=f"{tag}_row_q")
            row_d = Signal(16, name=f"{tag}_row_d")  # the row's step, or 0
            col_d = Signal(16, name=f"{tag}_col_d")  # the column's step, or 0
            row = step_pool | step_j1 if in_j1 else step_pool
            m.d.sync += [
                start_q.eq(starts),
                row_q.eq(row),
                row_d.eq(Mux(step_pool, ws1x2, Mux(row, f["ws1"], 0))),
                col_d.eq(Mux(step_j0, f["ws0"], 0)),
            ]
            to_row = win1 + row_d
            m.d.sync += [
                win1.eq(Mux(start_q, pos, to_row)),
                win.eq(Mux(start_q, pos, Mux(row_q, to_row, win + col_d))),
            ]

        # control of the position whose data arrives this cycle (issued VEC_ADDRESS +
        # BUFFER_READ_LATENCY cycles ago); p_pair: port b's data is a window row (MAXPOOL)
        issued = {
            "p_valid": busy,
            "p_first": (j0 == 0) & (j1 == 0),
            "p_write": busy & win_last,
            "p_final": busy & final,
            "p_dst": d_pos,
        }
        p = {k: delayed(m, v, VEC_ADDRESS + BUFFER_READ_LATENCY, k) for k, v in issued.items()}
        p_pair = delayed(m, pair, VEC_ADDRESS + BUFFER_READ_LATENCY, "p_pair")
        e1_pair = delayed(m, p_pair, 1, "e_pair")  # with the E1 registers
        # ... and of the position whose result register loads this cycle
        q_write = delayed(m, p["p_write"], VEC_STAGES - 1, "p_write")
        q_dst = delayed(m, p["p_dst"], VEC_STAGES - 1, "p_dst")
        final_e = delayed(m, p["p_final"], VEC_STAGES - 2, "final_e")  # a cycle ahead of q
        # q_valid (the result register's enable) and q_first, with a copy per lane, so that
        # no flag drives every lane's MAXPOOL keep choice across the die (Fmax: was_valid,
        # was_first and q_first, one flip-flop each -> the keep -> res_k, 7.93 ns in the
        # `ecp5` preset's seed 2 at 35f2f6f)
        q_pre = delayed(m, Cat(p["p_valid"], p["p_first"]), VEC_STAGES - 2, "q_flags")
        q_copies = replicas(m, q_pre, n, "q_flags_l", reset_less=False)
        av = data.View(lanes, self.rd_a.data)
        bv = data.View(lanes, self.rd_b.data)
        # MAXPOOL's first position does not read it.  The buffer's write data; each lane
        # keeps a copy of its word for its own MAXPOOL compare and keep choice (`res_k`),
        # so that the register the write port pulls across the die is not in the lane's
        # loop (Fmax: res -> the compare -> beats_res, late in every seed at e08a041)
        res = Signal(lanes, reset_less=True, attrs={"keep": 1})
        lo, hi = -(1 << (d - 1)), (1 << (d - 1)) - 1

        def fits(v):
            # v fits d bits when its bits from d - 1 up are all equal (no compare chains
            # after the adder: one LUT level)
            top = v[d - 1 :]
            return (top == 0) | (top == (1 << len(top)) - 1)

        def saturated(fit, low, neg):  # v from its fits(v), its low d bits and its sign
            return Mux(fit, low, Mux(neg, lo, hi))

        def sat(v):
            return saturated(fits(v), v[:d].as_signed(), v[-1])

        assert VEC_STAGES == 7, "the lane pipeline below is built for 7 stages"
        # the op flags, a copy per lane, a cycle after the take (a VEC is taken only once
        # the previous one completed, and its first operands reach E2's logic five cycles
        # after the take: the issue, the address stage, the read, E1), so that no flag
        # drives every lane's choices across the die (Fmax: is_maxpool -> 3.6 ns -> the
        # result choice, 7.5 ns in the `ecp5` preset's seed 1 at 928f796)
        op_copies = replicas(m, Cat(is_op[o] for o in VecOp), n, "is_op_l")
        for lane in range(n):
            op_l = {o: op_copies[lane][i] for i, o in enumerate(VecOp)}
            q_valid, q_first = q_copies[lane][0], q_copies[lane][1]
            # E1: operands
            # data registers without reset (what they hold is used under q_valid)
            x = Signal(signed(d), name=f"xa{lane}", reset_less=True)
            y = Signal(signed(d), name=f"xb{lane}", reset_less=True)
            m.d.sync += [x.eq(av[lane]), y.eq(bv[lane])]
            # E2: the single-adder ops' sums and compares (each its own register), the
            # product, activation stage A
            add_s = Signal(signed(d), name=f"sum{lane}", reset_less=True)
            sub_s = Signal(signed(d), name=f"diff{lane}", reset_less=True)
            x2, y2 = Signal.like(x, reset_less=True), Signal.like(y, reset_less=True)
            # MAX, and MAXPOOL when port b read a window row: y is the larger; RELU: x < 0
            pick_y, zero = Signal(reset_less=True), Signal(reset_less=True)
            m.d.sync += [
                add_s.eq(sat(x + y)),
                sub_s.eq(sat(x - y)),
                x2.eq(x),
                y2.eq(y),
                pick_y.eq((op_l[VecOp.MAX] | (op_l[VecOp.MAXPOOL] & e1_pair)) & (y > x)),
                zero.eq(op_l[VecOp.RELU] & x[-1]),
            ]
            # E3: the op's result, a choice between E2's registers
            simple = Signal(signed(d), name=f"simple{lane}", reset_less=True)
            m.d.sync += simple.eq(
                Mux(
                    op_l[VecOp.ADD],
                    add_s,
                    Mux(op_l[VecOp.SUB], sub_s, Mux(pick_y, y2, Mux(zero, 0, x2))),
                )
            )
            # the product of the operands x and y: the multiplier's operand registers take
            # copies of x and y (E1) of their own, free to be placed by the multiplier, not
            # the vector buffer's read data (Fmax: the buffer's block RAM -> 6.4 ns across
            # the die -> the multiplier led the `ecp5` preset's seed 1 after the activations
            # at 08b1a33)
            xm = Signal(signed(d), name=f"xm{lane}", reset_less=True, attrs={"keep": 1})
            ym = Signal(signed(d), name=f"ym{lane}", reset_less=True, attrs={"keep": 1})
            m.d.sync += [xm.eq(av[lane]), ym.eq(bv[lane])]
            mul_e = m.submodules[f"mul{lane}"] = PipelinedMultiplier(signed(d), signed(d))
            m.d.comb += [mul_e.a.eq(xm), mul_e.b.eq(ym)]
            # E3: the product in the multiplier's output register; E4: the product again, in a
            # flip-flop of the fabric (Fmax: the multiplier -> 4.9 ns -> the rounding add,
            # 7.4 ns in the `ecp5` preset's seed 2 at f099326); E5: the rounded product's
            # saturation test and low bits; E6: the saturated value (the test's LUT tree and
            # the choice in stages of their own: the result waits for E6 anyway; Fmax: the
            # test -> 3.6 ns -> the choice, 8.7 ns, led that run)
            prod = Signal.like(mul_e.p, name=f"mulp{lane}", reset_less=True)
            m.d.sync += prod.eq(mul_e.p)
            rounded = (prod + (1 << (fb - 1))) >> fb
            mul_fits = Signal(name=f"mul_fits{lane}", reset_less=True)
            mul_neg = Signal(name=f"mul_neg{lane}", reset_less=True)
            mul_lo = Signal(signed(d), name=f"mulq{lane}", reset_less=True)
            m.d.sync += [
                mul_fits.eq(fits(rounded)),
                mul_neg.eq(rounded[-1]),
                mul_lo.eq(rounded[:d].as_signed()),
            ]
            # E2..E6: activations
            sig_y = self._act(m, "sigmoid", x, lane)
            tanh_y = self._act(m, "tanh", x, lane)
            # align everything to E6
            simple4 = delayed(m, simple, 2, f"simple{lane}", reset_less=True)
            simple5 = delayed(m, simple4, 1, f"simple4_{lane}", reset_less=True)
            # MAXPOOL's "the new value beats the running maximum" (simple5 > res), compared
            # a cycle ahead so that the result register's enable is a LUT of flip-flops, not
            # a carry chain (Fmax): the maximum this cycle is last cycle's, or last cycle's
            # value when that position was the window's first, or the larger of the two
            res_k = Signal(signed(d), name=f"res_k{lane}", reset_less=True, attrs={"keep": 1})
            beats_res = Signal(name=f"beats_res{lane}", reset_less=True)  # vs. last res
            beats_prev = Signal(name=f"beats_prev{lane}", reset_less=True)  # vs. last value
            m.d.sync += [
                beats_res.eq(_biased(simple4) > _biased(res_k)),
                beats_prev.eq(_biased(simple4) > _biased(simple5)),
            ]
            # The running maximum stays (keep) on a MAXPOOL position that is not its
            # window's first, unless the new value is the greater: greater than last
            # cycle's result when the last update was no position, than last cycle's value
            # when that was its window's first, else than both.  Which of the two compares
            # count is known a cycle ahead, from this lane's flags of the position that
            # loads the result register now and of the one that loads it next: the two
            # are registered, and keep is one LUT of four flip-flops (Fmax: was_valid,
            # was_first, q_first and the compares -> two LUTs -> keep -> the result
            # choice, five LUTs to res_k in `tiny`'s seed 2 at 1336574)
            k_res = Signal(name=f"keep_res{lane}")  # keep unless the value beats res
            k_prev = Signal(name=f"keep_prev{lane}")  # keep unless it beats the last value
            pool_next = op_l[VecOp.MAXPOOL] & ~q_pre[1]  # the next position may keep
            m.d.sync += [
                k_res.eq(pool_next & ~(q_valid & q_first)),
                k_prev.eq(pool_next & q_valid),
            ]
            mul5 = Signal(signed(d), name=f"mulq{lane}_d1", reset_less=True)  # E6
            m.d.sync += mul5.eq(saturated(mul_fits, mul_lo, mul_neg))
            r = Signal(signed(d), name=f"r{lane}")
            keep = (k_res & ~beats_res) | (k_prev & ~beats_prev)
            m.d.comb += r.eq(
                Mux(
                    op_l[VecOp.MUL],
                    mul5,
                    Mux(
                        op_l[VecOp.SIGMOID],
                        sig_y,
                        Mux(op_l[VecOp.TANH], tanh_y, Mux(keep, res_k, simple5)),
                    ),
                )
            )
            # E7: the result register
            with m.If(q_valid):
                m.d.sync += [res[lane].eq(r), res_k.eq(r)]
        # stage 2: write
        w_en, w_dst = Signal(), Signal(16)
        m.d.sync += [w_en.eq(q_write), w_dst.eq(q_dst)]
        # `done` (with the last write, or when empty_done reaches 1) from two flip-flops in
        # a row, the first set a cycle ahead: the last position a stage before the result
        # register, or a take without positions that finds empty_done at 0 (it is 2 the
        # cycle after, 1 the next), so that the route from the lanes to the engine's
        # completion-order queue can take a register on its way (Fmax: the engine's
        # `vec_done` -> 4.2 ns across the die -> the order queue led the `ecp5` preset's
        # seed 2 at 08b1a33)
        done_a, done_b = Signal(name="done_a"), Signal(name="done_b")
        m.d.sync += [
            done_a.eq(final_e | (self.valid & self.ready & self.pre.empty & (empty_done == 0))),
            done_b.eq(done_a),
        ]
        m.d.comb += [
            self.wr.en.eq(w_en),
            self.wr.addr.eq(w_dst),
            self.wr.data.eq(res),
            self.done.eq(done_b),
        ]
        return m
