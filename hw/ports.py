"""Interfaces between the DMA engine and the on-chip buffers.

The DMA moves whole bus beats.  A beat address is ``element address // bus_elems`` in the
buffer space named by ``buf`` (:class:`snowsim.model.isa.Buf`, see ``docs/architecture.md``
section 3); ``mask`` enables the beat's elements one by one (partial first/last beats).
Writes never stall.  Reads (STORE, from the vector buffer) have a fixed latency of
:data:`BUFFER_READ_LATENCY` cycles and never stall either.
"""

from amaranth import C, Cat, Mux, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import Out
from amaranth.utils import ceil_log2

from snowsim.model.config import AcceleratorConfig
from snowsim.model.dma import buffer_elems
from snowsim.model.isa import Buf
from snowsim.model.latencies import BUFFER_READ_LATENCY

__all__ = [
    "BEAT_ADDR_BITS",
    "BUFFER_READ_LATENCY",
    "RANGED_SPACES",
    "VEC_ADDR_BITS",
    "BufReadSignature",
    "BufWriteSignature",
    "VecReadSignature",
    "VecWriteSignature",
    "high_zero",
    "in_range",
    "in_range_of_sum",
    "space_bits",
]

BEAT_ADDR_BITS = 24
VEC_ADDR_BITS = 16


class BufWriteSignature(wiring.Signature):
    """DMA -> buffers, one beat per cycle when ``valid``.

    Members
    -------
    valid : Out(1)
    buf : Out(2)
        Buffer space (``Buf``).
    cu_mask : Out(n_cu)
        Which CUs' copies are written (MAPS, WEIGHTS, BIAS); ignored for VECTOR.
    addr : Out(BEAT_ADDR_BITS)
        Beat address in the buffer space.
    data : Out(bus_data_bits)
        Little-endian: element ``i`` in bits ``[i*data_bits, (i+1)*data_bits)``.
    mask : Out(bus_elems)
        Element enables.
    in_range : Out(1)
        ``addr`` is below ``2 ** space_bits(buf)``: the bits above the space are zero,
        tested where the address is formed, so that the buffers' write decode compares
        only the few bits that pick a vMAC (a beat out of range is dropped).
    """

    def __init__(self, cfg: AcceleratorConfig):
        super().__init__(
            {
                "valid": Out(1),
                "buf": Out(2),
                "cu_mask": Out(cfg.n_cu),
                "addr": Out(BEAT_ADDR_BITS),
                "data": Out(cfg.bus_data_bits),
                "mask": Out(cfg.bus_elems),
                "in_range": Out(1),
            }
        )


def space_bits(buf: Buf, cfg: AcceleratorConfig) -> int:
    """Beat-address bits of a DMA-written buffer space per CU (its vMACs' count rounded up
    to a power of two): MAPS, WEIGHTS and BIAS, sized by
    :func:`snowsim.model.dma.buffer_elems`."""
    beats = buffer_elems(buf, cfg) // cfg.bus_elems
    if buf == Buf.MAPS:
        return ceil_log2(beats)
    return ceil_log2(beats // cfg.n_vmac) + ceil_log2(cfg.n_vmac)


#: the spaces whose writes are range-checked (VECTOR's beat address is always in range)
RANGED_SPACES = (Buf.MAPS, Buf.WEIGHTS, Buf.BIAS)


def _by_space(buf: Value, fits) -> Value:
    """``fits(i, k)`` for the space ``buf`` names (``k``, the ``i``-th of
    :data:`RANGED_SPACES`); 1 for VECTOR."""
    out = C(1, 1)
    for i, k in reversed(list(enumerate(RANGED_SPACES))):
        out = Mux(buf == k, fits(i, k), out)
    return out


def in_range(buf: Value, addr: Value, cfg: AcceleratorConfig) -> Value:
    """``addr`` within the space ``buf`` names (:func:`space_bits`); 1 for VECTOR."""
    return _by_space(buf, lambda i, k: addr[space_bits(k, cfg) :] == 0)


def high_zero(base: Value, cfg: AcceleratorConfig) -> Value:
    """Per space of :data:`RANGED_SPACES`, a bit: ``base`` has no bit above the space.

    The high half of :func:`in_range` of ``base + offset``, made once for a ``base``
    (:func:`in_range_of_sum` takes it)."""
    return Cat(*[base[space_bits(k, cfg) :] == 0 for k in RANGED_SPACES])


def in_range_of_sum(
    buf: Value, hz: Value, base: Value, offset: Value, cfg: AcceleratorConfig
) -> Value:
    """:func:`in_range` of ``base + offset``, from ``hz = high_zero(base)`` and a sum of the
    space's low bits alone: the sum is below ``2 ** bits`` when ``base`` has no bit above
    and ``base[:bits] + offset`` does not reach it.  No carry chain of the full address
    ends in the test (Fmax: the DMA side's test of its 24-bit beat address)."""

    def fits(i: int, k: Buf) -> Value:
        bits = space_bits(k, cfg)
        return hz[i] & ((base[:bits] + offset)[bits:] == 0)

    return _by_space(buf, fits)


class BufReadSignature(wiring.Signature):
    """DMA -> vector buffer read request; ``data`` is valid ``BUFFER_READ_LATENCY`` cycles
    after a cycle with ``en``.

    Members
    -------
    en : Out(1)
    addr : Out(BEAT_ADDR_BITS)
    data : In(bus_data_bits)
    """

    def __init__(self, cfg: AcceleratorConfig):
        super().__init__(
            {
                "en": Out(1),
                "addr": Out(BEAT_ADDR_BITS),
                "data": wiring.In(cfg.bus_data_bits),
            }
        )


class VecWriteSignature(wiring.Signature):
    """Compute side -> vector buffer: one ``n_lanes``-element word per cycle when ``en``.

    The MAC drain and the vector unit share this one write port; the compute controller
    never lets them write in the same cycle (a VEC instruction starts after the drain of the
    MAC before it is empty).

    Members
    -------
    en : Out(1)
    addr : Out(VEC_ADDR_BITS)
        Word address.
    data : Out(n_lanes * data_bits)
    """

    def __init__(self, cfg: AcceleratorConfig):
        super().__init__(
            {
                "en": Out(1),
                "addr": Out(VEC_ADDR_BITS),
                "data": Out(cfg.n_lanes * cfg.data_bits),
            }
        )


class VecReadSignature(wiring.Signature):
    """Compute side -> vector buffer read port; ``data`` valid ``BUFFER_READ_LATENCY``
    cycles after ``en``.

    Members
    -------
    en : Out(1)
    addr : Out(VEC_ADDR_BITS)
    data : In(n_lanes * data_bits)
    """

    def __init__(self, cfg: AcceleratorConfig):
        super().__init__(
            {
                "en": Out(1),
                "addr": Out(VEC_ADDR_BITS),
                "data": wiring.In(cfg.n_lanes * cfg.data_bits),
            }
        )
