"""Slices of an instruction word, from the field table of :mod:`snowsim.model.isa`."""

from snowsim.model.isa import FIELDS, HEADER, Op

__all__ = ["field"]


def field(instr, op: Op, name: str):
    """Field ``name`` of opcode ``op`` out of an ``INSTR_BITS``-bit instruction value."""
    pos = sum(w for _, w in HEADER)
    for fname, width in FIELDS[op]:
        if fname == name:
            return instr[pos : pos + width]
        pos += width
    raise KeyError(f"{op.name} has no field {name}")
