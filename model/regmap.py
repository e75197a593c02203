"""The register map of the AXI4-Lite slave: declared once, here.

The hardware register block, the Python driver in :mod:`snowsim.sim` and
``docs/registers.md`` are generated from :data:`REGISTERS` (``snowsim regs --markdown``
writes the doc; a test keeps it equal).
"""

import enum
from dataclasses import dataclass, field

__all__ = [
    "COUNTERS",
    "ID_VALUE",
    "REGISTERS",
    "VERSION",
    "Access",
    "ErrorCode",
    "Field",
    "Register",
    "by_name",
    "registers_markdown",
]

ID_VALUE = 0x534E4F57  # "SNOW"
VERSION = (0, 1, 0)


class Access(enum.Enum):
    RO = "RO"
    RW = "RW"
    W1C = "W1C"


class ErrorCode(enum.IntEnum):
    NONE = 0
    READ_SLVERR = 1
    READ_DECERR = 2
    WRITE_SLVERR = 3
    WRITE_DECERR = 4
    ILLEGAL_INSTRUCTION = 5
    PROGRAM_TOO_LONG = 6


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int
    doc: str


@dataclass(frozen=True)
class Register:
    """One 32-bit register.

    Parameters
    ----------
    name : str
        Upper-case register name.
    offset : int
        Byte offset in the AXI4-Lite space (word aligned).
    access : Access
        RO, RW or W1C (write one to clear).
    doc : str
        What it holds.
    reset : int
        Value after reset (for RO registers whose value is a constant: that constant).
    fields : list of Field
        Named bit fields; empty for whole-word values.
    """

    name: str
    offset: int
    access: Access
    doc: str
    reset: int = 0
    fields: list[Field] = field(default_factory=list)


# 64-bit performance counters, each a _LO/_HI pair from 0x40 on.  Counting rules are in
# docs/timing.md; every counter is cleared by START and by soft reset.
COUNTERS: list[tuple[str, str]] = [
    ("CYCLES", "cycles with STATUS.BUSY = 1 (the job's length)"),
    ("COMPUTE_BUSY", "cycles the compute unit executes an instruction"),
    ("MAC_ACTIVE", "MAC lane-cycles doing a useful multiply-accumulate"),
    ("RD_BYTES", "bytes of read data accepted on R (whole beats)"),
    ("RD_BURSTS", "read bursts (AR handshakes)"),
    ("WR_BYTES", "bytes of write data sent on W (whole beats)"),
    ("WR_BURSTS", "write bursts (AW handshakes)"),
    ("RD_WAIT", "cycles with a read burst outstanding and no R beat accepted"),
    (
        "WR_WAIT",
        "cycles with WVALID or AWVALID not accepted, or a burst waiting for its B and no B",
    ),
    ("LOAD_BUSY", "cycles the load unit executes an instruction"),
    ("STORE_BUSY", "cycles the store unit executes an instruction"),
]


