"""PipelinedMultiplier: the generic form against Python's products, and the ECP5 form
(a MULT18X18D instance, simulated with ``sim_models("ecp5")``) against the generic form."""

import random
import subprocess

import pytest
from amaranth import ResetInserter, Shape, Signal, signed, unsigned
from amaranth.back import verilog
from amaranth.sim import Simulator

from snowsim.hw.multiplier import PipelinedMultiplier
from snowsim.hw.primitives import platform_for, sim_models
from snowsim.sim.runner import check_simulator

SHAPES = [
    (signed(16), signed(16)),  # MAC lanes, the vector unit's product
    (signed(18), unsigned(8)),  # activation slope x fraction
    (unsigned(17), signed(18)),  # the widest operands
    (signed(1), unsigned(1)),
]


def _extremes(shape: Shape) -> list[int]:
    lo, hi = (
        (-(1 << (shape.width - 1)), (1 << (shape.width - 1)) - 1)
        if shape.signed
        else (
            0,
            (1 << shape.width) - 1,
        )
    )
    return [lo, hi, 0, lo + 1 if hi > lo else lo, hi - 1 if hi > lo else hi]


def _operands(a_shape: Shape, b_shape: Shape, n: int, seed: int) -> list[tuple[int, int]]:
    rnd = random.Random(seed)
    pairs = [(x, y) for x in _extremes(a_shape) for y in _extremes(b_shape)]

    def draw(shape: Shape) -> int:
        if shape.signed:
            return rnd.randrange(-(1 << (shape.width - 1)), 1 << (shape.width - 1))
        return rnd.randrange(1 << shape.width)

    return pairs + [(draw(a_shape), draw(b_shape)) for _ in range(n)]


def _stream(dut, mul, ops, rst=None):
    """Simulate ``dut`` (``mul``, or ``mul`` wrapped) with ``ops`` one pair a cycle, then
    ``mul.latency`` cycles of zeros; ``rst``: a (signal, cycle -> level) pair driven each
    cycle.  Returns ``mul.p`` as seen each cycle before the clock edge."""
    seen = []

    async def tb(ctx):
        for i, (a, b) in enumerate(ops + [(0, 0)] * mul.latency):
            ctx.set(mul.a, a)
            ctx.set(mul.b, b)
            if rst is not None:
                ctx.set(rst[0], rst[1](i))
            seen.append(ctx.get(mul.p))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    return seen


@pytest.mark.parametrize("product_register", [True, False])
@pytest.mark.parametrize("a_shape,b_shape", SHAPES)
def test_generic_form_is_the_product_latency_cycles_later(a_shape, b_shape, product_register):
    dut = PipelinedMultiplier(a_shape, b_shape, product_register=product_register)
    lat = dut.latency
    assert lat == (2 if product_register else 1)
    ops = _operands(Shape.cast(a_shape), Shape.cast(b_shape), 100, seed=a_shape.width)
    seen = _stream(dut, dut, ops)
    assert seen[:lat] == [0] * lat  # nothing from before the first operands
    assert seen[lat:] == [a * b for a, b in ops]


@pytest.mark.parametrize("product_register", [True, False])
def test_a_reset_does_not_clear_the_pipeline(product_register):
    """The registers have no reset (every user qualifies the product with a valid flag of
    its own): a reset pulse mid-stream leaves every product as it would be without it."""
    rst = Signal()
    mul = PipelinedMultiplier(signed(16), signed(16), product_register=product_register)
    dut = ResetInserter(rst)(mul)
    lat = mul.latency
    ops = _operands(Shape.cast(signed(16)), Shape.cast(signed(16)), 40, seed=7)
    # two-cycle pulses, every operand stage hit
    seen = _stream(dut, mul, ops, rst=(rst, lambda i: i % 10 in (4, 5)))
    assert seen[lat:] == [a * b for a, b in ops]


