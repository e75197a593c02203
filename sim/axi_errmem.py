"""An ``AxiRam`` that answers SLVERR or DECERR for configurable address regions.

A read beat whose word lies in an error region returns zeros with the region's ``RRESP``; a
write beat with any strobe in an error region is not written and its burst's ``BRESP`` is the
region's.  Timing is exactly ``AxiRam``'s.
"""

from cocotbext.axi import AxiRam
from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
from cocotbext.axi.constants import AxiResp
from cocotbext.axi.memory import Memory

__all__ = ["ErrorAxiRam"]


class _Regions:
    def __init__(self):
        self.regions: list[tuple[int, int, int, bool, bool]] = []
        # the code of the last failed beat, applied to the response that reports it
        self.code: dict[str, int] = {"read": AxiResp.SLVERR, "write": AxiResp.SLVERR}

    def resp(self, addr: int, length: int, kind: str) -> int | None:
        for lo, hi, resp, rd, wr in self.regions:
            if (rd if kind == "read" else wr) and addr < hi and addr + length > lo:
                return resp
        return None


def _patch_send(channel, regions: _Regions, kind: str, field: str) -> None:
    send = channel.send

    async def send_with_code(obj):
        if getattr(obj, field) == AxiResp.SLVERR:
            setattr(obj, field, regions.code[kind])
        await send(obj)

    channel.send = send_with_code


class _ErrRead(AxiRamRead):
    async def _read(self, address, length):
        resp = self.regions.resp(address, length, "read")
        if resp is not None:
            self.regions.code["read"] = resp
            raise OSError(f"read error at {address:#x}")
        return await super()._read(address, length)


class _ErrWrite(AxiRamWrite):
    async def _write(self, address, data):
        resp = self.regions.resp(address, len(data), "write")
        if resp is not None:
            self.regions.code["write"] = resp
            raise OSError(f"write error at {address:#x}")
        await super()._write(address, data)


class ErrorAxiRam(AxiRam):
    """``AxiRam(bus, clock, reset, size=...)`` plus :meth:`add_error`."""

    def __init__(self, bus, clock, reset=None, reset_active_level=True, size=2**32, mem=None):
        self.regions = _Regions()
        Memory.__init__(self, size, mem)
        self.write_if = _ErrWrite(bus.write, clock, reset, reset_active_level, mem=self.mem)
        self.read_if = _ErrRead(bus.read, clock, reset, reset_active_level, mem=self.mem)
        self.write_if.regions = self.regions
        self.read_if.regions = self.regions
        _patch_send(self.read_if.r_channel, self.regions, "read", "rresp")
        _patch_send(self.write_if.b_channel, self.regions, "write", "bresp")

    def add_error(
        self,
        lo: int,
        hi: int,
        resp: int = AxiResp.SLVERR,
        *,
        read: bool = True,
        write: bool = True,
    ) -> None:
        """Answer ``resp`` (SLVERR or DECERR) for bytes ``[lo, hi)``."""
        if resp not in (AxiResp.SLVERR, AxiResp.DECERR):
            raise ValueError(f"resp must be SLVERR (2) or DECERR (3), not {resp!r}")
        if not 0 <= lo < hi:
            raise ValueError(f"error region [{lo:#x}, {hi:#x}) is empty or negative")
        self.regions.regions.append((lo, hi, int(resp), read, write))

    def clear_errors(self) -> None:
        self.regions.regions.clear()
