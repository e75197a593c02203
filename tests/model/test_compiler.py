"""The compiler's programs compute the golden model's result on the functional simulator,
whatever the relative speed of the three units, with balanced tokens; bad layers are
rejected before anything runs."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snowsim.model.compiler import MappingError, compile_layer
from snowsim.model.config import PRESETS
from snowsim.model.funcsim import Deadlock, FuncSim
from snowsim.model.isa import Instruction, Op, Unit
from snowsim.model.layers import GRU, Conv2d, Linear, MaxPool2d
from snowsim.model.workload import expected_output, random_tensors

ORDERS = list(itertools.permutations(Unit))


def run_funcsim(layer, cfg, seed=0, orders=ORDERS[:2]):
    return run_compiled(compile_layer(layer, cfg), seed, orders)


def run_compiled(compiled, seed=0, orders=ORDERS[:2]):
    layer, cfg = compiled.layer, compiled.cfg
    tensors = random_tensors(layer, cfg, seed)
    want = expected_output(layer, tensors, cfg)
    for i, order in enumerate(orders):
        # on-chip buffers hold an earlier job's data: the program must not rely on zeros
        # it did not write
        fs = FuncSim(cfg, compiled.layout.size, stale_seed=seed * 100 + i)
        for addr, data in compiled.dram_image(tensors):
            fs.write_dram(addr, data)
        fs.run(compiled.program, order)
        got = compiled.unpack(fs.read_dram)
        assert got.shape == np.shape(want)
        assert (got == want).all(), f"{layer} differs from golden with units in order {order}"
    return compiled


LINEAR = [
    Linear(in_features=8, out_features=8),
    Linear(in_features=37, out_features=13, batch=3),
    Linear(in_features=300, out_features=70, batch=5),
    Linear(in_features=1500, out_features=50, batch=2),
]
CONV = [
    Conv2d(in_channels=3, out_channels=8, kernel_size=3, padding=1, height=8, width=8),
    Conv2d(in_channels=5, out_channels=20, kernel_size=3, stride=2, height=9, width=11, relu=True),
    Conv2d(
        in_channels=4,
        out_channels=16,
        kernel_size=3,
        padding=1,
        height=12,
        width=12,
        relu=True,
        pool=MaxPool2d(3, 2),
    ),
    Conv2d(
        in_channels=64,
        out_channels=8,
        kernel_size=3,
        padding=1,
        height=6,
        width=6,
        pool=MaxPool2d(2, 2),
    ),
    Conv2d(
        in_channels=3,
        out_channels=40,
        kernel_size=5,
        padding=2,
        height=15,
        width=15,
        relu=True,
        pool=MaxPool2d(3, 2),
    ),
]
GRUS = [
    GRU(input_size=4, hidden_size=4),
    GRU(input_size=8, hidden_size=12, steps=3),
    GRU(input_size=10, hidden_size=20, steps=2, batch=3),
    GRU(input_size=300, hidden_size=40, steps=2, batch=2),
]


@pytest.mark.parametrize("preset", ["tiny", "snowflake"])
@pytest.mark.parametrize("layer", LINEAR + CONV + GRUS, ids=str)
def test_lowering_matches_golden(layer, preset):
    run_funcsim(layer, PRESETS[preset])


def test_every_unit_order_agrees():
    run_funcsim(CONV[2], PRESETS["tiny"], orders=ORDERS)
    run_funcsim(GRUS[2], PRESETS["tiny"], orders=ORDERS)


@settings(max_examples=12, deadline=None)
@given(
    cin=st.integers(1, 8),  # larger ones rightly do not fit tiny's maps buffer
    cout=st.integers(1, 20),
    k=st.sampled_from([1, 2, 3, 5]),
    stride=st.integers(1, 3),
    pad=st.integers(0, 2),
    h=st.integers(5, 12),
    w=st.integers(5, 12),
    relu=st.booleans(),
    pool=st.sampled_from([None, (2, 2), (3, 2)]),
)
def test_random_conv_matches_golden(cin, cout, k, stride, pad, h, w, relu, pool):
    pad = min(pad, k - 1)
    shape = dict(
        in_channels=cin,
        out_channels=cout,
        kernel_size=k,
        stride=stride,
        padding=pad,
        height=h,
        width=w,
        relu=relu,
    )
    layer = Conv2d(**shape)
    if pool and min(layer.conv_height, layer.conv_width) >= pool[0]:
        layer = Conv2d(**shape, pool=MaxPool2d(*pool))
    run_funcsim(layer, PRESETS["tiny"], orders=ORDERS[:1])


@settings(max_examples=12, deadline=None)
@given(i=st.integers(1, 600), o=st.integers(1, 40), b=st.integers(1, 6))
def test_random_linear_matches_golden(i, o, b):
    run_funcsim(Linear(in_features=i, out_features=o, batch=b), PRESETS["tiny"], orders=ORDERS[:1])


def test_tokens_are_balanced_and_programs_end():
    compiled = compile_layer(GRUS[1], PRESETS["tiny"])
    assert compiled.program[-1].op == Op.END
    pushes = {(u, d): 0 for u in Unit for d in ("prev", "next")}
    pops = dict(pushes)
    for instr in compiled.program:
        for u in instr.units:
            for d in ("prev", "next"):
                pushes[(u, d)] += getattr(instr, f"push_{d}")
                pops[(u, d)] += getattr(instr, f"pop_{d}")
    for u in Unit:
        if u != Unit.STORE:
            assert pushes[(u, "next")] == pops[(Unit(u + 1), "prev")]
        if u != Unit.LOAD:
            assert pushes[(u, "prev")] == pops[(Unit(u - 1), "next")]


def test_missing_dependency_is_caught_by_funcsim():
    layer = LINEAR[3]  # many K-tiles: each weights half is reloaded several times
    cfg = PRESETS["tiny"]
    compiled = compile_layer(layer, cfg)
    # drop every "buffer free" wait of the load unit: loads overwrite halves in use
    for instr in compiled.program:
        if instr.op == Op.LOAD and instr.pop_next:
            instr.pop_next = False
    for instr in compiled.program:
        if instr.units == (Unit.COMPUTE,) and instr.push_prev:
            instr.push_prev = False
    tensors = random_tensors(layer, cfg, 0)
    fs = FuncSim(cfg, compiled.layout.size)
    for addr, data in compiled.dram_image(tensors):
        fs.write_dram(addr, data)
    fs.run(compiled.program, (Unit.LOAD, Unit.COMPUTE, Unit.STORE))
    assert not (compiled.unpack(fs.read_dram) == expected_output(layer, tensors, cfg)).all()


def test_unbalanced_tokens_deadlock():
    prog = [
        Instruction(Op.MAC, {"k0_count": 1, "px_count": 1, "py_count": 1}, pop_prev=True),
        Instruction(Op.END),
    ]
    with pytest.raises(Deadlock, match="no unit can proceed"):
        FuncSim(PRESETS["tiny"], 4096).run(prog)


@pytest.mark.parametrize(
    "layer, match",
    [
        (Linear(in_features=5000, out_features=4), "max_reduction"),
        (
            Conv2d(in_channels=3, out_channels=4, kernel_size=3, height=8, width=2000),
            "does not fit",
        ),
        (GRU(input_size=3000, hidden_size=1500), "max_reduction|do not fit"),
    ],
)
def test_unmappable_layers_raise_before_running(layer, match):
    with pytest.raises(MappingError, match=match):
        compile_layer(layer, PRESETS["tiny"])


def test_program_too_long_names_the_limit():
    cfg = PRESETS["tiny"].replace(program_depth=8)
    with pytest.raises(MappingError, match=r"program_depth 8"):
        compile_layer(LINEAR[3], cfg)


def _largest_ktile_cycles(layer, cfg):
    """Predicted cycles of the tiling the compiler used before the K-tile search: the fewest
    K-tiles, the tallest band they allow."""
    from snowsim.model import compile_conv as cc
    from snowsim.model.compile_linear import choose_pixel_mode
    from snowsim.model.timing import predict

    n_min = -(-(layer.kernel_size**2 * layer.in_channels) // (cfg.weights_depth // 2))
    ct = -(-layer.in_channels // n_min)
    ow = layer.conv_width
    pm = choose_pixel_mode(cfg, layer.conv_height * ow, layer.out_channels, ow)
    band, reason = cc._band(layer, cfg, ct, pm)
    if not band:
        return None, reason
    return predict(cc._lower(layer, cfg, ct, band, pm).program, cfg).cycles, ""


@pytest.mark.parametrize("name, gain", [("conv1", None), ("conv2", 0.95), ("conv4", 0.98)])
def test_ktile_search_is_never_slower_and_maps_alexnet_conv1(name, gain):
    """Smaller K-tiles let a taller band of rows fit the maps buffer: AlexNet conv1 (pool 3/2
    needs 3 input-channel rows of 11) maps only that way, and conv2/conv4 get faster."""
    from snowsim.model.networks import alexnet
    from snowsim.model.timing import predict

    cfg = PRESETS["snowflake"]
    layer = {lay.name: lay for lay in alexnet().layers}[name]
    chosen = predict(compile_layer(layer, cfg).program, cfg).cycles
    before, reason = _largest_ktile_cycles(layer, cfg)
    if name == "conv1":
        assert before is None and reason == "maps"
    else:
        assert chosen < gain * before  # measurably better, not just equal
    assert chosen * cfg.macs >= layer.macs  # cannot beat the MAC roof


def test_ktile_search_result_is_still_bit_exact():
    """A pooled conv whose band grows when the K-tiles shrink, run on FuncSim."""
    cfg = PRESETS["tiny"].replace(maps_depth=1024)
    layer = Conv2d(
        in_channels=24,
        out_channels=8,
        kernel_size=3,
        padding=1,
        height=12,
        width=12,
        relu=True,
        pool=MaxPool2d(3, 2),
    )
    compiled = run_funcsim(layer, cfg)
    loads = [f for f in compiled.program if f.op == Op.LOAD and f["buf"] == 0]
    assert max(f["row_elems"] for f in loads) < 12 * 24  # split into several K-tiles


def _mac_modes(program) -> list[int]:
    return [f["pixel_mode"] for f in program if f.op == Op.MAC]


@pytest.mark.parametrize("cout", [24, 40])
def test_mixed_cu_mode_is_bit_exact(cout):
    """Whole channel-mode groups, then the remaining channels in pixel mode (tiny: 16
    channels per channel-mode group, 8 per pixel-mode group), pooled and not."""
    from snowsim.model import compile_conv as cc

    cfg = PRESETS["tiny"]
    for pool in (None, MaxPool2d(3, 2)):
        layer = Conv2d(
            in_channels=3,
            out_channels=cout,
            kernel_size=3,
            padding=1,
            height=9,
            width=9,
            relu=True,
            pool=pool,
        )
        assert cc._mixed_applies(layer, cfg)
        band, _ = cc._band(layer, cfg, 3, False)
        compiled = cc._lower(layer, cfg, 3, band, False, True)
        modes = _mac_modes(compiled.program)
        assert modes[0] == 0 and 1 in modes  # channel mode first, pixel mode for the rest
        run_compiled(compiled, seed=1, orders=ORDERS[:1])


def test_alexnet_conv3_maps_mixed_and_beats_pixel_mode():
    """384 channels on 4 x 64: one channel-mode group and two pixel-mode groups keep more
    lanes busy (169 + 2 x 43 pixel steps) than pixel mode alone (6 x 43)."""
    from snowsim.model import compile_conv as cc
    from snowsim.model.networks import alexnet
    from snowsim.model.timing import predict

    cfg = PRESETS["snowflake"]
    layer = {lay.name: lay for lay in alexnet().layers}["conv3"]
    compiled = compile_layer(layer, cfg)
    assert set(_mac_modes(compiled.program)) == {0, 1}
    chosen = predict(compiled.program, cfg)
    assert chosen.mac_active == layer.macs  # no padding channels, no recomputed rows
    band, _ = cc._band(layer, cfg, 32, True)
    pixel_only = predict(cc._lower(layer, cfg, 32, band, True).program, cfg).cycles
    assert chosen.cycles < pixel_only


def test_one_vector_region_is_bit_exact_in_every_unit_order():
    """Bands that need the whole vector buffer: the channel groups share one region, and
    the tokens must keep a group's drain from overwriting results not yet pooled or
    stored, whichever unit runs ahead."""
    from snowsim.model import compile_conv as cc

    cfg = PRESETS["tiny"]
    layer = Conv2d(
        in_channels=4,
        out_channels=16,
        kernel_size=3,
        padding=1,
        height=14,
        width=14,
        relu=True,
        pool=MaxPool2d(3, 2),
    )
    half, _ = cc._band(layer, cfg, 4, True)
    whole, _ = cc._band(layer, cfg, 4, True, single_vec=True)
    assert whole > half  # the whole buffer holds a taller band
    compiled = cc._lower(layer, cfg, 4, whole, True, single_vec=True)
    run_compiled(compiled, seed=2, orders=ORDERS)


def test_padding_fills_are_not_repeated():
    """Pad columns zeroed in a maps half stay zero while loads of the same K-tile width
    reuse it: a multi-K-tile conv zeroes them once per half and per width, not per load."""
    from snowsim.model.networks import alexnet

    cfg = PRESETS["snowflake"]
    layer = {lay.name: lay for lay in alexnet().layers}["conv4"]
    program = compile_layer(layer, cfg).program
    maps_loads = [f for f in program if f.op == Op.LOAD and f["buf"] == 0]
    fills = [f for f in program if f.op == Op.FILL]
    widths = {f["row_elems"] for f in maps_loads}
    assert len(maps_loads) > 8
    # per half and width: left + right pads, top rows and bottom rows, in at most two runs
    assert len(fills) <= 2 * len(widths) * 4 * 2


def _weight_elems_loaded(program) -> int:
    return sum(
        f["row_elems"] * f["rows"] * f["planes"]
        for f in program
        if f.op == Op.LOAD and f["buf"] == 1
    )


def test_linear_batch_too_big_for_the_maps_loads_each_weight_once():
    """Batch 16 x 1024 inputs do not fit a maps half of snowflake: short K-tiles keep the
    whole batch resident per K-tile, so the 1024x1024 weights are read once, not per batch
    tile (the layer moves towards the compute roof as batch grows)."""
    from snowsim.model.timing import predict

    cfg = PRESETS["snowflake"]
    b1, b16 = (Linear(in_features=1024, out_features=1024, batch=n) for n in (1, 16))
    c16 = compile_layer(b16, cfg)
    assert _weight_elems_loaded(c16.program) == 1024 * 1024
    t1, t16 = (predict(compile_layer(x, cfg).program, cfg).cycles for x in (b1, b16))
    assert t16 < 1.2 * t1  # 16x the MACs for about the same (bandwidth-bound) time


def test_linear_short_ktiles_are_bit_exact():
    from snowsim.model.compile_linear import _compile

    cfg = PRESETS["tiny"]
    layer = Linear(in_features=300, out_features=12, batch=9)
    compiled = _compile(layer, cfg, None, kt_len=224)
    tensors = random_tensors(layer, cfg, 3)
    fs = FuncSim(cfg, compiled.layout.size)
    for addr, data in compiled.dram_image(tensors):
        fs.write_dram(addr, data)
    fs.run(compiled.program, ORDERS[0])
    assert (compiled.unpack(fs.read_dram) == expected_output(layer, tensors, cfg)).all()
    assert run_funcsim(layer, cfg) is not None  # and whatever compile_layer picks
