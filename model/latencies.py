"""Pipeline latencies of the RTL blocks, in cycles: one definition, read by the hardware
generators (which build their pipelines to these depths) and by the timing model.

Each constant names the block it belongs to; ``docs/timing.md`` explains each.  None of them
is fitted to a simulation: each is the number of registers on a path of the RTL.
"""

#: Every buffer read (maps, weights, bias, accumulators, vector buffer, instruction
#: memories): the address registered in the memory (1), the word in the block RAM's output
#: register (1) - nothing between a block RAM and logic but that register (hw/read_port.py).
BUFFER_READ_LATENCY = 2

# --- controller and units (hw/accelerator.py, hw/sequencer.py) -------------------------------
#: A pushed token is visible to the consumer one cycle after the push.
TOKEN_LATENCY = 1
#: A load/store unit starts its next instruction one cycle after the previous completed.
UNIT_NEXT = 1
#: Cycle (counted from the first BUSY cycle) in which the program-fetch descriptor is issued.
FETCH_START = 0
#: Cycles from the program fetch's completion (DMA_DONE_LATENCY after its last beat) to
#: the units' first possible issue: the program loader's flags for the last instruction
#: are valid a cycle later (it registers each beat) and the controller checks them (1),
#: starts the sequencers the next cycle (1), they read instruction 0
#: (BUFFER_READ_LATENCY), register it in the head entry (1) and issue from that
#: register (1).
FETCH_TO_RUN = 2 + BUFFER_READ_LATENCY + 2
#: From the completion of a unit's last instruction to the end of the job: the unit halts
#: the next cycle (its in-flight count drops), the controller registers the three units'
#: halted flags (1), and that cycle is the last BUSY cycle.
DONE_LATENCY = 3

#: Compute instructions that may be accepted and not yet reported complete (the sequencer's
#: in-flight limit and the engine's order queue): enough for a channel group's pooling VECs
#: to run, and complete, beside the next group's first MAC, which is ahead of them.
COMPUTE_IN_FLIGHT = 16

#: A FILL of n beats completes FILL_LATENCY + n cycles after its start (hw/fill_engine.py):
#: its fields are registered after the handshake (1) and each beat is registered before
#: its buffer write (1).
FILL_LATENCY = 2

# --- DMA engine (hw/dma_read.py, hw/dma_write.py) ----------------------------------------------
#: The burst generator (hw/burst_gen.py) presents a descriptor's first burst this many
#: cycles after the descriptor handshake: the descriptor is registered as it is (1), then
#: with the per-row constants of its row length (1), then its first row's burst arithmetic
#: (1).
BURST_GEN_SETUP = 3
#: A burst taken from the generator is driven on AR / AW from a register slice
#: (hw/reg_slice.py) the cycle after, so that the bus's ready does not reach the
#: generator's registers.  A burst counts towards the in-flight limits from that take.
DMA_ADDR_SLICE = 1
#: The first AR of a descriptor is driven this many cycles after the descriptor handshake.
DMA_READ_SETUP = BURST_GEN_SETUP + DMA_ADDR_SLICE
#: The first AW of a store is driven this many cycles after the descriptor handshake (the
#: same burst generator and slice as the reads).
DMA_WRITE_SETUP = BURST_GEN_SETUP + DMA_ADDR_SLICE
#: W is driven from a register slice (hw/reg_slice.py) fed by the W FIFO, so that the bus's
#: WREADY does not reach the FIFO's pop.
DMA_W_SLICE = 1
#: A burst's W data is read from the vector buffer from the cycle after its AW handshake; a
#: beat is valid on W after the buffer read (BUFFER_READ_LATENCY), the W FIFO's head
#: register (1) and the W slice (DMA_W_SLICE).
DMA_WRITE_DATA_LATENCY = 1 + BUFFER_READ_LATENCY + 1 + DMA_W_SLICE
#: A descriptor completes (done, and error, from flip-flops) this many cycles after its
#: last R beat (reads) or its last B response (writes); the engine takes the next
#: descriptor the cycle after.
DMA_DONE_LATENCY = 1
#: Write bursts the engine keeps waiting for their B response.
DMA_MAX_WRITES_IN_FLIGHT = 16

