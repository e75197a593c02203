"""Block-RAM read ports with their output register: every buffer read of the accelerator
returns its word :data:`~snowsim.model.latencies.BUFFER_READ_LATENCY` (2) cycles after the
address.

A block RAM's read alone is slow: an ECP5 DP16KD without its output register puts its word on
the fabric 5.6 ns after the clock (speed grade 6), most of a 150 MHz cycle, and any logic after
it fails timing.  With the output register in use the word leaves 0.94 ns after the clock
(prjtrellis-db ``cell_timing_6``).  So every read port here is followed by a register with no
enable and no reset and nothing in between: the form every FPGA flow can put into the block
RAM (Vivado and Lattice's tools do; for Yosys's ``synth_ecp5``, which does not,
:mod:`snowsim.sim.outreg` does it on the netlist before place and route).  The register is in
the Verilog users take, so the cycles are the same on every flow and in the co-simulation.
"""

from amaranth import Module, Signal
from amaranth.lib.memory import Memory

from snowsim.model.latencies import BUFFER_READ_LATENCY

__all__ = ["RegisteredReadPort"]

assert BUFFER_READ_LATENCY == 2, "RegisteredReadPort is the memory's read plus one register"


class RegisteredReadPort:
    """A read port of ``mem`` whose data is registered once more.

    Parameters
    ----------
    m : Module
        The module the register is added to (its ``sync`` domain).
    mem : Memory
        The memory; a synchronous read port is added to it.
    name : str
        Names the register (``{name}_q``).

    Attributes
    ----------
    addr, en : Signal
        The read port's address and enable, sampled in the cycle of the read.
    data : Signal
        The word read ``BUFFER_READ_LATENCY`` cycles after the address was presented
        (reset-less, no enable: it holds the last read's word, or the memory's output
        register contents, when ``en`` was low).
    port : Memory.ReadPort
        The underlying port.
    """

    def __init__(self, m: Module, mem: Memory, name: str):
        self.port = mem.read_port()
        self.addr = self.port.addr
        self.en = self.port.en
        self.data = Signal(len(self.port.data), name=f"{name}_q", reset_less=True)
        m.d.sync += self.data.eq(self.port.data)
