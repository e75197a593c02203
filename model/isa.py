"""The instruction set: one field table, used by the compiler, the timing model and the RTL.

Every instruction is :data:`INSTR_BITS` bits, stored little-endian in DRAM
(:data:`INSTR_BYTES` bytes).  Bit 0 is the LSB of the first field of :data:`HEADER`.  After the
header come the opcode's own fields, in the order of :data:`FIELDS`.  The hardware builds its
``data.StructLayout`` from :func:`layout_fields` so the encoding is written down only here.
See ``docs/architecture.md`` section 4 for the semantics.
"""

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FIELDS",
    "HEADER",
    "INSTR_BITS",
    "INSTR_BYTES",
    "Buf",
    "Instruction",
    "Op",
    "Unit",
    "VecOp",
    "decode",
    "encode",
    "layout_fields",
    "program_bytes",
    "unit_of",
]

INSTR_BITS = 256
INSTR_BYTES = INSTR_BITS // 8


class Op(enum.IntEnum):
    """Opcodes (4 bits)."""

    END = 0
    LOAD = 1
    STORE = 2
    MAC = 3
    VEC = 4
    FILL = 5


class Unit(enum.IntEnum):
    """The three decoupled units, in token-chain order."""

    LOAD = 0
    COMPUTE = 1
    STORE = 2


class Buf(enum.IntEnum):
    """On-chip buffer spaces a DMA descriptor names."""

    MAPS = 0
    WEIGHTS = 1
    BIAS = 2
    VECTOR = 3


class VecOp(enum.IntEnum):
    """Vector-unit operations."""

    COPY = 0
    ADD = 1
    SUB = 2
    MUL = 3
    MAX = 4
    SIGMOID = 5
    TANH = 6
    MAXPOOL = 7
    RELU = 8


HEADER: list[tuple[str, int]] = [
    ("opcode", 4),
    ("pop_prev", 1),
    ("pop_next", 1),
    ("push_prev", 1),
    ("push_next", 1),
]

_DMA = [
    ("buf", 3),
    ("cu_mask", 16),
    ("dram_addr", 32),
    ("row_elems", 16),
    ("rows", 16),
    ("dram_row_stride", 32),
    ("planes", 16),
    ("dram_plane_stride", 32),
    ("buf_addr", 24),
    ("buf_row_stride", 24),
    ("buf_plane_stride", 24),
]

FIELDS: dict[Op, list[tuple[str, int]]] = {
    Op.END: [],
    Op.LOAD: _DMA,
    Op.STORE: _DMA,
    Op.MAC: [
        ("pixel_mode", 1),
        ("acc_clear", 1),
        ("drain", 1),
        ("relu", 1),
        ("shift", 6),
        ("maps_addr", 16),
        ("w_addr", 16),
        ("bias_addr", 8),
        ("acc_addr", 12),
        ("out_addr", 16),
        ("out_pix_stride", 12),
        ("k0_count", 16),
        ("k1_count", 8),
        ("k1_stride", 16),
        ("k2_count", 8),
        ("k2_stride", 16),
        ("px_count", 12),
        ("py_count", 12),
        ("px_stride", 16),
        ("py_stride", 16),
    ],
    Op.VEC: [
        ("vop", 4),
        ("dst", 16),
        ("a", 16),
        ("b", 16),
        ("n0", 12),
        ("n1", 12),
        ("dst_s0", 16),
        ("a_s0", 16),
        ("b_s0", 16),
        ("dst_s1", 16),
        ("a_s1", 16),
        ("b_s1", 16),
        ("w0", 4),
        ("w1", 4),
        ("ws0", 16),
        ("ws1", 16),
    ],
    Op.FILL: [
        ("value", 16),
        ("addr", 16),
        ("count", 16),
        ("rows", 16),
        ("row_stride", 16),
    ],
}

for _op, _fields in FIELDS.items():
    _total = sum(w for _, w in HEADER + _fields)
    assert _total <= INSTR_BITS, f"{_op.name} needs {_total} bits"

