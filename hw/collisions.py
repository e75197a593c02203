"""Read-write collisions of the on-chip memories: one address read and written in the same
cycle on two ports.

Amaranth's read ports return the old word then.  A block RAM returns anything on such a
collision, so Yosys builds logic to return the old word: on ECP5 one or two LUTs and two
flip-flops per data bit, and a LUT after every block RAM output.  The accelerator never uses
a collision's word: the accumulators discard it by construction (the ``d = 4`` forward in
``hw/compute_engine.py``), and every other buffer is read and written at one address in one
cycle only by a program that breaks the compiler's token and hazard rules.  The memories
therefore carry :data:`NO_RW_CHECK` (Yosys then leaves the result undefined and builds
nothing), and the co-simulation builds :func:`collision` checks to prove the rule on every
program it runs (``docs/fpga.md``, "Read-write collisions").
"""

from amaranth import Value

__all__ = ["NO_RW_CHECK", "collision"]

#: Memory attribute: the word a read returns when the same cycle writes its address does
#: not matter (Yosys's ``no_rw_check``).
NO_RW_CHECK = {"no_rw_check": 1}


def collision(write_port, read_port, used=None) -> Value:
    """1 in a cycle in which ``write_port`` writes (any lane) the address ``read_port``
    reads for a word that is used: ``used`` (default: the read port's enable; a port read
    every cycle needs the condition under which its word is consumed, or every write to
    the address it idles on would count)."""
    used = read_port.en if used is None else used
    return write_port.en.any() & used & (read_port.addr == write_port.addr)
