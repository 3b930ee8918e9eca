"""Scenario files: loading, ``extends``, validation with messages that name file and key.

Paths.  ``extends`` resolves relative to the file that names it, then among the bundled scenarios.  A file
may only extend files inside its *tree*: the folder of the top file (the one named on the command line)
and below it, plus the bundled ``scenarios/`` and ``experiments/`` folders; anything else (an absolute
path elsewhere, ``..`` out of the tree) is refused unless ``outside_paths`` is given (``--allow
outside-paths``).  Only ``.toml`` files are read as scenarios, so an error never quotes another kind of file.

Bounds.  Every number read must be finite and in its schema range; a file is at most ``MAX_TOML_BYTES``,
nested at most ``MAX_DEPTH`` levels, with at most ``MAX_EXTENDS`` files in an ``extends`` chain and the
schema's most domains, sectors and events (``cisim.model.schema``).  Sector shares are given for every
sector and sum to 1, or for none (then they are equal).
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cisim.model.schema import (
    BY_PATH,
    CONDITIONS,
    DOMAIN_FIELDS,
    EVENT_KINDS,
    FIELDS,
    MAX_DOMAINS,
    MAX_EVENTS,
    MAX_FUNDING_FACTOR,
    MAX_SECTORS,
    MONTHS,
    Field,
)

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "scenarios"
_PACKAGED_DIR = Path(__file__).resolve().parents[1] / "scenarios"
#: The bundled experiments (and targets) folder: inside every file's tree, like the bundled scenarios.
EXPERIMENTS_DIR = BUNDLED_DIR.parent / "experiments"
#: Largest TOML file read (a scenario, experiment or targets file is a few kilobytes).
MAX_TOML_BYTES = 10_000_000
#: Deepest nesting of tables and arrays in a TOML file (a scenario needs 3, an experiment 4).
MAX_DEPTH = 12
#: Most files in an ``extends`` chain.
MAX_EXTENDS = 32
#: Sector shares must sum to 1 within this.
SHARE_TOLERANCE = 1e-3

TOP_KEYS = {
    "name": str, "description": str, "extends": str, "replace": list, "months": int,
    "outcome": dict, "domains": dict, "sectors": dict, "events": list,
}
SECTIONS = sorted({f.path.split(".")[0] for f in FIELDS})
#: The [outcome] table: the headline and its unit, and the people outputs named in the scenario's own words.
OUTCOME_KEYS = {"label": str, "unit": str, "people": str, "completed": str, "months": str, "completion": str}
#: Each [outcome] key's Scenario field.
OUTCOME_FIELDS = {k: f"outcome_{k}" for k in OUTCOME_KEYS}
DOMAIN_KEYS = {"label": str, **{f.path: float for f in DOMAIN_FIELDS}}
SECTOR_KEYS = {"label": str, "share": float, "home_domains": list}
EVENT_KEYS = {"month": int, "kind": str, "value": float}
DOMAIN_BY_KEY = {f.path: f for f in DOMAIN_FIELDS}
# Loaded scenarios, kept while none of their source files changes (models are made by the thousand).
_CACHE: dict[Path, tuple[tuple, Scenario]] = {}
_SOURCES: dict[Path, list[Path]] = {}
_RESOLVED: dict[tuple[str, str], Path] = {}


class ScenarioError(ValueError):
    """A scenario or experiment file that cannot be used: says which file, key and what was expected."""

    def __init__(self, file: str | Path | None, key: str | None, message: str):
        self.file = str(file) if file is not None else "<scenario>"
        self.key = key
        where = f"{self.file}: " + (f"key '{key}': " if key else "")
        super().__init__(where + message)


def scenario_dirs() -> list[Path]:
    """Where bundled scenarios live (the source tree, or a copy shipped in the package)."""
    return [d for d in (BUNDLED_DIR, _PACKAGED_DIR) if d.is_dir()]


def bundled_names() -> list[str]:
    names: set[str] = set()
    for d in scenario_dirs():
        names.update(p.stem for p in d.glob("*.toml") if not p.stem.startswith("_"))
    return sorted(names)


def resolve(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A bundled name or a path to a TOML file: relative to ``relative_to`` (the folder of the file that names
    it) when given, else to the working directory; then among the bundled scenarios."""
    text = str(name_or_path)
    candidates = []
    if relative_to is not None:
        candidates.append(relative_to / text)
        candidates.append(relative_to / f"{text}.toml")
    else:
        candidates.append(Path(text))
    for d in scenario_dirs():
        candidates.append(d / f"{text}.toml")
    for c in candidates:
        try:
            if c.is_file():
                return c.resolve()
        except (OSError, ValueError):  # a name too long for the file system, or with a NUL in it
            continue
    hint = _suggest(text, bundled_names())
    raise ScenarioError(text, None, f"no such scenario file or bundled scenario{hint} "
                        f"(bundled: {', '.join(bundled_names())})")


