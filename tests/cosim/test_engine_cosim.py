"""The compute engine's generated Verilog (MAC array, buffers, sequencer, drain) under cocotb
on Icarus AND Verilator: buffers written through the DMA port, MAC instructions issued, the
vector buffer read back through the store port and compared with the golden arithmetic bit
for bit; the MAC lane-cycles and the issue span against the instructions' K."""

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from engine_top import EngineTop

from snowsim.model import fixedpoint as fx
from snowsim.model.config import PRESETS
from snowsim.model.isa import Buf, Instruction, Op, encode
from snowsim.model.latencies import ENGINE_CREDITS
from snowsim.sim.runner import SIMULATORS, run_cocotb, write_verilog

CFG = PRESETS["tiny"]
NCU, NV, N, D, E = CFG.n_cu, CFG.n_vmac, CFG.n_lanes, CFG.data_bits, CFG.bus_elems
ALL_ELEMS, ALL_CUS = (1 << E) - 1, (1 << NCU) - 1


def _pack(values, bits):
    return sum((int(v) & ((1 << bits) - 1)) << (bits * i) for i, v in enumerate(values))


def _job(k, rng):
    x = rng.integers(-(1 << 15), 1 << 15, k)
    w = rng.integers(-(1 << 15), 1 << 15, (NCU, NV, k, N))
    bias = rng.integers(-(1 << 20), 1 << 20, (NCU, NV, N))
    beats = []
    xs = list(x) + [0] * (-k % E)
    for i in range(len(xs) // E):  # maps: the same input in every CU
        beats.append((Buf.MAPS, i, _pack(xs[i * E : (i + 1) * E], D), ALL_CUS))
    wb = CFG.word_beats
    for c in range(NCU):
        for v in range(NV):
            for kk in range(k):
                word = _pack(w[c, v, kk], D)
                for p in range(wb):
                    addr = v * CFG.weights_depth * wb + kk * wb + p
                    beats.append((Buf.WEIGHTS, addr, word >> (p * CFG.bus_data_bits), 1 << c))
            bword, bb = _pack(bias[c, v], 2 * D), 2 * N // E
            for p in range(bb):
                addr = v * CFG.bias_depth * bb + p
                beats.append((Buf.BIAS, addr, bword >> (p * CFG.bus_data_bits), 1 << c))
    mask = (1 << CFG.bus_data_bits) - 1
    fields = {"k0_count": k, "px_count": 1, "py_count": 1, "drain": 1, "acc_clear": 1}
    program = [Instruction(Op.MAC, {**fields, "shift": 8, "relu": 1, "out_addr": 0})]
    program.append(Instruction(Op.MAC, {**fields, "shift": 12, "out_addr": NCU * NV}))
    acc = np.einsum("k,cvkn->cvn", x.astype(np.int64), w.astype(np.int64)) + bias
    want = [fx.relu(fx.requant(acc, 8)), fx.requant(acc, 12)]
    job = {
        "beats": [
            {"buf": int(b), "addr": a, "data": d & mask, "mask": ALL_ELEMS, "cu_mask": cu}
            for b, a, d, cu in beats
        ],
        "instructions": [encode(i) for i in program],
        "reads": list(range(2 * NCU * NV * CFG.word_beats)),
        "max_cycles": 5000,
        "credits": ENGINE_CREDITS,
    }
    return job, want


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_engine_verilog_is_bit_exact(sim):
    k = 19
    job, want = _job(k, np.random.default_rng(11))
    d = Path(tempfile.mkdtemp(prefix="engine-"))
    (d / "job.json").write_text(json.dumps(job))
    verilog = write_verilog(EngineTop(CFG), "engine_tiny")
    out = run_cocotb(
        sim, "engine_tiny", [verilog], "snowsim.sim.tb.engine_tb", env={"SNOWSIM_JOB_DIR": str(d)}
    )
    res = json.loads((out / "result.json").read_text())
    assert res["done"] == 2
    beats = [int(x) for x in res["words"]]
    wb = CFG.word_beats
    for j, expect in enumerate(want):
        for c in range(NCU):
            for v in range(NV):
                word = j * NCU * NV + c * NV + v
                value = sum(beats[word * wb + p] << (p * CFG.bus_data_bits) for p in range(wb))
                lanes = [(value >> (D * i)) & 0xFFFF for i in range(N)]
                lanes = [x - (1 << D) if x >> (D - 1) else x for x in lanes]
                assert lanes == list(expect[c, v]), (j, c, v)
    # both instructions issue back to back: 2*K MAC cycles on every lane, no gap
    assert res["mac_active"] == 2 * k * CFG.macs
    assert res["last_issue"] - res["first_issue"] + 1 == 2 * k
