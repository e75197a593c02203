"""The compiler: lowers a layer to a program and a DRAM image for one config.

``compile_layer(layer, cfg)`` returns a :class:`CompiledLayer`: the program, the DRAM regions
(program, inputs, weights, biases, outputs, each 4 KiB aligned with a guard gap after it) and
the functions that pack PyTorch-layout fixed-point tensors into those regions and unpack the
output.  Internal DRAM layouts are in ``docs/compiler.md``.  A layer the config cannot run
raises :class:`MappingError` (a ``ValueError``) naming the limit, before anything runs.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .config import AcceleratorConfig
from .isa import INSTR_BYTES, Instruction, program_bytes
from .layers import GRU, Conv2d, Layer, Linear

__all__ = ["GUARD_BYTES", "CompiledLayer", "DramLayout", "MappingError", "Region", "compile_layer"]

GUARD_BYTES = 4096
ALIGN = 4096


class MappingError(ValueError):
    """The layer cannot be mapped onto this config."""


@dataclass(frozen=True)
class Region:
    name: str
    addr: int
    nbytes: int

    @property
    def end(self) -> int:
        return self.addr + self.nbytes


@dataclass
class DramLayout:
    """Regions placed one after the other, each 4 KiB aligned, a guard gap between them."""

    regions: dict[str, Region] = field(default_factory=dict)
    top: int = 0

    def add(self, name: str, nbytes: int) -> Region:
        addr = -(-self.top // ALIGN) * ALIGN
        region = Region(name, addr, max(int(nbytes), 1))
        self.regions[name] = region
        self.top = region.end + GUARD_BYTES
        return region

    def resize(self, name: str, nbytes: int) -> Region:
        """Set the size of the last region added (one whose size is known only later)."""
        region = self.regions[name]
        if region.end + GUARD_BYTES != self.top:
            raise ValueError(f"only the last region can be resized, not {name!r}")
        region = Region(name, region.addr, max(int(nbytes), 1))
        self.regions[name] = region
        self.top = region.end + GUARD_BYTES
        return region

    @property
    def size(self) -> int:
        return -(-self.top // ALIGN) * ALIGN

    def __getitem__(self, name: str) -> Region:
        return self.regions[name]


@dataclass
class CompiledLayer:
    """A layer lowered for a config.

    Attributes
    ----------
    layer, cfg
        What was compiled, for what.
    program : list of Instruction
        Ends with END.
    layout : DramLayout
        ``program`` and the tensor regions; ``output_regions`` names those the job writes.
    pack : callable
        ``pack(tensors) -> list of (addr, bytes)``: the DRAM image of the inputs, weights and
        biases (tensors are fixed-point integer arrays with PyTorch names and layouts).
    unpack : callable
        ``unpack(read) -> np.ndarray``: the output tensor in PyTorch layout, read through
        ``read(addr, nbytes) -> bytes``.
    """

    layer: Layer
    cfg: AcceleratorConfig
    program: list[Instruction]
    layout: DramLayout
    output_regions: list[str]
    pack: Callable[[dict[str, np.ndarray]], list[tuple[int, bytes]]]
    unpack: Callable[[Callable[[int, int], bytes]], np.ndarray]
    useful_macs: int = 0

    @property
    def program_bytes(self) -> bytes:
        return program_bytes(self.program)

    def dram_image(self, tensors: dict[str, np.ndarray]) -> list[tuple[int, bytes]]:
        """Everything the host writes before START: the program and the packed tensors."""
        return [(self.layout["program"].addr, self.program_bytes), *self.pack(tensors)]


def check_program_fits(program: list[Instruction], cfg: AcceleratorConfig) -> None:
    for unit in ("LOAD", "COMPUTE", "STORE"):
        n = sum(1 for i in program if unit in (u.name for u in i.units))
        if n > cfg.program_depth:
            raise MappingError(
                f"the {unit} unit needs {n} instructions, more than the config's "
                f"program_depth {cfg.program_depth}; use a config with a larger program_depth "
                f"or a smaller layer"
            )


def add_program_region(layout: DramLayout, program: list[Instruction]) -> None:
    """The program goes after the tensors (its length is known only once it is built)."""
    layout.add("program", len(program) * INSTR_BYTES)


def compile_layer(layer: Layer, cfg: AcceleratorConfig) -> CompiledLayer:
    """Lower ``layer`` for ``cfg``; raise :class:`MappingError` when it cannot be mapped."""
    if isinstance(layer, Linear):
        from .compile_linear import compile_linear

        compiled = compile_linear(layer, cfg)
    elif isinstance(layer, Conv2d):
        from .compile_conv import compile_conv

        compiled = compile_conv(layer, cfg)
    elif isinstance(layer, GRU):
        from .compile_gru import compile_gru

        compiled = compile_gru(layer, cfg)
    else:
        raise MappingError(
            f"no lowering for layer type {type(layer).__name__}; supported: Linear, Conv2d, GRU"
        )
    check_program_fits(compiled.program, cfg)
    return compiled
