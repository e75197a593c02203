"""Timing model: predicts the cycles and bus traffic of a program, from the config and the
RTL's documented pipeline structure (``docs/timing.md``), without running the RTL.

The model replays the *same program* the RTL runs: three in-order units (load, compute,
store) with the dependency-token rules of ``docs/architecture.md`` section 4.  Each
instruction gets a start cycle (its unit is free, its tokens are available) and a duration
from first principles (bursts and beats on the bus, loop trip counts in the array, pipeline
depths from :mod:`snowsim.model.latencies`).  It is an event model: it never loops over
cycles, so whole networks are priced in milliseconds.
"""

from dataclasses import asdict, dataclass, field

from . import latencies as lat
from .config import AcceleratorConfig
from .costs import fill_cycles, mac_steps, reduction, vec_cycles
from .dma import descriptor_bursts, read_cycles, write_cycles
from .isa import INSTR_BYTES, Instruction, Op, Unit, decode, encode

__all__ = ["Prediction", "predict"]


@dataclass
class Prediction:
    """What the timing model predicts for one job.

    ``cycles`` follows the RTL's CYCLES counter: the cycles with STATUS.BUSY = 1.  Busy
    counters count the cycles a unit executes an instruction (from its start to its
    completion); ``*_wait`` count cycles a unit had its next instruction but waited for a token.
    """

    cycles: int = 0
    fetch_cycles: int = 0
    load_busy: int = 0
    compute_busy: int = 0
    store_busy: int = 0
    load_wait: int = 0
    compute_wait: int = 0
    store_wait: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    read_bursts: int = 0
    write_bursts: int = 0
    read_beats: int = 0
    write_beats: int = 0
    mac_active: int = 0
    trace: list[tuple[str, str, int, int]] = field(default_factory=list)
    #: (first, last) issue cycle of every MAC instruction
    mac_spans: list[tuple[int, int]] = field(default_factory=list)
    #: (first, last) cycle every VEC instruction runs in the vector unit: from the cycle
    #: after it leaves the engine's slot to its completion
    vec_spans: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("trace", "mac_spans", "vec_spans"):
            d.pop(key)
        return d

    @property
    def vec_cycles(self) -> int:
        """Cycles in which a VEC runs in the vector unit (VECs never overlap: each waits
        for the previous one to complete)."""
        return sum(last - first + 1 for first, last in self.vec_spans)

    @property
    def vec_alone_cycles(self) -> int:
        """Cycles in which a VEC runs and the array issues no MAC: what the vector unit
        costs the array (pooling beside the next group's MACs costs nothing)."""
        return _union_length(self.vec_spans + self.mac_spans) - _union_length(self.mac_spans)


