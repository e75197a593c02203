"""model/dma.py: burst splitting, descriptor checks, read/write timing formulas."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snowsim.model.config import PRESETS
from snowsim.model.dma import (
    check_descriptor,
    descriptor_bursts,
    read_cycles,
    split_row,
    totals,
    write_cycles,
)
from snowsim.model.isa import Buf
from snowsim.model.latencies import (
    DMA_ADDR_SLICE,
    DMA_DONE_LATENCY,
    DMA_READ_SETUP,
    DMA_WRITE_DATA_LATENCY,
    DMA_WRITE_SETUP,
)


@settings(max_examples=200, deadline=None)
@given(
    preset=st.sampled_from(["tiny", "snowflake"]),
    addr=st.integers(0, 20000).map(lambda x: 2 * x),
    nbytes=st.integers(1, 5000).map(lambda x: 2 * x),
)
def test_split_row_covers_the_row_legally(preset, addr, nbytes):
    cfg = PRESETS[preset]
    bus, e = cfg.bus_bytes, cfg.bus_elems
    bursts = split_row(addr, nbytes, cfg)
    assert bursts[0].addr == addr - addr % bus
    end = addr + nbytes
    cur = bursts[0].addr
    for b in bursts:
        assert b.addr == cur and b.addr % bus == 0
        assert 1 <= b.beats <= cfg.max_burst_beats
        assert b.addr // 4096 == (b.addr + b.beats * bus - 1) // 4096
        cur += b.beats * bus
    assert cur - bus < end <= cur
    enabled = set()
    for b in bursts:
        for k in range(b.beats):
            mask = (1 << e) - 1
            if k == 0:
                mask &= b.first_mask
            if k == b.beats - 1:
                mask &= b.last_mask
            enabled |= {b.addr + k * bus + i * 2 for i in range(e) if mask >> i & 1}
    assert enabled == set(range(addr, end, 2))


def test_split_row_examples():
    cfg = PRESETS["tiny"]  # 8-byte beats, 16-beat bursts
    (b,) = split_row(6, 4, cfg)
    assert (b.addr, b.beats, b.first_mask, b.last_mask) == (0, 2, 0b1000, 0b0001)
    bursts = split_row(0xFF8, 138, cfg)  # crosses 4 KiB after one beat
    assert [(x.addr, x.beats) for x in bursts] == [(0xFF8, 1), (0x1000, 16), (0x1080, 1)]
    assert bursts[-1].last_mask == 0b0001
    assert totals(bursts, cfg) == {"bursts": 3, "beats": 18, "bytes": 144}


def _load(**kw):
    f = {
        "buf": int(Buf.MAPS),
        "cu_mask": 1,
        "dram_addr": 0x100,
        "row_elems": 8,
        "rows": 2,
        "dram_row_stride": 64,
        "planes": 1,
        "dram_plane_stride": 0,
        "buf_addr": 0,
        "buf_row_stride": 32,
        "buf_plane_stride": 0,
    }
    f.update(kw)
    return f


def test_check_descriptor_accepts_and_rejects():
    cfg = PRESETS["tiny"]
    check_descriptor(_load(), cfg, store=False)
    cases = [
        (_load(dram_addr=0x101), r"dram_addr 0x101 is not aligned to the 2-byte element"),
        (_load(rows=0), r"rows must be >= 1, not 0"),
        (_load(buf_addr=1), r"row 0 of plane 0: DRAM address 0x100 .* buffer element 1"),
        (_load(buf_row_stride=33), r"row 1 of plane 0"),
        (_load(buf_addr=4088), r"beyond its 4096 elements"),
        (_load(buf=int(Buf.VECTOR)), r"VECTOR buffer has no DMA write path"),
        (_load(row_elems=1 << 16), r"row_elems 65536 does not fit its 16-bit field"),
    ]
    for f, msg in cases:
        with pytest.raises(ValueError, match=msg):
            check_descriptor(f, cfg, store=False)
    with pytest.raises(ValueError, match=r"only the VECTOR buffer can be stored, not MAPS"):
        check_descriptor(_load(), cfg, store=True)


def test_read_cycles_first_principles():
    cfg = PRESETS["tiny"]
    # setup, memory latency, the beats, then done from a register
    one = split_row(0, 8 * 16, cfg)
    assert read_cycles(one, cfg) == DMA_READ_SETUP + cfg.mem_latency + 16 - 1 + DMA_DONE_LATENCY
    # many bursts: AR one per cycle keeps the beats back to back
    many = split_row(0, 8 * 16 * 8, cfg)
    assert read_cycles(many, cfg) == (DMA_READ_SETUP + cfg.mem_latency + 128 - 1 + DMA_DONE_LATENCY)
    # single-beat bursts with a long latency: max_outstanding limits the AR rate
    slow = cfg.replace(mem_latency=20)
    rows = descriptor_bursts(0, 8, 12, 64, 1, 0, slow)
    n = slow.max_outstanding
    # every group of n bursts waits for the first of the group before to finish: group g's
    # first AR is g * (latency + 1 + DMA_ADDR_SLICE) after the first (its beat, the count's
    # update, the take into the AR slice); the last burst is the n-1'th of group 2
    period = slow.mem_latency + 1 + DMA_ADDR_SLICE
    assert read_cycles(rows, slow) == (
        DMA_READ_SETUP + 2 * period + n - 1 + slow.mem_latency + DMA_DONE_LATENCY
    )


def test_write_cycles_first_principles():
    cfg = PRESETS["tiny"]
    one = split_row(0, 8 * 4, cfg)
    assert write_cycles(one, cfg) == (
        DMA_WRITE_SETUP + DMA_WRITE_DATA_LATENCY + 4 - 1 + cfg.mem_latency + DMA_DONE_LATENCY
    )
    many = split_row(0, 8 * 16 * 8, cfg)
    assert write_cycles(many, cfg) == (
        DMA_WRITE_SETUP + DMA_WRITE_DATA_LATENCY + 128 - 1 + cfg.mem_latency + DMA_DONE_LATENCY
    )
