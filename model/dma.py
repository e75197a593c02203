"""How a DMA descriptor becomes AXI bursts, and how long the bursts take.

The one definition of burst splitting: the RTL implements it, the compiler and the timing
model count with it, the testbench compares the AXI monitor with it.  A row of ``nbytes``
bytes at DRAM address ``addr`` covers the bus beats from ``addr`` rounded down to the bus
width to ``addr + nbytes`` rounded up.  Bursts are beat aligned (``AxADDR`` is a multiple of
the bus width), INCR, and end at the row's end, at a 4 KiB boundary or after
``max_burst_beats`` beats, whichever comes first; bursts never span rows.  Partial first and
last beats are masked (element enables on reads, ``WSTRB`` on writes).

Timing (``docs/timing.md``): with ``s`` the cycle of the descriptor handshake, AR ``i`` is
driven in cycle ``a_i`` (``a_0 = s + DMA_READ_SETUP``, then one per cycle while fewer than
``max_outstanding`` bursts are in flight — a burst enters the count ``DMA_ADDR_SLICE`` cycles
before its AR, as it is taken into the AR register slice, and leaves it the cycle after its
last beat); the first beat of burst ``i`` is valid in cycle ``max(a_i + mem_latency, e_{i-1} + 1)``
and the rest follow one per cycle (``e_i``: the cycle of its last beat).  The load completes
``DMA_DONE_LATENCY`` cycles after the last beat.  Writes: AW ``i`` is driven in cycle
``s + DMA_WRITE_SETUP + i`` (at most ``DMA_MAX_WRITES_IN_FLIGHT`` taken into the AW slice
and awaiting B, counted like the reads); a burst's W
beats follow one per cycle, the first ``DMA_WRITE_DATA_LATENCY`` cycles after its AW and not
before the previous burst's last beat; its B response is valid ``mem_latency`` cycles after
its last W beat (and after the previous B); the store completes ``DMA_DONE_LATENCY`` cycles
after the last B.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from .config import AcceleratorConfig
from .isa import FIELDS, Buf, Op
from .latencies import (
    DMA_ADDR_SLICE,
    DMA_DONE_LATENCY,
    DMA_MAX_WRITES_IN_FLIGHT,
    DMA_READ_SETUP,
    DMA_WRITE_DATA_LATENCY,
    DMA_WRITE_SETUP,
)

__all__ = [
    "Burst",
    "buffer_elems",
    "check_descriptor",
    "descriptor_bursts",
    "read_cycles",
    "split_row",
    "totals",
    "write_cycles",
]


@dataclass(frozen=True)
class Burst:
    """One AXI burst: beat-aligned address, beats, and the element masks of its first and
    last beat (all ones for whole beats)."""

    addr: int
    beats: int
    first_mask: int
    last_mask: int


def split_row(addr: int, nbytes: int, cfg: AcceleratorConfig) -> list[Burst]:
    bus = cfg.bus_bytes
    eb = cfg.elem_bytes
    full = (1 << cfg.bus_elems) - 1
    start = addr - addr % bus
    end = addr + nbytes
    first = full & ~((1 << ((addr % bus) // eb)) - 1)
    tail = (end % bus) // eb
    last = full if tail == 0 else (1 << tail) - 1
    bursts = []
    cur = start
    while cur < end:
        to_4k = (4096 - cur % 4096) // bus
        to_end = -(-(end - cur) // bus)
        beats = min(cfg.max_burst_beats, to_4k, to_end)
        nxt = cur + beats * bus
        bursts.append(
            Burst(cur, beats, first if cur == start else full, last if nxt >= end else full)
        )
        cur = nxt
    return bursts


def descriptor_bursts(
    dram_addr: int,
    row_bytes: int,
    rows: int,
    row_stride: int,
    planes: int,
    plane_stride: int,
    cfg: AcceleratorConfig,
) -> list[Burst]:
    """Every burst of a 3-D descriptor, in issue order (planes, then rows)."""
    out: list[Burst] = []
    for p in range(planes):
        for r in range(rows):
            out += split_row(dram_addr + p * plane_stride + r * row_stride, row_bytes, cfg)
    return out


def buffer_elems(buf: Buf, cfg: AcceleratorConfig) -> int:
    """Size of a buffer space in elements (docs/architecture.md section 3)."""
    return {
        Buf.MAPS: cfg.maps_depth,
        Buf.WEIGHTS: cfg.n_vmac * cfg.weights_depth * cfg.n_lanes,
        Buf.BIAS: cfg.n_vmac * cfg.bias_depth * cfg.n_lanes * 2,
        Buf.VECTOR: cfg.vector_depth * cfg.n_lanes,
    }[buf]


def check_descriptor(f: Mapping[str, int], cfg: AcceleratorConfig, *, store: bool) -> None:
    """Reject, with the offending values, any LOAD/STORE the DMA cannot perform."""
    kind = "STORE" if store else "LOAD"
    eb, e = cfg.elem_bytes, cfg.bus_elems
    for name, width in FIELDS[Op.STORE if store else Op.LOAD]:
        v = f.get(name, 0)
        if not 0 <= v < 1 << width:
            raise ValueError(f"{kind}: {name} {v} does not fit its {width}-bit field")
    buf = Buf(f["buf"])
    if store and buf != Buf.VECTOR:
        raise ValueError(f"{kind}: only the VECTOR buffer can be stored, not {buf.name}")
    if not store and buf == Buf.VECTOR:
        raise ValueError(f"{kind}: the VECTOR buffer has no DMA write path")
    for name in ("row_elems", "rows", "planes"):
        if f[name] < 1:
            raise ValueError(f"{kind}: {name} must be >= 1, not {f[name]}")
    for name in ("dram_addr", "dram_row_stride", "dram_plane_stride"):
        if f[name] % eb:
            raise ValueError(f"{kind}: {name} {f[name]:#x} is not aligned to the {eb}-byte element")
    size = buffer_elems(buf, cfg)
    for p in range(f["planes"]):
        for r in range(f["rows"]):
            dram = f["dram_addr"] + p * f["dram_plane_stride"] + r * f["dram_row_stride"]
            b0 = f["buf_addr"] + p * f["buf_plane_stride"] + r * f["buf_row_stride"]
            if (dram // eb) % e != b0 % e:
                raise ValueError(
                    f"{kind}: row {r} of plane {p}: DRAM address {dram:#x} (element "
                    f"{dram // eb} = {(dram // eb) % e} mod {e}) and buffer element {b0} "
                    f"({b0 % e} mod {e}) must sit at the same place in a bus beat"
                )
            if b0 + f["row_elems"] > size:
                raise ValueError(
                    f"{kind}: row {r} of plane {p} reaches {buf.name} element "
                    f"{b0 + f['row_elems'] - 1}, beyond its {size} elements"
                )


def totals(bursts: list[Burst], cfg: AcceleratorConfig) -> dict[str, int]:
    """Bursts, beats and bytes on the bus (whole beats) of a list of bursts."""
    beats = sum(b.beats for b in bursts)
    return {"bursts": len(bursts), "beats": beats, "bytes": beats * cfg.bus_bytes}


def read_cycles(bursts: list[Burst], cfg: AcceleratorConfig) -> int:
    """Cycles from a read descriptor's handshake to its completion (``done``)."""
    if not bursts:
        return DMA_READ_SETUP + DMA_DONE_LATENCY
    ar: list[int] = []
    end: list[int] = []
    for i, b in enumerate(bursts):
        a = DMA_READ_SETUP if i == 0 else ar[-1] + 1
        if i >= cfg.max_outstanding:
            a = max(a, end[i - cfg.max_outstanding] + 1 + DMA_ADDR_SLICE)
        first = a + cfg.mem_latency if i == 0 else max(a + cfg.mem_latency, end[-1] + 1)
        ar.append(a)
        end.append(first + b.beats - 1)
    return end[-1] + DMA_DONE_LATENCY


def write_cycles(bursts: list[Burst], cfg: AcceleratorConfig) -> int:
    """Cycles from a write descriptor's handshake to its completion (``done``)."""
    aw: list[int] = []
    b_times: list[int] = []
    w_last = -1
    for i, b in enumerate(bursts):
        a = DMA_WRITE_SETUP if i == 0 else aw[-1] + 1
        if i >= DMA_MAX_WRITES_IN_FLIGHT:
            a = max(a, b_times[i - DMA_MAX_WRITES_IN_FLIGHT] + 1 + DMA_ADDR_SLICE)
        aw.append(a)
        w_first = max(w_last + 1, a + DMA_WRITE_DATA_LATENCY)
        w_last = w_first + b.beats - 1
        b_times.append(max(w_last + cfg.mem_latency, (b_times[-1] + 1) if b_times else 0))
    return (b_times[-1] if b_times else DMA_WRITE_SETUP) + DMA_DONE_LATENCY
