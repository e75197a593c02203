"""Vector unit: element-wise operations, activations and max-pooling on vector-buffer words
(``n_lanes`` lanes in parallel), executing VEC instructions (``model/isa.py``).

Loop nest: ``for i1 < n1: for i0 < n0: [for j1 < w1: for j0 < w0:]``, one position per cycle,
addresses kept incrementally.  Position ``p`` reads ``a`` (and ``b``) in the cycle it is
issued, the result is registered the next cycle and written the cycle after (MAXPOOL keeps a
running maximum and writes after the last window position).  ``done`` pulses with the last
write; an instruction with no positions (a SYNC) pulses two cycles after its handshake.
Instructions must not read words they write at another position (the compiler's rule).
"""

from amaranth import Array, Const, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from snowsim.hw.instr_fields import field
from snowsim.hw.ports import VecReadSignature, VecWriteSignature
from snowsim.model.activations import pwl
from snowsim.model.config import AcceleratorConfig
from snowsim.model.isa import FIELDS, INSTR_BITS, Op, VecOp

__all__ = ["VectorUnit"]


class VectorUnit(wiring.Component):
    """Members
    -------
    valid : In(1), ready : Out(1), instr : In(INSTR_BITS)
    done : Out(1)
    rd_a, rd_b : Out(VecReadSignature)
    wr : Out(VecWriteSignature)
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                "valid": In(1),
                "ready": Out(1),
                "instr": In(INSTR_BITS),
                "done": Out(1),
                "rd_a": Out(VecReadSignature(cfg)),
                "rd_b": Out(VecReadSignature(cfg)),
                "wr": Out(VecWriteSignature(cfg)),
            }
        )

    def _act(self, m: Module, name: str, x):
        p = pwl(name, self.cfg)
        d = self.cfg.data_bits
        t = Array(Const(v, signed(d + 1)) for v in p.knots)
        span = p.hi - p.lo
        u = Signal(range(span), name=f"{name}_u")
        m.d.comb += u.eq(Mux(x < p.lo, 0, Mux(x >= p.hi, span - 1, x - p.lo)))
        i = u >> p.fbits
        fr = u[: p.fbits]
        lo_v, hi_v = t[i], t[i + 1]
        y = lo_v + (((hi_v - lo_v) * fr) >> p.fbits)
        return Mux(x < p.lo, p.knots[0], Mux(x >= p.hi, p.knots[-1], y))

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
        w1 = Mux(f["w1"] == 0, 1, f["w1"])
        w0 = Mux(f["w0"] == 0, 1, f["w0"])
        last_j0 = j0 == w0 - 1
        last_j1 = j1 == w1 - 1
        last_i0 = i0 == f["n0"] - 1
        last_i1 = i1 == f["n1"] - 1
        win_last = last_j0 & last_j1
        final = win_last & last_i0 & last_i1
        empty_done = Signal(2)

        with m.If(self.valid & self.ready):
            s = {name: field(self.instr, Op.VEC, name) for name, _ in FIELDS[Op.VEC]}
            m.d.sync += [f[k].eq(v) for k, v in s.items()]
            m.d.sync += [
                i1.eq(0),
                i0.eq(0),
                j1.eq(0),
                j0.eq(0),
                a_row.eq(s["a"]),
                a_pos.eq(s["a"]),
                a_win1.eq(s["a"]),
                a_win.eq(s["a"]),
                b_row.eq(s["b"]),
                b_pos.eq(s["b"]),
                d_row.eq(s["dst"]),
                d_pos.eq(s["dst"]),
            ]
            with m.If((s["n0"] == 0) | (s["n1"] == 0)):
                m.d.sync += empty_done.eq(2)
            with m.Else():
                m.d.sync += busy.eq(1)
        with m.If(empty_done != 0):
            m.d.sync += empty_done.eq(empty_done - 1)
        m.d.comb += self.done.eq(0)

        # issue one position per cycle
        m.d.comb += [
            self.rd_a.en.eq(busy),
            self.rd_a.addr.eq(a_win),
            self.rd_b.en.eq(busy),
            self.rd_b.addr.eq(b_pos),
        ]
        with m.If(busy):
            with m.If(~win_last):
                with m.If(~last_j0):
                    m.d.sync += [j0.eq(j0 + 1), a_win.eq(a_win + f["ws0"])]
                with m.Else():
                    m.d.sync += [
                        j0.eq(0),
                        j1.eq(j1 + 1),
                        a_win1.eq(a_win1 + f["ws1"]),
                        a_win.eq(a_win1 + f["ws1"]),
                    ]
            with m.Else():
                m.d.sync += [j0.eq(0), j1.eq(0)]
                with m.If(~last_i0):
                    nxt_a = a_pos + f["a_s0"]
                    m.d.sync += [
                        i0.eq(i0 + 1),
                        a_pos.eq(nxt_a),
                        a_win1.eq(nxt_a),
                        a_win.eq(nxt_a),
                        b_pos.eq(b_pos + f["b_s0"]),
                        d_pos.eq(d_pos + f["dst_s0"]),
                    ]
                with m.Else():
                    nxt_a = a_row + f["a_s1"]
                    m.d.sync += [
                        i0.eq(0),
                        i1.eq(i1 + 1),
                        a_row.eq(nxt_a),
                        a_pos.eq(nxt_a),
                        a_win1.eq(nxt_a),
                        a_win.eq(nxt_a),
                        b_row.eq(b_row + f["b_s1"]),
                        b_pos.eq(b_row + f["b_s1"]),
                        d_row.eq(d_row + f["dst_s1"]),
                        d_pos.eq(d_row + f["dst_s1"]),
                    ]
                    with m.If(last_i1):
                        m.d.sync += busy.eq(0)

        # stage 1 (data arrives): compute, keep the running max of a window
        p_valid, p_first, p_write, p_final = Signal(), Signal(), Signal(), Signal()
        p_dst = Signal(16)
        m.d.sync += [
            p_valid.eq(busy),
            p_first.eq((j0 == 0) & (j1 == 0)),
            p_write.eq(busy & win_last),
            p_final.eq(busy & final),
            p_dst.eq(d_pos),
        ]
        av = data.View(lanes, self.rd_a.data)
        bv = data.View(lanes, self.rd_b.data)
        res = Signal(lanes)
        lo, hi = -(1 << (d - 1)), (1 << (d - 1)) - 1

        def sat(v):
            return Mux(v > hi, hi, Mux(v < lo, lo, v))

        op = f["vop"]
        for lane in range(n):
            x, y = av[lane], bv[lane]
            r = Signal(signed(d), name=f"r{lane}")
            prod = Signal(signed(2 * d + 1), name=f"mul{lane}")
            m.d.comb += prod.eq((x * y + (1 << (fb - 1))) >> fb)
            with m.Switch(op):
                with m.Case(VecOp.COPY):
                    m.d.comb += r.eq(x)
                with m.Case(VecOp.ADD):
                    m.d.comb += r.eq(sat(x + y))
                with m.Case(VecOp.SUB):
                    m.d.comb += r.eq(sat(x - y))
                with m.Case(VecOp.MUL):
                    m.d.comb += r.eq(sat(prod))
                with m.Case(VecOp.MAX):
                    m.d.comb += r.eq(Mux(x > y, x, y))
                with m.Case(VecOp.RELU):
                    m.d.comb += r.eq(Mux(x < 0, 0, x))
                with m.Case(VecOp.SIGMOID):
                    m.d.comb += r.eq(self._act(m, "sigmoid", x))
                with m.Case(VecOp.TANH):
                    m.d.comb += r.eq(self._act(m, "tanh", x))
                with m.Case(VecOp.MAXPOOL):
                    m.d.comb += r.eq(Mux(p_first | (x > res[lane]), x, res[lane]))
            with m.If(p_valid):
                m.d.sync += res[lane].eq(r)
        # stage 2: write
        w_en, w_final, w_dst = Signal(), Signal(), Signal(16)
        m.d.sync += [w_en.eq(p_write), w_final.eq(p_final), w_dst.eq(p_dst)]
        m.d.comb += [
            self.wr.en.eq(w_en),
            self.wr.addr.eq(w_dst),
            self.wr.data.eq(res),
            self.done.eq(w_final | (empty_done == 1)),
        ]
        return m
