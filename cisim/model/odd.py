"""Generated parts of ``docs/ODD.md``: the parameter table, written from ``cisim.model.schema``.

The table of every scalar parameter (dotted path, label, default, range, unit, meaning,
basis, source) lives in ``docs/ODD.md`` between the markers ``<!-- parameters:start -->``
and ``<!-- parameters:end -->``.  It is never edited by hand: change
``cisim/model/schema.py`` and run ``uv run python -m cisim.model.odd`` to rewrite the block.
``tests/test_odd.py`` fails when the block and ``parameter_table()`` differ.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from cisim.model.formats import plain
from cisim.model.schema import DOMAIN_FIELDS, FIELDS, Field

ODD_PATH = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"
START = "<!-- parameters:start -->"
END = "<!-- parameters:end -->"
HEADER = ("parameter", "label", "default", "range", "unit", "meaning", "basis", "source")
#: What the basis column says: whether a source gives the value, only the mechanism, or nothing.
BASES = {
    "sourced": "a source gives the value (a seed document or an evidence row)",
    "calibrated": "fitted to the evidence rows by ``cisim calibrate`` (docs/evidence.md, \"The calibration\")",
    "mechanism": "a source grounds the mechanism; the value is assumed",
    "assumed": "no source: the value is a modelling choice to sweep",
}


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def basis(f: Field) -> str:
    """``sourced``, ``calibrated``, ``mechanism`` or ``assumed`` (see ``BASES``), read from the field's source.

    A source that says "assumed" or "mechanism only" grounds the mechanism, not the number.
    """
    source = " ".join(f.source.lower().split())
    if "calibrated" in source:
        return "calibrated"
    if source in ("", "assumed"):
        return "assumed"
    if "assumed" in source or "mechanism only" in source:
        return "mechanism"
    return "sourced"


def _row(path: str, f: Field) -> str:
    cells = (
        f"`{path}`",
        f.label,
        plain(f.default, f.integer),
        f"{plain(f.lo, f.integer)} to {plain(f.hi, f.integer)}",
        f.unit,
        f.doc,
        basis(f),
        f.source,
    )
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(rows: Iterable[str]) -> list[str]:
    return ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER), *rows]


def parameter_table() -> str:
    """Markdown tables of every scalar parameter (``FIELDS``) and every per-domain one (``DOMAIN_FIELDS``).

    The basis column says whether a source gives the value, only the mechanism, or nothing
    (``basis``); the source column names it.
    """
    counts = {b: sum(basis(f) == b for f in FIELDS) for b in BASES}
    lines = [
        f"Scalar parameters ({len(FIELDS)}), addressed by dotted path in a scenario file "
        "(`[section]` table, `key = value`) or in a sweep:",
        "",
        *_table(_row(f.path, f) for f in FIELDS),
        "",
        "Basis: " + "; ".join(f"`{b}` ({counts[b]}): {BASES[b]}" for b in BASES) + ".",
        "",
        f"Per-domain parameters ({len(DOMAIN_FIELDS)}), one set per `[domains.<name>]` table; "
        "the default applies when a domain leaves the key out:",
        "",
        *_table(_row(f"domains.<name>.{f.path}", f) for f in DOMAIN_FIELDS),
    ]
    return "\n".join(lines)


def generated_block(text: str) -> str:
    """The text between the parameter markers of ``text`` (without the markers), stripped."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"expected one {START} followed by one {END}")
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def rewrite(text: str) -> str:
    """``text`` with the block between the markers replaced by the current table."""
    generated_block(text)  # check the markers are there
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{parameter_table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the parameter table in ``docs/ODD.md`` (or the file given as the only argument)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else ODD_PATH
    old = path.read_text(encoding="utf-8")
    new = rewrite(old)
    if new != old:
        path.write_text(new, encoding="utf-8")
        print(f"{path}: parameter table rewritten ({len(FIELDS)} + {len(DOMAIN_FIELDS)} parameters)")
    else:
        print(f"{path}: parameter table already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