def predict(program: list[Instruction], cfg: AcceleratorConfig) -> Prediction:
    """Price ``program`` on ``cfg``; see ``docs/timing.md`` for every term."""
    program = [decode(encode(i)) for i in program]
    pred = Prediction()
    fetch = descriptor_bursts(0, len(program) * INSTR_BYTES, 1, 0, 1, 0, cfg)
    pred.fetch_cycles = lat.FETCH_START + read_cycles(fetch, cfg) + lat.FETCH_TO_RUN
    _count(pred, fetch, cfg, read=True)
    t0 = pred.fetch_cycles
    streams = {u: [i for i in program if u in i.units] for u in Unit}
    pc = dict.fromkeys(Unit, 0)
    free = dict.fromkeys(Unit, t0)  # earliest cycle the unit's next instruction can fire
    pushes: dict[tuple[Unit, Unit], list[int]] = {
        (a, b): [] for a in Unit for b in Unit if abs(a - b) == 1
    }
    pops = dict.fromkeys(pushes, 0)
    last_done = dict.fromkeys(Unit, None)
    halted: dict[Unit, int] = {}
    busy = dict.fromkeys(Unit, 0)
    wait = dict.fromkeys(Unit, 0)
    # compute engine state
    words = cfg.n_cu * cfg.n_vmac  # drain chain length
    mac_last = -(10**9)  # last MAC issue cycle of the previous MAC
    drain_last = -(10**9)  # last issue of the previous draining step
    c_done: list[int] = []  # reported completions of compute instructions (program order)
    c_take = [-(10**9)]  # cycles compute instructions left the engine's queue (the slot)
    mac_done = vec_done = drain_done = -(10**9)  # completion of the last MAC / VEC / drain
    busy_spans: list[tuple[int, int]] = []
    while len(halted) < len(Unit):
        progressed = False
        for u in Unit:
            while u not in halted:
                f = streams[u][pc[u]]
                queues = []
                if f.pop_prev:
                    queues.append((Unit(u - 1), u))
                if f.pop_next:
                    queues.append((Unit(u + 1), u))
                if any(len(pushes[q]) <= pops[q] for q in queues):
                    break  # the token's push time is not known yet
                if f.op == Op.END:
                    done = last_done[u]
                    halted[u] = t0 if done is None else max(done + 1, free[u])
                    progressed = True
                    break
                ready = free[u]
                start = max([ready] + [pushes[q][pops[q]] + lat.TOKEN_LATENCY for q in queues])
                if u == Unit.COMPUTE:
                    n_fl = lat.COMPUTE_IN_FLIGHT
                    if len(c_done) >= n_fl:  # the sequencer's in-flight limit
                        start = max(start, c_done[-n_fl] + 1)
                    n_cr = lat.ENGINE_CREDITS
                    if len(c_take) >= n_cr:  # a credit: returned the cycle after a take
                        start = max(start, c_take[-n_cr] + 1)
                wait[u] += start - ready
                for q in queues:
                    pops[q] += 1
                if f.op in (Op.LOAD, Op.STORE):
                    bursts = descriptor_bursts(
                        f["dram_addr"],
                        f["row_elems"] * cfg.elem_bytes,
                        f["rows"],
                        f["dram_row_stride"],
                        f["planes"],
                        f["dram_plane_stride"],
                        cfg,
                    )
                    is_read = f.op == Op.LOAD
                    done = start + (read_cycles if is_read else write_cycles)(bursts, cfg)
                    _count(pred, bursts, cfg, read=is_read)
                    next_free = done + lat.UNIT_NEXT
                elif f.op == Op.FILL:
                    done = start + fill_cycles(f, cfg)
                    next_free = done + lat.UNIT_NEXT
                elif f.op == Op.MAC:
                    # the slot (the engine queue's head) is taken at the earliest
                    # COMPUTE_TAKE after the handshake, one take per cycle; a MAC when the
                    # array is idle or on the previous MAC's last issue, and, if it drains,
                    # once the last VEC is complete (vector-buffer hazard); issuing starts
                    # the cycle after
                    take = max(start + lat.COMPUTE_TAKE, c_take[-1] + 1, mac_last)
                    if f["drain"]:
                        take = max(take, vec_done + 1)
                    first = take + 1
                    steps, cu_steps = mac_steps(f, cfg)
                    k = reduction(f)
                    pred.mac_active += cu_steps * k * cfg.n_vmac * cfg.n_lanes
                    if f["drain"]:
                        s0 = max(first, drain_last + words - k + 1)
                        last = s0 + k - 1 + (steps - 1) * max(k, words)
                        drain_last = last
                        done = last + lat.MAC_DRAIN_DONE + words
                    else:
                        last = first + steps * k - 1
                        done = last + lat.MAC_ACC_DONE
                    mac_last = last
                    pred.mac_spans.append((first, last))
                    done = max(done, mac_done + 1)  # MACs complete in order
                    mac_done = done
                    if f["drain"]:
                        drain_done = done
                else:  # VEC
                    # ... a VEC once the previous VEC and the last draining MAC are
                    # complete (vector-buffer hazards)
                    hazard = max(vec_done, drain_done) + 1
                    take = max(start + lat.COMPUTE_TAKE, c_take[-1] + 1, hazard)
                    n = vec_cycles(f)
                    done = take + (n + lat.VEC_DONE if n else lat.VEC_SYNC_DONE)
                    vec_done = done
                    pred.vec_spans.append((take + 1, done))
                if u == Unit.COMPUTE:
                    c_take.append(take)
                    next_free = start + 1  # the sequencer fires one per cycle (credits above)
                    # reported in program order, one per cycle, through a register
                    # (COMPUTE_REPORT); tokens move when reported
                    done += lat.COMPUTE_REPORT
                    if c_done:
                        done = max(done, c_done[-1] + 1)
                    c_done.append(done)
                    busy_spans.append((start + 1, done))
                else:
                    busy[u] += done - start
                pred.trace.append((u.name, f.op.name, start, done))
                if f.push_prev:
                    pushes[(u, Unit(u - 1))].append(done)
                if f.push_next:
                    pushes[(u, Unit(u + 1))].append(done)
                last_done[u] = done
                free[u] = next_free
                pc[u] += 1
                progressed = True
        if not progressed:
            raise RuntimeError("timing model deadlock: the program's tokens do not balance")
    # a unit halts the cycle after its last completion; the job's last BUSY cycle is
    # DONE_LATENCY after the last completion (the controller registers the halted flags)
    pred.cycles = max(halted.values()) + lat.DONE_LATENCY - 1
    busy[Unit.COMPUTE] = _union_length(busy_spans)
    pred.load_busy, pred.compute_busy, pred.store_busy = (busy[u] for u in Unit)
    pred.load_wait, pred.compute_wait, pred.store_wait = (wait[u] for u in Unit)
    return pred


def _union_length(spans: list[tuple[int, int]]) -> int:
    """Cycles covered by inclusive [a, b] spans."""
    total = 0
    reach = None  # (start, end) of the merged span being built
    for a, b in sorted(spans):
        if reach is None or a > reach[1] + 1:
            if reach is not None:
                total += reach[1] - reach[0] + 1
            reach = (a, b)
        else:
            reach = (reach[0], max(reach[1], b))
    if reach is not None:
        total += reach[1] - reach[0] + 1
    return total


def _count(pred: Prediction, bursts, cfg: AcceleratorConfig, *, read: bool) -> None:
    beats = sum(b.beats for b in bursts)
    if read:
        pred.read_bursts += len(bursts)
        pred.read_beats += beats
        pred.bytes_read += beats * cfg.bus_bytes
    else:
        pred.write_bursts += len(bursts)
        pred.write_beats += beats
        pred.bytes_written += beats * cfg.bus_bytes
