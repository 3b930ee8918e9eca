"""docs/ODD.md stays in step with cisim/model/schema.py, the processes, the outputs and the pattern tests;
docs/evidence.md has every evidence row the schema cites."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cisim.model import layout, odd
from cisim.model.scenario import bundled_names
from cisim.model.schema import BY_PATH, DOMAIN_FIELDS, EVENT_KINDS, FIELDS

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "cisim" / "model" / "processes"
EVIDENCE = ROOT / "docs" / "evidence.md"
PATTERNS = ROOT / "tests" / "test_patterns.py"
#: The rows of ../shared/evidence.md.
ROWS = [f"E{k}" for k in range(1, 9)] + [f"S{k}" for k in range(1, 5)] + [f"C{k}" for k in range(1, 4)]

REGENERATE = ("docs/ODD.md's parameter table is out of date with cisim/model/schema.py: "
              "run `uv run python -m cisim.model.odd`")


@pytest.fixture(scope="module")
def text() -> str:
    return odd.ODD_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def prose(text) -> str:
    """docs/ODD.md without the generated table."""
    head, rest = text.split(odd.START, 1)
    return head + rest.split(odd.END, 1)[1]


def test_parameter_block_is_generated_table(text):
    assert odd.generated_block(text) == odd.parameter_table().strip(), REGENERATE


def test_every_parameter_appears_in_odd(text):
    missing = [f.path for f in FIELDS if f.path not in text]
    missing += [f"domains.<name>.{f.path}" for f in DOMAIN_FIELDS if f"domains.<name>.{f.path}" not in text]
    assert not missing, f"parameters missing from docs/ODD.md: {missing}; {REGENERATE}"


def test_every_parameter_is_described_outside_the_table(prose):
    """Each parameter is named in the prose (submodels, section 8's descriptions), not only in the table."""
    missing = [f.path for f in FIELDS if f.path not in prose]
    missing += [f"domains.<name>.{f.path}" for f in DOMAIN_FIELDS if f"domains.<name>.{f.path}" not in prose]
    assert not missing, f"parameters only in the generated table, not described in docs/ODD.md's text: {missing}"


def test_table_has_one_row_per_parameter():
    rows = [line for line in odd.parameter_table().splitlines() if line.startswith("| `")]
    assert len(rows) == len(FIELDS) + len(DOMAIN_FIELDS)
    for f in FIELDS:
        assert any(row.startswith(f"| `{f.path}` |") for row in rows), f.path


def test_table_says_which_values_are_sourced():
    table = odd.parameter_table()
    header = next(line for line in table.splitlines() if line.startswith("| parameter |"))
    assert [c.strip() for c in header.strip("|").split("|")] == list(odd.HEADER)
    column = odd.HEADER.index("basis")
    for line in table.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            assert cells[column] in odd.BASES, line
    assert odd.basis(BY_PATH["coalition.size"]) == "sourced"  # seed 000: 20 to 40 partners
    assert odd.basis(BY_PATH["communication.max_meetings"]) == "sourced"  # C2
    assert odd.basis(BY_PATH["backbone.hill"]) == "mechanism"  # Bitterman and Koliba, value assumed
    assert odd.basis(BY_PATH["backbone.stock_decay"]) == "calibrated"  # S3 for the mechanism, fitted value
    assert odd.basis(BY_PATH["conditions.community_voice"]) == "mechanism"  # mechanism only
    for f in FIELDS:
        if f.source == "assumed":
            assert odd.basis(f) == "assumed", f.path
        if "assumed" in f.source.lower():
            assert odd.basis(f) != "sourced", f.path


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


def _functions() -> list[str]:
    """Every module-level function of the processes, as ``module.function``."""
    names = []
    for path in sorted(PROCESSES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names += [f"{path.stem}.{n.name}" for n in tree.body if isinstance(n, ast.FunctionDef)]
    return names


def test_every_process_function_is_named(prose):
    """Sections 3 and 7 name every compiled function as ``module.function``: a new or renamed one needs its text."""
    missing = [name for name in _functions() if name not in prose]
    assert not missing, f"process functions docs/ODD.md does not describe: {missing}"


def test_every_output_and_event_is_described(prose):
    missing = [o for o in layout.OUTPUTS if f"`{o}`" not in prose]
    missing += [k for k in EVENT_KINDS if f"`{k}`" not in prose]
    assert not missing, f"outputs or events docs/ODD.md does not describe: {missing}"


def test_every_bundled_scenario_is_listed(prose):
    missing = [name for name in bundled_names() if f"`{name}`" not in prose]
    assert not missing, f"bundled scenarios docs/ODD.md does not list: {missing}"


def _constant(module: str, name: str) -> float:
    tree = ast.parse((PROCESSES / f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(node.value)
    raise KeyError(f"{module}.{name}")


@pytest.mark.parametrize(("module", "name"), [("month", "WARM_UP"), ("month", "WARM_UP_SETTLE"),
                                              ("month", "WARM_UP_MAX"), ("outcome", "FAST_MONTHS"),
                                              ("outcome", "SLOW_MONTHS"), ("outputs", "PERSON")])
def test_constants_fixed_in_code_are_stated_with_their_values(prose, module, name):
    """Section 9 has a row for each named constant, and its value column holds the value in the code."""
    value = float(_constant(module, name))
    section9 = prose.split("## 9 ", 1)[1].split("## 10 ", 1)[0]
    row = next((line for line in section9.splitlines() if f"`{module}.{name}`" in line), None)
    assert row is not None, f"section 9 has no row for {module}.{name}"
    shown = [float(x) for x in re.findall(r"\d+(?:\.\d+)?(?:e-?\d+)?", row.split("|")[2])]
    assert value in shown, f"section 9 says {row.split('|')[2].strip()!r} for {module}.{name}, the code {value:g}"


def test_pattern_tests_named_in_odd_exist_and_every_one_is_named(prose):
    tests = set(re.findall(r"^def (test_pattern\w+)", PATTERNS.read_text(encoding="utf-8"), re.M))
    named = set(re.findall(r"test_pattern\d\w*", prose))
    assert named - tests == set(), f"docs/ODD.md names pattern tests that do not exist: {sorted(named - tests)}"
    assert tests - named == set(), f"pattern tests docs/ODD.md does not name: {sorted(tests - named)}"
    for k in range(1, 12):
        assert re.search(rf"^{k}\. \*\*", prose, re.M), f"pattern {k} missing from section 1.2"


def test_evidence_rows_cited_by_the_schema_are_in_docs_evidence():
    text = EVIDENCE.read_text(encoding="utf-8")
    headings = set(re.findall(r"^### ([ESC]\d)\b", text, re.M))
    assert headings == set(ROWS), f"docs/evidence.md should have one section per evidence row: {sorted(headings)}"
    cited = {row for f in FIELDS for row in re.findall(r"\b([ESC]\d)\b", f.source)}
    assert cited <= headings, sorted(cited - headings)
