"""The register map is consistent and docs/registers.md is generated from it."""

from pathlib import Path

from snowsim.model.regmap import COUNTERS, REGISTERS, by_name, registers_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "registers.md"


def test_offsets_unique_and_word_aligned():
    offsets = [r.offset for r in REGISTERS]
    assert len(set(offsets)) == len(offsets)
    assert all(o % 4 == 0 for o in offsets)
    assert all(f.lsb + f.width <= 32 for r in REGISTERS for f in r.fields)


def test_counters_are_64_bit_pairs():
    for name, _ in COUNTERS:
        assert by_name(f"{name}_HI").offset == by_name(f"{name}_LO").offset + 4


def test_registers_doc_is_up_to_date():
    assert DOC.read_text() == registers_markdown(), "docs/registers.md is stale: run `make docs`"
