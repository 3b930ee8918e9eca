"""The commented scenario ``cisim new`` writes: a funder's own community, to fill in.

The file holds every value a funder knows, in its units, each under a comment that says what it
means, its unit and its allowed range, read from the schema (``cisim.model.schema``) so that they
are never written twice.  It starts from a bundled scenario (``like``) and extends it, replacing its
pathway and sectors, so how organizations behave (the calibrated parameters) comes from there;
loaded as written, it equals that scenario.  Two comments work the numbers through as the bundled
files do: the money in all, and what serving everyone who enters need would cost.
"""

from __future__ import annotations

import json

from cisim.model.scenario import Scenario, load
from cisim.model.schema import BY_PATH, DOMAIN_FIELDS, MONTHS, Field

#: The bundled scenario a new file starts from.
DEFAULT_LIKE = "youth-homelessness"

#: The scalar values a funder fills in, by table, in the order the file lists them.
FUNDER_VALUES: dict[str, tuple[str, ...]] = {
    "coalition": ("coalition.size", "coalition.budget_mean", "coalition.own_funds_share"),
    "funder": ("funder.budget",),
    "backbone": ("backbone.budget_share", "backbone.extra_budget"),
    "problem": ("problem.population", "problem.incidence", "problem.marginalized_share"),
}
OUTCOME_WORDS = {
    "label": "What the outcome is, in a few words (the figures' titles).",
    "unit": "What its percentage is a share of (\"share of ...\").",
    "people": "Who the people on the pathway are.",
    "completed": "The people who complete the whole pathway, as the reports count them.",
    "months": "The mean time through the pathway, in words.",
    "completion": "Completions over everyone leaving the pathway, in words.",
}


def _value(x: object) -> str:
    if isinstance(x, str):
        return json.dumps(x, ensure_ascii=False)
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return repr(float(x))
    if isinstance(x, list):
        return "[" + ", ".join(_value(v) for v in x) + "]"
    raise TypeError(f"cannot write {x!r} into a scenario file")


def _range(f: Field) -> str:
    def fmt(v: float) -> str:
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e7 else f"{v:g}"

    return f"{fmt(f.lo)} to {fmt(f.hi)}"


def _comment(f: Field) -> str:
    """``# Label: what it means (unit, lo to hi).``"""
    name = f.label or f.path
    return f"# {name}: {f.doc.rstrip('.')} ({f.unit}, {_range(f)})."


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else json.dumps(name)


def _money(x: float) -> str:
    return f"${x:,.0f}"


def _worked(sc: Scenario) -> list[str]:
    """The money in all, and what serving everyone who enters need costs, from the values written: the
    check a funder can redo by hand to see whether the pathway's costs and the money are of one scale."""
    size, mean = sc.get("coalition.size"), sc.get("coalition.budget_mean")
    own_share, funder = sc.get("coalition.own_funds_share"), sc.get("funder.budget")
    share, extra = sc.get("backbone.budget_share"), sc.get("backbone.extra_budget")
    own = size * mean * own_share
    earmarked = sum(d.get("extra_funding", 0.0) for d in sc.domains.values())
    services = own + funder * (1 - share) + earmarked
    marg, need = sc.get("problem.marginalized_share"), sc.get("problem.marginalized_need")
    entrants = sc.get("problem.population") * sc.get("problem.incidence") * ((1 - marg) + marg * need)
    per_person = sum(d["need_rate"] * d["duration"] * d["unit_cost"] for d in sc.domains.values())
    cost = entrants * per_person
    backbone = funder * share + extra
    return [
        f"# Money: {int(size)} organizations averaging {_money(mean)} a month, {own_share:g} of it their own",
        f"# funds ({_money(own)} a month), plus the funder's {_money(funder)} a month: {_money(own + funder)} a "
        "month in all,",
        f"# of which {_money(backbone)} a month goes to the backbone ({share:g} of the funder's budget"
        + (f" plus {_money(extra)} on top" if extra else "") + f") and {_money(services)} to services"
        + (" (earmarked money included)." if earmarked else "."),
        f"# Need: at most about {entrants:,.0f} {sc.outcome_people} enter need a month (population x incidence,",
        f"# the marginalized {marg:g} at {need:g} times the rate; fewer once some are on the pathway or helped).",
        f"# Serving them all costs entrants x sum(need_rate x duration x unit_cost) = {entrants:,.0f} x "
        f"{_money(per_person)}",
        f"# = about {_money(cost)} a month, {cost / services:.2f} of the money for services."
        if services > 0 else f"# = about {_money(cost)} a month, with no money for services.",
        "# (Worked from the values below as written; work them again with your own.)",
    ]


