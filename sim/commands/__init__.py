"""The ``snowsim`` subcommands; importing this package registers them all."""

from . import model_cmd, regs_cmd, roofline_cmd, sim_cmd, synth_cmd, validate_cmd, verilog_cmd  # noqa: F401
