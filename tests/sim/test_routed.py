"""sim/routed.py on a hand-made nextpnr report: arrivals grouped by register (all bits and
pins of a flip-flop register, a block RAM by its cell), the late inputs counted against the
period, the registers ordered latest first, the tables' counts."""

import pytest

from snowsim.sim.routed import (
    drivers_table,
    routed_drivers,
    routed_module_table,
    routed_registers,
    routed_table,
)


def _report():
    def ep(cell, port, arrival):
        return {"cell": cell, "port": port, "delay": [0.5, arrival], "event": "posedge clk"}

    return {
        "detailed_net_timings": [
            {
                "net": "n1",
                "driver": "core.engine.valid_TRELLIS_FF_Q",  # bit 0 of a register
                "port": "Q",
                "endpoints": [
                    ep("core.dma.gen.left_TRELLIS_FF_Q", "CE", 9.0),
                    ep("core.dma.gen.left_TRELLIS_FF_Q_1", "CE", 8.5),
                    ep("core.dma.gen.left_TRELLIS_FF_Q_2", "CE", 6.0),
                ],
            },
            {
                "net": "n2",
                "driver": "core.engine.valid_TRELLIS_FF_Q_1",  # its bit 1
                "port": "Q",
                "endpoints": [
                    ep("core.dma.gen.left_TRELLIS_FF_Q_1", "DI", 7.0),
                    ep("core.engine.w0.0.1", "ADB9", 7.5),  # a block RAM
                    ep("regs.status_TRELLIS_FF_Q", "DI", 3.0),
                ],
            },
            {
                "net": "n3",
                "driver": "core.engine.sum_LUT4_Z",  # a LUT's output: not a register's
                "port": "Z",
                "endpoints": [ep("regs.status_TRELLIS_FF_Q", "DI", 2.5)],
            },
            {
                "net": "n4",
                "driver": "regs.status_TRELLIS_FF_Q",
                "port": "Q",
                "endpoints": [ep("core.dma.gen.left_TRELLIS_FF_Q_2", "M", 2.0)],
            },
        ]
    }


def test_registers_grouped_late_inputs_counted_latest_first():
    rows = routed_registers(_report(), 1000 / 150)
    assert [(r.register, r.arrival_ns, r.port, r.late) for r in rows] == [
        ("core.dma.gen.left", 9.0, "CE", 3),  # 9.0 and 8.5 on CE, 7.0 on DI; not 6.0
        ("core.engine.w0.0.1", 7.5, "ADB9", 1),
        ("regs.status", 3.0, "DI", 0),
    ]
    table = routed_table(rows, 150, limit=2)
    assert table.startswith("2 of 3 registers (4 inputs) arrive after the 6.67 ns period")
    assert "`regs.status`" not in table  # beyond the limit
    modules = routed_module_table(rows, 150)
    assert "| `core.dma` | 1 | 3 | 9.00 |" in modules
    assert "| `core.engine` | 1 | 1 | 7.50 |" in modules
    assert "regs" not in modules  # nothing late there


def test_drivers_are_registers_by_their_latest_load_and_widest_bit():
    rows = routed_drivers(_report())
    assert [(r.register, r.arrival_ns, r.loads) for r in rows] == [
        ("core.engine.valid", 9.0, 3),  # bits 0 and 1: the latest of six loads, 3 on a bit
        ("regs.status", 2.0, 1),
    ]
    table = drivers_table(rows, limit=1)
    assert "| 9.00 | `core.engine.valid` | 3 |" in table
    assert "regs.status" not in table  # beyond the limit


def test_a_report_without_detailed_timings_is_refused():
    with pytest.raises(ValueError, match="--detailed-timing-report"):
        routed_registers({"fmax": {}}, 6.67)
    with pytest.raises(ValueError, match="--detailed-timing-report"):
        routed_drivers({"fmax": {}})
    with pytest.raises(ValueError, match="period_ns must be > 0, not 0"):
        routed_registers(_report(), 0)
