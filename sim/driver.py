"""Host-side register driver, generated from :mod:`snowsim.model.regmap`.

Works with anything that has ``async read_dword(addr)`` / ``async write_dword(addr, value)``
(cocotbext-axi's ``AxiLiteMaster``), so the same driver runs a co-simulation and would run a
board through a thin adapter.
"""

from typing import Any, Protocol

from snowsim.model.regmap import COUNTERS, REGISTERS, ErrorCode, Register, by_name

__all__ = ["Driver", "JobStatus"]


class _Bus(Protocol):
    async def read_dword(self, address: int, **kwargs: Any) -> int: ...
    async def write_dword(self, address: int, data: int, **kwargs: Any) -> None: ...


class JobStatus(dict):
    """STATUS decoded into its fields."""


class Driver:
    """Register access by name.

    Parameters
    ----------
    bus
        An AXI4-Lite master (or anything with ``read_dword`` / ``write_dword``).
    base : int
        Address of the register block on that bus.
    """

    def __init__(self, bus: _Bus, base: int = 0):
        self.bus = bus
        self.base = base

    async def read(self, name: str) -> int:
        return int(await self.bus.read_dword(self.base + by_name(name).offset))

    async def write(self, name: str, value: int) -> None:
        reg = by_name(name)
        if reg.access.value == "RO":
            raise ValueError(f"register {name} is read-only")
        await self.bus.write_dword(self.base + reg.offset, value & 0xFFFFFFFF)

    async def field(self, reg_name: str, field_name: str) -> int:
        reg: Register = by_name(reg_name)
        for f in reg.fields:
            if f.name == field_name:
                return (await self.read(reg_name) >> f.lsb) & ((1 << f.width) - 1)
        raise KeyError(f"register {reg_name} has no field {field_name}")

    async def status(self) -> JobStatus:
        value = await self.read("STATUS")
        fields = {f.name: (value >> f.lsb) & ((1 << f.width) - 1) for f in by_name("STATUS").fields}
        fields["ERROR_NAME"] = ErrorCode(fields["ERROR_CODE"]).name
        return JobStatus(fields)

    async def start(self, prog_base: int, prog_len: int, irq: bool = True) -> None:
        await self.write("PROG_BASE", prog_base)
        await self.write("PROG_LEN", prog_len)
        await self.write("CTRL", (1 << 0) | ((1 << 2) if irq else 0))

    async def soft_reset(self) -> None:
        await self.write("CTRL", 1 << 1)

    async def counter(self, name: str) -> int:
        lo = await self.read(f"{name}_LO")  # reading _LO latches _HI
        hi = await self.read(f"{name}_HI")
        return (hi << 32) | lo

    async def counters(self) -> dict[str, int]:
        return {name: await self.counter(name) for name, _ in COUNTERS}

    async def dump(self) -> dict[str, int]:
        """Every register (counters as _LO/_HI), for reports and debugging."""
        return {r.name: await self.read(r.name) for r in REGISTERS}
