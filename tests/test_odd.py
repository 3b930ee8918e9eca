"""docs/ODD.md stays in step with cisim/model/schema.py."""

from __future__ import annotations

import pytest

from cisim.model import odd
from cisim.model.schema import DOMAIN_FIELDS, FIELDS

REGENERATE = ("docs/ODD.md's parameter table is out of date with cisim/model/schema.py: "
              "run `uv run python -m cisim.model.odd`")


@pytest.fixture(scope="module")
def text() -> str:
    return odd.ODD_PATH.read_text(encoding="utf-8")


def test_parameter_block_is_generated_table(text):
    assert odd.generated_block(text) == odd.parameter_table().strip(), REGENERATE


def test_every_parameter_appears_in_odd(text):
    missing = [f.path for f in FIELDS if f.path not in text]
    missing += [f"domains.<name>.{f.path}" for f in DOMAIN_FIELDS if f"domains.<name>.{f.path}" not in text]
    assert not missing, f"parameters missing from docs/ODD.md: {missing}; {REGENERATE}"


def test_every_parameter_is_described_outside_the_table(text):
    """Each scalar parameter is named in the prose (submodels, initialization), not only in the generated table."""
    head, rest = text.split(odd.START, 1)
    prose = head + rest.split(odd.END, 1)[1]
    missing = [f.path for f in FIELDS if f.path not in prose]
    assert not missing, (
        f"parameters only in the generated table, not described in docs/ODD.md's text (sections 2 to 7): {missing}"
    )


def test_table_has_one_row_per_parameter():
    rows = [line for line in odd.parameter_table().splitlines() if line.startswith("| `")]
    assert len(rows) == len(FIELDS) + len(DOMAIN_FIELDS)
    for f in FIELDS:
        assert any(row.startswith(f"| `{f.path}` |") for row in rows), f.path


def test_rewrite_replaces_only_the_block():
    stale = f"before\n{odd.START}\n| old | table |\n{odd.END}\nafter\n"
    new = odd.rewrite(stale)
    assert new.startswith(f"before\n{odd.START}\n") and new.endswith(f"{odd.END}\nafter\n")
    assert odd.generated_block(new) == odd.parameter_table().strip()
    assert odd.rewrite(new) == new


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError, match="parameters:start"):
        odd.generated_block("no markers here")


def test_numbers_are_formatted_plainly():
    row = next(line for line in odd.parameter_table().splitlines() if line.startswith("| `coalition.budget_mean` |"))
    assert "| 20000 | 100 to 1e8 |" in row
