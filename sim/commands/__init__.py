"""The ``snowsim`` subcommands; importing this package registers them all."""

from . import model_cmd, regs_cmd, roofline_cmd, sim_cmd, validate_cmd  # noqa: F401
