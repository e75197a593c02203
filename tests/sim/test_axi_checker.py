"""The AXI protocol checker's rules, fed cycle samples directly (no simulator): each rule
must flag its violation, and a clean sequence must pass."""

import re

import pytest

from snowsim.sim.axi_checker import AxiProtocolChecker

BUS = 8


def checker(max_burst: int = 16) -> AxiProtocolChecker:
    c = AxiProtocolChecker.__new__(AxiProtocolChecker)
    c._init_rules(max_burst)
    c.bus_bytes = BUS
    c._now = lambda: "t"
    return c


IDLE = {ch: (0, 0, {}) for ch in ("ar", "r", "aw", "w", "b")}


def cyc(**chans):
    return {**IDLE, **chans}


def ar(addr=0, length=1, size=3, burst=1):
    return {"arid": 0, "araddr": addr, "arlen": length, "arsize": size, "arburst": burst}


def r(last):
    return {"rid": 0, "rdata": 0, "rresp": 0, "rlast": last}


def aw(addr=0, length=0):
    return {"awid": 0, "awaddr": addr, "awlen": length, "awsize": 3, "awburst": 1}


def run(c, cycles):
    for s in cycles:
        c.on_cycle(s)
    return c.finish()


def test_clean_read_and_write_pass():
    c = checker()
    errs = run(
        c,
        [
            cyc(ar=(1, 0, ar())),  # stalled one cycle, payload held
            cyc(ar=(1, 1, ar())),
            cyc(r=(1, 1, r(0))),
            cyc(r=(1, 1, r(1)), aw=(1, 1, aw())),
            cyc(w=(1, 1, {"wdata": 1, "wstrb": 255, "wlast": 1})),
            cyc(b=(1, 1, {"bid": 0, "bresp": 0})),
        ],
    )
    assert errs == []


@pytest.mark.parametrize(
    "cycles, match",
    [
        ([cyc(ar=(1, 0, ar())), cyc()], "ARVALID dropped before ARREADY"),
        ([cyc(ar=(1, 0, ar())), cyc(ar=(1, 1, ar(addr=8)))], "payload changed while stalled"),
        ([cyc(ar=(1, 1, ar(burst=2)))], "not INCR"),
        ([cyc(ar=(1, 1, ar(size=2)))], "is not the 8-byte bus"),
        ([cyc(ar=(1, 1, ar(length=16)))], "exceeds max_burst 16"),
        ([cyc(ar=(1, 1, ar(addr=4)))], "not beat aligned"),
        ([cyc(ar=(1, 1, ar(addr=4096 - 8, length=1)))], "crosses a 4 KiB boundary"),
        ([cyc(r=(1, 1, r(1)))], "R beat without an outstanding AR"),
        ([cyc(ar=(1, 1, ar(length=1))), cyc(r=(1, 1, r(1)))], "RLAST=1 on beat 1 of 2"),
        ([cyc(w=(1, 1, {"wdata": 0, "wstrb": 255, "wlast": 1}))], "W beat before its AW"),
        ([cyc(b=(1, 1, {"bid": 0, "bresp": 0}))], "B response without a completed write"),
        ([cyc(ar=(1, 1, ar()))], "read burst\\(s\\) still outstanding"),
        ([cyc(aw=(1, 1, aw()))], "without all their W beats"),
    ],
)
def test_each_violation_is_reported(cycles, match):
    errs = run(checker(), cycles)
    assert any(re.search(match, e) for e in errs), errs
