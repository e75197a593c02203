"""ProgramLoader: assembly from beats, routing by opcode, END to every unit, errors."""

import pytest
from amaranth import Cat
from amaranth.sim import Simulator

from snowsim.hw.program_loader import ProgramLoader
from snowsim.model.config import PRESETS
from snowsim.model.isa import INSTR_BITS, Instruction, Op, Unit, encode


def _load(cfg, words, predecode=None):
    dut = ProgramLoader(cfg, predecode)
    got = {u: [] for u in Unit}
    flags = {}

    async def tb(ctx):
        def sample():
            for u in Unit:
                n = u.name.lower()
                if ctx.get(getattr(dut, f"wr_{n}_en")):
                    addr = ctx.get(getattr(dut, f"wr_{n}_addr"))
                    got[u].append((addr, ctx.get(getattr(dut, f"wr_{n}_data"))))

        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        bus = cfg.bus_data_bits
        for w in words:
            for i in range(INSTR_BITS // bus):
                ctx.set(dut.beat_valid, 1)
                ctx.set(dut.beat_data, (w >> (i * bus)) & ((1 << bus) - 1))
                sample()  # the writes come two cycles after their last beat
                await ctx.tick()
            ctx.set(dut.beat_valid, 0)
            sample()
            await ctx.tick()  # a gap between instructions must not matter
        sample()
        await ctx.tick()
        # the flags of the last instruction: two cycles after its last beat
        flags["illegal"] = ctx.get(dut.illegal)
        flags["overflow"] = ctx.get(dut.overflow)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return got, flags


@pytest.mark.parametrize("preset", ["tiny", "snowflake"])
def test_routes_by_unit(preset):
    cfg = PRESETS[preset]
    prog = [
        Instruction(Op.LOAD, {"rows": 3}),
        Instruction(Op.MAC, {"k0_count": 7}),
        Instruction(Op.STORE, {"rows": 2}),
        Instruction(Op.FILL, {"count": 5}),
        Instruction(Op.VEC, {"n0": 4}),
        Instruction(Op.END),
    ]
    words = [encode(i) for i in prog]
    got, flags = _load(cfg, words)
    assert got[Unit.LOAD] == [(0, words[0]), (1, words[3]), (2, words[5])]
    assert got[Unit.COMPUTE] == [(0, words[1]), (1, words[4]), (2, words[5])]
    assert got[Unit.STORE] == [(0, words[2]), (1, words[5])]
    assert flags == {"illegal": 0, "overflow": 0}


def test_illegal_opcode_flags_error():
    got, flags = _load(PRESETS["tiny"], [encode(Instruction(Op.END)) | 0xF])
    assert flags["illegal"] == 1
    assert all(not v for v in got.values())


def test_too_many_instructions_for_one_unit_overflows():
    cfg = PRESETS["tiny"].replace(program_depth=4)
    got, flags = _load(cfg, [encode(Instruction(Op.MAC))] * 5)
    assert len(got[Unit.COMPUTE]) == 4
    assert flags["overflow"] == 1


def test_predecoded_bits_are_written_beside_the_instruction():
    # any function of the whole instruction: bits from its first and last beats
    def pre(w):
        return Cat(w[4:8] ^ w[-4:], w[100])

    prog = [
        Instruction(Op.MAC, {"k0_count": 7, "px_count": 3}),
        Instruction(Op.LOAD, {"rows": 3}),
        Instruction(Op.VEC, {"n0": 4}),
        Instruction(Op.END),
    ]
    words = [encode(i) | (0xA << (INSTR_BITS - 4)) | (1 << 100) for i in prog]

    def expect(w):
        bits = ((w >> 4) & 0xF) ^ (w >> (INSTR_BITS - 4)) | ((w >> 100) & 1) << 4
        return w | bits << INSTR_BITS

    got, _ = _load(PRESETS["tiny"], words, {Unit.COMPUTE: pre})
    assert got[Unit.COMPUTE] == [(a, expect(words[k])) for a, k in enumerate((0, 2, 3))]
    # the other units' words as they are
    assert got[Unit.LOAD] == [(0, words[1]), (1, words[3])]


def test_bad_predecode_is_refused():
    with pytest.raises(TypeError, match="predecode maps a Unit"):
        ProgramLoader(PRESETS["tiny"], {"compute": lambda w: w[0]})
