"""Passive AXI4 protocol checker for a master port (rules the DMA must keep):

* a valid stays high until its ready, with a stable payload;
* bursts are INCR, ``AxSIZE`` is the bus width, ``AxLEN + 1 <= max_burst``, ``AxADDR`` is
  beat aligned and the burst does not cross a 4 KiB boundary;
* ``RLAST`` / ``WLAST`` exactly on a burst's last beat; W never exceeds the bursts announced
  on AW (write data may not precede its address here: the DMA never does it);
* no R beat or B response without an outstanding request;
* at :meth:`finish`, every request has completed (a reset, seen on ``reset``, ends the
  requests in flight).

Violations are collected in ``errors``; :meth:`finish` returns them.
"""

from collections import deque

from cocotb.utils import get_sim_time

from snowsim.sim.axi_monitor import AxiMonitor

__all__ = ["AxiProtocolChecker"]


class AxiProtocolChecker(AxiMonitor):
    def __init__(self, dut, prefix: str, clock, reset=None, *, max_burst: int = 256):
        self._init_rules(max_burst)
        super().__init__(dut, prefix, clock, reset)

    def _init_rules(self, max_burst: int) -> None:
        """The checker's state (separate from the monitor's signal handles, so the rules can
        be exercised without a simulator)."""
        self.max_burst = max_burst
        self.errors: list[str] = []
        self._held: dict[str, dict] = {}
        self._reads: deque[int] = deque()  # beats expected per outstanding AR
        self._r_beat = 0
        self._writes: deque[int] = deque()  # beats expected per announced AW
        self._w_beat = 0
        self._awaiting_b = 0

    def on_reset(self) -> None:
        """Forget the transactions in flight (a reset ends them); violations stay."""
        errors = self.errors
        self._init_rules(self.max_burst)
        self.errors = errors

    def _now(self) -> str:
        return f"{get_sim_time('ns')} ns"

    def _err(self, msg: str) -> None:
        if len(self.errors) < 100:
            self.errors.append(f"at {self._now()}: {msg}")

    def on_cycle(self, sampled: dict) -> None:
        for ch, (valid, ready, payload) in sampled.items():
            held = self._held.pop(ch, None)
            if held is not None:
                if not valid:
                    self._err(f"{ch.upper()}VALID dropped before {ch.upper()}READY")
                elif payload != held:
                    self._err(f"{ch.upper()} payload changed while stalled: {held} -> {payload}")
            if valid and not ready:
                self._held[ch] = payload
            if valid and ready:
                getattr(self, f"_{ch}")(payload)

    def _burst(self, kind: str, addr: int, length: int, size: int, burst: int) -> None:
        beats = length + 1
        if burst != 1:
            self._err(f"{kind} burst type {burst} is not INCR")
        if 1 << size != self.bus_bytes:
            self._err(f"{kind}SIZE {size} is not the {self.bus_bytes}-byte bus")
        if beats > self.max_burst:
            self._err(f"{kind} of {beats} beats exceeds max_burst {self.max_burst}")
        if addr % self.bus_bytes:
            self._err(f"{kind}ADDR {addr:#x} is not beat aligned")
        if addr % 4096 + beats * self.bus_bytes > 4096:
            self._err(f"{kind} at {addr:#x} of {beats} beats crosses a 4 KiB boundary")

    def _ar(self, p: dict) -> None:
        self._burst("AR", p["araddr"], p["arlen"], p["arsize"], p["arburst"])
        self._reads.append(p["arlen"] + 1)

    def _r(self, p: dict) -> None:
        if not self._reads:
            self._err("R beat without an outstanding AR")
            return
        self._r_beat += 1
        last = self._r_beat == self._reads[0]
        if bool(p["rlast"]) != last:
            self._err(f"RLAST={p['rlast']} on beat {self._r_beat} of {self._reads[0]}")
        if last:
            self._reads.popleft()
            self._r_beat = 0

    def _aw(self, p: dict) -> None:
        self._burst("AW", p["awaddr"], p["awlen"], p["awsize"], p["awburst"])
        self._writes.append(p["awlen"] + 1)

    def _w(self, p: dict) -> None:
        if not self._writes:
            self._err("W beat before its AW")
            return
        self._w_beat += 1
        last = self._w_beat == self._writes[0]
        if bool(p["wlast"]) != last:
            self._err(f"WLAST={p['wlast']} on beat {self._w_beat} of {self._writes[0]}")
        if last:
            self._writes.popleft()
            self._w_beat = 0
            self._awaiting_b += 1

    def _b(self, p: dict) -> None:
        if self._awaiting_b == 0:
            self._err("B response without a completed write burst")
            return
        self._awaiting_b -= 1

    def finish(self) -> list[str]:
        """Protocol violations so far, plus any transaction still incomplete."""
        out = list(self.errors)
        if self._reads:
            out.append(f"{len(self._reads)} read burst(s) still outstanding")
        if self._writes:
            out.append(f"{len(self._writes)} write burst(s) without all their W beats")
        if self._awaiting_b:
            out.append(f"{self._awaiting_b} write burst(s) without a B response")
        return out
