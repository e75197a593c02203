"""Burst generator: walks a 3-D descriptor and presents one AXI burst at a time, exactly as
:func:`snowsim.model.dma.split_row` splits rows (beat-aligned, INCR, ends at the row's end,
a 4 KiB boundary or ``max_burst_beats``), with the element masks of the burst's first and
last beat and the buffer beat its data belongs to.  The walk runs up to two bursts ahead of
the takes, into an output buffer whose head (or, while it is empty, the walk's burst) is
presented.
"""

from types import SimpleNamespace

from amaranth import C, Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snowsim.hw.select_update import select_update
from snowsim.model.config import AcceleratorConfig
from snowsim.model.latencies import BURST_GEN_SETUP

__all__ = ["BurstGen"]


def _within_page(end) -> Value:
    """``end <= 4096`` for an unsigned ``end`` (a row's offset in its page plus its length),
    as LUTs of its bits, no compare: the bits from 13 up zero, and bit 12 zero or the bits
    below it zero."""
    end = Value.cast(end)
    return (end[13:] == 0) & (~end[12] | (end[:12] == 0))


class BurstGen(wiring.Component):
    """Parameters
    ----------
    cfg : AcceleratorConfig

    Members
    -------
    load : In(1)
        Pulse: start a descriptor (the ``d_*`` inputs are sampled in that cycle; its first
        burst is presented ``BURST_GEN_SETUP`` cycles later).
    d_dram_addr, d_row_bytes, d_rows, d_dram_row_stride, d_planes, d_dram_plane_stride,
    d_buf_addr, d_buf_row_stride, d_buf_plane_stride : In
        The descriptor (byte lengths and addresses for DRAM, element addresses for the buffer).
    valid : Out(1)
        A burst is presented.
    next : In(1)
        The presented burst is taken: advance to the next (ignored while not ``valid``).
    addr, length, first_mask, last_mask, buf_beat, last : Out
        The presented burst (``length``: its beats - 1, AXI ``AxLEN``); ``last`` marks the
        descriptor's final burst.
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        super().__init__(
            {
                "load": In(1),
                "d_dram_addr": In(32),
                "d_row_bytes": In(18),
                "d_rows": In(16),
                "d_dram_row_stride": In(32),
                "d_planes": In(16),
                "d_dram_plane_stride": In(32),
                "d_buf_addr": In(24),
                "d_buf_row_stride": In(24),
                "d_buf_plane_stride": In(24),
                "valid": Out(1),
                "next": In(1),
                "addr": Out(32),
                "length": Out(8),
                "first_mask": Out(cfg.bus_elems),
                "last_mask": Out(cfg.bus_elems),
                "buf_beat": Out(24),
                "last": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        bus, e, eb = cfg.bus_bytes, cfg.bus_elems, cfg.elem_bytes
        lb, le = bus.bit_length() - 1, e.bit_length() - 1
        page = 4096 >> lb  # beats in a 4 KiB page
        lim = min(cfg.max_burst_beats, page)
        near_at = (page - lim) << lb  # near: a burst from addr[:12] >= near_at meets the page

        # Every register below is updated from registers through at most one carry chain
        # and a few LUTs (no compare of a freshly computed sum), so that one burst per cycle
        # closes timing.  In beats: rem = beats left in the row from cur, to4k = beats from
        # cur to the next 4 KiB boundary, and, kept beside them so that the burst's length
        # is a choice between registers, near = to4k <= lim, rl = rem - lim - 1 and
        # r4k = rem - to4k - 1 (the row ends with this burst when rl < 0, or when near and
        # r4k < 0).
        # Only `active` is reset: every other register here is loaded with the descriptor
        # before it is read (a reset would only add to the reset's fan-out and to the
        # flip-flops' set/reset logic)
        def reg(shape, name):
            return Signal(shape, name=name, reset_less=True)

        cur = reg(33, "cur")
        rem = reg(19, "rem")
        to4k = reg(range(page + 1), "to4k")
        rem1, to4k1 = reg(19, "rem1"), reg(range(page + 1), "to4k1")  # rem - 1, to4k - 1
        near = reg(1, "near")
        rl, r4k = reg(signed(21), "rl"), reg(signed(21), "r4k")
        first = reg(1, "first")
        head = reg(max(lb, 1), "head")  # the row's byte offset within its first beat
        tail = reg(max(lb, 1), "tail")  # the row's end within its last beat (0: a full beat)
        buf_beat = reg(24, "buf_beat")
        active = Signal()
        # the descriptor, and per-row constants of its row length (see start_row)
        row_k = {
            "rem_a": reg(19, "rem_a"),  # nb1_hi: rem without the carry c
            "rem_b": reg(19, "rem_b"),  # nb1_hi + 1
            "rem1_a": reg(19, "rem1_a"),  # nb1_hi - 1
            "rl_a": reg(signed(21), "rl_a"),  # nb1_hi - lim - 1
            "rl_b": reg(signed(21), "rl_b"),  # nb1_hi - lim
            "c_4k": reg(signed(21), "c_4k"),  # nb1 - (page + 1) * bus
            "nb_lo": reg(max(lb, 1), "nb_lo"),  # nb1 mod bus
            "nb_tail": reg(max(lb, 1), "nb_tail"),  # row_bytes mod bus
        }
        # and per stride (row, plane), the constants of the page flags ahead (see page_ahead)
        for st in ("row", "plane"):
            # d: L in [ad, bd1] (split: L >= ad or L <= bd1); n: likewise [an, bn1]
            row_k[f"ad_{st}"] = reg(12, f"ad_{st}")
            row_k[f"bd1_{st}"] = reg(12, f"bd1_{st}")
            row_k[f"sd_{st}"] = reg(1, f"sd_{st}")
            row_k[f"an_{st}"] = reg(12, f"an_{st}")
            row_k[f"bn1_{st}"] = reg(12, f"bn1_{st}")
            row_k[f"sn_{st}"] = reg(1, f"sn_{st}")
        rows = reg(signed(17), "plane_rows_m4")  # the rows of a plane, less 4
        rows_one, rows_two = reg(1, "rows_one"), reg(1, "rows_two")
        row_stride, plane_stride = reg(32, "row_stride"), reg(32, "plane_stride")
        brow_stride, bplane_stride = reg(24, "brow_stride"), reg(24, "bplane_stride")
        # walkers: the start of the row the walk begins next (`ns`: the next row in this
        # plane, or the next plane's first after the plane's last row) and of the next plane
        ns_addr, nplane_addr = reg(33, "ns_addr"), reg(33, "nplane_addr")
        ns_elem, nplane_elem = reg(24, "ns_elem"), reg(24, "nplane_elem")
        # the rows left in the plane and the planes left, each kept less a constant, so that
        # the flag its step sets is the difference's sign, a flip-flop's bit, not a compare
        # of 16 bits (Fmax: `rows_left == 3` came out five LUTs deep into `rows_at2`, the
        # critical path of e645cd8's seed 3)
        rows_m4, planes_m3 = reg(signed(17), "rows_left_m4"), reg(signed(17), "planes_left_m3")
        last_row, last_plane = reg(1, "last_row"), reg(1, "last_plane")
        # rows left == 2, the next row is the plane's last (read only while the current is
        # not the plane's last, so set by rows left <= 3: see next_any)
        at2 = reg(1, "rows_at2")
        # the stride from ns to the row the walk begins after it, when that is a stride on
        # (not the next plane's start after a row): a plane stride when ns starts a plane
        # whose planes have one row, else a row stride - chosen at the event before, so
        # that ns_addr's next value is one sum of registers (Fmax: ns_addr's plane case
        # summed nplane_addr and the plane stride, then chose: c5 seed 1's critical path)
        ns_step, ns_estep = reg(32, "ns_step"), reg(24, "ns_estep")

        # the row ends with this burst: Mux(near, r4k < 0, rl < 0), kept as a flip-flop
        # updated with near, rl and r4k (from their next values), so that the advance's
        # case decision - every walker register's enable - starts at flip-flops (Fmax)
        row_done = reg(1, "row_done")

        def walk(near_v, rl_v, r4k_v):  # near, rl and r4k take these values
            return [
                near.eq(near_v),
                rl.eq(rl_v),
                r4k.eq(r4k_v),
                # the signs of the values as stored (21 bits)
                row_done.eq(
                    Mux(near_v, Value.cast(r4k_v)[len(r4k) - 1], Value.cast(rl_v)[len(rl) - 1])
                ),
            ]

        ones = (1 << e) - 1
        first_bits = Cat(*[(i * eb) >= head for i in range(e)])
        last_bits = Cat(*[(tail == 0) | ((i * eb) < tail) for i in range(e)])
        # the burst the walk is at, in the order of the outputs (see the output buffer)
        walk_burst = [
            cur,
            # the length is a choice between registers kept beside the beat counts (no
            # decrement between the burst and the AXI handshake logic)
            Mux(row_done, rem1, Mux(near, to4k1, lim - 1)),
            Mux(first, first_bits, ones),
            Mux(row_done, last_bits, ones),
            buf_beat,
            row_done & last_row & last_plane,
        ]
        outputs = [
            self.addr,
            self.length,
            self.first_mask,
            self.last_mask,
            self.buf_beat,
            self.last,
        ]

        w = max(lb, 1)

        def low(a):  # a mod bus: an address's offset in its beat (a 1-bit 0 without one)
            return a[:lb] if lb else C(0, 1)

        def off_bits(off, nb_lo, nb_tail):
            # what a row's start takes from its offset in its first beat: the carry c of
            # off + nb_lo (see start_row) and the row's end within its last beat
            if not lb:
                return C(0, 1), C(0, 1)
            return (off + nb_lo)[lb], (off + nb_tail)[:lb]

        def low_sum(a, b):  # (a + b) mod bus: the offset a stride leads to
            return low(low(a) + low(b))

        # What a row's start takes from flip-flops, kept for the next row in this plane
        # (row_f: ns_addr's row while not last_row) and the next plane's first row (plane_f,
        # nplane_addr's), each updated with the walker whose next value starts that row
        # (next_start): c and the tail, from the low bits of the same sums (Fmax: rl was
        # c's LUTs, then its choice, from the walker), and the page flags d and n (below)
        def start_flags(name):
            return SimpleNamespace(
                c=reg(1, f"c_{name}"),
                tail=reg(w, f"tail_{name}"),
                d=reg(1, f"d_{name}"),
                n=reg(1, f"n_{name}"),
            )

        row_f, plane_f = start_flags("row"), start_flags("plane")

        def ahead(c_reg, tail_reg, off, k):
            c_v, tail_v = off_bits(off, k["nb_lo"], k["nb_tail"])
            return [c_reg.eq(c_v), tail_reg.eq(tail_v)]

        # The page flags: d, the row ends within its page (addr[:12] + row_bytes <=
        # 4096), and n, near (addr[:12] >= near_at), so that a row's start takes row_done
        # and near from flip-flops, not through a compare of the walker (Fmax: the
        # compare's carry chain, then the case multiplexer, was row_done's path).  A
        # walker's next start has the low 12 bits L' = (L + s) mod 4096, for its own L and
        # a stride's s' = s mod 4096.  d' (L' < T, T = 4097 - row_bytes) and n' (L' >=
        # near_at) each hold for L in an interval of the circle mod 4096: [a, b] or, when
        # it wraps past 4095 (split), L >= a or L <= b.  So each flag is two 12-bit
        # compares of L against per-descriptor constants (row_k: ad, bd1, sd and an, bn1,
        # sn, per stride; see s_k below) and one LUT, no wider compare and no choice
        # between compares after the carry chains.
        def page_ahead(d_reg, n_reg, addr, k, st):
            low12 = addr[:12]

            def inside(a, b1, split):
                ge, le = low12 >= k[f"{a}_{st}"], low12 <= k[f"{b1}_{st}"]
                return Mux(k[f"{split}_{st}"], ge | le, ge & le)

            return [
                d_reg.eq(inside("ad", "bd1", "sd")),
                n_reg.eq(inside("an", "bn1", "sn") if near_at else 1),
            ]

        def next_start(f, addr, stride, k, st):
            # f's flags for the row starting at addr + stride (st: that stride's constants)
            return [
                *ahead(f.c, f.tail, low_sum(addr, stride), k),
                *page_ahead(f.d, f.n, addr, k, st),
            ]

        def start_row(addr, elem, k, f):
            # with off = addr[:lb] and x = addr[lb:12] (addr[:12] = x * bus + off), and
            # nb1 = row_bytes + bus - 1 = nb1_hi * bus + nb_lo:
            #   rem  = (off + nb1) >> lb = nb1_hi + c, c = (off + nb_lo) >= bus
            #   to4k = page - x              (near: x >= page - lim)
            #   rl   = rem - lim - 1
            #   r4k  = rem - to4k - 1   = (addr[:12] + nb1 - (page + 1) * bus) >> lb
            # rem, rem1 and rl are choices by c (given, with the tail) between per-row
            # constants, and the row ends within a page (r4k < 0) exactly when
            # addr[:12] + row_bytes <= 4096: d, given with near (n): no carry chain ends in
            # row_done or rl (Fmax)
            off = low(addr)
            x = addr[lb:12]
            c, n = f.c, f.n
            rl_v = Mux(c, k["rl_b"], k["rl_a"])
            return [
                cur.eq(Cat(C(0, lb), addr[lb:])),
                rem.eq(Mux(c, k["rem_b"], k["rem_a"])),
                rem1.eq(Mux(c, k["rem_a"], k["rem1_a"])),
                to4k.eq(page - x),
                to4k1.eq(page - 1 - x),
                near.eq(n),
                rl.eq(rl_v),
                r4k.eq((addr[:12] + k["c_4k"]) >> lb),
                row_done.eq(Mux(n, f.d, rl_v[-1])),
                first.eq(1),
                head.eq(off),
                tail.eq(f.tail),
                buf_beat.eq(elem >> le),
            ]

        # The descriptor is registered as it is before any of it is used (BURST_GEN_SETUP
        # = 3): the raw registers r_* take the d_* inputs every cycle, with no enable and
        # nothing in front (the inputs come from a sequencer's head instruction, across the
        # die), and the handshake (``load``) drives one flip-flop.
        # The staging registers s_* then hold the descriptor and the per-row constants of
        # its row length (one carry chain each), so that the walkers' load and the
        # row-start arithmetic (one carry chain) start from registers.
        # (loaded every cycle, read only in `pending`)
        s_addr, s_t4k = reg(32, "s_addr"), reg(13, "s_t4k")
        # the row length plus a constant k (one carry chain each), initialised to k, their
        # value for the raw registers' initial 0: a bit that the length's zero low bits
        # (a whole number of elements) leave constant is then a constant to synthesis, not
        # a flip-flop 0 at power-up and 1 after, which Yosys shares between the two
        # generators (Fmax: s_c_4k's bit 0, shared, was the critical path of 530f32e's seed
        # 3, from the read generator into the write generator's r4k)
        plus_len = {
            "s_nb1": (unsigned(19), bus - 1),
            "s_nb2": (unsigned(19), 2 * bus - 1),
            "s_nb1m": (unsigned(19), -1),
            "s_c_l": (signed(21), bus - 1 - (lim + 1) * bus),
            "s_c_l1": (signed(21), bus - 1 - lim * bus),
            "s_c_4k": (signed(21), bus - 1 - (page + 1) * bus),
        }
        s_len = {
            name: Signal(shape, name=name, reset_less=True, init=Const(k, shape).value)
            for name, (shape, k) in plus_len.items()
        }
        s_nb1, s_nb2, s_nb1m = s_len["s_nb1"], s_len["s_nb2"], s_len["s_nb1m"]
        s_c_l, s_c_l1, s_c_4k = s_len["s_c_l"], s_len["s_c_l1"], s_len["s_c_4k"]
        s_tail = reg(w, "s_tail")
        s_c, s_tail0 = reg(1, "s_c"), reg(w, "s_tail0")  # off_bits of the first row
        s_n0 = reg(1, "s_n0")  # the first row's near flag
        s_d0 = reg(1, "s_d0")  # ... and its d (it ends within its page)
        s_no_d = reg(1, "s_no_d")  # row_bytes > 4096: no start keeps the row in its page
        s_lr, s_lp = reg(12, "s_lr"), reg(12, "s_lp")  # the second row's, plane's addr[:12]
        s_p_row, s_p_plane = reg(19, "s_p_row"), reg(19, "s_p_plane")  # s + row_bytes
        s_rows, s_row_stride = reg(16, "s_rows"), reg(32, "s_row_stride")
        s_rows_m4, s_planes_m3 = reg(signed(17), "s_rows_m4"), reg(signed(17), "s_planes_m3")
        s_rows_one = reg(1, "s_rows_one")  # rows == 1: the walk starts the next plane next
        s_planes, s_plane_stride = reg(16, "s_planes"), reg(32, "s_plane_stride")
        s_elem = reg(24, "s_elem")
        s_brow_stride, s_bplane_stride = reg(24, "s_brow_stride"), reg(24, "s_bplane_stride")
        # the descriptor moves nothing: a zero test per field, each beside its raw register,
        # ORed at the load (Fmax: the three tests and their OR into one flip-flop, 6.6 ns
        # of routing from the raw registers, was a critical path)
        s_zero = [reg(1, f"s_zero_{name}") for name in ("rows", "planes", "bytes")]
        pending = Signal()
        raw = {  # every d_* input, registered as it is
            # no reset either: they hold the inputs of a cycle ago, whatever the state
            name[2:]: Signal(len(getattr(self, name)), name=f"r_{name[2:]}", reset_less=True)
            for name in self.signature.members
            if name.startswith("d_")
        }
        loaded = Signal()
        m.d.sync += [r.eq(getattr(self, f"d_{name}")) for name, r in raw.items()]
        m.d.sync += loaded.eq(self.load)
        assert BURST_GEN_SETUP == 3
        nbytes = raw["row_bytes"]
        longer_than_page = nbytes > 4096
        m.d.sync += [
            pending.eq(loaded),
            s_addr.eq(raw["dram_addr"]),
            *(s_len[name].eq(nbytes + k) for name, (_, k) in plus_len.items()),
            s_t4k.eq(Mux(longer_than_page, 0, 4097 - nbytes)),
            s_no_d.eq(longer_than_page),
            s_n0.eq(raw["dram_addr"][:12] >= near_at),
            # d: addr[:12] + row_bytes <= 4096, decoded from the sum's bits (the bits from
            # 13 up zero, and bit 12 zero or the bits below it zero): one carry chain and
            # LUTs, no compare behind the add
            s_d0.eq(_within_page(raw["dram_addr"][:12] + nbytes)),
            s_lr.eq(raw["dram_addr"][:12] + raw["dram_row_stride"][:12]),
            s_lp.eq(raw["dram_addr"][:12] + raw["dram_plane_stride"][:12]),
            s_p_row.eq(raw["dram_row_stride"][:12] + nbytes),
            s_p_plane.eq(raw["dram_plane_stride"][:12] + nbytes),
            s_tail.eq(low(nbytes)),
            *ahead(
                s_c,
                s_tail0,
                low(raw["dram_addr"]),
                {"nb_lo": low(nbytes - 1), "nb_tail": low(nbytes)},
            ),
            s_rows.eq(raw["rows"]),
            s_rows_m4.eq(raw["rows"] - 4),
            s_planes_m3.eq(raw["planes"] - 3),
            s_rows_one.eq(raw["rows"] == 1),
            s_row_stride.eq(raw["dram_row_stride"]),
            s_planes.eq(raw["planes"]),
            s_plane_stride.eq(raw["dram_plane_stride"]),
            s_elem.eq(raw["buf_addr"]),
            s_brow_stride.eq(raw["buf_row_stride"]),
            s_bplane_stride.eq(raw["buf_plane_stride"]),
            *(z.eq(v == 0) for z, v in zip(s_zero, (raw["rows"], raw["planes"], nbytes))),
        ]

        # The update's cases.  Each is selected by flip-flops alone (`pending`, or the
        # state the walk's burst leaves the walk in), and the advances need `advance` (the
        # walk is active and its output buffer not full, below), which fans out to every
        # walker register.  Each register is written as an enable - its cases' selects,
        # the advances' ANDed with `advance` - and a value chosen by the selects alone, so
        # that `advance` meets the register in one LUT, the enable, and never its value's
        # multiplexer (Fmax).  Within a job `pending` comes only while no descriptor is
        # active (a START resets the core): it never meets an advance.
        in_row = ~row_done
        to_row = row_done & ~last_row
        to_plane = row_done & last_row & ~last_plane
        to_end = row_done & last_row & last_plane
        s_k = {
            "rem_a": s_nb1 >> lb,
            "rem_b": s_nb2 >> lb,
            "rem1_a": s_nb1m >> lb,
            "rl_a": s_c_l >> lb,
            "rl_b": s_c_l1 >> lb,
            "c_4k": s_c_4k,
            "nb_lo": low(s_nb1),
            "nb_tail": s_tail,
        }
        # The page flags' intervals (page_ahead), for a stride of s' = s mod 4096 and
        # P = s' + row_bytes (s_p_*), T = 4097 - row_bytes (s_t4k, 0 when the row is
        # longer than a page: no_d):
        #   d: from ad = -s' mod 4096, T long: to T - s' - 1 = 4096 - P, split, when
        #      0 < s' < T; else to 4096 - s' + T - 1 = 8192 - P (T - 1 = 4096 - P when
        #      s' = 0): to -P mod 4096 in every case.  No_d (T = 0: d never holds) is
        #      the empty interval [4095, 0], not split, so that d is the interval's test
        #      alone (Fmax: an AND with no_d after it was a LUT level of d_row's path)
        #   n: from an = near_at - s' mod 4096, 4096 - near_at long: to 4095 - s' (the
        #      bits of s' inverted), split when s' > near_at
        for st, stride, p in (("row", s_row_stride, s_p_row), ("plane", s_plane_stride, s_p_plane)):
            s12 = stride[:12]
            split = (s12 != 0) & (s12 < s_t4k)
            s_k[f"ad_{st}"] = (-s12)[:12] | s_no_d.replicate(12)
            s_k[f"bd1_{st}"] = (-p)[:12] & ~s_no_d.replicate(12)
            s_k[f"sd_{st}"] = split
            s_k[f"an_{st}"] = (near_at - s12)[:12]
            s_k[f"bn1_{st}"] = ~s12
            s_k[f"sn_{st}"] = s12 > near_at
        # the second plane's start: the next plane's, and the next row's when a plane is one row
        plane2_addr, plane2_elem = s_addr + s_plane_stride, s_elem + s_bplane_stride
        s_rows_two = s_rows == 2
        load = [
            *(row_k[name].eq(v) for name, v in s_k.items()),
            rows.eq(s_rows_m4),
            rows_one.eq(s_rows_one),
            rows_two.eq(s_rows_two),
            at2.eq(s_rows_two),
            row_stride.eq(s_row_stride),
            plane_stride.eq(s_plane_stride),
            brow_stride.eq(s_brow_stride),
            bplane_stride.eq(s_bplane_stride),
            rows_m4.eq(s_rows_m4),
            planes_m3.eq(s_planes_m3),
            last_row.eq(s_rows_one),
            last_plane.eq(s_planes == 1),
            ns_addr.eq(Mux(s_rows_one, plane2_addr, s_addr + s_row_stride)),
            *ahead(row_f.c, row_f.tail, low_sum(s_addr, s_row_stride), s_k),
            row_f.d.eq(s_lr < s_t4k),
            row_f.n.eq(s_lr >= near_at),
            ns_elem.eq(Mux(s_rows_one, plane2_elem, s_elem + s_brow_stride)),
            ns_step.eq(Mux(s_rows_one, s_plane_stride, s_row_stride)),
            ns_estep.eq(Mux(s_rows_one, s_bplane_stride, s_brow_stride)),
            nplane_addr.eq(plane2_addr),
            *ahead(plane_f.c, plane_f.tail, low_sum(s_addr, s_plane_stride), s_k),
            plane_f.d.eq(s_lp < s_t4k),
            plane_f.n.eq(s_lp >= near_at),
            nplane_elem.eq(plane2_elem),
            active.eq(~Cat(*s_zero).any()),
            # the first row's flags from flip-flops (Fmax: its d as a compare of staged
            # registers at the load, addr[:12] < T, was the critical path of two of
            # 530f32e's runs; staged as an add, then a compare of the sum, from the raw
            # registers, of three of 7ed77bc's five seeds)
            *start_row(s_addr, s_elem, s_k, SimpleNamespace(c=s_c, tail=s_tail0, d=s_d0, n=s_n0)),
        ]
        # this burst ends at the 4 KiB boundary: the next starts a page
        to_page = [
            first.eq(0),
            # cur + to4k beats is the next 4 KiB boundary: an increment of cur's page
            # number, no add of a register's value (cur's beat bits are 0 below lb)
            cur.eq(Cat(C(0, 12), cur[12:] + 1)),
            buf_beat.eq(buf_beat + to4k),
            rem.eq(rem - to4k),
            rem1.eq(rem1 - to4k),
            to4k.eq(page),
            to4k1.eq(page - 1),
            *walk(C(page <= lim), r4k - lim, r4k - page),
        ]
        by_lim = [
            first.eq(0),
            cur.eq(cur + (lim << lb)),
            buf_beat.eq(buf_beat + lim),
            rem.eq(rem - lim),
            rem1.eq(rem1 - lim),
            to4k.eq(to4k - lim),
            to4k1.eq(to4k1 - lim),
            *walk(to4k <= 2 * lim, rl - lim, r4k),
        ]
        # The next row and the next plane are one case (next_any): either way the row
        # starting now is ns_addr's, with the flags of its kind (a FF choice by last_row),
        # and the next row in its plane starts a row stride after it - one walker, so that
        # the page flags' compares and the row-start sums reach their registers from one
        # register each, with no choice by last_row after them (Fmax: that choice was a LUT
        # level of d_row, n_row, r4k and to4k, late in every seed of c2).  Where ns_addr
        # then moves - the next plane's start, or a stride on - is chosen by flip-flops
        # (at2, ns_step).  The registers only the next plane writes keep a case of their
        # own.
        ns_f = SimpleNamespace(
            **{k: Mux(last_row, getattr(plane_f, k), getattr(row_f, k)) for k in vars(row_f)}
        )
        to_plane_next = Mux(last_row, rows_one, at2)  # the walk begins a plane after this row
        next_any = [
            rows_m4.eq(Mux(last_row, rows, rows_m4 - 1)),
            last_row.eq(to_plane_next),
            # rows left - 1 == 2 after this row; while the current row is not the plane's
            # last, rows left >= 2, and rows left <= 3 sets at2 only for rows left 3 and 2
            # (then the next row is the plane's last, where at2 is not read)
            at2.eq(Mux(last_row, rows_two, rows_m4[-1])),
            *next_start(row_f, ns_addr, row_stride, row_k, "row"),
            *start_row(ns_addr, ns_elem, row_k, ns_f),
            # ns_addr moves to the next plane's start after a plane's second-last row, else
            # a stride on (ns_step: within the plane, or to the next plane when its planes
            # have one row)
            ns_addr.eq(Mux(~last_row & at2, nplane_addr, ns_addr + ns_step)),
            ns_elem.eq(Mux(~last_row & at2, nplane_elem, ns_elem + ns_estep)),
            ns_step.eq(Mux(to_plane_next & rows_one, plane_stride, row_stride)),
            ns_estep.eq(Mux(to_plane_next & rows_one, bplane_stride, brow_stride)),
        ]
        plane_only = [
            planes_m3.eq(planes_m3 - 1),
            # planes left == 2: only read while not the last plane (planes left >= 2)
            last_plane.eq(planes_m3[-1]),
            nplane_addr.eq(nplane_addr + plane_stride),
            *next_start(plane_f, nplane_addr, plane_stride, row_k, "plane"),
            nplane_elem.eq(nplane_elem + bplane_stride),
        ]
        # The output buffer: two bursts the walk has made and the DMA side not yet taken.
        # The walk advances whenever it is active and the buffer is not full - flip-flops
        # only, so the take (`next`, the DMA side's late decision) never reaches the
        # walker's registers (Fmax: the take's enables were most of the routed late inputs
        # at e773b0c) - and its burst goes into the buffer unless it is taken in the same
        # cycle.  The outputs present the buffer's head, or, while it is empty, the walk's
        # burst (a bypass): the bursts are presented in order and each no later than
        # without the buffer, and a take still presents the next burst in the next cycle,
        # so every take happens in the same cycle as without it (no cycle changes; the walk
        # runs up to two bursts ahead).
        # (each at its output's width: the length's Mux is as wide as rem1)
        walk_v = Cat(*(Value.cast(v)[: len(o)] for v, o in zip(walk_burst, outputs)))
        width = len(walk_v)
        head0, head1 = reg(width, "out0"), reg(width, "out1")  # the head, and the one after
        empty, full = Signal(init=1), Signal()  # holds 0 / 2 bursts (neither: 1)
        advance = active & ~full
        m.d.comb += [
            Cat(*outputs).eq(Mux(empty, walk_v, head0)),
            self.valid.eq(~empty | active),
        ]
        take = self.next & self.valid
        with m.If(pending):  # a new descriptor: nothing of an earlier one is presented
            m.d.sync += [empty.eq(1), full.eq(0)]
        with m.Elif(empty):
            with m.If(advance & ~take):
                m.d.sync += empty.eq(0)
        with m.Elif(~full):
            with m.If(advance & ~take):
                m.d.sync += full.eq(1)
            with m.Elif(take & ~advance):
                m.d.sync += empty.eq(1)
        with m.Elif(take):
            m.d.sync += full.eq(0)
        # The two burst registers load whenever what they hold is not presented, whether
        # or not a burst goes in (what they then take is never presented): head1 while the
        # buffer is not full, head0 while it is empty or on a take (while not empty the
        # presented burst is head0's, so a take is `next` alone), from head1 when full.
        # Their enables are a flip-flop and one LUT of flip-flops and `next`, not the
        # buffer's case logic (Fmax: the write generator's `active` -> the case -> the
        # enables of out0 and out1, 106 of c5 seed 2's late inputs, 125.3 MHz)
        with m.If(~full):
            m.d.sync += head1.eq(walk_v)
        with m.If(empty | self.next):
            m.d.sync += head0.eq(Mux(full, head1, walk_v))

        select_update(
            m,
            advance,  # the walk makes its next burst
            [
                (pending, False, load),
                (in_row & near, True, to_page),
                (in_row & ~near, True, by_lim),
                (to_row | to_plane, True, next_any),
                (to_plane, True, plane_only),
                (to_end, True, [active.eq(0)]),
            ],
        )
        return m
