"""Timing-model bookkeeping that the co-simulation does not see: the vector unit's busy
cycles, which ``docs/benchmarks.md`` reports as shares of the job."""

from snowsim.model.compiler import compile_layer
from snowsim.model.config import PRESETS
from snowsim.model.costs import vec_cycles
from snowsim.model.isa import Op
from snowsim.model.latencies import VEC_DONE, VEC_SYNC_DONE
from snowsim.model.layers import Conv2d, MaxPool2d
from snowsim.model.timing import predict


def test_vec_cycles_are_the_vector_units_running_cycles():
    """Every VEC runs ``positions + VEC_DONE`` cycles from its take; the sum is a share of
    the job (pooling waits in the engine's slot for its drains, and that wait is not
    counted), and the VEC-alone cycles are part of it."""
    cfg = PRESETS["tiny"]
    layer = Conv2d(
        in_channels=8,
        out_channels=16,
        kernel_size=3,
        padding=1,
        height=10,
        width=10,
        relu=True,
        pool=MaxPool2d(2, 2),
    )
    program = compile_layer(layer, cfg).program
    pred = predict(program, cfg)
    vecs = [i for i in program if i.op == Op.VEC]
    want = sum(vec_cycles(i) + VEC_DONE for i in vecs if vec_cycles(i))
    want += sum(VEC_SYNC_DONE for i in vecs if not vec_cycles(i))
    assert len(pred.vec_spans) == len(vecs)
    assert pred.vec_cycles == want
    assert 0 < pred.vec_alone_cycles <= pred.vec_cycles < pred.cycles