_UNITS: dict[Op, tuple[Unit, ...]] = {
    Op.END: (Unit.LOAD, Unit.COMPUTE, Unit.STORE),
    Op.LOAD: (Unit.LOAD,),
    Op.FILL: (Unit.LOAD,),
    Op.STORE: (Unit.STORE,),
    Op.MAC: (Unit.COMPUTE,),
    Op.VEC: (Unit.COMPUTE,),
}


def unit_of(op: Op) -> tuple[Unit, ...]:
    """The unit queue(s) the controller dispatches an opcode to."""
    return _UNITS[op]


def layout_fields(op: Op) -> list[tuple[str, int]]:
    """``(name, width)`` of every field of ``op`` after the header, LSB first."""
    return list(FIELDS[op])


@dataclass
class Instruction:
    """One decoded instruction: an opcode, its dependency flags and its fields.

    Fields not given are zero.  Values are checked against their widths by :func:`encode`.
    """

    op: Op
    fields: dict[str, int] = field(default_factory=dict)
    pop_prev: bool = False
    pop_next: bool = False
    push_prev: bool = False
    push_next: bool = False

    def __post_init__(self) -> None:
        self.op = Op(self.op)
        names = {n for n, _ in FIELDS[self.op]}
        unknown = sorted(set(self.fields) - names)
        if unknown:
            raise ValueError(
                f"{self.op.name} has no field(s) {', '.join(unknown)}; "
                f"its fields are {', '.join(sorted(names)) or 'none'}"
            )
        self.fields = {n: int(self.fields.get(n, 0)) for n, _ in FIELDS[self.op]}

    def __getitem__(self, name: str) -> int:
        return int(self.fields.get(name, 0))

    @property
    def units(self) -> tuple[Unit, ...]:
        return unit_of(self.op)

    def to_dict(self) -> dict[str, Any]:
        flags = {
            k: True for k in ("pop_prev", "pop_next", "push_prev", "push_next") if getattr(self, k)
        }
        return {"op": self.op.name, **flags, **{n: self[n] for n, _ in FIELDS[self.op]}}


def encode(instr: Instruction) -> int:
    """Pack an instruction into an ``INSTR_BITS``-bit integer."""
    values: dict[str, int] = {
        "opcode": int(instr.op),
        "pop_prev": int(instr.pop_prev),
        "pop_next": int(instr.pop_next),
        "push_prev": int(instr.push_prev),
        "push_next": int(instr.push_next),
    }
    values.update(instr.fields)
    word, pos = 0, 0
    for name, width in HEADER + FIELDS[instr.op]:
        value = int(values.get(name, 0))
        if not 0 <= value < (1 << width):
            raise ValueError(
                f"{instr.op.name}.{name} = {value} does not fit its {width}-bit field "
                f"(0..{(1 << width) - 1})"
            )
        word |= value << pos
        pos += width
    return word


def decode(word: int) -> Instruction:
    """Inverse of :func:`encode`."""
    pos = 0
    header: dict[str, int] = {}
    for name, width in HEADER:
        header[name] = (word >> pos) & ((1 << width) - 1)
        pos += width
    try:
        op = Op(header["opcode"])
    except ValueError:
        raise ValueError(f"illegal opcode {header['opcode']}") from None
    fields: dict[str, int] = {}
    for name, width in FIELDS[op]:
        fields[name] = (word >> pos) & ((1 << width) - 1)
        pos += width
    return Instruction(
        op,
        fields,
        pop_prev=bool(header["pop_prev"]),
        pop_next=bool(header["pop_next"]),
        push_prev=bool(header["push_prev"]),
        push_next=bool(header["push_next"]),
    )


def program_bytes(program: list[Instruction]) -> bytes:
    """The program as it is placed in DRAM."""
    return b"".join(encode(i).to_bytes(INSTR_BYTES, "little") for i in program)
