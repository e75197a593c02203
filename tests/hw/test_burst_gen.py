"""BurstGen presents exactly the bursts of model/dma.py, with their buffer beats."""

import dataclasses

import pytest
from amaranth.sim import Simulator
from hypothesis import example, given, settings
from hypothesis import strategies as st

from snowsim.hw.burst_gen import BurstGen
from snowsim.model.config import PRESETS
from snowsim.model.dma import descriptor_bursts
from snowsim.model.latencies import BURST_GEN_SETUP


def _expected(cfg, d):
    out = []
    eb, e = cfg.elem_bytes, cfg.bus_elems
    for p in range(d["planes"]):
        for r in range(d["rows"]):
            addr = d["dram_addr"] + p * d["plane_stride"] + r * d["row_stride"]
            elem = d["buf_addr"] + p * d["buf_plane_stride"] + r * d["buf_row_stride"]
            start = addr - addr % cfg.bus_bytes
            for b in descriptor_bursts(addr, d["row_bytes"], 1, 0, 1, 0, cfg):
                out.append(
                    (
                        b.addr,
                        b.beats,
                        b.first_mask,
                        b.last_mask,
                        elem // e + (b.addr - start) // cfg.bus_bytes,
                    )
                )
    assert len(out) == len(
        descriptor_bursts(
            d["dram_addr"],
            d["row_bytes"],
            d["rows"],
            d["row_stride"],
            d["planes"],
            d["plane_stride"],
            cfg,
        )
    )
    del eb
    return out


def _run(cfg, d, stalls=()):
    return _run_many(cfg, [d], stalls)[0]


def _run_many(cfg, ds, stalls=()):
    """The bursts of each descriptor of ``ds``, loaded one after the other into one
    BurstGen (each when the last one's final burst has been taken)."""
    dut = BurstGen(cfg)
    out = []

    async def tb(ctx):
        for d in ds:
            out.append(await _walk(ctx, dut, d, stalls))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return out


async def _walk(ctx, dut, d, stalls):
    got = []
    fields = (
        ("dram_addr", d["dram_addr"]),
        ("row_bytes", d["row_bytes"]),
        ("rows", d["rows"]),
        ("dram_row_stride", d["row_stride"]),
        ("planes", d["planes"]),
        ("dram_plane_stride", d["plane_stride"]),
        ("buf_addr", d["buf_addr"]),
        ("buf_row_stride", d["buf_row_stride"]),
        ("buf_plane_stride", d["buf_plane_stride"]),
    )
    for k, v in fields:
        ctx.set(getattr(dut, f"d_{k}"), v)
    ctx.set(dut.load, 1)
    await ctx.tick()
    ctx.set(dut.load, 0)
    # the descriptor was sampled with load: what the inputs hold afterwards is ignored
    for k, _ in fields:
        port = getattr(dut, f"d_{k}")
        ctx.set(port, (1 << len(port)) - 1)
    # the first burst is presented BURST_GEN_SETUP cycles after load
    for _ in range(BURST_GEN_SETUP - 1):
        assert not ctx.get(dut.valid)
        await ctx.tick()
    for i in range(200_000):
        if not ctx.get(dut.valid):
            break
        # a stalled cycle: the burst stays presented, unchanged
        if stalls and stalls[i % len(stalls)]:
            ctx.set(dut.next, 0)
            held = (ctx.get(dut.addr), ctx.get(dut.length), ctx.get(dut.buf_beat))
            await ctx.tick()
            assert (ctx.get(dut.addr), ctx.get(dut.length), ctx.get(dut.buf_beat)) == held
            continue
        ctx.set(dut.next, 1)
        got.append(
            (
                ctx.get(dut.addr),
                ctx.get(dut.length) + 1,
                ctx.get(dut.first_mask),
                ctx.get(dut.last_mask),
                ctx.get(dut.buf_beat),
            )
        )
        last = ctx.get(dut.last)
        await ctx.tick()
        if last:
            assert not ctx.get(dut.valid)
            break
    ctx.set(dut.next, 0)
    return got