def _build() -> list[Register]:
    regs = [
        Register("ID", 0x00, Access.RO, 'identification, "SNOW"', ID_VALUE),
        Register(
            "VERSION",
            0x04,
            Access.RO,
            "hardware version major.minor.patch",
            (VERSION[0] << 16) | (VERSION[1] << 8) | VERSION[2],
            [Field("PATCH", 0, 8, ""), Field("MINOR", 8, 8, ""), Field("MAJOR", 16, 8, "")],
        ),
        Register(
            "CONFIG0",
            0x08,
            Access.RO,
            "array shape (set at generation)",
            0,
            [
                Field("N_CU", 0, 8, "compute units"),
                Field("N_VMAC", 8, 8, "vMACs per CU"),
                Field("N_LANES", 16, 8, "lanes per vMAC"),
                Field("DATA_BITS", 24, 8, "data width"),
            ],
        ),
        Register(
            "CONFIG1",
            0x0C,
            Access.RO,
            "bus shape (set at generation)",
            0,
            [
                Field("BUS_BYTES", 0, 8, "AXI data bytes"),
                Field("MAX_BURST", 8, 16, "longest burst, beats"),
                Field("MAX_OUTSTANDING", 24, 8, "read bursts in flight"),
            ],
        ),
        Register(
            "CTRL",
            0x10,
            Access.RW,
            "control",
            0,
            [
                Field("START", 0, 1, "write 1: start the job (self-clearing)"),
                Field("SOFT_RESET", 1, 1, "write 1: return to idle (self-clearing)"),
                Field("IRQ_EN", 2, 1, "drive irq from IRQ_STATUS"),
            ],
        ),
        Register(
            "STATUS",
            0x14,
            Access.RO,
            "job status",
            0,
            [
                Field("BUSY", 0, 1, "a job is running"),
                Field("DONE", 1, 1, "the last job finished"),
                Field("ERROR", 2, 1, "the last job ended in an error"),
                Field("ERROR_CODE", 8, 4, "an ErrorCode"),
            ],
        ),
        Register(
            "IRQ_STATUS",
            0x18,
            Access.W1C,
            "interrupt causes",
            0,
            [Field("DONE", 0, 1, "job done"), Field("ERROR", 1, 1, "job error")],
        ),
        Register("PROG_BASE", 0x1C, Access.RW, "program address in DRAM (32-byte aligned)"),
        Register("PROG_LEN", 0x20, Access.RW, "program length, instructions"),
        Register("ERR_ADDR", 0x24, Access.RO, "address of the burst that failed"),
    ]
    offset = 0x40
    for name, doc in COUNTERS:
        regs.append(Register(f"{name}_LO", offset, Access.RO, f"{doc} (bits 31..0)"))
        regs.append(
            Register(
                f"{name}_HI",
                offset + 4,
                Access.RO,
                f"{doc} (bits 63..32, latched when _LO is read)",
            )
        )
        offset += 8
    return regs


REGISTERS: list[Register] = _build()


def by_name(name: str) -> Register:
    for reg in REGISTERS:
        if reg.name == name:
            return reg
    raise KeyError(f"no register {name!r}")


def registers_markdown() -> str:
    """The text of ``docs/registers.md``."""
    lines = [
        "# Register map",
        "",
        "Generated from `model/regmap.py` by `snowsim regs --markdown docs/registers.md`;",
        "`tests/model/test_regmap.py` fails when this file is out of date.",
        "",
        "| offset | name | access | reset | description |",
        "|---|---|---|---|---|",
    ]
    for r in REGISTERS:
        lines.append(
            f"| 0x{r.offset:02X} | {r.name} | {r.access.value} | 0x{r.reset:08X} | {r.doc} |"
        )
    lines += [
        "",
        "The 64-bit counters (`*_LO` / `*_HI`) add each cycle's increment two cycles later (it",
        "is registered twice first, for Fmax; three for `RD_*` and `WR_*`, whose strobes leave",
        "the DMA engine from flip-flops): read while `STATUS.BUSY` is 1 they lag the job by",
        "that much, and they hold the job's totals from the second cycle after `STATUS.DONE`",
        "rises (the DMA's last strobe of a job comes at least two cycles before DONE: the DMA's",
        "done is registered and the job's end is decided from it), so a read issued after DONE",
        "(or `irq`) was seen returns them (seeing DONE takes a read: its AR and its R, at least",
        "two cycles).  START (while not BUSY: a START while BUSY is ignored) and soft reset",
        "clear them, in the two cycles after the write's pulse (flip-flops, for Fmax): before the",
        "job's first increment arrives.",
    ]
    lines += ["", "## Fields", ""]
    for r in REGISTERS:
        for f in r.fields:
            bits = f"{f.lsb}" if f.width == 1 else f"{f.lsb + f.width - 1}..{f.lsb}"
            lines.append(f"- `{r.name}.{f.name}` [{bits}] {f.doc}".rstrip())
    lines += ["", "## Error codes", ""]
    lines += [f"- {int(e)}: {e.name}" for e in ErrorCode]
    return "\n".join(lines) + "\n"
