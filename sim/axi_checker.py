"""Passive AXI4 protocol checker for the accelerator's master port.

Samples every channel on each rising clock edge (the values of the cycle that ends there)
and collects violations; :meth:`AxiProtocolChecker.finish` returns them, adding one for every
transaction still open.  Checked:

* VALID held until READY; payload stable while VALID and not READY (every channel);
* AR/AW: INCR, ``len + 1 <= max_burst``, ``size == log2(bus bytes)``, address aligned to the
  size, no 4 KiB crossing;
* W: never more beats than the AWs announced, ``WLAST`` exactly on each burst's last beat;
* R: only for an outstanding AR, ``RLAST`` exactly on the burst's last beat; B: only for a
  burst whose W beats are complete;
* at the end: every AR has all its beats, every AW its W beats and its B.

It wakes on every edge while the port is busy, so it costs one Python callback per cycle;
tests that run long transfers for speed leave it out (``docs/dma.md`` has the slowdown).
"""

import cocotb
from cocotb.triggers import RisingEdge

__all__ = ["AxiProtocolChecker"]

_PAYLOAD = {
    "ar": ("araddr", "arlen", "arsize", "arburst", "arid"),
    "aw": ("awaddr", "awlen", "awsize", "awburst", "awid"),
    "w": ("wdata", "wstrb", "wlast"),
    "r": ("rdata", "rresp", "rlast", "rid"),
    "b": ("bresp", "bid"),
}


class AxiProtocolChecker:
    """Parameters
    ----------
    dut : cocotb handle
    prefix : str
        Port prefix without the trailing underscore (``"m_axi"``).
    clock, reset : cocotb handles
    max_burst : int
        Longest legal burst, beats.
    """

    def __init__(self, dut, prefix: str, clock, reset=None, *, max_burst: int = 256):
        self.sig = {}
        for ch, names in _PAYLOAD.items():
            for n in (*names, f"{ch}valid", f"{ch}ready"):
                self.sig[n] = getattr(dut, f"{prefix}_{n}")
        self.bus_bytes = len(self.sig["wdata"]) // 8
        self.max_burst = max_burst
        self.clock, self.reset = clock, reset
        self.errors: list[str] = []
        self.cycle = 0
        self._prev: dict[str, tuple | None] = {ch: None for ch in _PAYLOAD}
        self.ar_open: list[list[int]] = []  # [beats left] per AR
        self.aw_beats: list[int] = []  # beats announced, W not yet complete
        self.w_count = 0  # beats of the current W burst
        self.b_due = 0  # bursts whose W is complete, waiting for B
        self.b_open = 0  # AWs waiting for B
        self._task = cocotb.start_soon(self._run())

    def _err(self, msg: str) -> None:
        if len(self.errors) < 100:
            self.errors.append(f"cycle {self.cycle}: {msg}")

    def _check_addr(self, ch: str, addr: int, length: int, size: int, burst: int) -> None:
        beats = length + 1
        if burst != 1:
            self._err(f"{ch}burst {burst} is not INCR")
        if beats > self.max_burst:
            self._err(f"{ch}len {length}: {beats} beats > max_burst {self.max_burst}")
        if 1 << size != self.bus_bytes:
            self._err(f"{ch}size {size} is not the bus width ({self.bus_bytes} bytes)")
        if addr % (1 << size):
            self._err(f"{ch}addr {addr:#x} not aligned to the {1 << size}-byte size")
        if addr % 4096 + beats * (1 << size) > 4096:
            self._err(f"{ch} burst at {addr:#x} of {beats} beats crosses a 4 KiB boundary")

    async def _run(self) -> None:
        edge = RisingEdge(self.clock)
        sig = self.sig
        while True:
            await edge
            self.cycle += 1
            if self.reset is not None and int(self.reset.value):
                continue
            for ch, names in _PAYLOAD.items():
                valid = int(sig[f"{ch}valid"].value)
                ready = int(sig[f"{ch}ready"].value)
                prev = self._prev[ch]
                if prev is not None:
                    if not valid:
                        self._err(f"{ch}valid dropped before {ch}ready")
                    elif tuple(int(sig[n].value) for n in names) != prev:
                        self._err(f"{ch} payload changed while stalled")
                if valid and not ready:
                    self._prev[ch] = tuple(int(sig[n].value) for n in names)
                else:
                    self._prev[ch] = None
                if valid and ready:
                    self._handshake(ch)

    def _handshake(self, ch: str) -> None:
        s = self.sig
        if ch in ("ar", "aw"):
            addr, length = int(s[f"{ch}addr"].value), int(s[f"{ch}len"].value)
            size, burst = int(s[f"{ch}size"].value), int(s[f"{ch}burst"].value)
            self._check_addr(ch, addr, length, size, burst)
            if ch == "ar":
                self.ar_open.append([length + 1])
            else:
                self.aw_beats.append(length + 1)
                self.b_open += 1
        elif ch == "w":
            if not self.aw_beats:
                self._err("W beat beyond the beats announced on AW")
                return
            self.w_count += 1
            last = self.w_count == self.aw_beats[0]
            if int(s["wlast"].value) != last:
                self._err(
                    f"WLAST={int(s['wlast'].value)} on beat {self.w_count} of {self.aw_beats[0]}"
                )
            if last:
                self.aw_beats.pop(0)
                self.w_count = 0
                self.b_due += 1
        elif ch == "r":
            if not self.ar_open:
                self._err("R beat without an outstanding AR")
                return
            self.ar_open[0][0] -= 1
            last = self.ar_open[0][0] == 0
            if int(s["rlast"].value) != last:
                self._err(f"RLAST={int(s['rlast'].value)} with {self.ar_open[0][0]} beats left")
            if last:
                self.ar_open.pop(0)
        else:
            if self.b_due == 0:
                self._err("B response without a completed write burst")
                return
            self.b_due -= 1
            self.b_open -= 1

    def finish(self) -> list[str]:
        """Stop checking; return every violation, including transactions left open."""
        self._task.cancel()
        errors = list(self.errors)
        if self.ar_open:
            errors.append(f"{len(self.ar_open)} read burst(s) never completed")
        if self.aw_beats:
            errors.append(f"{len(self.aw_beats)} write burst(s) without all their W beats")
        if self.b_open:
            errors.append(f"{self.b_open} write burst(s) without a B response")
        return errors