def _page_walk(cfg, addr, row_bytes, row_stride, planes, plane_stride):
    """Three rows per plane from byte ``addr``, for the page-flag tests (buffer strides
    of one and three elements)."""
    return {
        "dram_addr": addr,
        "row_bytes": row_bytes,
        "rows": 3,
        "row_stride": row_stride,
        "planes": planes,
        "plane_stride": plane_stride,
        "buf_addr": (addr // 2) % cfg.bus_elems,
        "buf_row_stride": 1,
        "buf_plane_stride": 3,
    }


def _assert_many(cfg, ds):
    """Every descriptor of ``ds``, run in one simulation, gives the bursts the reference
    walk expects."""
    for d, bursts in zip(ds, _run_many(cfg, ds)):
        assert bursts == _expected(cfg, d), d


def _descriptor(cfg, addr_el, row_el, rows, planes, gap, pgap=0, buf_beat=0):
    """A descriptor of ``rows`` x ``planes`` rows of ``row_el`` elements from element
    ``addr_el``, ``gap`` elements between rows and ``pgap`` between planes, in DRAM and (at
    the same element offset in a beat, from beat ``buf_beat``) in the buffer."""
    e = cfg.bus_elems
    return {
        "dram_addr": 2 * addr_el,
        "row_bytes": 2 * row_el,
        "rows": rows,
        "row_stride": 2 * (row_el + gap),
        "planes": planes,
        "plane_stride": 2 * (rows * (row_el + gap) + pgap),
        "buf_addr": addr_el % e + buf_beat * e,
        "buf_row_stride": row_el + gap,
        "buf_plane_stride": rows * (row_el + gap) + pgap,
    }


@settings(max_examples=60, deadline=None)
@given(
    preset=st.sampled_from(["tiny", "snowflake"]),
    addr_el=st.integers(0, 5000),
    row_el=st.integers(1, 700),
    rows=st.integers(1, 6),
    planes=st.integers(1, 4),
    gap=st.integers(0, 40),
    pgap=st.integers(0, 3000),
    plane_el=st.one_of(st.none(), st.integers(0, 3000)),
)
def test_bursts_match_model(preset, addr_el, row_el, rows, planes, gap, pgap, plane_el):
    """Planes a gap apart, or (``plane_el``) a plane stride of any size, also shorter than
    the rows of a plane (planes that overlap, or go back): the step from a plane's last row
    to the next plane's first is then negative, in DRAM and in the buffer."""
    cfg = PRESETS[preset]
    d = _descriptor(cfg, addr_el, row_el, rows, planes, gap, pgap, buf_beat=8)
    if plane_el is not None:
        d["plane_stride"], d["buf_plane_stride"] = 2 * plane_el, plane_el
    assert _run(cfg, d) == _expected(cfg, d)


@settings(max_examples=40, deadline=None)
@given(
    preset=st.sampled_from(["tiny", "ecp5", "snowflake"]),
    bus_bits=st.sampled_from([32, 64, 128, 256]),
    max_burst=st.sampled_from([1, 2, 3, 5, 16, 255, 256]),
    addr_el=st.integers(0, 20000),
    row_el=st.integers(1, 6000),
    rows=st.integers(1, 5),
    planes=st.integers(1, 4),
    gap=st.integers(0, 40),
    stalls=st.lists(st.booleans(), max_size=5),
)
# a burst limit of a whole page (16-byte beats, 256 beats), a row over three pages
@example(
    preset="ecp5",
    bus_bits=128,
    max_burst=256,
    addr_el=100,
    row_el=6000,
    rows=1,
    planes=1,
    gap=0,
    stalls=[],
)
def test_bursts_match_model_any_bus_and_burst_limit(
    preset, bus_bits, max_burst, addr_el, row_el, rows, planes, gap, stalls
):
    """Rows over several 4 KiB pages, every burst limit (the limit equal to the beats left
    to a boundary, and to a whole page), and AXI stalls between the bursts."""
    base = PRESETS[preset]
    if (base.n_lanes * base.data_bits) % bus_bits:
        bus_bits = base.bus_data_bits
    max_burst = min(max_burst, 4096 * 8 // bus_bits)  # a burst stays within 4 KiB
    cfg = dataclasses.replace(base, bus_data_bits=bus_bits, max_burst_beats=max_burst)
    d = _descriptor(cfg, addr_el, row_el, rows, planes, gap)
    # the pattern repeats; its last cycle always advances
    assert _run(cfg, d, (*stalls, False)) == _expected(cfg, d)


@pytest.mark.parametrize(("preset", "bus_bits"), [("tiny", 32), ("tiny", 64), ("ecp5", 128)])
@pytest.mark.parametrize("max_burst", [1, 2, 3, 16])
def test_row_ends_at_every_offset_around_a_limit_and_a_page(preset, bus_bits, max_burst):
    """Rows of every length around one and two burst limits, at every element offset
    in a beat, starting so that they end just before, exactly at and just after a 4 KiB
    boundary: the row-start decisions (does the first burst end the row, at the limit or at
    the page) at each of their edges.  Rows one element apart give the offsets."""
    cfg = dataclasses.replace(PRESETS[preset], bus_data_bits=bus_bits, max_burst_beats=max_burst)
    e = cfg.bus_elems
    lim = max_burst * e  # elements in a burst at the limit
    for row_el in sorted({1, lim - 1, lim, lim + 1, 2 * lim - 1, 2 * lim + 1} - {0}):
        rows = 2 * e + 1  # row e ends exactly at the page's end
        d = _descriptor(cfg, 2048 - row_el - e, row_el, rows, 1, gap=0)
        d["row_stride"], d["buf_row_stride"] = 2, 1  # each row one element on
        assert _run(cfg, d) == _expected(cfg, d), row_el


@pytest.mark.parametrize(("preset", "bus_bits"), [("tiny", 32), ("tiny", 64), ("ecp5", 128)])
def test_rows_start_at_the_edges_of_near_and_of_ending_in_the_page(preset, bus_bits):
    """Each row of a descriptor - the first, the next in its plane, a plane's first and
    the next after it - starting just before, at and just after the two addresses where a
    row start's decisions change: where its first burst would reach the 4 KiB boundary
    (``near``), and where the row ends exactly at the boundary.  The row and plane
    strides are +-2 bytes modulo a page, so the next row's low 12 bits do (-2) and do not
    (+2) wrap past 4096: the walkers keep these decisions for the rows they start
    (hw/burst_gen.py page_ahead), and every way a start is reached is here."""
    cfg = dataclasses.replace(PRESETS[preset], bus_data_bits=bus_bits, max_burst_beats=2)
    bus = cfg.bus_bytes
    near_at = 4096 - 2 * bus  # a row from here reaches the page within its first burst
    ds = []
    for nb in (2, 2 * bus - 2, 2 * bus + 2):  # under, at and over a burst's bytes
        for t in (near_at, 4096 - nb):
            for edge in (t - 2, t, t + 2):
                for step in (2, -2):  # the first row at edge - step: the next one at edge
                    for ps in (2, 4096 - 2):
                        a = 4096 + edge - step
                        rs = (4096 + step) % 4096 + 8192
                        ds.append(_page_walk(cfg, a, nb, rs, 3, ps + 4096))
    _assert_many(cfg, ds)


@pytest.mark.parametrize(("preset", "bus_bits"), [("tiny", 64), ("ecp5", 128)])
def test_page_flags_for_strides_at_near_and_rows_longer_than_a_page(preset, bus_bits):
    """The walkers' page flags (hw/burst_gen.py page_ahead) where their intervals turn:
    row and plane strides whose low 12 bits are just under, at and just over the start of
    `near` (where the near interval starts to wrap past 4095) and 0, and rows longer than a
    page (no start keeps such a row in its page), each with rows starting around both
    edges."""
    cfg = dataclasses.replace(PRESETS[preset], bus_data_bits=bus_bits, max_burst_beats=2)
    bus = cfg.bus_bytes
    near_at = 4096 - 2 * bus
    ds = []
    for nb in (2 * bus + 2, 4096 + 2 * bus):
        for s in (near_at - 2, near_at, near_at + 2, 0):
            for a in (near_at - 2 - s, near_at + 2, 4096 - nb % 4096 - 2):
                a = 8192 + a % 4096
                ds.append(_page_walk(cfg, a, nb, 3 * 4096 + s, 2, 9 * 4096 + (s + 2) % 4096))
    _assert_many(cfg, ds)


@pytest.mark.parametrize(
    "stalls",
    [(True, False), (True, True, False), (True, True, True, False, False, False)],
)
@pytest.mark.parametrize("row_el", [1, 3, 40])
def test_stalls_fill_and_drain_the_output_buffer(stalls, row_el):
    """The walk runs up to two bursts ahead of the takes into the output buffer: takes
    held back for one, two and three cycles (the buffer half full, full, and full with the
    walk waiting), then taken back to back, over rows of one burst (each take a row or
    plane start) and of several, across planes: the bursts are the same, in order, and a
    stalled burst stays presented unchanged."""
    cfg = dataclasses.replace(PRESETS["tiny"], max_burst_beats=2)
    ds = [_descriptor(cfg, addr_el, row_el, 3, 3, gap=5, pgap=7) for addr_el in (0, 2043)]
    for d in ds:
        assert _run(cfg, d, stalls) == _expected(cfg, d), d


@pytest.mark.parametrize("empty", ["rows", "planes", "row_bytes"])
def test_a_descriptor_that_moves_nothing_presents_no_burst(empty):
    """A descriptor with no rows, no planes or rows of no bytes presents no burst (its
    first cycle after the setup has no valid), whatever its other fields, and the one
    loaded after it walks as it would alone."""
    cfg = PRESETS["tiny"]
    nothing = {**_descriptor(cfg, 100, 7, 3, 2, gap=1), empty: 0}
    after = _descriptor(cfg, 4000, 30, 2, 2, gap=3)
    assert _expected(cfg, nothing) == []
    assert _run_many(cfg, [nothing, after]) == [[], _expected(cfg, after)]
