"""Which FPGA primitives the generated Verilog instantiates, and simulation models of them.

The accelerator elaborates in one of :data:`FAMILIES`:

``generic``
    Portable, inferred Verilog (``*``, flip-flops, memories): what ``snowsim verilog`` writes
    by default and what every co-simulation runs.
``ecp5``
    The same logic with each multiplier (:class:`snowsim.hw.multiplier.PipelinedMultiplier`)
    an instance of Lattice's ``MULT18X18D`` with its input and output registers in use: Yosys's
    ``synth_ecp5`` leaves those registers bypassed when it maps ``*``.  ``snowsim synth
    --target ecp5`` measures this form.  Cycles and values are the generic form's.

The family travels as Amaranth's elaboration ``platform`` (``Fragment.get(top, platform)``);
components ask :func:`family`.  The platform also says whether to build the simulation
checks (:func:`checks`): logic that only the co-simulation reads, never part of the
Verilog users take or synthesise (``docs/fpga.md``, "Read-write collisions").

:func:`sim_models` gives Verilog models of the primitives, written from Lattice's sysDSP
usage guide (FPGA-TN-02205) for the parameter subset that :mod:`snowsim.hw.multiplier`
uses; a model stops the simulation on any other setting, so a co-simulation of the ``ecp5``
form cannot silently run on a behaviour the model never meant to describe.
"""

__all__ = [
    "FAMILIES",
    "PrimitiveFamily",
    "checks",
    "family",
    "platform_for",
    "sim_models",
]

FAMILIES = ("generic", "ecp5")


class PrimitiveFamily:
    """Elaboration platform that names the primitive family (``platform_for`` makes them).

    Parameters
    ----------
    name : str
        One of :data:`FAMILIES`.
    checks : bool
        Build the simulation checks (default ``False``).
    """

    def __init__(self, name: str, *, checks: bool = False):
        if name not in FAMILIES:
            raise ValueError(f"unknown primitive family {name!r}; valid: {', '.join(FAMILIES)}")
        if not isinstance(checks, bool):
            raise TypeError(f"checks must be a bool, not {checks!r}")
        self.primitive_family = name
        self.simulation_checks = checks

    def __repr__(self) -> str:
        return f"PrimitiveFamily({self.primitive_family!r}, checks={self.simulation_checks})"


def family(platform: object) -> str:
    """The primitive family a component is elaborated for (``generic`` without a platform)."""
    return getattr(platform, "primitive_family", "generic")


def checks(platform: object) -> bool:
    """Whether to build the simulation checks (``False`` without a platform)."""
    return bool(getattr(platform, "simulation_checks", False))


def platform_for(name: str, *, checks: bool = False) -> PrimitiveFamily | None:
    """The elaboration platform for family ``name`` (``None`` for ``generic`` without
    checks)."""
    fam = PrimitiveFamily(name, checks=checks)
    return None if name == "generic" and not checks else fam