_BENCH = """
module bench;
  reg clk = 0, rst = 1;
  reg [{aw}:0] a = 0;
  reg [{bw}:0] b = 0;
  wire [{pw}:0] p_generic, p_ecp5;
  mul_generic g (.clk(clk), .rst(rst), .a(a), .b(b), .p(p_generic));
  mul_ecp5 e (.clk(clk), .rst(rst), .a(a), .b(b), .p(p_ecp5));
  integer i, bad = 0;
  initial begin
    for (i = 0; i < 3000; i = i + 1) begin
      a = $random; b = $random;
      if (i % 5 == 0) begin a = {{1'b1, {{{aw}{{1'b0}}}}}}; end
      if (i % 7 == 0) begin b = {{{bw1}{{1'b1}}}}; end
      rst = (i < 2) || (i % 500 == 250);  // resets mid-stream: neither form has one
      #1 clk = 1; #1 clk = 0;
      if (p_generic !== p_ecp5) begin
        bad = bad + 1;
        if (bad < 5) $display("MISMATCH cycle %0d: generic %h ecp5 %h", i, p_generic, p_ecp5);
      end
    end
    $display("DONE mismatches=%0d", bad);
    $finish;
  end
endmodule
"""


@pytest.mark.parametrize("product_register", [True, False])
@pytest.mark.parametrize("a_shape,b_shape", SHAPES[:3])
def test_ecp5_form_matches_generic_cycle_by_cycle(tmp_path, a_shape, b_shape, product_register):
    """The MULT18X18D instance (operand extension, SIGNEDA/B, register settings, its
    RST0 tied low) gives the generic form's value in every cycle, resets included."""
    check_simulator("icarus")
    gen = PipelinedMultiplier(a_shape, b_shape, product_register=product_register)
    ecp = PipelinedMultiplier(a_shape, b_shape, product_register=product_register)
    sources = tmp_path / "mul.v"
    sources.write_text(
        verilog.convert(gen, name="mul_generic", emit_src=False)
        + verilog.convert(ecp, name="mul_ecp5", platform=platform_for("ecp5"), emit_src=False)
        + sim_models("ecp5")
        + _BENCH.format(
            aw=gen.a_shape.width - 1,
            bw=gen.b_shape.width - 1,
            bw1=gen.b_shape.width,
            pw=len(gen.p) - 1,
        )
    )
    text = sources.read_text()
    assert "MULT18X18D #(" in text  # the ECP5 form really is the primitive
    assert (f'.REG_OUTPUT_CLK("{"CLK0" if product_register else "NONE"}")') in text
    subprocess.run(
        ["iverilog", "-g2005", "-s", "bench", "-o", str(tmp_path / "bench.vvp"), str(sources)],
        check=True,
    )
    out = subprocess.run(
        ["vvp", "-n", str(tmp_path / "bench.vvp")], capture_output=True, text=True, check=True
    ).stdout
    assert "DONE mismatches=0" in out, out


def test_model_refuses_settings_it_does_not_describe(tmp_path):
    check_simulator("icarus")
    bench = tmp_path / "bad.v"
    bench.write_text(
        sim_models("ecp5")
        + """
module bad;
  wire [35:0] p;
  MULT18X18D #(.REG_PIPELINE_CLK("CLK0")) dsp (.CLK0(1'b0), .CE0(1'b1), .RST0(1'b0));
  initial #5 $display("RAN");
endmodule
"""
    )
    subprocess.run(
        ["iverilog", "-s", "bad", "-o", str(tmp_path / "bad.vvp"), str(bench)], check=True
    )
    out = subprocess.run(["vvp", "-n", str(tmp_path / "bad.vvp")], capture_output=True, text=True)
    assert "model supports REG_PIPELINE_CLK" in out.stdout
    assert "RAN" not in out.stdout


@pytest.mark.filterwarnings("ignore:.*created but never used")
@pytest.mark.parametrize(
    "a_shape,b_shape,message",
    [
        (signed(19), signed(16), r"a_shape signed\(19\) does not fit"),
        (signed(16), unsigned(18), r"b_shape unsigned\(18\) does not fit"),
        ("wide", signed(16), "a_shape must be a shape"),
    ],
)
def test_bad_operand_shapes_are_refused(a_shape, b_shape, message):
    with pytest.raises((ValueError, TypeError), match=message):
        PipelinedMultiplier(a_shape, b_shape)
    with pytest.raises(TypeError, match="product_register must be a bool, not 'no'"):
        PipelinedMultiplier(signed(16), signed(16), product_register="no")


def test_unknown_primitive_family_is_refused():
    with pytest.raises(ValueError, match=r"unknown primitive family 'xc7'; valid: generic, ecp5"):
        platform_for("xc7")
    assert platform_for("generic") is None
