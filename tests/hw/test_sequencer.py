"""UnitSequencer: prefetch without bubbles, token gating, in-order pushes, END."""

import itertools

import pytest
from amaranth import Module
from amaranth.hdl import MemoryData
from amaranth.lib.memory import Memory
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from snowsim.hw.fill_engine import fill_moves
from snowsim.hw.read_port import RegisteredReadPort
from snowsim.hw.sequencer import UnitSequencer
from snowsim.model import latencies as lat
from snowsim.model.config import PRESETS
from snowsim.model.isa import INSTR_BITS, Instruction, Op, encode

CFG = PRESETS["tiny"]


def _run(
    program,
    *,
    in_flight=1,
    avail_prev=lambda c: True,
    engine_latency=0,
    ready=True,
    cycles=40,
    flag_op=None,
    pre=None,
    head_decode=None,
):
    """Simulate a sequencer over ``program``; the engine completes each instruction
    ``engine_latency`` cycles after its start.  ``ready``: a bool, or a function of the
    cycle (the engine's issue_ready); ``pre``: each instruction's predecoded bits (8 of
    them), stored beside it.  Returns per-cycle records."""
    pre_bits = 8 if pre is not None else 0
    dut = UnitSequencer(
        CFG, in_flight=in_flight, flag_op=flag_op, pre_bits=pre_bits, head_decode=head_decode
    )
    words = [encode(i) | ((pre[k] if pre else 0) << INSTR_BITS) for k, i in enumerate(program)]
    data = MemoryData(shape=INSTR_BITS + pre_bits, depth=CFG.program_depth, init=words)
    m = Module()
    m.submodules.dut = dut
    m.submodules.mem = mem = Memory(data=data)
    rp = RegisteredReadPort(m, mem, "imem")
    m.d.comb += [rp.addr.eq(dut.imem_addr), rp.en.eq(dut.imem_en), dut.imem_data.eq(rp.data)]
    log = []

    async def tb(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        pending = []
        for cyc in range(cycles):
            ctx.set(dut.avail_prev, int(avail_prev(cyc)))
            rdy = ready(cyc) if callable(ready) else ready
            ctx.set(dut.issue_ready, int(rdy))
            done = bool(pending and pending[0] <= cyc)
            ctx.set(dut.done, int(done))
            rec = {
                k: ctx.get(getattr(dut, k))
                for k in (
                    "issue_valid",
                    "pop_prev",
                    "push_next",
                    "halted",
                    "outstanding",
                    "head_is",
                )
            }
            rec["fire"] = bool(rec["issue_valid"] and rdy)
            rec["op"] = ctx.get(dut.instr) & 0xF
            rec["instr"] = ctx.get(dut.instr)
            rec["pre"] = ctx.get(dut.pre) if pre_bits else None
            rec["dec"] = ctx.get(dut.head_dec) if head_decode else None
            rec["done"] = done
            log.append(rec)
            if done:
                pending.pop(0)
            if rec["fire"]:
                pending.append(cyc + engine_latency)
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return log


def mac(**flags):
    return Instruction(Op.MAC, {"k0_count": 1}, **flags)


def test_head_is_flags_the_chosen_opcode():
    fill = Instruction(Op.FILL, {})
    program = [mac(), fill, fill, mac(), fill, Instruction(Op.END)]
    log = _run(program, in_flight=2, engine_latency=2, ready=lambda c: c % 3 != 1, flag_op=Op.FILL)
    valid = [r for r in log if r["issue_valid"]]
    assert {r["op"] for r in valid} == {Op.MAC, Op.FILL}
    assert all(r["head_is"] == (r["op"] == Op.FILL) for r in valid)
    # without flag_op the flag stays 0
    assert not any(r["head_is"] for r in _run(program, in_flight=2, engine_latency=2))


def test_back_to_back_issue_has_no_bubble():
    log = _run([mac()] * 5 + [Instruction(Op.END)], in_flight=4, engine_latency=3)
    fires = [i for i, r in enumerate(log) if r["fire"]]
    assert len(fires) == 5
    assert fires == list(range(fires[0], fires[0] + 5)), fires
    assert log[-1]["halted"]


def test_first_issue_three_cycles_after_start():
    # read instruction 0 (cycle 0; the word in the memory's output register in 2), register
    # it in the head entry (2), issue from it (3): FETCH_TO_RUN in model/latencies.py counts
    # these plus the controller's program check and start cycles
    log = _run([mac()] * 2 + [Instruction(Op.END)], in_flight=4)
    assert [i for i, r in enumerate(log) if r["fire"]][:1] == [3]
    assert lat.FETCH_TO_RUN == 3 + 3


@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=60, max_size=60), st.integers(3, 9))
def test_stalls_never_drop_repeat_or_reorder(ready_pattern, n):
    # distinct instructions; the engine's ready follows a random pattern, then stays high
    prog = [Instruction(Op.MAC, {"k0_count": i + 1}) for i in range(n)] + [Instruction(Op.END)]
    log = _run(prog, in_flight=4, ready=lambda c: c >= 60 or ready_pattern[c], cycles=90)
    fired = [r["instr"] for r in log if r["fire"]]
    assert fired == [encode(i) for i in prog[:-1]]
    # whenever the engine is ready after the head filled, a pending instruction issues
    first = next(i for i, r in enumerate(log) if r["fire"])
    for c in range(first, len(log)):
        left = sum(1 for r in log[:c] if r["fire"]) < n
        if left and (c >= 60 or ready_pattern[c]):
            assert log[c]["fire"], c


