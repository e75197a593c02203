"""Passive AXI4 transaction monitor: every AR and AW (address, len, size, sim cycle) and the
beats and bytes of each data channel.

Built on cocotbext-axi's channel monitors, which sleep while a channel's VALID is low, so the
monitor costs nothing on an idle bus.
"""

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiBus
from cocotbext.axi.axi_channels import (
    AxiARMonitor,
    AxiAWMonitor,
    AxiBMonitor,
    AxiRMonitor,
    AxiWMonitor,
)

__all__ = ["AxiMonitor"]


class AxiMonitor:
    """Records the master port ``prefix`` of ``dut``.

    Attributes
    ----------
    ar, aw : list of dict
        ``{"addr", "len", "size", "cycle"}`` per request, in handshake order.
    r_beats, w_beats, b_count : int
    w_log : list of (cycle, wstrb)
        Every W beat (to check what was written after an error).
    b_log : list of (cycle, bresp)
    """

    def __init__(self, dut, prefix: str, clock, reset=None):
        bus = AxiBus.from_prefix(dut, prefix)
        self.bus_bytes = len(bus.write.w.wdata) // 8
        self._mons = {
            "ar": AxiARMonitor(bus.read.ar, clock, reset),
            "r": AxiRMonitor(bus.read.r, clock, reset),
            "aw": AxiAWMonitor(bus.write.aw, clock, reset),
            "w": AxiWMonitor(bus.write.w, clock, reset),
            "b": AxiBMonitor(bus.write.b, clock, reset),
        }
        self.clock = clock
        self.cycle = 0
        self.clear()
        for ch in self._mons:
            cocotb.start_soon(self._drain(ch))
        cocotb.start_soon(self._count())

    def clear(self) -> None:
        self.ar: list[dict] = []
        self.aw: list[dict] = []
        self.r_beats = 0
        self.w_beats = 0
        self.b_count = 0
        self.w_log: list[tuple[int, int]] = []
        self.b_log: list[tuple[int, int]] = []
        self.r_log: list[tuple[int, int]] = []

    async def _count(self) -> None:
        # the cycle number the monitors stamp transactions with
        edge = RisingEdge(self.clock)
        while True:
            await edge
            self.cycle += 1

    async def _drain(self, ch: str) -> None:
        mon = self._mons[ch]
        while True:
            t = await mon.recv()
            if ch in ("ar", "aw"):
                getattr(self, ch).append(
                    {
                        "addr": int(getattr(t, f"{ch}addr")),
                        "len": int(getattr(t, f"{ch}len")),
                        "size": int(getattr(t, f"{ch}size")),
                        "cycle": self.cycle,
                    }
                )
            elif ch == "r":
                self.r_beats += 1
                self.r_log.append((self.cycle, int(t.rresp)))
            elif ch == "w":
                self.w_beats += 1
                self.w_log.append((self.cycle, int(t.wstrb)))
            else:
                self.b_count += 1
                self.b_log.append((self.cycle, int(t.bresp)))

    def summary(self) -> dict:
        """Bursts, beats and bytes per direction (bytes = beats x bus bytes)."""
        return {
            "rd_bursts": len(self.ar),
            "rd_beats": self.r_beats,
            "rd_bytes": self.r_beats * self.bus_bytes,
            "wr_bursts": len(self.aw),
            "wr_beats": self.w_beats,
            "wr_bytes": self.w_beats * self.bus_bytes,
            "b_responses": self.b_count,
        }
