"""The instruction encoding: round trip, widths, errors."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snowsim.model.isa import (
    FIELDS,
    HEADER,
    INSTR_BITS,
    Instruction,
    Op,
    Unit,
    decode,
    encode,
    program_bytes,
    unit_of,
)


@st.composite
def instructions(draw):
    op = draw(st.sampled_from(list(Op)))
    fields = {n: draw(st.integers(0, (1 << w) - 1)) for n, w in FIELDS[op]}
    flags = {f: draw(st.booleans()) for f in ("pop_prev", "pop_next", "push_prev", "push_next")}
    return Instruction(op, fields, **flags)


@settings(max_examples=200, deadline=None)
@given(instructions())
def test_round_trip(instr):
    word = encode(instr)
    assert 0 <= word < 1 << INSTR_BITS
    assert decode(word) == instr


def test_every_opcode_fits_and_has_a_unit():
    for op in Op:
        assert sum(w for _, w in HEADER + FIELDS[op]) <= INSTR_BITS
        assert unit_of(op)
    assert unit_of(Op.END) == tuple(Unit)


def test_field_overflow_and_unknown_fields():
    with pytest.raises(ValueError, match=r"MAC.k1_count = 256 does not fit its 8-bit field"):
        encode(Instruction(Op.MAC, {"k1_count": 256}))
    with pytest.raises(ValueError, match="LOAD has no field\\(s\\) k0_count"):
        Instruction(Op.LOAD, {"k0_count": 1})
    with pytest.raises(ValueError, match="illegal opcode 15"):
        decode(15)


def test_program_bytes_little_endian():
    prog = [Instruction(Op.MAC, {"k0_count": 3}), Instruction(Op.END)]
    raw = program_bytes(prog)
    assert len(raw) == 2 * INSTR_BITS // 8
    assert int.from_bytes(raw[:32], "little") == encode(prog[0])
