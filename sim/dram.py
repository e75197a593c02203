"""The DRAM of every co-simulation: cocotbext-axi's ``AxiRam`` on the ``m_axi_*`` port.

``AxiRam`` accepts at most two write addresses ahead of the burst it is writing (its AW queue
holds two).  A memory controller queues the commands of every burst a master keeps in
flight, and so does the timing model (``model/dma.py``: AW ``i`` one cycle after AW
``i - 1``, up to ``DMA_MAX_WRITES_IN_FLIGHT`` awaiting B).  With two, a run of short write
bursts is throttled by the testbench: the next AW waits until the burst ahead has its W
beats, which leave the vector buffer ``DMA_WRITE_DATA_LATENCY`` cycles after their AW.
:func:`axi_ram` therefore deepens the AW queue to ``DMA_MAX_WRITES_IN_FLIGHT``.
"""

from cocotbext.axi import AxiBus, AxiRam

from snowsim.model.latencies import DMA_MAX_WRITES_IN_FLIGHT

__all__ = ["axi_ram"]


def axi_ram(dut, size: int) -> AxiRam:
    """An ``AxiRam`` of ``size`` bytes on ``dut``'s ``m_axi_*``, clocked by ``dut.clk`` and
    reset by ``dut.rst``, that queues the write addresses of every burst in flight."""
    ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=size)
    ram.write_if.aw_channel.queue_occupancy_limit = DMA_MAX_WRITES_IN_FLIGHT
    return ram
