"""Flip-flop replicas: one value registered into several flip-flops, each driving a share
of its loads (Fmax).

A control that reaches every accumulator bit - the accumulate's enable and its start
choice, the drain chain's enable - has hundreds to thousands of loads spread over the
die; from one flip-flop its net alone took 5.5 of the 6.7 ns of a 150 MHz period at 8
lanes (docs/fpga-history.md, the ``ecp5`` preset).  :func:`replicas` registers the same value into
one flip-flop per group of loads (a lane, a vMAC), so each can be placed by its group.

Synthesis merges identical flip-flops (Yosys's ``opt_merge``) unless they are kept: each
replica's wire carries the ``keep`` attribute, and the Yosys flow (``sim/synth.py``) copies
it onto the flip-flop cell that drives the wire, the form ``opt_merge`` honours.  Another
tool needs its own setting to keep equivalent registers apart (Vivado:
``synth_design -keep_equivalent_registers``); merged, the replicas are the same logic.
"""

from __future__ import annotations

from amaranth import Module, Signal, Value
from amaranth.hdl import ValueLike

__all__ = ["replicas"]


def replicas(
    m: Module,
    value: ValueLike,
    count: int,
    name: str,
    *,
    domain: str = "sync",
    reset_less: bool = True,
) -> list[Signal]:
    """``count`` flip-flops, ``name0`` ... , each registered from ``value`` in ``domain``.

    Reset-less by default: then a replica's loads must not care about its value in the
    cycle after a reset, when it still holds the value registered before the reset; with
    ``reset_less=False`` they reset to 0.  An original flip-flop registered from the same
    value must carry ``keep`` too (``Signal(attrs={"keep": 1})``): else synthesis merges
    it with one of the replicas, which then drives the original's loads as well.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, not {count!r}")
    shape = Value.cast(value).shape()
    out = []
    for i in range(count):
        r = Signal(shape, name=f"{name}{i}", reset_less=reset_less, attrs={"keep": 1})
        m.d[domain] += r.eq(value)
        out.append(r)
    return out
