"""The ``snowsim`` subcommands; importing this package registers them all."""

from . import (  # noqa: F401
    bench_cmd,
    model_cmd,
    regs_cmd,
    report_cmd,
    roofline_cmd,
    sim_cmd,
    synth_cmd,
    validate_cmd,
    verilog_cmd,
)