#: What lifts the folder rule, said in every message that applies it.
OUTSIDE_HINT = "pass --allow outside-paths to read it"


def tree_of(top: str | Path) -> tuple[Path, ...]:
    """The folders a file named on the command line may reach: its own folder and below, and the bundled ones."""
    bundled = (BUNDLED_DIR, _PACKAGED_DIR, EXPERIMENTS_DIR)
    return (Path(top).resolve().parent, *(d.resolve() for d in bundled))


def check_inside(file, key: str, given: str, path: Path, tree: tuple[Path, ...] | None,
                 hint: str = OUTSIDE_HINT) -> None:
    """Refuse ``path`` (named ``given`` at ``key`` of ``file``) outside ``tree``; None allows any path."""
    if tree is None or any(path.resolve().is_relative_to(root) for root in tree):
        return
    raise ScenarioError(file, key, f"{given!r} is outside the folder of {Path(tree[0]).as_posix()}/ and the "
                        f"bundled folders; {hint}")


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _type_name(t: type) -> str:
    return {float: "a number", int: "a whole number", str: "a string", list: "a list", dict: "a table",
            bool: "true or false"}[t]


def _check_type(file, key, value, t: type):
    if t is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif t is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, t)
    if not ok:
        raise ScenarioError(file, key, f"expected {_type_name(t)}, got {value!r} ({type(value).__name__})")


def _check_value(file, f, key: str, value):
    """Type and range check of one scalar against its schema field."""
    _check_type(file, key, value, int if f.integer else float)
    if not (f.lo <= value <= f.hi):
        raise ScenarioError(file, key, f"expected a value from {f.lo:g} to {f.hi:g} ({f.unit}), got {value!r}")
    return int(value) if f.integer else float(value)


def _check_keys(file, prefix: str, table: dict, allowed) -> None:
    for k in table:
        if k not in allowed:
            full = f"{prefix}{k}"
            raise ScenarioError(file, full, f"unknown key{_suggest(k, allowed)} "
                                f"(allowed here: {', '.join(sorted(allowed))})")


def read_toml(path: Path) -> dict:
    """A TOML file's tables, refused before reading if it is not a ``.toml`` file or too large, and after it
    if it is not UTF-8 text or nests too deeply.  No message quotes the file's content."""
    path = Path(path)
    if path.suffix.lower() != ".toml":
        raise ScenarioError(path, None, "not a TOML file (expected a file ending in .toml)")
    try:
        size = path.stat().st_size
        if size > MAX_TOML_BYTES:
            raise ScenarioError(path, None, f"is {size:,} bytes; a TOML file here is at most {MAX_TOML_BYTES:,}")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(path, None, "file not found") from None
    except OSError as exc:
        raise ScenarioError(path, None, f"cannot read: {exc.strerror}") from None
    return _parse_toml(path, data)


