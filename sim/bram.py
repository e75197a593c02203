"""Block RAM per on-chip buffer.

Synthesising the whole ``snowflake`` top takes about an hour; one memory takes seconds.  Each
buffer's memory (its width, depth, write-enable granularity and read ports, as the compute
engine and the controller build it) is put alone through the same Yosys flow, so that a
design that does not fit its device shows which buffer costs what, and a buffer's size can
be tried without the whole run.  The sum leaves out small LUT-RAM FIFOs; ``docs/fpga.md``
compares it with the whole top's count.
"""

from dataclasses import dataclass
from pathlib import Path

from snowsim.model.config import AcceleratorConfig
from snowsim.model.isa import INSTR_BITS

__all__ = ["BufferShape", "buffer_shapes", "buffer_table", "probe_buffers"]


@dataclass(frozen=True)
class BufferShape:
    """One kind of on-chip memory: ``count`` instances of ``depth`` words of ``width`` bits,
    written ``granularity`` bits at a time (``None``: whole words), with ``read_ports`` read
    ports (``transparent``: the read port sees the write of the same cycle)."""

    name: str
    count: int
    width: int
    depth: int
    granularity: int | None
    read_ports: int
    transparent: bool = False


def buffer_shapes(cfg: AcceleratorConfig) -> list[BufferShape]:
    """The memories of ``hw/compute_engine.py`` and ``hw/accelerator.py`` for ``cfg``."""
    from snowsim.hw.compute_engine import HEAD_FLAGS

    d, n = cfg.data_bits, cfg.n_lanes
    vmacs = cfg.n_cu * cfg.n_vmac
    return [
        BufferShape("maps", cfg.n_cu, cfg.bus_elems * d, cfg.maps_depth // cfg.bus_elems, d, 1),
        BufferShape("weights", vmacs, n * d, cfg.weights_depth, d, 1),
        BufferShape("bias", vmacs, n * 2 * d, cfg.bias_depth, d, 1),
        BufferShape("accumulators", vmacs, n * cfg.acc_bits, cfg.acc_depth, None, 1, True),
        # read by the store side and by the vector unit's two operand ports
        BufferShape("vector", 1, n * d, cfg.vector_depth, None, 3),
        # the load and store units' instructions; the compute unit's carry the engine
        # queue head's flags beside them (hw/compute_engine.py: HEAD_FLAGS)
        BufferShape("instructions", 2, INSTR_BITS, cfg.program_depth, None, 1),
        BufferShape(
            "compute_instructions", 1, INSTR_BITS + HEAD_FLAGS.size, cfg.program_depth, None, 1
        ),
    ]


def _verilog(shape: BufferShape, name: str) -> str:
    from amaranth import Module
    from amaranth.back import verilog
    from amaranth.lib import wiring
    from amaranth.lib.memory import Memory
    from amaranth.lib.wiring import In, Out

    lanes = shape.width // shape.granularity if shape.granularity else 1

    class One(wiring.Component):
        def __init__(self) -> None:
            ports = {"wa": In(range(shape.depth)), "wd": In(shape.width), "we": In(lanes)}
            for i in range(shape.read_ports):
                ports[f"ra{i}"] = In(range(shape.depth))
                ports[f"rd{i}"] = Out(shape.width)
            super().__init__(ports)

        def elaborate(self, platform):
            m = Module()
            m.submodules.mem = mem = Memory(shape=shape.width, depth=shape.depth, init=[])
            wp = mem.write_port(granularity=shape.granularity)
            m.d.comb += [wp.addr.eq(self.wa), wp.data.eq(self.wd), wp.en.eq(self.we)]
            for i in range(shape.read_ports):
                rp = mem.read_port(transparent_for=(wp,) if shape.transparent else ())
                ra, rd = getattr(self, f"ra{i}"), getattr(self, f"rd{i}")
                m.d.comb += [rp.addr.eq(ra), rd.eq(rp.data)]
            return m

    return verilog.convert(One(), name=name, emit_src=False)


def probe_buffers(
    cfg: AcceleratorConfig, target: str, workdir: Path, names: list[str] | None = None
) -> list[tuple[BufferShape, float]]:
    """``(shape, block RAMs per instance)`` for every buffer of ``cfg`` (or those in
    ``names``) on ``target`` (Yosys only; RAMB36-equivalents on Xilinx, DP16KD on ECP5)."""
    from snowsim.hw.top import plain_identifiers
    from snowsim.sim.synth import synthesize

    shapes = buffer_shapes(cfg)
    known = [s.name for s in shapes]
    for name in names or []:
        if name not in known:
            raise ValueError(f"unknown buffer {name!r}; the buffers are: {', '.join(known)}")
    out = []
    for shape in shapes:
        if names is not None and shape.name not in names:
            continue
        name = f"buf_{shape.name}"
        v = workdir / f"{name}.v"
        v.parent.mkdir(parents=True, exist_ok=True)
        v.write_text(plain_identifiers(_verilog(shape, name)))
        r = synthesize(v, name, target, workdir / name, place_and_route=False)
        out.append((shape, r.brams))
    return out


def buffer_table(rows: list[tuple[BufferShape, float]], capacity: float, unit: str) -> str:
    """Markdown: each buffer's shape, block RAMs per instance and in all, and the total
    against the device's ``capacity``."""
    lines = [
        f"| buffer | instances | words x bits | read ports | {unit} each | {unit} |",
        "|---|---:|---|---:|---:|---:|",
    ]
    total = 0.0
    for s, each in rows:
        total += s.count * each
        lines.append(
            f"| {s.name} | {s.count} | {s.depth} x {s.width} | {s.read_ports} | {each:g} | "
            f"{s.count * each:g} |"
        )
    lines.append(f"| **all buffers** | | | | | **{total:g}** of {capacity:g} |")
    return "\n".join(lines)
