"""AXI4 and AXI4-Lite port sets with flat names.

Amaranth joins nested port names with ``__``; Vivado's IP packager and cocotbext-axi's
``AxiBus.from_prefix(dut, "m_axi")`` want ``m_axi_awaddr``.  So the ports are declared flat:
``axi4_master(cfg, "m_axi_")`` returns the members of a full AXI4 master (from the master's
side) and ``axi4_lite_slave("s_axil_")`` those of an AXI4-Lite slave; components put them in
their signature directly, and the top-level names are the ones the FPGA tools expect.
"""

from amaranth.lib.wiring import In, Out

from snowsim.model.config import AcceleratorConfig

__all__ = [
    "ADDR_BITS",
    "AXIL_ADDR_BITS",
    "ID_BITS",
    "Resp",
    "axi4_lite_slave",
    "axi4_master",
    "axi4_read_master",
    "axi4_write_master",
]

ADDR_BITS = 32
ID_BITS = 4
AXIL_ADDR_BITS = 12


class Resp:
    OKAY = 0
    EXOKAY = 1
    SLVERR = 2
    DECERR = 3


def axi4_read_master(cfg: AcceleratorConfig, p: str = "m_axi_") -> dict:
    """AR and R channels, from the master's side."""
    return {
        f"{p}arid": Out(ID_BITS),
        f"{p}araddr": Out(ADDR_BITS),
        f"{p}arlen": Out(8),
        f"{p}arsize": Out(3),
        f"{p}arburst": Out(2),
        f"{p}arlock": Out(1),
        f"{p}arcache": Out(4),
        f"{p}arprot": Out(3),
        f"{p}arqos": Out(4),
        f"{p}arvalid": Out(1),
        f"{p}arready": In(1),
        f"{p}rid": In(ID_BITS),
        f"{p}rdata": In(cfg.bus_data_bits),
        f"{p}rresp": In(2),
        f"{p}rlast": In(1),
        f"{p}rvalid": In(1),
        f"{p}rready": Out(1),
    }


def axi4_write_master(cfg: AcceleratorConfig, p: str = "m_axi_") -> dict:
    """AW, W and B channels, from the master's side."""
    return {
        f"{p}awid": Out(ID_BITS),
        f"{p}awaddr": Out(ADDR_BITS),
        f"{p}awlen": Out(8),
        f"{p}awsize": Out(3),
        f"{p}awburst": Out(2),
        f"{p}awlock": Out(1),
        f"{p}awcache": Out(4),
        f"{p}awprot": Out(3),
        f"{p}awqos": Out(4),
        f"{p}awvalid": Out(1),
        f"{p}awready": In(1),
        f"{p}wdata": Out(cfg.bus_data_bits),
        f"{p}wstrb": Out(cfg.bus_bytes),
        f"{p}wlast": Out(1),
        f"{p}wvalid": Out(1),
        f"{p}wready": In(1),
        f"{p}bid": In(ID_BITS),
        f"{p}bresp": In(2),
        f"{p}bvalid": In(1),
        f"{p}bready": Out(1),
    }


def axi4_master(cfg: AcceleratorConfig, p: str = "m_axi_") -> dict:
    return {**axi4_write_master(cfg, p), **axi4_read_master(cfg, p)}


def axi4_lite_slave(p: str = "s_axil_") -> dict:
    """An AXI4-Lite slave with 32-bit data, from the slave's side."""
    return {
        f"{p}awaddr": In(AXIL_ADDR_BITS),
        f"{p}awprot": In(3),
        f"{p}awvalid": In(1),
        f"{p}awready": Out(1),
        f"{p}wdata": In(32),
        f"{p}wstrb": In(4),
        f"{p}wvalid": In(1),
        f"{p}wready": Out(1),
        f"{p}bresp": Out(2),
        f"{p}bvalid": Out(1),
        f"{p}bready": In(1),
        f"{p}araddr": In(AXIL_ADDR_BITS),
        f"{p}arprot": In(3),
        f"{p}arvalid": In(1),
        f"{p}arready": Out(1),
        f"{p}rdata": Out(32),
        f"{p}rresp": Out(2),
        f"{p}rvalid": Out(1),
        f"{p}rready": In(1),
    }