def _mult18x18d() -> str:
    a = ", ".join(f"A{k}" for k in reversed(range(18)))
    b = ", ".join(f"B{k}" for k in reversed(range(18)))
    c = ", ".join(f"C{k}" for k in reversed(range(18)))
    p = ", ".join(f"P{k}" for k in reversed(range(36)))
    checks = "\n".join(
        f'    if ({name} != "{value}") begin\n'
        f'      $display("MULT18X18D %m: model supports {name} = \\"{value}\\" only");\n'
        "      $finish;\n"
        "    end"
        for name, value in (
            ("REG_INPUTA_CE", "CE0"),
            ("REG_INPUTA_RST", "RST0"),
            ("REG_INPUTB_CE", "CE0"),
            ("REG_INPUTB_RST", "RST0"),
            ("REG_OUTPUT_CE", "CE0"),
            ("REG_OUTPUT_RST", "RST0"),
            ("REG_INPUTC_CLK", "NONE"),
            ("REG_PIPELINE_CLK", "NONE"),
            ("RESETMODE", "SYNC"),
            ("MULT_BYPASS", "DISABLED"),
        )
    )
    reg_checks = "\n".join(
        f'    if ({name} != "NONE" && {name} != "CLK0") begin\n'
        f'      $display("MULT18X18D %m: model supports {name} = \\"NONE\\" or \\"CLK0\\" only");\n'
        "      $finish;\n"
        "    end"
        for name in ("REG_INPUTA_CLK", "REG_INPUTB_CLK", "REG_OUTPUT_CLK")
    )
    return f"""\
// Lattice ECP5 MULT18X18D, the subset snowsim instantiates (snowsim/hw/primitives.py):
// 18x18 multiply, SIGNEDA/SIGNEDB select two's complement, optional A, B and output
// registers on CLK0 with enable CE0 and synchronous reset RST0 (reset wins over the
// enable), no pipeline register, C unused.  Any other setting stops the simulation.
module MULT18X18D (
  input {a},
  input {b},
  input {c},
  input SIGNEDA, SIGNEDB, SOURCEA, SOURCEB,
  input CLK0, CE0, RST0,
  output {p}
);
  parameter REG_INPUTA_CLK = "NONE";
  parameter REG_INPUTA_CE = "CE0";
  parameter REG_INPUTA_RST = "RST0";
  parameter REG_INPUTB_CLK = "NONE";
  parameter REG_INPUTB_CE = "CE0";
  parameter REG_INPUTB_RST = "RST0";
  parameter REG_INPUTC_CLK = "NONE";
  parameter REG_PIPELINE_CLK = "NONE";
  parameter REG_OUTPUT_CLK = "NONE";
  parameter REG_OUTPUT_CE = "CE0";
  parameter REG_OUTPUT_RST = "RST0";
  parameter GSR = "ENABLED";
  parameter RESETMODE = "SYNC";
  parameter SOURCEB_MODE = "B_SHIFT";
  parameter MULT_BYPASS = "DISABLED";
  parameter CAS_MATCH_REG = "FALSE";

  initial begin
{checks}
{reg_checks}
  end

  wire [17:0] a = {{{a}}};
  wire [17:0] b = {{{b}}};
  reg [17:0] a_r = 18'd0;
  reg [17:0] b_r = 18'd0;
  reg sa_r = 1'b0;
  reg sb_r = 1'b0;
  reg [35:0] p_r = 36'd0;
  wire [17:0] a_i = (REG_INPUTA_CLK == "CLK0") ? a_r : a;
  wire [17:0] b_i = (REG_INPUTB_CLK == "CLK0") ? b_r : b;
  wire sa_i = (REG_INPUTA_CLK == "CLK0") ? sa_r : SIGNEDA;
  wire sb_i = (REG_INPUTB_CLK == "CLK0") ? sb_r : SIGNEDB;
  wire signed [18:0] a_x = {{sa_i & a_i[17], a_i}};
  wire signed [18:0] b_x = {{sb_i & b_i[17], b_i}};
  wire signed [37:0] prod = a_x * b_x;
  wire [35:0] p_o = (REG_OUTPUT_CLK == "CLK0") ? p_r : prod[35:0];
  assign {{{p}}} = p_o;

  always @(posedge CLK0) begin
    if (RST0) begin
      a_r <= 18'd0;
      b_r <= 18'd0;
      sa_r <= 1'b0;
      sb_r <= 1'b0;
      p_r <= 36'd0;
    end else if (CE0) begin
      a_r <= a;
      b_r <= b;
      sa_r <= SIGNEDA;
      sb_r <= SIGNEDB;
      p_r <= prod[35:0];
    end
  end
endmodule
"""


def sim_models(name: str) -> str:
    """Verilog models of the primitives family ``name`` instantiates ("" for ``generic``)."""
    PrimitiveFamily(name)
    return _mult18x18d() if name == "ecp5" else ""
