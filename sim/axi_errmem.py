"""Error injection for cocotbext-axi's AxiRam: reads or writes that touch a region answer
SLVERR or DECERR."""

__all__ = ["ErrorRegion"]

SLVERR, DECERR = 2, 3


class _Fail(Exception):
    pass


class ErrorRegion:
    """Make ``ram`` fail accesses to ``[start, end)`` (set with :meth:`set`)."""

    def __init__(self, ram):
        self.ram = ram
        self.spec: dict | None = None
        rd, wr = ram.read_if, ram.write_if
        orig_read, orig_write = rd._read, wr._write

        async def read(address, length):
            if self._hit("read", address, length):
                raise _Fail(f"injected read error at {address:#x}")
            return await orig_read(address, length)

        async def write(address, data):
            if self._hit("write", address, len(data)):
                raise _Fail(f"injected write error at {address:#x}")
            return await orig_write(address, data)

        rd._read, wr._write = read, write
        orig_r_send, orig_b_send = rd.r_channel.send, wr.b_channel.send

        async def r_send(r):
            if self.spec and self.spec["resp"] == "decerr" and int(r.rresp) == SLVERR:
                r.rresp = DECERR
            await orig_r_send(r)

        async def b_send(b):
            if self.spec and self.spec["resp"] == "decerr" and int(b.bresp) == SLVERR:
                b.bresp = DECERR
            await orig_b_send(b)

        rd.r_channel.send, wr.b_channel.send = r_send, b_send

    def set(self, spec: dict | None) -> None:
        """``{"side": "read"|"write", "start": addr, "end": addr, "resp": "slverr"|"decerr"}``
        or None."""
        self.spec = spec

    def _hit(self, side: str, address: int, length: int) -> bool:
        s = self.spec
        return bool(
            s and s["side"] == side and address < s["end"] and address + length > s["start"]
        )
