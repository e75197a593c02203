"""A multiplier with registered operands and (by default) a registered product:
``p = a * b``, two cycles after ``a`` and ``b`` are presented (one without the product
register).

Every multiply in the accelerator (the MAC lanes, the vector unit's elementwise product and
its activation slopes) goes through this one component, so that it can map onto an FPGA's
hard multiplier *with* that block's own input and output registers.  The generic form is
two flip-flop stages around ``*``; Yosys maps that onto an ECP5 MULT18X18D with both
registers bypassed (``synth_ecp5`` does not pack flip-flops into it), so the multiply and a
route into and out of the block share one cycle.  Elaborated with ``platform_for("ecp5")``
(:mod:`snowsim.hw.primitives`) as the platform, the component instantiates a MULT18X18D
with ``REG_INPUTA``/``REG_INPUTB`` (and ``REG_OUTPUT``) on ``CLK0``: the same cycles, the
same values, the registers inside the block.  Without the product register the
block is timed as registered inputs, 3.86 ns from the clock to its product (speed 6), which
leaves a short route into one flip-flop at 150 MHz.

The multiplier's registers have no reset: every user qualifies the product with a valid
flag of its own pipeline (a vMAC's accumulate, the vector unit's result register, the
engine's queue write), so a reset need not reach the pipeline, and the block's ``RST0`` is
tied low (the core's reset into the multipliers' ``RST0`` was a critical path: the net's
flip-flop -> 6.9 ns of routing -> a vector-unit multiplier, e08a041 seed 2).
"""

from amaranth import ClockSignal, Const, Instance, Module, Signal, signed
from amaranth.hdl import Shape, ShapeCastable
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snowsim.hw.primitives import family

__all__ = ["PipelinedMultiplier"]

#: ECP5 MULT18X18D operand width (two's complement)
DSP_BITS = 18


def _operand_fits(shape: Shape) -> bool:
    return shape.width + (0 if shape.signed else 1) <= DSP_BITS


class PipelinedMultiplier(wiring.Component):
    """``p = a * b`` with the operands registered, then the product: latency 2 (1 without
    ``product_register``), one product per cycle, no enable.

    Parameters
    ----------
    a_shape, b_shape : ShapeLike
        Operand shapes; each must fit an 18-bit two's-complement operand (signed up to 18
        bits, unsigned up to 17), the width of the FPGA multipliers it maps onto.
    product_register : bool
        Register the product (latency 2, the default) or not (latency 1: the product of the
        registered operands, for a result that goes straight into one register).

    Members
    -------
    a : In(a_shape), b : In(b_shape)
        The operands of cycle ``t``.
    p : Out(shape of ``a * b``)
        Their exact product in cycle ``t + latency`` (zero in the ``latency`` cycles from
        power-up; a reset does not clear it: the registers have none).
    """

    def __init__(self, a_shape, b_shape, *, product_register: bool = True):
        if not isinstance(product_register, bool):
            raise TypeError(f"product_register must be a bool, not {product_register!r}")
        self.product_register = product_register
        #: cycles from the operands to their product
        self.latency = 2 if product_register else 1
        shapes = {}
        for name, shape in (("a_shape", a_shape), ("b_shape", b_shape)):
            if not isinstance(shape, (int, range, Shape, ShapeCastable)):
                raise TypeError(f"{name} must be a shape (int, range, signed(n)...), not {shape!r}")
            cast = Shape.cast(shape)
            if cast.width < 1 or not _operand_fits(cast):
                raise ValueError(
                    f"{name} {cast!r} does not fit an 18-bit multiplier operand: "
                    f"valid are signed(1..{DSP_BITS}) and unsigned(1..{DSP_BITS - 1})"
                )
            shapes[name] = cast
        self.a_shape, self.b_shape = shapes["a_shape"], shapes["b_shape"]
        p_shape = (Const(0, self.a_shape) * Const(0, self.b_shape)).shape()
        super().__init__({"a": In(self.a_shape), "b": In(self.b_shape), "p": Out(p_shape)})

    def elaborate(self, platform):
        m = Module()
        if family(platform) == "ecp5":
            self._ecp5(m)
            return m
        a_r = Signal(self.a_shape, reset_less=True)
        b_r = Signal(self.b_shape, reset_less=True)
        m.d.sync += [a_r.eq(self.a), b_r.eq(self.b)]
        if self.product_register:
            p_r = Signal.like(self.p, reset_less=True)
            m.d.sync += p_r.eq(a_r * b_r)
            m.d.comb += self.p.eq(p_r)
        else:
            m.d.comb += self.p.eq(a_r * b_r)
        return m

    def _ecp5(self, m: Module) -> None:
        """A MULT18X18D with its A and B (and output) registers on ``CLK0``, always enabled
        and never reset (``RST0`` low), like the generic form's flip-flops."""
        a = Signal(signed(DSP_BITS))
        b = Signal(signed(DSP_BITS))
        p = Signal(signed(2 * DSP_BITS))
        # sign- or zero-extension to 18 bits: both operands are then signed
        m.d.comb += [a.eq(self.a), b.eq(self.b), self.p.eq(p)]
        regs = {}
        for reg in ("INPUTA", "INPUTB", "OUTPUT"):
            on = reg != "OUTPUT" or self.product_register
            regs[f"p_REG_{reg}_CLK"] = "CLK0" if on else "NONE"
            regs[f"p_REG_{reg}_CE"] = "CE0"
            regs[f"p_REG_{reg}_RST"] = "RST0"
        m.submodules.dsp = Instance(
            "MULT18X18D",
            **regs,
            p_REG_INPUTC_CLK="NONE",
            p_REG_PIPELINE_CLK="NONE",
            p_GSR="DISABLED",
            p_RESETMODE="SYNC",
            p_SOURCEB_MODE="B_SHIFT",
            p_MULT_BYPASS="DISABLED",
            p_CAS_MATCH_REG="FALSE",
            i_CLK0=ClockSignal(),
            i_CE0=Const(1),
            i_RST0=Const(0),
            i_SIGNEDA=Const(1),
            i_SIGNEDB=Const(1),
            i_SOURCEA=Const(0),
            i_SOURCEB=Const(0),
            **{f"i_A{k}": a[k] for k in range(DSP_BITS)},
            **{f"i_B{k}": b[k] for k in range(DSP_BITS)},
            **{f"i_C{k}": Const(0) for k in range(DSP_BITS)},
            **{f"o_P{k}": p[k] for k in range(2 * DSP_BITS)},
        )
