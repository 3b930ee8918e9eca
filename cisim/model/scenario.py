"""Scenario files: loading, ``extends``, validation with messages that name file and key."""

from __future__ import annotations

import copy
import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cisim.model.schema import BY_PATH, CONDITIONS, DOMAIN_FIELDS, EVENT_KINDS, FIELDS, Field

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "scenarios"
_PACKAGED_DIR = Path(__file__).resolve().parents[1] / "scenarios"

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
    """A bundled name or a path to a TOML file."""
    text = str(name_or_path)
    candidates = []
    if relative_to is not None:
        candidates.append(relative_to / text)
        candidates.append(relative_to / f"{text}.toml")
    candidates.append(Path(text))
    for d in scenario_dirs():
        candidates.append(d / f"{text}.toml")
    for c in candidates:
        if c.is_file():
            return c.resolve()
    hint = _suggest(text, bundled_names())
    raise ScenarioError(text, None, f"no such scenario file or bundled scenario{hint} "
                        f"(bundled: {', '.join(bundled_names())})")


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _type_name(t: type) -> str:
    return {float: "a number", int: "a whole number", str: "a string", list: "a list", dict: "a table"}[t]


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
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ScenarioError(path, None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, None, f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise ScenarioError(path, None, f"cannot read: {exc.strerror}") from None


def _merge(base: dict, child: dict, replace: set[str]) -> dict:
    out = copy.deepcopy(base)
    for k, v in child.items():
        if k in replace or not (isinstance(v, dict) and isinstance(out.get(k), dict)):
            out[k] = copy.deepcopy(v)
        else:
            out[k] = _merge(out[k], v, set())
    return out


def _load_raw(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, list[Path]]:
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(chain[-1], "extends", f"cycle of extends: {cycle}")
    raw = read_toml(path)
    if not isinstance(raw.get("extends", ""), str):
        _check_type(path, "extends", raw["extends"], str)
    parent = raw.pop("extends", None)
    replace = raw.pop("replace", [])
    _check_type(path, "replace", replace, list)
    for item in replace:
        if item not in TOP_KEYS and item not in SECTIONS:
            raise ScenarioError(path, "replace", f"expected section names, got {item!r}")
    if parent is None:
        return raw, [path]
    try:
        parent_path = resolve(parent, relative_to=path.parent)
    except ScenarioError as exc:
        raise ScenarioError(path, "extends", f"{parent!r}: " + str(exc).split(": ", 1)[-1]) from None
    base, sources = _load_raw(parent_path, (*chain, path))
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
                _check_type(self.source, "months", value, int)
                if not 1 <= value <= 600:
                    raise ScenarioError(self.source, "months",
                                        f"expected a whole number of months from 1 to 600, got {value!r}")
                new.months = int(value)
            elif path.startswith("domains.") and len(path.split(".")) == 3 and path.split(".")[2] in DOMAIN_BY_KEY:
                _, dname, key = path.split(".")
                if dname not in new.domains:
                    raise ScenarioError(self.source, path, f"unknown domain{_suggest(dname, new.domains)} "
                                        f"(domains: {', '.join(new.domains)})")
                new.domains[dname][key] = _check_value(self.source, DOMAIN_BY_KEY[key], path, value)
            elif path.split(".")[0] in ("sectors", "domains", "events", "outcome", "name", "description"):
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
                node = raw
                parts = path.split(".")
                for p in parts[:-1]:
                    node = node.setdefault(p, {})
                node[parts[-1]] = value
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
    months = raw.get("months", 60)
    if not 1 <= months <= 600:
        raise ScenarioError(file, "months", f"expected a whole number of months from 1 to 600, got {months!r}")

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
    clean_domains: dict[str, dict[str, Any]] = {}
    for dname, d in domains.items():
        prefix = f"domains.{dname}"
        if not isinstance(d, dict):
            raise ScenarioError(file, prefix, f"expected a table, got {d!r}")
        _check_keys(file, prefix + ".", d, DOMAIN_KEYS)
        entry: dict[str, Any] = {"label": d.get("label", dname)}
        _check_type(file, prefix + ".label", entry["label"], str)
        for f in DOMAIN_FIELDS:
            entry[f.path] = float(_check_value(file, f, f"{prefix}.{f.path}", d.get(f.path, f.default)))
        clean_domains[dname] = entry

    sectors = raw.get("sectors", {})
    if not sectors:
        raise ScenarioError(file, "sectors", "expected at least one [sectors.<name>] table")
    clean_sectors: dict[str, dict[str, Any]] = {}
    for sname, s in sectors.items():
        prefix = f"sectors.{sname}"
        if not isinstance(s, dict):
            raise ScenarioError(file, prefix, f"expected a table, got {s!r}")
        _check_keys(file, prefix + ".", s, SECTOR_KEYS)
        for k, t in SECTOR_KEYS.items():
            if k in s:
                _check_type(file, f"{prefix}.{k}", s[k], t)
        share = s.get("share", 1.0)
        if not share > 0:
            raise ScenarioError(file, prefix + ".share", f"expected a share above 0, got {share!r}")
        homes = s.get("home_domains", [])
        if not homes:
            raise ScenarioError(file, prefix + ".home_domains", "expected a non-empty list of domain names")
        for h in homes:
            if h not in clean_domains:
                raise ScenarioError(file, prefix + ".home_domains",
                                    f"expected names of domains, got {h!r}{_suggest(str(h), clean_domains)}")
        clean_sectors[sname] = {"label": s.get("label", sname), "share": float(share), "home_domains": list(homes)}

    events = []
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
        if not 1 <= e["month"] <= 600:
            raise ScenarioError(file, prefix + ".month", f"expected a month from 1 to 600, got {e['month']!r}")
        value = float(e.get("value", 0.0))
        if e["kind"] == "funding_shock" and not value >= 0:
            raise ScenarioError(file, prefix + ".value", f"expected a budget factor of 0 or more, got {value!r}")
        if e["kind"] == "partner_leaves" and not (value >= 1 and value == int(value)):
            raise ScenarioError(file, prefix + ".value",
                                f"expected a whole number of members of 1 or more, got {value!r}")
        events.append(Event(int(e["month"]), e["kind"], value))

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


def load(name_or_path: str | Path | Scenario) -> Scenario:
    """Load a bundled scenario by name, or a scenario file by path."""
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
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == key:
        return cached[1].copy()
    raw, sources = _load_raw(path)
    name = raw.pop("name", None) or path.stem
    try:
        scenario = from_dict(raw, source=path, name=name, sources=sources)
    except ScenarioError as exc:
        raise _blame(exc, sources) from None
    _SOURCES[path] = sources
    _CACHE[path] = (tuple(os.stat(p).st_mtime_ns for p in sources), scenario)
    return scenario.copy()


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
