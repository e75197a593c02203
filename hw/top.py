"""The generated Verilog top: the accelerator with the flat port names FPGA tools expect.

Ports: ``clk``; ``rst`` (active high, **synchronous**: sampled on the rising edge of ``clk``,
and registered - the design is reset at the next edge, its AXI VALIDs low from the edge
that samples it; ``hw/accelerator.py``); ``irq`` (level, active high); the AXI4 master
``m_axi_*`` and the AXI4-Lite slave ``s_axil_*`` with Xilinx-style names.
"""

import json
import re
from importlib import metadata

from amaranth.back import verilog

from snowsim.hw.accelerator import Accelerator
from snowsim.hw.axi import ADDR_BITS, AXIL_ADDR_BITS
from snowsim.hw.primitives import PrimitiveFamily, platform_for
from snowsim.model.config import AcceleratorConfig

__all__ = ["plain_identifiers", "top_name", "top_verilog", "verilog_header"]


def top_name(cfg: AcceleratorConfig) -> str:
    """Module name of the top for ``cfg`` (``snowsim_<config name>``)."""
    safe = "".join(ch if ch.isalnum() else "_" for ch in cfg.name)
    return f"snowsim_{safe}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


_PRIMITIVE_NOTE = {
    "generic": "generic (inferred multipliers and memories; any FPGA or ASIC flow)",
    "ecp5": "ecp5 (Lattice MULT18X18D instances with input and output registers)",
}


def verilog_header(cfg: AcceleratorConfig, banner: str = "", primitives: str = "generic") -> str:
    """Comment block that opens the generated file: config, tool versions, port conventions,
    the primitive family (``snowsim.hw.primitives``).

    ``banner`` is the generator's own first line (the Yosys version Amaranth used).  Nothing
    here depends on the date or the machine, so the text is deterministic.
    """
    PrimitiveFamily(primitives)
    lines = [
        f"snowsim {_version('snowsim')}: {top_name(cfg)}",
        f"generator: amaranth {_version('amaranth')}, {banner or 'yosys (builtin)'}",
        f"primitives: {_PRIMITIVE_NOTE[primitives]}",
        "clk: rising edge; rst: active high, synchronous, registered (reset at the next edge); "
        "irq: level, active high",
        f"m_axi_*: AXI4 master, {cfg.bus_data_bits}-bit data, {ADDR_BITS}-bit address, INCR bursts",
        f"s_axil_*: AXI4-Lite slave, 32-bit data, {AXIL_ADDR_BITS}-bit address "
        "(register map: docs/registers.md)",
        f"macs: {cfg.n_cu} CU x {cfg.n_vmac} vMAC x {cfg.n_lanes} lanes = {cfg.macs}, "
        f"Q{cfg.data_bits - cfg.frac_bits}.{cfg.frac_bits}, target {cfg.clock_mhz:g} MHz",
        "config:",
        *("  " + line for line in json.dumps(cfg.to_dict(), indent=2).splitlines()),
    ]
    return "".join(f"// {line}".rstrip() + "\n" for line in lines)


_ESCAPED = re.compile(r"\\(\S+)(?=\s)")
_WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_$]*\b")


def plain_identifiers(text: str) -> str:
    """Rename every escaped identifier to a plain one: Amaranth's temporaries
    (``\\$signal$12`` -> ``amr_signal_12``) and its names of view elements and fields
    (``\\acc[0]`` -> ``acc_0``, ``\\s1.sum`` -> ``s1_sum``); a clash gets a ``_1``, ``_2``...

    Yosys reads ``$`` names back as its own internal names, and a wire ``\\acc[0]`` next to
    the vector ``acc`` collides with the bit names ABC's result is given when it is put back
    into the design: ``synth_ecp5`` and ``synth_xilinx`` (Yosys 0.50 to 0.70) then fail the
    assertion ``count_id(wire->name) == 0`` (YosysHQ/yosys#4349).  Plain names also suit
    every other tool.
    """
    names = sorted(set(_ESCAPED.findall(text)))
    taken = set(_WORD.findall(text))
    mapping: dict[str, str] = {}
    for name in names:
        if name.startswith("$"):
            base = "amr_" + re.sub(r"[^A-Za-z0-9_]+", "_", name[1:]).strip("_")
        else:
            base = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "amr"
            if base[0].isdigit():
                base = "amr_" + base
        new, n = base, 1
        while new in taken:
            new, n = f"{base}_{n}", n + 1
        taken.add(new)
        mapping[name] = new
    return _ESCAPED.sub(lambda m: mapping[m.group(1)], text)


def top_verilog(
    cfg: AcceleratorConfig, primitives: str = "generic", *, checks: bool = False
) -> str:
    """Verilog-2005 text of the whole accelerator for ``cfg``: deterministic (the same
    config and tools give byte-identical text), self-contained, header comment first.

    ``primitives`` (``snowsim.hw.primitives.FAMILIES``): ``generic`` infers everything;
    ``ecp5`` instantiates Lattice primitives where inference loses their registers (the text
    then needs the vendor's primitive library, or ``sim_models("ecp5")``, to simulate).
    ``checks`` adds the co-simulation's checks (the register ``sim_collision``,
    ``hw/collisions.py``): for simulation only."""
    platform = platform_for(primitives, checks=checks)
    text = verilog.convert(Accelerator(cfg), name=top_name(cfg), platform=platform, emit_src=False)
    banner = ""
    if text.startswith("/*"):
        first, _, text = text.partition("\n")
        banner = first.strip("/* ").removeprefix("Generated by ").strip()
    header = verilog_header(cfg, banner, primitives)
    if checks:
        header += "// simulation checks: built in (sim_collision); not for synthesis\n"
    return header + plain_identifiers(text.lstrip("\n"))