def _parse_toml(path: Path, data: bytes) -> dict:
    """The tables of a TOML file's bytes (see ``read_toml``)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, None, f"not a TOML file: not UTF-8 text (an invalid byte at offset {exc.start})"
                            ) from None
    if "\x00" in text:
        raise ScenarioError(path, None, f"not a TOML file: binary content (a NUL byte at offset {text.index(chr(0))})")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, None, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(path, None, f"nested too deeply (at most {MAX_DEPTH} levels of tables and arrays)"
                            ) from None
    except ValueError as exc:  # an integer of thousands of digits
        raise ScenarioError(path, None, f"not valid TOML: {str(exc).split(';')[0]}") from None
    depth = _depth(raw)
    if depth > MAX_DEPTH:
        raise ScenarioError(path, None, f"nested {depth} levels deep; expected at most {MAX_DEPTH} levels of tables "
                            "and arrays")
    return raw


def _depth(value: Any) -> int:
    """How deeply tables and arrays nest in ``value`` (counted without recursion, and only up to past the limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= MAX_DEPTH:
        node, level = stack.pop()
        items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if items is not None:
            deepest = max(deepest, level)
            stack.extend((x, level + 1) for x in items)
    return deepest


def _merge(base: dict, child: dict, replace: set[str]) -> dict:
    out = copy.deepcopy(base)
    for k, v in child.items():
        if k in replace or not (isinstance(v, dict) and isinstance(out.get(k), dict)):
            out[k] = copy.deepcopy(v)
        else:
            out[k] = _merge(out[k], v, set())
    return out


def _load_raw(path: Path, chain: tuple[Path, ...] = (), tree: tuple[Path, ...] | None = None
              ) -> tuple[dict, list[Path]]:
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(chain[-1], "extends", f"cycle of extends: {cycle}")
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(chain[-1], "extends", f"a chain of more than {MAX_EXTENDS} files extending each other "
                            f"(from {chain[0].name}); expected at most {MAX_EXTENDS}")
    raw = read_toml(path)
    if not isinstance(raw.get("extends", ""), str):
        _check_type(path, "extends", raw["extends"], str)
    parent = raw.pop("extends", None)
    replace = raw.pop("replace", [])
    _check_type(path, "replace", replace, list)
    for item in replace:
        if not isinstance(item, str) or (item not in TOP_KEYS and item not in SECTIONS):
            raise ScenarioError(path, "replace", f"expected section names, got {item!r}")
    if parent is None:
        return raw, [path]
    try:
        parent_path = resolve(parent, relative_to=path.parent)
    except ScenarioError as exc:
        raise ScenarioError(path, "extends", f"{parent!r}: " + str(exc).split(": ", 1)[-1]) from None
    check_inside(path, "extends", parent, parent_path, tree)
    base, sources = _load_raw(parent_path, (*chain, path), tree)
    base.pop("name", None)
    base.pop("description", None)
    return _merge(base, raw, set(replace)), [*sources, path]


@dataclass(frozen=True)
class Event:
    month: int
    kind: str
    value: float = 0.0


@dataclass
class Scenario:
    """A validated scenario: scalar values by dotted path plus the problem's structure."""

    name: str
    description: str
    months: int
    values: dict[str, float]
    domains: dict[str, dict[str, Any]]
    sectors: dict[str, dict[str, Any]]
    events: list[Event] = field(default_factory=list)
    outcome_label: str = "People who get through every service they need"
    outcome_unit: str = "share of people in need"
    outcome_people: str = "people"  # who the people on the pathway are
    outcome_completed: str = "people helped"  # the people who complete the pathway
    outcome_months: str = "months from entry to completion"  # the mean time through the pathway
    outcome_completion: str = "completion rate"  # completions over everyone leaving the pathway
    source: str = "<memory>"
    sources: list[str] = field(default_factory=list)

    # -- access by dotted path
    def get(self, path: str) -> Any:
        if path == "months":
            return self.months
        if path in self.values:
            return self.values[path]
        parts = path.split(".")
        if len(parts) == 3 and parts[0] == "domains" and parts[1] in self.domains:
            return self.domains[parts[1]][parts[2]]
        if len(parts) == 3 and parts[0] == "sectors" and parts[1] in self.sectors:
            return self.sectors[parts[1]][parts[2]]
        raise KeyError(path)

    def replace(self, changes: dict[str, Any] | None = None, /, **kw: Any) -> Scenario:
        """A copy with values changed by dotted path (``{"conditions.common_agenda": 0.5}``),
        validated like a file.  Keyword form uses ``__`` for dots."""
        changes = dict(changes or {})
        changes.update({k.replace("__", "."): v for k, v in kw.items()})
        new = self.copy()
        structural = {}
        for path, value in changes.items():
            if path in BY_PATH:
                new.values[path] = _check_value(self.source, BY_PATH[path], path, value)
            elif path == "months":
                new.months = _check_months(self.source, value)
                _check_event_months(self.source, "months", new.events, new.months)
            elif path in ("name", "description"):
                _check_type(self.source, path, value, str)
                if path == "name" and not value.strip():
                    raise ScenarioError(self.source, path, "expected a non-empty name")
                setattr(new, path, value.strip() if path == "name" else " ".join(value.split()))
            elif path.startswith("domains.") and len(path.split(".")) == 3 and path.split(".")[2] in DOMAIN_BY_KEY:
                _, dname, key = path.split(".")
                if dname not in new.domains:
                    raise ScenarioError(self.source, path, f"unknown domain{_suggest(dname, new.domains)} "
                                        f"(domains: {', '.join(new.domains)})")
                new.domains[dname][key] = _check_value(self.source, DOMAIN_BY_KEY[key], path, value)
                if key == "need_rate" and all(d["need_rate"] == 0 for d in new.domains.values()):
                    _check_need(self.source, {dname: new.domains[dname]})
            elif path.split(".")[0] in ("sectors", "domains", "events", "outcome"):
                structural[path] = value
            else:
                allowed = [f.path for f in FIELDS] + ["months"]
                allowed += [f"domains.{d}.{k}" for d in self.domains for k in DOMAIN_BY_KEY]
                tables = sorted({f.path.split(".")[0] for f in FIELDS})
                raise ScenarioError(self.source, path, f"unknown key{_suggest(path, allowed)} (a path is months, "
                                    f"{', '.join(t + '.<key>' for t in tables)} or domains.<domain>.<key>; "
                                    f"docs/ODD.md lists every parameter)")
        if structural:
            raw = new.to_dict()
            for path, value in structural.items():
                _set_path(self.source, raw, path, value)
            new = from_dict(raw, source=self.source, name=new.name, sources=self.sources)
        return new

    def copy(self) -> Scenario:
        return Scenario(
            name=self.name, description=self.description, months=self.months, values=dict(self.values),
            domains={k: dict(v) for k, v in self.domains.items()},
            sectors={k: {**v, "home_domains": list(v["home_domains"])} for k, v in self.sectors.items()},
            events=list(self.events), source=self.source, sources=list(self.sources),
            **{f: getattr(self, f) for f in OUTCOME_FIELDS.values()},
        )

    def to_dict(self) -> dict:
        """The scenario as a TOML-shaped dict (fully resolved, no ``extends``)."""
        out: dict[str, Any] = {"name": self.name, "description": self.description, "months": self.months,
                               "outcome": {k: getattr(self, f) for k, f in OUTCOME_FIELDS.items()}}
        for path, v in self.values.items():
            sec, key = path.split(".")
            out.setdefault(sec, {})[key] = v
        out["domains"] = copy.deepcopy(self.domains)
        out["sectors"] = copy.deepcopy(self.sectors)
        out["events"] = [{"month": e.month, "kind": e.kind, "value": e.value} for e in self.events]
        return out

    @property
    def domain_names(self) -> list[str]:
        return list(self.domains)

    @property
    def domain_labels(self) -> list[str]:
        return [d.get("label", k) for k, d in self.domains.items()]

    @property
    def sector_names(self) -> list[str]:
        return list(self.sectors)


def _set_path(file, raw: dict, path: str, value: Any) -> None:
    """Set ``path`` in a TOML-shaped dict, refusing a path through something that is not a table."""
    parts = path.split(".")
    if not all(parts):
        raise ScenarioError(file, path, "expected a dotted path of names (such as sectors.health.share)")
    node: Any = raw
    for k, part in enumerate(parts[:-1]):
        node = node.setdefault(part, {}) if isinstance(node, dict) else node
        if not isinstance(node, dict):
            above = ".".join(parts[: k + 1])
            what = "a list (change it in the scenario file)" if isinstance(node, list) else \
                f"a single value ({type(node).__name__}), not a table"
            raise ScenarioError(file, path, f"not a value of the scenario: {above} is {what}")
    old = node.get(parts[-1])
    if isinstance(old, dict) and not isinstance(value, dict):
        raise ScenarioError(file, path, f"is a table, not a single value: name one of its keys ({path}.<key>)")
    if isinstance(old, list) and not isinstance(value, list):
        raise ScenarioError(file, path, "is a list, not a single value: change it in the scenario file")
    node[parts[-1]] = value


def _check_months(file, value: Any) -> int:
    _check_type(file, "months", value, int)
    if not MONTHS.lo <= value <= MONTHS.hi:
        raise ScenarioError(file, "months", f"expected a whole number of months from {MONTHS.lo:g} to "
                            f"{MONTHS.hi:g}, got {value!r}")
    return int(value)


def _check_event_months(file, key: str, events: list[Event], months: int) -> None:
    """An event after the last month would never happen: refuse it rather than ignore it."""
    late = [e for e in events if e.month > months]
    if late:
        raise ScenarioError(file, key, f"the {late[0].kind} event at month {late[0].month} is after the last "
                            f"month ({months}); lengthen months or move the event")


def _number(file, key: str, value: Any, lo: float, hi: float, what: str) -> float:
    """A finite number from ``lo`` to ``hi`` (``what`` says what it is, for the message)."""
    _check_type(file, key, value, float)
    if not lo <= value <= hi:
        raise ScenarioError(file, key, f"expected {what} from {lo:g} to {hi:g}, got {value!r}")
    return float(value)


def _check_name(file, key: str, name: str) -> None:
    """A domain or sector name: addressed as ``domains.<name>.<key>``, so no dots and not empty."""
    if not name.strip() or "." in name:
        raise ScenarioError(file, key, f"expected a name without dots, got {name!r}")


def _check_need(file, domains: dict[str, dict[str, Any]]) -> None:
    """A pathway whose every step has need_rate 0 serves nobody: every output would be 0 over 0."""
    if all(d["need_rate"] == 0 for d in domains.values()):
        raise ScenarioError(file, f"domains.{next(iter(domains))}.need_rate", "every domain's need_rate is 0, so "
                            "nobody needs any step; give at least one step a need_rate above 0")


def _check_shares(file, sectors: dict[str, Any], clean: dict[str, dict[str, Any]]) -> None:
    """Every sector gives a share and they sum to 1, or none does and they are equal."""
    given = [n for n, s in sectors.items() if "share" in s]
    if not given:
        for entry in clean.values():
            entry["share"] = 1.0 / len(clean)
        return
    missing = [n for n in sectors if n not in given]
    if missing:
        raise ScenarioError(file, f"sectors.{missing[0]}.share", "missing: give every sector a share (shares "
                            "that sum to 1), or none (equal shares)")
    total = math.fsum(e["share"] for e in clean.values())
    if abs(total - 1) > SHARE_TOLERANCE:
        shares = " + ".join(f"{e['share']:g}" for e in clean.values())
        raise ScenarioError(file, "sectors", f"expected shares that sum to 1, got {total:g} ({shares}); "
                            "give every sector its share of the organizations")


def from_dict(raw: dict, source: str | Path = "<memory>", name: str | None = None,
              sources: list | None = None) -> Scenario:
    """Validate a merged scenario table."""
    file = str(source)
    raw = copy.deepcopy(raw)
    _check_keys(file, "", raw, set(TOP_KEYS) | set(SECTIONS))
    for k, t in TOP_KEYS.items():
        if k in raw:
            _check_type(file, k, raw[k], t)
    values: dict[str, float] = {}
    for sec in SECTIONS:
        table = raw.get(sec, {})
        if not isinstance(table, dict):
            raise ScenarioError(file, sec, f"expected a table [{sec}], got {table!r}")
        allowed = {f.path.split(".")[1] for f in FIELDS if f.path.startswith(sec + ".")}
        _check_keys(file, f"{sec}.", table, allowed)
    for f in FIELDS:
        sec, key = f.path.split(".")
        values[f.path] = _check_value(file, f, f.path, raw.get(sec, {}).get(key, f.default))
    months = _check_months(file, raw.get("months", 60))

    outcome = raw.get("outcome", {})
    _check_keys(file, "outcome.", outcome, OUTCOME_KEYS)
    for k, t in OUTCOME_KEYS.items():
        if k in outcome:
            _check_type(file, f"outcome.{k}", outcome[k], t)
            if not outcome[k].strip():
                raise ScenarioError(file, f"outcome.{k}", "expected a non-empty string (a name shown in "
                                    "tables and figures)")

    domains = raw.get("domains", {})
    if not domains:
        raise ScenarioError(file, "domains", "expected at least one [domains.<name>] table")
    if len(domains) > MAX_DOMAINS:
        raise ScenarioError(file, "domains", f"expected at most {MAX_DOMAINS} domains (the schema's limit), "
                            f"got {len(domains)}")
    clean_domains: dict[str, dict[str, Any]] = {}
    for dname, d in domains.items():
        prefix = f"domains.{dname}"
        _check_name(file, prefix, dname)
        if not isinstance(d, dict):
            raise ScenarioError(file, prefix, f"expected a table, got {d!r}")
        _check_keys(file, prefix + ".", d, DOMAIN_KEYS)
        entry: dict[str, Any] = {"label": d.get("label", dname)}
        _check_type(file, prefix + ".label", entry["label"], str)
        for f in DOMAIN_FIELDS:
            entry[f.path] = float(_check_value(file, f, f"{prefix}.{f.path}", d.get(f.path, f.default)))
        clean_domains[dname] = entry

    _check_need(file, clean_domains)

    sectors = raw.get("sectors", {})
    if not sectors:
        raise ScenarioError(file, "sectors", "expected at least one [sectors.<name>] table")
    if len(sectors) > MAX_SECTORS:
        raise ScenarioError(file, "sectors", f"expected at most {MAX_SECTORS} sectors (the schema's limit), "
                            f"got {len(sectors)}")
    clean_sectors: dict[str, dict[str, Any]] = {}
    for sname, s in sectors.items():
        prefix = f"sectors.{sname}"
        _check_name(file, prefix, sname)
        if not isinstance(s, dict):
            raise ScenarioError(file, prefix, f"expected a table, got {s!r}")
        _check_keys(file, prefix + ".", s, SECTOR_KEYS)
        for k, t in SECTOR_KEYS.items():
            if k in s:
                _check_type(file, f"{prefix}.{k}", s[k], t)
        share = _number(file, prefix + ".share", s.get("share", 1.0), 0, 1, "a share of the organizations")
        if not share > 0:
            raise ScenarioError(file, prefix + ".share", f"expected a share above 0, got {share!r}")
        homes = s.get("home_domains", [])
        if not homes:
            raise ScenarioError(file, prefix + ".home_domains", "expected a non-empty list of domain names")
        for h in homes:
            if not isinstance(h, str) or h not in clean_domains:
                raise ScenarioError(file, prefix + ".home_domains",
                                    f"expected names of domains, got {h!r}{_suggest(str(h), clean_domains)}")
        if len(set(homes)) != len(homes):
            raise ScenarioError(file, prefix + ".home_domains", "a domain is listed twice")
        clean_sectors[sname] = {"label": s.get("label", sname), "share": share, "home_domains": list(homes)}
    _check_shares(file, sectors, clean_sectors)

    events = []
    if len(raw.get("events", [])) > MAX_EVENTS:
        raise ScenarioError(file, "events", f"expected at most {MAX_EVENTS} events (the schema's limit), "
                            f"got {len(raw['events'])}")
    for k, e in enumerate(raw.get("events", [])):
        prefix = f"events[{k}]"
        if not isinstance(e, dict):
            raise ScenarioError(file, prefix, f"expected a table with month, kind and value, got {e!r}")
        _check_keys(file, prefix + ".", e, EVENT_KEYS)
        for key in ("month", "kind"):
            if key not in e:
                raise ScenarioError(file, f"{prefix}.{key}", "missing")
        for key, t in EVENT_KEYS.items():
            if key in e:
                _check_type(file, f"{prefix}.{key}", e[key], t)
        if e["kind"] not in EVENT_KINDS:
            raise ScenarioError(file, prefix + ".kind", f"expected one of {', '.join(EVENT_KINDS)}, "
                                f"got {e['kind']!r}{_suggest(e['kind'], EVENT_KINDS)}")
        if not 1 <= e["month"] <= months:
            raise ScenarioError(file, prefix + ".month", f"expected a month from 1 to the last month ({months}), "
                                f"got {e['month']!r}")
        events.append(Event(int(e["month"]), e["kind"], _event_value(file, prefix + ".value", e)))

    return Scenario(
        name=name or raw.get("name") or Path(file).stem,
        description=" ".join(raw.get("description", "").split()),
        months=int(months),
        values=values,
        domains=clean_domains,
        sectors=clean_sectors,
        events=sorted(events, key=lambda e: e.month),
        **{f: outcome.get(k, getattr(Scenario, f)) for k, f in OUTCOME_FIELDS.items()},
        source=file,
        sources=[str(s) for s in (sources or [file])],
    )


def _event_value(file, key: str, e: dict) -> float:
    """An event's value, checked for its kind: a budget factor, a number of members, or unused (but finite)."""
    value = e.get("value", 0.0)
    if e["kind"] == "funding_shock":
        return _number(file, key, value, 0, MAX_FUNDING_FACTOR, "a budget factor")
    if e["kind"] == "partner_leaves":
        size = BY_PATH["coalition.size"]
        number = _number(file, key, value, 1, size.hi, "a whole number of members")
        if number != int(number):
            raise ScenarioError(file, key, f"expected a whole number of members, got {value!r}")
        return number
    return _number(file, key, value, -1e9, 1e9, "a number (unused)")


def _blame(exc: ScenarioError, sources: list[Path]) -> ScenarioError:
    """The same error naming the file of an ``extends`` chain that sets the key (the last one that does)."""
    if exc.key is None or len(sources) < 2:
        return exc
    message = str(exc)[len(f"{exc.file}: key '{exc.key}': "):]
    parts = exc.key.replace("[", ".[").split(".")
    for src in reversed(sources):
        node: Any = read_toml(src)
        for part in parts:
            if isinstance(node, list):
                break
            if not (isinstance(node, dict) and part in node):
                node = None
                break
            node = node[part]
        if node is not None:
            if src == sources[-1]:
                return exc
            return ScenarioError(src, exc.key, f"{message} (loading {sources[-1]}, which extends it)")
    return exc


def load(name_or_path: str | Path | Scenario, *, tree: tuple[Path, ...] | None = None,
         outside_paths: bool = False) -> Scenario:
    """Load a bundled scenario by name, or a scenario file by path.

    Its ``extends`` chain stays inside ``tree`` (default ``tree_of`` the file itself; an experiment passes
    its own), unless ``outside_paths``.
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    where = (os.getcwd(), str(name_or_path))
    path = _RESOLVED.get(where) or resolve(name_or_path)
    _RESOLVED[where] = path
    try:
        key = tuple(os.stat(p).st_mtime_ns for p in _SOURCES.get(path, [path]))
    except OSError:
        key = None
        _RESOLVED.pop(where, None)
        path = resolve(name_or_path)
    allowed = None if outside_paths else (tree or tree_of(path))
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == key and _inside(cached[1].sources, allowed):
        return cached[1].copy()
    raw, sources = _load_raw(path, tree=allowed)
    name = raw.pop("name", None)
    if name is not None:
        _check_type(path, "name", name, str)
    name = name.strip() if name and name.strip() else path.stem
    try:
        scenario = from_dict(raw, source=path, name=name, sources=sources)
    except ScenarioError as exc:
        raise _blame(exc, sources) from None
    _SOURCES[path] = sources
    _CACHE[path] = (tuple(os.stat(p).st_mtime_ns for p in sources), scenario)
    return scenario.copy()


def _inside(sources: list[str], tree: tuple[Path, ...] | None) -> bool:
    """Whether every file of a cached scenario's chain lies inside ``tree`` (None: anywhere)."""
    return tree is None or all(any(Path(src).resolve().is_relative_to(r) for r in tree) for src in sources[:-1])


#: The "file" named in errors about per-run parameter values.
ROWS = "<parameter rows>"


def field_for(scenario: Scenario, path: str, strict: bool = True) -> Field | None:
    """The schema field of a per-run parameter, or None if ``path`` is not one.

    With ``strict``, a path into a domain the scenario does not have is an error rather than None.
    """
    if path in BY_PATH:
        return BY_PATH[path]
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "domains" and parts[2] in DOMAIN_BY_KEY:
        if parts[1] in scenario.domains:
            return DOMAIN_BY_KEY[parts[2]]
        if strict:
            raise ScenarioError(ROWS, path, f"unknown domain '{parts[1]}' in scenario {scenario.name} "
                                f"(domains: {', '.join(scenario.domains)})")
    return None


#: What a scenario's isolated form changes: no condition, no community voice, no backbone money.  Its
#: organizations, problem and seeds stay, so replicate k of both starts from the same status quo.
ISOLATED_CHANGES: dict[str, float] = {
    **{f"conditions.{name}": 0.0 for name in (*CONDITIONS, "community_voice")},
    "backbone.budget_share": 0.0,
    "backbone.extra_budget": 0.0,
}


def isolated_form(scenario: Scenario) -> Scenario:
    """The scenario with its organizations working alone: the comparison every effect is measured against."""
    form = scenario.replace(ISOLATED_CHANGES)
    form.name = f"{scenario.name} (isolated)"
    return form
