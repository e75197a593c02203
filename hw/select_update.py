"""Register updates written as an enable and a value per register, for state machines whose
cases are told apart by flip-flops but wait on a late decision (a bus handshake, a take).

``with m.If(a) ... Elif(b)`` makes every register's value a chain of multiplexers whose
selects carry the late decision, and Yosys turns the chain's priorities into an enable of
several LUT levels.  :func:`select_update` writes each register once: its enable is the OR of
the enables of the cases that write it, its value a multiplexer over those cases' values
chosen by their selects - flip-flops only - so the late decision reaches the register
through one LUT, the enable, and never its value.  :func:`one_hot_update` is the same
register update for one register whose cases wait on nothing, with its value an AND-OR
instead of a multiplexer chain, so that no case's value passes the others' multiplexers.
"""

from functools import reduce
from operator import or_

from amaranth import C, Cat, Module, Mux, Signal
from amaranth.hdl import Value

__all__ = ["one_hot_update", "select_update"]


def select_update(m: Module, go: Value, cases: list[tuple[Value, bool, list]]) -> None:
    """Add ``cases`` to ``m``'s sync domain.

    Parameters
    ----------
    m : Module
    go : Value
        The late decision the waiting cases need.
    cases : list of (select, waits, statements)
        ``select``: the case's condition without the late decision (of the cases that
        write a register, at most one's select is true in a cycle); ``waits``: the case
        happens only with ``go``;
        ``statements``: ``signal.eq(value)`` assignments to whole signals.  A register
        keeps its value in cycles where no case that writes it happens.  Its enable is
        ``go & (OR of its waiting cases' selects) | (OR of its other cases' selects)``: the
        ORs are of flip-flops, in parallel with ``go``.
    """
    regs: dict[int, tuple[Signal, list[tuple[Value, bool, Value]]]] = {}
    for select, waits, statements in cases:
        for st in statements:
            lhs = getattr(st, "lhs", None)
            if not isinstance(lhs, Signal):
                raise TypeError(f"select_update takes assignments to signals, not {st!r}")
            entry = regs.setdefault(id(lhs), (lhs, []))
            if any(sel is select for sel, _, _ in entry[1]):
                raise ValueError(f"{lhs!r} is assigned twice in one case")
            entry[1].append((select, waits, st.rhs))
    for lhs, writes in regs.values():
        value = writes[-1][2]
        for select, _, rhs in reversed(writes[:-1]):
            value = Mux(select, rhs, value)
        waiting = [sel for sel, waits, _ in writes if waits]
        other = [sel for sel, waits, _ in writes if not waits]
        enable = go & Cat(*waiting).any() if waiting else C(0)
        if other:
            enable = enable | Cat(*other).any()
        with m.If(enable):
            m.d.sync += lhs.eq(value)


def one_hot_update(m: Module, reg: Signal, cases: list[tuple[Value, Value]]) -> None:
    """``reg`` takes the value of the case whose select is true (at most one is: the
    caller's contract), and keeps its value when none is: an enable, the OR of the
    selects, and a value, the OR of each case's value ANDed with its select - no
    multiplexer chain by priority, so every case's value is as near the register.

    Parameters
    ----------
    m : Module
    reg : Signal
    cases : list of (select, value)
    """
    with m.If(Cat(*(sel for sel, _ in cases)).any()):
        m.d.sync += reg.eq(reduce(or_, (Mux(sel, value, 0) for sel, value in cases)))
