"""Pipeline latencies of the RTL blocks, in cycles: one definition, read by the hardware
generators (which build their pipelines to these depths) and by the timing model.

Each constant names the block it belongs to; ``docs/timing.md`` explains each.  None of them
is fitted to a simulation: each is the number of registers on a path of the RTL.
"""

#: Vector / maps / weights buffer read: address registered in the memory, data out next cycle.
BUFFER_READ_LATENCY = 1
