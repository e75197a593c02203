"""The generated Verilog top: the accelerator with the flat port names FPGA tools expect."""

from amaranth.back import verilog

from snowsim.hw.accelerator import Accelerator
from snowsim.model.config import AcceleratorConfig

__all__ = ["top_name", "top_verilog"]


def top_name(cfg: AcceleratorConfig) -> str:
    """Module name of the top for ``cfg`` (``snowsim_<config name>``)."""
    safe = "".join(ch if ch.isalnum() else "_" for ch in cfg.name)
    return f"snowsim_{safe}"


def top_verilog(cfg: AcceleratorConfig) -> str:
    """Verilog-2005 text of the whole accelerator for ``cfg`` (deterministic)."""
    return verilog.convert(Accelerator(cfg), name=top_name(cfg), emit_src=False)