def scenario_template(like: str = DEFAULT_LIKE, name: str | None = None) -> str:
    """The text of a commented scenario with ``like``'s values, named ``name`` (default ``my-community``)."""
    sc = load(like)
    lines = [
        f"# A scenario of your own community for cisim, started from the bundled '{sc.name}'.",
        "# Fill in your own numbers, then check the file: `cisim validate FILE`.",
        "#",
        "# How organizations behave (trust, membership, what backbone staff achieve) is not set here: it",
        f"# comes from '{sc.name}' below, whose parameters are calibrated to what real coalitions achieved",
        "# (docs/evidence.md; each parameter is described in docs/ODD.md). Set one here only if you know it.",
        f"extends = {_value(sc.name)}",
        'replace = ["domains", "sectors"]  # your pathway and your sectors replace the bundled ones',
        "",
        f"name = {_value(name or 'my-community')}",
        'description = """',
        "Describe your community, the problem and the coalition in a few sentences.",
        '"""',
        "",
        f"# Horizon: how many months to simulate ({MONTHS.unit}, {_range(MONTHS)}).",
        f"months = {sc.months}",
        "",
        "# The words the reports use for your people and your outcome.",
        "[outcome]",
    ]
    for key, doc in OUTCOME_WORDS.items():
        lines += [f"# {doc}", f"{key} = {_value(getattr(sc, f'outcome_{key}'))}"]
    lines += ["", *_worked(sc)]
    for table, paths in FUNDER_VALUES.items():
        lines += ["", f"[{table}]"]
        for path in paths:
            f = BY_PATH[path]
            v = sc.get(path)
            lines += [_comment(f), f"{path.split('.', 1)[1]} = {_value(int(v) if f.integer else float(v))}"]
    lines += ["", "# The pathway: one [domains.<name>] table per step, in the order people pass them. A person",
              "# in need takes each step with its need_rate; the outcome counts those who finish every step",
              "# they need. Give each step a short name of letters, digits and _ after 'domains.'."]
    fields = {f.path: f for f in DOMAIN_FIELDS}
    for dname, d in sc.domains.items():
        lines += ["", f"[domains.{_key(dname)}]", "# What the step is, in words.", f"label = {_value(d['label'])}"]
        for key, f in fields.items():
            if key == "extra_funding" and not d.get(key):
                continue  # earmarked money: only where there is some
            lines += [_comment(f), f"{key} = {_value(float(d[key]))}"]
    lines += ["", "# The sectors the organizations come from: their shares of the organizations (summing to 1)",
              "# and the steps they work on at home (names of [domains.*] tables above)."]
    for sname, s in sc.sectors.items():
        lines += ["", f"[sectors.{_key(sname)}]", "# What the sector is, in words.", f"label = {_value(s['label'])}",
                  "# Share of the organizations in this sector (0 to 1; all sectors sum to 1).",
                  f"share = {_value(float(s['share']))}",
                  "# The steps this sector works on at home (it can work on others, less well).",
                  f"home_domains = {_value(list(s['home_domains']))}"]
    return "\n".join(lines) + "\n"


__all__ = ["DEFAULT_LIKE", "scenario_template"]
