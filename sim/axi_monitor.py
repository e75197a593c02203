"""Passive AXI4 observer: samples the five channels of a master port on every clock edge
while any VALID is high (an idle bus is slept through until a VALID rises),
records every AR and AW (address, length, size) and counts beats and bytes, and the cycles
the bus makes the master wait, as the RTL's RD_WAIT and WR_WAIT counters define them
(``model/regmap.py``): a read wait is a cycle with a burst outstanding (its AR accepted in
an earlier cycle, its last R beat not) and no R beat accepted; a write wait, a cycle with
WVALID or AWVALID not accepted, or a burst outstanding for its B (its AW accepted in an
earlier cycle) and no B accepted.  The cycles slept through count by the clock's period.

:class:`snowsim.sim.axi_checker.AxiProtocolChecker` extends it with the protocol rules; a
testbench normally creates the checker and reads the monitor's records from it.
"""

from dataclasses import dataclass, field

import cocotb
from cocotb.triggers import First, RisingEdge
from cocotb.utils import get_sim_time

__all__ = ["AxiMonitor", "Transaction"]

CHANNELS = {
    "ar": ("arid", "araddr", "arlen", "arsize", "arburst"),
    "r": ("rid", "rdata", "rresp", "rlast"),
    "aw": ("awid", "awaddr", "awlen", "awsize", "awburst"),
    "w": ("wdata", "wstrb", "wlast"),
    "b": ("bid", "bresp"),
}
DATA = ("rdata", "wdata")  # sampled only around a stall (see ``_run``)


@dataclass
class Transaction:
    addr: int
    len: int
    size: int
    burst: int


@dataclass
class _Stats:
    ar: list[Transaction] = field(default_factory=list)
    aw: list[Transaction] = field(default_factory=list)
    r_beats: int = 0
    w_beats: int = 0
    b_count: int = 0
    w_bytes_strobed: int = 0
    rd_wait: int = 0
    wr_wait: int = 0


class AxiMonitor:
    """Parameters
    ----------
    dut : the cocotb handle holding ``{prefix}_{signal}``
    prefix : str, e.g. ``"m_axi"``
    clock, reset : handles
    """

    def __init__(self, dut, prefix: str, clock, reset=None):
        self.clock = clock
        self.reset = reset
        self.sig = {}
        for ch, names in CHANNELS.items():
            self.sig[ch] = {
                n: getattr(dut, f"{prefix}_{n}") for n in names if hasattr(dut, f"{prefix}_{n}")
            }
            self.sig[ch]["valid"] = getattr(dut, f"{prefix}_{ch}valid")
            self.sig[ch]["ready"] = getattr(dut, f"{prefix}_{ch}ready")
        self.bus_bytes = len(self.sig["r"]["rdata"]) // 8
        self._channels = [
            (
                ch,
                (
                    sig["valid"],
                    sig["ready"],
                    [(k, v) for k, v in sig.items() if k not in ("valid", "ready", *DATA)],
                    [(k, v) for k, v in sig.items() if k in DATA],
                ),
            )
            for ch, sig in self.sig.items()
        ]
        self.stalled: set[str] = set()  # channels whose last sampled VALID waited for READY
        # bursts outstanding: reads from the AR to the last R, writes from the AW to the B
        self._reads_out = 0
        self._writes_out = 0
        self.stats = _Stats()
        self._task = cocotb.start_soon(self._run())

    def clear(self) -> None:
        self.stats = _Stats()

    def summary(self) -> dict:
        s = self.stats
        return {
            "read_bursts": len(s.ar),
            "write_bursts": len(s.aw),
            "read_beats": s.r_beats,
            "write_beats": s.w_beats,
            "bytes_read": s.r_beats * self.bus_bytes,
            "bytes_written": s.w_beats * self.bus_bytes,
            "bytes_strobed": s.w_bytes_strobed,
            "rd_wait": s.rd_wait,
            "wr_wait": s.wr_wait,
            "b_responses": s.b_count,
            "ar": [(t.addr, t.len, t.size) for t in s.ar],
            "aw": [(t.addr, t.len, t.size) for t in s.aw],
        }

    # hooks for the checker -------------------------------------------------------------
    def on_cycle(self, sampled: dict) -> None:
        """Called at every edge with {channel: (valid, ready, payload dict)} while any VALID
        is high, and at the first edge of an idle stretch (``ready`` is 0 when ``valid`` is
        0: not sampled).  ``rdata`` / ``wdata`` are in the payload only while the channel
        waits and on the beat that ends the wait."""

    def on_reset(self) -> None:
        """Called at every edge that samples ``reset`` high: a reset ends every
        transaction in flight (AXI), so a checker forgets them here."""

    async def _run(self) -> None:
        edge = RisingEdge(self.clock)
        valids = [sig["valid"] for sig in self.sig.values()]
        await edge
        last = get_sim_time("step")
        await edge
        now = get_sim_time("step")
        period = now - last  # the clock's, for the cycles slept through
        while True:
            await edge
            last, now = now, get_sim_time("step")
            skipped = round((now - last) / period) - 1  # edges slept through: no VALID
            self.stats.rd_wait += skipped * (self._reads_out > 0)
            self.stats.wr_wait += skipped * (self._writes_out > 0)
            if self.reset is not None and int(self.reset.value):
                self.stalled.clear()
                self._reads_out = self._writes_out = 0
                self.on_reset()
                continue
            sampled = {}
            busy = False
            for ch, (valid_sig, ready_sig, control, data) in self._channels:
                valid = int(valid_sig.value)
                if valid:
                    ready = int(ready_sig.value)
                    payload = {k: int(v.value) for k, v in control}
                    # wide data is converted only where the stall rule compares it: a beat
                    # that waits, and the beat that ends a wait (the expensive part of a
                    # bus-bound co-simulation is Python touching every beat)
                    if data and (not ready or ch in self.stalled):
                        payload.update({k: int(v.value) for k, v in data})
                else:
                    ready, payload = 0, {}
                sampled[ch] = (valid, ready, payload)
                busy = busy or bool(valid)
                if valid and ready:
                    self._record(ch, payload)
                if valid and not ready:
                    self.stalled.add(ch)
                else:
                    self.stalled.discard(ch)
            self._count_waits(sampled)
            self.on_cycle(sampled)
            if not busy:
                # an idle bus: sleep until a VALID rises, then sample at the next edge (no
                # Python wakes up per cycle while the DMA is quiet)
                await First(*(RisingEdge(v) for v in valids))

    def _count_waits(self, sampled: dict) -> None:
        # (`stalled` holds this cycle's channels whose VALID waits for READY)
        fire = {ch: bool(v and r) for ch, (v, r, _) in sampled.items()}
        s = self.stats
        s.rd_wait += self._reads_out > 0 and not fire["r"]
        s.wr_wait += bool(self.stalled & {"w", "aw"}) or (self._writes_out > 0 and not fire["b"])
        self._reads_out += fire["ar"] - (fire["r"] and bool(sampled["r"][2]["rlast"]))
        self._writes_out += fire["aw"] - fire["b"]

    def _record(self, ch: str, p: dict) -> None:
        s = self.stats
        if ch == "ar":
            s.ar.append(Transaction(p["araddr"], p["arlen"], p["arsize"], p["arburst"]))
        elif ch == "aw":
            s.aw.append(Transaction(p["awaddr"], p["awlen"], p["awsize"], p["awburst"]))
        elif ch == "r":
            s.r_beats += 1
        elif ch == "w":
            s.w_beats += 1
            s.w_bytes_strobed += bin(p["wstrb"]).count("1")
        else:
            s.b_count += 1