# --- compute engine (hw/compute_engine.py, hw/vector_unit.py) --------------------------------
#: Credits of the compute issue interface: entries of the engine's instruction queue.  The
#: compute sequencer fires only while it holds one; one returns in the cycle after an
#: instruction leaves the queue (from a flip-flop), and may be spent in that cycle.
ENGINE_CREDITS = 2
#: An instruction can leave the engine's queue (its *take*) this many cycles after its
#: handshake, at the earliest: the input register (1), the queue entry (1).
COMPUTE_TAKE = 2
#: A MAC instruction handed over while the array is idle issues its first MAC this many
#: cycles after its handshake (the take, then the loop registers).
MAC_START = COMPUTE_TAKE + 1
#: A MAC's maps word (in the block RAM's output register) is copied into a register beside
#: each vMAC (1) and its element selected from the copy into a register (1) before the
#: multipliers' operand registers; the weights are read a cycle after the maps and copied
#: into a register beside their vMAC to meet it, so that no block RAM drives a multiplier or
#: the select across the die (Fmax: the route from a block RAM through the select to every
#: multiplier of a CU was the critical path of the wider configs; a weights block RAM ->
#: 6.0 ns -> a multiplier, the `ecp5` preset's at f099326).
MAC_OPERAND_SELECT = 2
#: A MAC's maps address reaches the block RAMs a cycle after its issue, with the issue's
#: control registered: the address walkers run a cycle behind the loop registers, each a sum
#: with a registered step and a choice by the registered case of the cycle before (Fmax:
#: the walkers' sums and their six cases' AND-OR were late in every `tiny` run).
MAC_MAPS_ADDRESS = 1
#: A vMAC's product is registered twice: in the hard multiplier's output register, then in a
#: flip-flop of the fabric before the accumulate's add (Fmax: the route from the multiplier
#: to the add, 6.2 ns, led the `ecp5` preset's seed 1).
MAC_PRODUCT_REGISTER = 1
#: From the last MAC issue of a non-draining instruction to its completion: the sums are
#: valid (address stage, buffer read, operand select, operands, products, the product
#: register, accumulate) and written back to the accumulator memory.
MAC_ACC_DONE = (
    MAC_MAPS_ADDRESS + BUFFER_READ_LATENCY + MAC_OPERAND_SELECT + 3 + MAC_PRODUCT_REGISTER
)
#: From the last MAC issue of a draining instruction to the write of its first vector word
#: is MAC_DRAIN_DONE + 1 (sums valid MAC_ACC_DONE, capture, bias/round stage, two shift
#: stages - the shift's low bits, then its high bits - and two saturation stages - the
#: fits-in-range test, then the choice with ReLU); its completion is the write of the last
#: of the n_cu * n_vmac words.
MAC_DRAIN_DONE = MAC_ACC_DONE + 5
#: Registers in the vector unit from the buffer's read data to the result register: operands
#: (1), single-adder ops / the product's operands / activation segment (1), product /
#: activation ROM (1), the product in a register of the fabric / activation multiply (1),
#: the rounded product's saturation test / the activation product in a register of the
#: fabric (1), the saturated product / activation add (1), result (1).
VEC_STAGES = 7
#: A position's read addresses reach the vector buffer a cycle after its issue: the window
#: walkers run a cycle behind the loop counters, each a sum with a registered step and a
#: choice by the registered case of the cycle before (Fmax: the walkers were late in every
#: `tiny` run).
VEC_ADDRESS = 1
#: A VEC instruction with positions completes this many cycles plus one per position after
#: it leaves the engine's slot (the handshake + 1 when no hazard holds it), counted from the
#: last position's issue in cycle take + positions: the address stage (VEC_ADDRESS), the
#: read (BUFFER_READ_LATENCY), VEC_STAGES, the write (1).
VEC_DONE = VEC_ADDRESS + BUFFER_READ_LATENCY + VEC_STAGES + 1
#: A VEC instruction without positions (a SYNC, which only moves tokens) completes this many
#: cycles after it leaves the slot.
VEC_SYNC_DONE = 3
#: The engine reports a completion to the compute sequencer (which moves its tokens)
#: through flip-flops, the first by the engine's decision and the second by the sequencer
#: (the crossing between them has no logic): the report reaches the sequencer this many
#: cycles after the engine decides it.
COMPUTE_REPORT = 2
