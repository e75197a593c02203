"""A test top for the compute engine: the engine's ports but ``pre``, which it decodes
from ``instr`` in the same cycle (in the accelerator the program loader decodes it and the
instruction memory keeps it beside the instruction)."""

from amaranth import Module
from amaranth.lib import wiring

from snowsim.hw.compute_engine import ComputeEngine, head_flags
from snowsim.model.config import AcceleratorConfig


class EngineTop(wiring.Component):
    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        self.engine = ComputeEngine(cfg)
        members = self.engine.signature.members
        super().__init__({name: members[name] for name in members if name != "pre"})

    def elaborate(self, platform):
        m = Module()
        m.submodules.engine = engine = self.engine
        m.d.comb += engine.pre.eq(head_flags(self.cfg, self.instr))
        for name, member in self.signature.members.items():
            if member.is_signature:
                wiring.connect(m, wiring.flipped(getattr(self, name)), getattr(engine, name))
            elif member.flow == wiring.In:
                m.d.comb += getattr(engine, name).eq(getattr(self, name))
            else:
                m.d.comb += getattr(self, name).eq(getattr(engine, name))
        return m
