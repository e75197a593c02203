"""Program builder: emits instructions for the three units and derives their token flags
from declared buffer use, so no dependency is ever written by hand.

Every instruction is emitted with the resources it reads and writes (a buffer half, a
vector-buffer region, a DRAM region).  The builder keeps a scoreboard of the last writer and
the readers of each resource and turns every cross-unit read-after-write, write-after-read and
write-after-write into a dependency edge.  :meth:`ProgramBuilder.finish` then resolves the edges
into ``pop``/``push`` flags (the k-th pop of a token queue is matched to the k-th push, so the
matching has to be monotone in both units' orders — it is, because each unit runs in order),
and routes LOAD<->STORE dependencies through a compute-unit SYNC (a VEC with no work).
"""

from dataclasses import dataclass, field

from .isa import Instruction, Op, Unit, VecOp

__all__ = ["Handle", "ProgramBuilder", "Resource", "sync_instruction"]

Resource = tuple  # e.g. ("maps", 0), ("vector", "h"), ("dram", "h", 3)


@dataclass(frozen=True)
class Handle:
    """An emitted instruction: its unit and position in that unit's stream."""

    unit: Unit
    index: int


def sync_instruction() -> Instruction:
    """A compute-unit instruction that only moves tokens."""
    return Instruction(Op.VEC, {"vop": int(VecOp.COPY), "n0": 0, "n1": 0})


@dataclass
class _Res:
    writer: Handle | None = None
    readers: list[Handle] = field(default_factory=list)


class ProgramBuilder:
    """Collects instructions in emission order and their cross-unit dependencies."""

    def __init__(self) -> None:
        self.order: list[tuple[Unit, Instruction]] = []
        self.streams: dict[Unit, list[Instruction]] = {u: [] for u in Unit}
        self.deps: list[tuple[Handle, Handle]] = []  # (consumer, producer)
        self._res: dict[Resource, _Res] = {}

    def emit(
        self,
        instr: Instruction,
        reads: list[Resource] | tuple = (),
        writes: list[Resource] | tuple = (),
    ) -> Handle:
        (unit,) = instr.units
        producers: list[Handle] = []
        for r in reads:
            st = self._res.setdefault(r, _Res())
            if st.writer is not None:
                producers.append(st.writer)
        for r in writes:
            st = self._res.setdefault(r, _Res())
            producers.extend(st.readers)
            if st.writer is not None:
                producers.append(st.writer)
        producers = [p for p in producers if p.unit != unit]
        if any(abs(p.unit - unit) == 2 for p in producers):
            # LOAD <-> STORE: route through a SYNC in the compute unit placed here.
            far = [p for p in producers if abs(p.unit - unit) == 2]
            sync = self._append(sync_instruction(), Unit.COMPUTE)
            for p in far:
                self.deps.append((sync, p))
            producers = [p for p in producers if abs(p.unit - unit) != 2] + [sync]
        handle = self._append(instr, unit)
        for p in producers:
            self.deps.append((handle, p))
        for r in reads:
            self._res[r].readers.append(handle)
        for r in writes:
            self._res[r] = _Res(writer=handle)
        return handle

    def _append(self, instr: Instruction, unit: Unit) -> Handle:
        handle = Handle(unit, len(self.streams[unit]))
        self.streams[unit].append(instr)
        self.order.append((unit, instr))
        return handle

    def finish(self) -> list[Instruction]:
        """Resolve dependencies into token flags and return the program (ending in END)."""
        last: dict[tuple[Unit, Unit], int] = {}
        by_consumer = sorted(self.deps, key=lambda d: (d[0].unit, d[0].index))
        needed: dict[tuple[Handle, Unit], int] = {}
        for consumer, producer in by_consumer:
            key = (consumer, producer.unit)
            needed[key] = max(needed.get(key, -1), producer.index)
        for (consumer, punit), pidx in sorted(
            needed.items(), key=lambda kv: (kv[0][0].unit, kv[0][0].index)
        ):
            q = (punit, consumer.unit)
            if pidx <= last.get(q, -1):
                continue  # an earlier pop of this queue already waited for a later producer
            last[q] = pidx
            c_instr = self.streams[consumer.unit][consumer.index]
            p_instr = self.streams[punit][pidx]
            if punit < consumer.unit:
                c_instr.pop_prev, p_instr.push_next = True, True
            else:
                c_instr.pop_next, p_instr.push_prev = True, True
        return [instr for _, instr in self.order] + [Instruction(Op.END)]
