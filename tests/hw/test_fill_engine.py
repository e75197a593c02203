"""FillEngine: the elements written, partial beats masked, and its exact duration; the
"moves something" bit it is given, decoded ahead by the load sequencer."""

import numpy as np
import pytest
from amaranth import C, Module, Signal
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from snowsim.hw.fill_engine import FillEngine, fill_moves
from snowsim.model.config import PRESETS
from snowsim.model.costs import fill_cycles
from snowsim.model.isa import INSTR_BITS, Instruction, Op, encode
from snowsim.model.latencies import FILL_LATENCY

CFG = PRESETS["tiny"]
WIDE = PRESETS["ecp5"]  # 8 elements per beat (tiny: 4)


def _moves(fields) -> int:  # what the load sequencer's fill_moves gives (tested below)
    return int(fields["rows"] != 0 and fields["count"] != 0)


def _fill(fields, cfg=CFG):
    dut = FillEngine(cfg)
    mem = np.full(512, -1, dtype=np.int64)
    out = {}

    async def tb(ctx):
        for k, v in fields.items():
            ctx.set(getattr(dut, k), v)
        ctx.set(dut.moves, _moves(fields))
        ctx.set(dut.valid, 1)
        await ctx.tick()
        ctx.set(dut.valid, 0)
        for cyc in range(1, 400):
            if ctx.get(dut.wr.valid):
                beat, data, mask = ctx.get(dut.wr.addr), ctx.get(dut.wr.data), ctx.get(dut.wr.mask)
                for i in range(cfg.bus_elems):
                    if mask >> i & 1:
                        v = (data >> (16 * i)) & 0xFFFF
                        mem[beat * cfg.bus_elems + i] = v - (1 << 16) if v >> 15 else v
            if ctx.get(dut.done):
                out["cycles"] = cyc
                break
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return mem, out.get("cycles")


@settings(max_examples=60, deadline=None)
@given(
    addr=st.integers(0, 60),
    count=st.integers(1, 21),
    rows=st.integers(1, 4),
    extra=st.integers(0, 9),
    value=st.integers(-32768, 32767),
    wide=st.booleans(),
)
def test_fill_writes_exactly_its_rows(addr, count, rows, extra, value, wide):
    cfg = WIDE if wide else CFG
    stride = count + extra
    fields = {
        "value": value & 0xFFFF,
        "addr": addr,
        "count": count,
        "rows": rows,
        "row_stride": stride,
    }
    mem, cycles = _fill(fields, cfg)
    want = np.full(512, -1, dtype=np.int64)
    for r in range(rows):
        want[addr + r * stride : addr + r * stride + count] = value
    assert (mem == want).all()
    assert cycles == fill_cycles(Instruction(Op.FILL, fields), cfg)


@pytest.mark.parametrize("fields", [{"rows": 0, "count": 4}, {"rows": 2, "count": 0}])
def test_empty_fill_completes_after_its_setup(fields):
    mem, cycles = _fill({"value": 7, "addr": 3, "row_stride": 8, **fields})
    assert cycles == FILL_LATENCY + 1 and (mem == -1).all()


def test_ready_is_up_exactly_while_no_fill_is_in_flight():
    """`ready` (a flip-flop of its own) falls the cycle after a handshake and rises with
    the FILL's `done` pulse, with FILLs (empty ones too) offered back to back at random."""
    rng = np.random.default_rng(5)
    dut = FillEngine(CFG)

    async def tb(ctx):
        in_flight, handshakes = False, 0
        for cycle in range(1500):
            if ctx.get(dut.done):
                in_flight = False
            assert ctx.get(dut.ready) == (not in_flight), cycle
            valid = bool(rng.random() < 0.6)
            fields = {
                "value": 1,
                "addr": int(rng.integers(0, 40)),
                "count": int(rng.integers(0, 9)),
                "rows": int(rng.integers(0, 3)),
                "row_stride": 9,
            }
            for k, v in fields.items():
                ctx.set(getattr(dut, k), v)
            ctx.set(dut.moves, _moves(fields))
            ctx.set(dut.valid, valid)
            if valid and ctx.get(dut.ready):
                in_flight, handshakes = True, handshakes + 1
            await ctx.tick()
        assert handshakes > 100

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()


@pytest.mark.parametrize("rows", [0, 1, 0xFFFF])
@pytest.mark.parametrize("count", [0, 1, 0x8000])
def test_fill_moves_is_decoded_from_the_encoded_fill(rows, count):
    fields = {"value": 3, "addr": 5, "count": count, "rows": rows, "row_stride": 1}
    word = encode(Instruction(Op.FILL, fields))
    m = Module()
    got = Signal()
    m.d.comb += got.eq(fill_moves(C(word, INSTR_BITS)))
    out = {}

    async def tb(ctx):
        out["moves"] = ctx.get(got)

    sim = Simulator(m)
    sim.add_testbench(tb)
    sim.run()
    assert out["moves"] == _moves(fields)