def test_one_in_flight_waits_for_done_then_issues_next_cycle():
    log = _run([mac()] * 3 + [Instruction(Op.END)], in_flight=1, engine_latency=4)
    fires = [i for i, r in enumerate(log) if r["fire"]]
    # start, done 4 cycles later, next start the cycle after done
    assert [b - a for a, b in itertools.pairwise(fires)] == [5, 5]


def test_pop_waits_for_token_and_push_follows_done():
    prog = [mac(pop_prev=True, push_next=True), mac(pop_prev=True), Instruction(Op.END)]
    log = _run(prog, in_flight=1, engine_latency=2, avail_prev=lambda c: c >= 10)
    fires = [i for i, r in enumerate(log) if r["fire"]]
    assert fires[0] == 10 and log[10]["pop_prev"]
    done = [i for i, r in enumerate(log) if r["done"]]
    assert log[done[0]]["push_next"] and not log[done[1]]["push_next"]


def test_end_halts_only_when_all_complete():
    log = _run([mac(), Instruction(Op.END)], in_flight=2, engine_latency=6)
    fire = next(i for i, r in enumerate(log) if r["fire"])
    halted = next(i for i, r in enumerate(log) if r["halted"])
    assert halted == fire + 6 + 1


@settings(max_examples=10, deadline=None)
@given(st.lists(st.booleans(), min_size=40, max_size=40), st.integers(3, 9))
def test_predecoded_bits_travel_with_their_instruction(ready_pattern, n):
    prog = [Instruction(Op.MAC, {"k0_count": i + 1}) for i in range(n)] + [Instruction(Op.END)]
    pre = [(37 * i + 5) % 256 for i in range(n + 1)]
    log = _run(prog, in_flight=4, ready=lambda c: c >= 40 or ready_pattern[c], cycles=70, pre=pre)
    fired = [(r["instr"], r["pre"]) for r in log if r["fire"]]
    assert fired == [(encode(i), p) for i, p in zip(prog[:-1], pre, strict=False)]


def test_bad_pre_bits_are_refused():
    for bad in (-1, 2.0):
        with pytest.raises(ValueError, match="pre_bits must be an integer >= 0"):
            UnitSequencer(CFG, pre_bits=bad)


@settings(max_examples=10, deadline=None)
@given(
    st.lists(st.booleans(), min_size=40, max_size=40),
    st.lists(st.integers(0, 3), min_size=9, max_size=12),
)
def test_head_decode_travels_with_its_instruction(ready_pattern, sizes):
    """The load unit's `head_decode` (a FILL moves something) of every issued instruction,
    FILLs with and without rows or elements among LOADs, under random stalls."""
    prog = [  # r: a LOAD (0), or a FILL of r & 1 rows of r >> 1 elements; each kind first
        Instruction(Op.FILL, {"rows": r & 1, "count": r >> 1}) if r else Instruction(Op.LOAD, {})
        for r in [3, 1, 0, 2, 3, *sizes]
    ] + [Instruction(Op.END)]
    log = _run(
        prog,
        ready=lambda c: c >= 40 or ready_pattern[c],
        cycles=100,
        flag_op=Op.FILL,
        head_decode=fill_moves,
    )
    fired = [(r["instr"], r["dec"]) for r in log if r["fire"]]
    want = [
        (encode(i), int(i.op == Op.FILL and i.fields["rows"] and i.fields["count"]))
        for i in prog[:-1]
    ]
    assert fired == want


def test_bad_head_decode_is_refused():
    with pytest.raises(TypeError, match="head_decode must be a function of the instruction"):
        UnitSequencer(CFG, head_decode=3)
