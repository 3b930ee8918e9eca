"""The ``cisim`` command: run and compare scenarios, list and validate scenario files.

    cisim compare isolated collective          # the main job: figure, tables, metadata
    cisim run collective [--replicates 10]     # one scenario: one run, or replicates
    cisim scenarios                            # what is bundled
    cisim validate my-scenario.toml            # check a file
    cisim sweep experiments/smoke.toml         # run an experiment's design on all cores

A bad scenario file, key or ``--set`` prints one line ``cisim: error: ...`` and
exits with status 2.  Outputs are written to temporary names and renamed, so an
interrupted run never leaves half-written files.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import shutil
import sys
import textwrap
import warnings
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from cisim.experiments.uncertainty import DEFAULT as RUN_UNCERTAINTY  # researchers choose: seed noise unless told
from cisim.experiments.uncertainty import REPORT_DEFAULT as COMPARE_UNCERTAINTY  # what funders read: parameters
from cisim.model.formats import count, dollars, interval, money, number, percent, points, seed_text, share
from cisim.model.scenario import Scenario, ScenarioError, _suggest, bundled_names, load

DEFAULT_OUT = "cisim-output"
COMPARE_REPLICATES = 30  # runs per scenario of cisim compare, unless told otherwise
RUN_REPLICATES = 1
_INT = re.compile(r"[+-]?\d+")


# ---------------------------------------------------------------- --set

def parse_value(text: str) -> Any:
    """A ``--set`` value: a whole number, a number, or else the text itself."""
    text = text.strip()
    try:
        if _INT.fullmatch(text):
            return int(text)
        return float(text)  # (a whole number of thousands of digits, too: it reads as inf, out of every range)
    except ValueError:
        pass
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_sets(items: Sequence[str] | None) -> dict[str, Any]:
    """``["path=value", ...]`` as a dict of changes."""
    changes: dict[str, Any] = {}
    for item in items or []:
        path, eq, text = item.partition("=")
        path = path.strip()
        if not eq or not path or not text.strip():
            raise ScenarioError("--set", None, f"expected path=value (for example conditions.common_agenda=0.5), "
                                f"got {item!r}; put --set after the scenario names")
        changes[path] = parse_value(text)
    return changes


def _message(exc: ScenarioError) -> str:
    """The part of a ScenarioError's text after its file and key."""
    text = str(exc)
    prefix = f"{exc.file}: " + (f"key '{exc.key}': " if exc.key else "")
    return text[len(prefix):] if text.startswith(prefix) else text


def apply_sets(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """``scenario`` with the changes, each validated; errors name the ``--set`` item and key."""
    for path, value in changes.items():
        try:
            scenario.replace({path: value})
        except ScenarioError as exc:
            raise ScenarioError(f"--set {path}={value} (scenario {scenario.name}, {scenario.source})", exc.key,
                                _message(exc)) from None
    return scenario.replace(changes) if changes else scenario


def load_all(names: Sequence[str], changes: dict[str, Any], allow: Sequence[str] | None = (),
             replicates: int | None = None) -> list[Scenario]:
    """Load every scenario and check every change in each, before anything runs.

    ``allow`` is what ``--allow`` lifts (``outside-paths``: files extended from outside the named file's folder;
    ``large``: the limit on the memory the runs take); with ``replicates`` that memory is checked too."""
    from cisim.experiments.experiment import check_run_memory

    allow = set(allow or ())
    loaded = [load(n, outside_paths="outside-paths" in allow) for n in names]
    for s in loaded:
        changed = apply_sets(s, changes)
        if replicates is not None and "large" not in allow:
            check_run_memory(changed, replicates)
    return loaded


# ---------------------------------------------------------------- formatting

def _ci_pct(mean: float, low: float, high: float) -> str:
    """A share and its interval, the bounds without the % sign to keep the table narrow: ``62.3% [60.1, 64.5]``."""
    return interval(mean, low, high, percent, partial(percent, symbol=False))


def _ci_points(d: dict[str, float]) -> str:
    """A paired difference of shares and its interval: ``+20.1 pts [+18.2, +22.0]``."""
    return interval(d["mean"], d["ci_low"], d["ci_high"], partial(points, signed=True),
                    partial(points, signed=True, unit=""))


def _table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right or set()
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _month_name(months: int) -> str:
    if months == 0:
        return "month 0 (start)"
    return f"month {months}" + (f" (year {months // 12})" if months % 12 == 0 else "")


def _slug(names: Sequence[str]) -> str:
    """File-name part for scenario names; a long one is cut and ends in a digest of the whole, so
    that two different lists never share a name."""
    slug = "-".join(re.sub(r"[^A-Za-z0-9_-]+", "_", n).strip("_") or "scenario" for n in names)
    if len(slug) <= 100:
        return slug
    return f"{slug[:90].rstrip('-_')}-{hashlib.sha1(slug.encode()).hexdigest()[:8]}"


def _variant(args: argparse.Namespace, changes: dict, default_replicates: int, spread=None,
             default_uncertainty: str = "seeds") -> str:
    """File-name suffix for a run that is not the default one: other replicates (``-r5``), another
    first seed (``-seed100``), changed values (``-set-`` and a digest of them), the other kind of
    uncertainty (``-seeds``, ``-parameters``), another ensemble than the default (``-ens-`` and its name
    and a digest of its file). Results of a variant never overwrite those of the default run, nor
    those of another variant."""
    parts = []
    if args.replicates != default_replicates:
        parts.append(f"r{args.replicates}")
    if args.seed != 0:
        parts.append(f"seed{args.seed}")
    if changes:
        text = json.dumps({k: changes[k] for k in sorted(changes)}, default=str)
        parts.append(f"set-{hashlib.sha1(text.encode()).hexdigest()[:6]}")
    if spread is not None and spread.kind != default_uncertainty:
        parts.append(spread.kind)
    if spread is not None and spread.ensemble is not None and getattr(args, "ensemble", None) is not None:
        from cisim.experiments.ensemble import ensemble_path

        try:
            default = ensemble_path().resolve()
        except ScenarioError:  # no bundled ensemble: any ensemble is another one
            default = None
        if spread.ensemble.path.resolve() != default:
            parts.append(f"ens-{_slug([spread.ensemble.name])[:40]}-{spread.sha256[:6]}")
    return "".join(f"-{p}" for p in parts)


def _spread(args: argparse.Namespace, default: str):
    """The ``--uncertainty`` and ``--ensemble`` of compare and run, checked (a bad value: one line, exit 2)."""
    from cisim.experiments.uncertainty import resolve

    return resolve(args.uncertainty or default, args.ensemble, where=("--uncertainty", "--ensemble"))


def _interval_line(record: dict, runs: int | str) -> str:
    """The line under a table's heading that says what its intervals cover."""
    from cisim.experiments.uncertainty import interval_text

    return interval_text(record, runs)


def _note(record: dict) -> str:
    """For one run (no interval): where its parameters came from, when not from the scenario alone."""
    from cisim.experiments.uncertainty import parameters_note

    note = parameters_note(record)
    return f"; {note}" if note else ""


def _changes_line(changes: dict) -> str:
    return "Changed in every scenario: " + ", ".join(f"{k} = {v}" for k, v in changes.items())


def _outcome_heading(s: Scenario) -> str:
    unit = s.outcome_unit
    unit = f"% of {unit[9:]}" if unit.startswith("share of ") else unit
    return f"{s.outcome_label} ({unit})"


def _print_files(files: dict[str, Path]) -> None:
    print("\nWrote:")
    for path in files.values():
        print(f"  {path}")


# ---------------------------------------------------------------- commands

def cmd_compare(args: argparse.Namespace, command: str) -> int:
    """Run and compare the scenarios; print the tables as soon as the numbers exist, then draw and write."""
    changes = parse_sets(args.set)
    loaded = load_all(args.scenarios, changes)  # a bad file or --set stops here, before the model loads
    if len(loaded) == 1:  # one scenario: against its own organizations working alone, the status quo
        from cisim.model.scenario import isolated_form

        loaded = [isolated_form(loaded[0]), loaded[0]]
    spread = _spread(args, COMPARE_UNCERTAINTY)

    from cisim.experiments import metadata as meta
    from cisim.experiments.compare import compare

    result = compare(loaded, replicates=args.replicates, seed=args.seed, changes=changes, progress=True,
                     command=command, uncertainty=spread)
    if not args.json:
        _print_compare(result, changes)
        sys.stdout.flush()  # read while the figures are drawn

    from cisim.interfaces.plots import compare_figure

    out = Path(args.out)
    variant = _variant(args, changes, COMPARE_REPLICATES, spread, COMPARE_UNCERTAINTY)
    stem = out / f"compare-{_slug(result.names)}{variant}"
    files: dict[str, Path] = {}
    png, svg = compare_figure(result, stem)
    files["figure_png"], files["figure_svg"] = png, svg
    for key, df in (("summary", result.summary), ("monthly", result.monthly), ("comparison", result.comparison),
                    ("value", result.value)):
        csv, parquet = meta.write_table(df, f"{stem}-{key}")
        files[f"{key}_csv"], files[f"{key}_parquet"] = csv, parquet
    files["metadata"] = Path(f"{stem}-metadata.json")
    record = dict(result.metadata)
    record["files"] = {k: str(v) for k, v in files.items()}
    meta.write_json(files["metadata"], record)

    if args.json:
        digest = result.to_dict()
        digest["files"] = {k: str(v) for k, v in files.items()}
        digest["out_dir"] = str(out)
        print(meta.dumps(digest))
        return 0
    _print_files(files)
    return 0


def _print_compare(result, changes: dict) -> None:
    """The outcome table and the mechanisms table of ``cisim compare``."""
    first = result.batches[0].scenario
    months = min(b.scenario.months for b in result.batches)
    print(f"Outcome: {_outcome_heading(first)}")
    if result.replicates == 1:
        print(f"1 run per scenario, seed {result.seeds[0]} (one run: no confidence intervals)"
              + _note(result.metadata))
    else:
        print(f"{result.replicates} replicates per scenario, common seeds {seed_text(result.seeds)}; "
              f"mean [interval]\n{result.interval}")
    if changes:
        print(_changes_line(changes))
    print()
    header = ["scenario", "month 0", _month_name(months), f"difference from {result.baseline}", "crossover"]
    rows = []
    for k, name in enumerate(result.names):
        final = result.stat(name, "outcome_final")
        if result.batches[k].scenario.months != months:
            final = {"mean": float(result.batches[k].series("outcome")[:, months].mean()),
                     "ci_low": float("nan"), "ci_high": float("nan")}
        row = [name, percent(result.stat(name, "outcome_start")["mean"]),
               _ci_pct(final["mean"], final["ci_low"], final["ci_high"])]
        if k == 0:
            row += ["(baseline)", ""]
        else:
            cross = result.crossover[name]
            row += [_ci_points(result.difference(name, "outcome_final")),
                    "never" if cross is None else f"month {cross}"]
        rows.append(row)
    print(_table(header, rows))

    print(f"\nMechanisms at {_month_name(months)}, means:")
    header = ["scenario", "weakest step", "steps < floor", "waste total", "members lost", "trust across",
              "cost per point"]
    rows = []
    for name in result.names:
        def m(metric, name=name):
            return result.stat(name, metric)["mean"]
        rows.append([name, percent(m("min_coverage_final")), number(m("domains_below_floor_final")),
                     money(m("duplication_waste_total")), number(m("members_lost")),
                     number(m("trust_across_final"), 2), money(m("cost_per_point"))])
    print(_table(header, rows, right={1, 2, 3, 4, 5, 6}))

    names = _people_names(first)
    value = result.value.set_index("scenario")
    print(f"\nPeople over months 1 to {months}, against {result.baseline} (the status quo); means [interval]:")
    header = ["scenario", f"{names['completed']}", "a year", f"more than {result.baseline}", "more a year",
              "gave up waiting", names["months"]]
    rows = []
    for k, name in enumerate(result.names):
        v = value.loc[name]
        rows.append([name, number(v["people_mean"], 0), number(v["people_per_year_mean"], 0),
                     "(status quo)" if k == 0 else _ci_count({"mean": v["additional_mean"],
                                                              "ci_low": v["additional_ci_low"],
                                                              "ci_high": v["additional_ci_high"]}),
                     "" if k == 0 else number(v["additional_per_year_mean"], 0),
                     number(result.stat(name, "people_dropped_total")["mean"], 0),
                     number(v["months_to_completion_mean"], 1)])
    print(_table(header, rows, right={1, 2, 3, 4, 5, 6}))

    print(f"\nDollars over months 1 to {months}, means:")
    header = ["scenario", "funder's money", "funder $ per person helped", "all $ per person helped",
              "extra funder $ per added person", "backbone $ per added person"]
    rows = []
    for k, name in enumerate(result.names):
        v = value.loc[name]

        def per_added(key: str, v=v, k=k) -> str:
            if k == 0:
                return ""
            if not v["additional_clear"]:
                return "no clear gain"
            if key == "extra_funder_dollars_per_additional" and v[f"{key}_mean"] == 0:
                return "$0 (same money)"
            return interval(v[f"{key}_mean"], v[f"{key}_ci_low"], v[f"{key}_ci_high"], dollars)

        rows.append([name, money(v["funder_dollars"]), dollars(v["funder_dollars_per_person_mean"]),
                     dollars(v["all_dollars_per_person_mean"]), per_added("extra_funder_dollars_per_additional"),
                     per_added("backbone_dollars_per_additional")])
    print(_table(header, rows, right={1, 2, 3, 4, 5}))
    print("\n(crossover: first month from which the mean paired difference stays above 0; "
          "cost per point: all money spent per outcome percentage point gained; the funder's money: its grants and "
          "backbone money; all $: the organizations' own funds and funds raised from others too; extra funder $ "
          "per added person: what the scenario costs the funder beyond the status quo over the people it adds; "
          f"backbone $ per added person: the money moved to the backbone over the people it adds; {names['months']}: "
          "at the last month)")


RUN_METRICS = ("outcome_start", "outcome_36", "outcome_60", "outcome_final", "auc", "months_to_target",
               "min_coverage_final", "domains_below_floor_final", "equity_gap_final", "duplication_waste_total",
               "total_spend", "cost_per_point", "active_members_final", "members_lost", "trust_across_final",
               "root_cause_final", "people_completed_total", "people_dropped_total", "people_in_need_final",
               "months_to_completion_final", "need_met_final", "cost_per_person_helped", "coalition_alive_final")


def cmd_run(args: argparse.Namespace, command: str) -> int:
    """Run one scenario; print its tables as soon as the numbers exist, then draw and write."""
    changes = parse_sets(args.set)
    (scenario,) = load_all([args.scenario], changes)  # a bad file or --set stops here, before the model loads
    spread = _spread(args, RUN_UNCERTAINTY)

    from cisim.experiments import metadata as meta
    from cisim.experiments.intervals import mean_ci
    from cisim.experiments.runner import run_batch

    seeds = range(args.seed, args.seed + args.replicates)
    batch = run_batch(scenario, seeds, "both", changes=changes, progress=True, command=command, uncertainty=spread)
    batch.metadata["kind"] = "run"
    batch.metadata["seed_base"] = args.seed
    stats = {}
    for metric in RUN_METRICS:
        mean, lo, hi, n = mean_ci(batch.summary[metric].to_numpy(dtype=float))
        stats[metric] = {"mean": float(mean), "ci_low": float(lo), "ci_high": float(hi), "n": int(n)}
    if not args.json:
        _print_run(args, batch, stats, changes, seeds)
        sys.stdout.flush()  # read while the figures are drawn

    from cisim.interfaces.plots import run_figure

    out = Path(args.out)
    stem = out / f"run-{_slug([batch.scenario.name])}{_variant(args, changes, RUN_REPLICATES, spread)}"
    files: dict[str, Path] = {}
    files["figure_png"], files["figure_svg"] = run_figure(batch, stem)
    for key, df in (("steps", batch.steps), ("summary", batch.summary)):
        files[f"{key}_csv"], files[f"{key}_parquet"] = meta.write_table(df, f"{stem}-{key}")
    files["metadata"] = Path(f"{stem}-metadata.json")
    record = dict(batch.metadata)
    record["files"] = {k: str(v) for k, v in files.items()}
    meta.write_json(files["metadata"], record)

    if args.json:
        print(meta.dumps({"scenario": batch.scenario.name, "source": batch.scenario.source,
                          "months": batch.scenario.months, "replicates": args.replicates,
                          "seeds": list(seeds), "changes": changes, "uncertainty": record["uncertainty"],
                          "ensemble": record["ensemble"], "interval": _interval_line(record, args.replicates),
                          "summary": stats, "files": {k: str(v) for k, v in files.items()}, "out_dir": str(out)}))
        return 0
    _print_files(files)
    return 0


def _print_run(args: argparse.Namespace, batch, stats: dict[str, dict], changes: dict, seeds: range) -> None:
    """The yearly table and the summary table of ``cisim run``."""
    s = batch.scenario
    one = args.replicates == 1
    runs = f"1 run (seed {args.seed})" if one else f"{args.replicates} replicates (seeds {seed_text(seeds)})"
    words = _note(batch.metadata) if one else f"; mean [interval]\n{_interval_line(batch.metadata, len(seeds))}"
    print(f"{s.name}: {runs}, {s.months} months{words}")
    if changes:
        print(_changes_line(changes))
    print(f"Outcome: {_outcome_heading(s)}\n")
    names = _people_names(s)

    # the per-step table, a row a year (every month is in the files)
    steps = batch.steps.groupby("month").mean(numeric_only=True)
    months = [m for m in range(0, s.months + 1, 12)] + ([s.months] if s.months % 12 else [])
    tally = (lambda x: number(x, 0)) if one else number  # one run's counts are whole numbers
    yearly = [[_month_name(m), percent(steps.at[m, "outcome"]), tally(steps.at[m, "people_in_need"]),
               tally(steps.at[m, "people_completed"]), tally(steps.at[m, "people_dropped"]),
               points(steps.at[m, "equity_gap"]), percent(steps.at[m, "min_coverage"]),
               money(steps.at[m, "duplication_waste"]), number(steps.at[m, "trust_across"], 2),
               tally(steps.at[m, "active_members"]), money(steps.at[m, "total_spend"])] for m in months]
    print(_table(["month", "outcome", "in need", f"{names['completed']}/month", "gave up/month", "equity gap",
                  "weakest step", "waste $/month", "trust across", "members", "spend $/month"], yearly))
    print()

    def ci(metric: str, fmt) -> str:
        d = stats[metric]
        if d["mean"] != d["mean"]:
            return "n/a" + (f" ({d['n']} of {args.replicates} runs)" if d["n"] else "")
        return interval(d["mean"], d["ci_low"], d["ci_high"], fmt)

    rows = [
        ["outcome at month 0", ci("outcome_start", percent)],
        [f"outcome at {_month_name(s.months)}", ci("outcome_final", percent)],
        ["mean outcome over the months", ci("auc", percent)],
        [f"months to reach {share(s.get('problem.target'))}", ci("months_to_target", tally)],
        ["weakest step's coverage", ci("min_coverage_final", percent)],
        ["steps below the floor", ci("domains_below_floor_final", tally)],
        ["equity gap (majority - marginalized)", ci("equity_gap_final", points)],
        ["money on places nobody used, total", ci("duplication_waste_total", money)],
        ["all money spent", ci("total_spend", money)],
        ["cost per outcome point", ci("cost_per_point", money)],
        ["active members at the end", ci("active_members_final", tally)],
        ["cross-sector trust at the end", ci("trust_across_final", lambda x: number(x, 2))],
        ["root causes (1 = unchanged)", ci("root_cause_final", lambda x: number(x, 3))],
        [f"{names['completed']}, months 1 to {s.months}", ci("people_completed_total", lambda x: number(x, 0))],
        ["gave up waiting, total", ci("people_dropped_total", lambda x: number(x, 0))],
        [f"{names['people']} in need at the end", ci("people_in_need_final", lambda x: number(x, 0))],
        [f"{names['months']} at the end", ci("months_to_completion_final", lambda x: number(x, 1))],
        ["share of need met at the end", ci("need_met_final", percent)],
        ["cost per person helped", ci("cost_per_person_helped", dollars)],
        ["coalition still meeting at the end", ci("coalition_alive_final", percent)],
    ]
    print(_table(["output", "value"], rows))


def _people_names(s) -> dict[str, str]:
    """The scenario's own words for its people outputs ("young people housed", "months to permanent housing")."""
    return {"people": s.outcome_people, "completed": s.outcome_completed, "months": s.outcome_months,
            "completion": s.outcome_completion}


def _ci_count(d: dict[str, float]) -> str:
    """A paired difference in people, with its interval."""
    sign = "+" if d["mean"] >= 0 else ""
    if d["ci_low"] != d["ci_low"]:
        return f"{sign}{number(d['mean'], 0)}"
    return f"{sign}{number(d['mean'], 0)} [{number(d['ci_low'], 0)}, {number(d['ci_high'], 0)}]"


def cmd_scenarios(args: argparse.Namespace, command: str) -> int:
    width = min(100, shutil.get_terminal_size((88, 20)).columns)
    for name in bundled_names():
        try:
            s = load(name)
        except ScenarioError as exc:
            print(f"{name}\n    (does not load: {exc})\n")
            continue
        print(f"{name}  ({s.months} months, {len(s.domains)} domains, {len(s.sectors)} sectors)")
        text = s.description or "(no description)"
        print(textwrap.fill(text, width=width, initial_indent="    ", subsequent_indent="    "))
        print()
    return 0


def _is_experiment_file(file: str) -> bool:
    """An experiment file names its scenario, or has a [design] or [factors] table: no scenario file has these."""
    from cisim.model.scenario import read_toml

    path = Path(file)
    try:
        if not path.is_file():
            return False
    except (OSError, ValueError):  # a name the file system cannot hold: loading it says so
        return False
    try:
        raw = read_toml(path)
    except ScenarioError:
        return False  # loading it as a scenario says what is wrong
    return any(k in raw for k in ("scenario", "design", "factors"))


def cmd_validate(args: argparse.Namespace, command: str) -> int:
    """Check scenario and experiment files: OK and a summary, or what is wrong (status 2)."""
    from cisim.experiments.experiment import load_experiment

    allow = set(args.allow or ())
    failed = 0
    for file in args.files:
        try:
            if _is_experiment_file(file):
                e = load_experiment(file, draw=False, allow_large="large" in allow,  # its points counted, not drawn
                                    outside_paths="outside-paths" in allow)
                kind = "sensitivity analysis" if e.is_sensitivity else "sweep"
                print(f"OK  {file}: experiment {e.name} ({kind}, {e.design} design) on scenario {e.scenario.name}, "
                      f"{count(len(e.factors), 'factor')}, {count(e.n_points, 'point')}, "
                      f"{count(e.n_runs, 'run')}"
                      + (f", uncertainty parameters (ensemble {e.ensemble})" if e.uncertainty == "parameters" else ""))
                continue
            s = load(file, outside_paths="outside-paths" in allow)
        except ScenarioError as exc:
            failed += 1
            print(f"cisim: error: {exc}", file=sys.stderr)
            continue
        print(f"OK  {file}: {s.name}, {s.months} months, {count(len(s.domains), 'domain')}, "
              f"{count(len(s.sectors), 'sector')}, {count(len(s.events), 'event')}")
    return 2 if failed else 0


def _check_scheduler(address: str | None) -> None:
    """A bad --scheduler address stops with one line, before any work."""
    if address:
        from cisim.experiments.sweep import DaskSetupError, check_scheduler_address

        try:
            check_scheduler_address(address)
        except DaskSetupError as exc:
            raise ScenarioError("--scheduler", None, str(exc)) from None


def _experiment_and_out(args: argparse.Namespace):
    """The experiment file of ``sweep`` and ``sensitivity``, its output directory; a bad --scheduler stops here."""
    from cisim.experiments.experiment import load_experiment

    sets = parse_sets(args.set)
    # a bad file, --scenario or --set stops here, before the model loads
    allow = set(args.allow or ())
    experiment = load_experiment(args.experiment, scenario=args.scenario, sets=sets, allow_large="large" in allow,
                                 outside_paths="outside-paths" in allow)
    experiment = experiment.with_uncertainty(args.uncertainty, args.ensemble)
    _check_scheduler(args.scheduler)
    if args.out:
        return experiment, Path(args.out)
    # another scenario or other values get their own folder, so a what-if never overwrites the default runs
    name = _slug([experiment.name, *([experiment.scenario.name] if args.scenario else [])])
    if sets:
        text = json.dumps({k: sets[k] for k in sorted(sets)}, default=str)
        name += f"-set-{hashlib.sha1(text.encode()).hexdigest()[:6]}"
    return experiment, Path(DEFAULT_OUT) / name


@contextlib.contextmanager
def _engine_exits(experiment, out: Path, then: str = ""):
    """Exit 2 when the Dask cluster cannot be used; exit 1 when the workers went away mid-sweep; on Ctrl-C
    (or SIGTERM) say what was kept and how to resume."""
    from cisim.experiments.sweep import DaskSetupError, WorkersLost, kept_runs

    try:
        yield
    except DaskSetupError as exc:
        print(f"cisim: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except WorkersLost as exc:
        print(f"cisim: error: {exc.line(_resume_command())}{then}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        print(f"cisim: interrupted; {kept_runs(out)} of {experiment.n_runs} runs are kept in {out}. "
              f"Run the same command with --resume to do only the rest{then}.", file=sys.stderr)
        raise SystemExit(130) from None


def _resume_command() -> str:
    """The command line that was run, as a person would type it again with ``--resume``."""
    import shlex

    argv = [a for a in sys.argv[1:] if a != "--resume"]
    return "'" + " ".join(["cisim", *map(shlex.quote, argv)]) + "'"


def cmd_sweep(args: argparse.Namespace, command: str) -> int:
    import time

    experiment, out = _experiment_and_out(args)

    from cisim.experiments import metadata as meta
    from cisim.experiments.sweep import RUNS_DIR, STATUS_ERROR, run_sweep

    if not args.json:
        print(f"{experiment.name}: {experiment.n_points} points x {experiment.replicates} replicates = "
              f"{experiment.n_runs} runs of {experiment.scenario.name} ({experiment.scenario.months} months), "
              f"{experiment.design} design; uncertainty {experiment.uncertainty}"
              f"{_note(experiment.uncertainty_record())}", file=sys.stderr)
    t0 = time.perf_counter()
    with _engine_exits(experiment, out):
        results = run_sweep(experiment, out, workers=args.workers, resume=args.resume, progress=True,
                            command=command, backend=args.backend, scheduler=args.scheduler)
    seconds = time.perf_counter() - t0
    failed = int((results["status"] == STATUS_ERROR).sum())
    ok = len(results) - failed
    files = {"dataset": out / RUNS_DIR, "metadata": out / "metadata.json"}
    if args.json:
        print(meta.dumps({"experiment": experiment.name, "file": str(experiment.source), "runs": len(results),
                          "runs_ok": ok, "runs_failed": failed, "seconds": round(seconds, 3),
                          **experiment.uncertainty_record(),
                          "out_dir": str(out), "files": {k: str(v) for k, v in files.items()}}))
        return 0
    print(f"{ok} of {len(results)} runs ok, {failed} failed, in {seconds:.1f} s")
    if failed:
        first = results.loc[results["status"] == STATUS_ERROR].iloc[0]
        print(f"first failure: point {first['point']}, replicate {first['replicate']}: {first['error']}")
    print(f"\nWrote:\n  {files['dataset']}/  (Parquet dataset, a row per run)\n  {files['metadata']}")
    return 0


def _known(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and x != x) and str(x) != "<NA>"


def _true(x: Any) -> bool:
    return _known(x) and bool(x)


def cmd_sensitivity(args: argparse.Namespace, command: str) -> int:
    experiment, out = _experiment_and_out(args)

    from cisim.experiments import metadata as meta
    from cisim.experiments import sensitivity as sa
    from cisim.interfaces.sensitivity_study import require_sensitivity, run_sensitivity

    require_sensitivity(experiment)
    d = experiment.sa_design
    if not args.json:
        print(f"{experiment.name}: {d.method} design, {len(d.model_factors)} factors + "
              f"{'a dummy' if d.dummy else 'no dummy'}, N = {d.n}: {experiment.n_points} points x "
              f"{experiment.replicates} replicates = {experiment.n_runs} runs of {experiment.scenario.name} "
              f"({experiment.scenario.months} months)", file=sys.stderr)
    try:
        with _engine_exits(experiment, out, then=" (and the analysis)"):
            study = run_sensitivity(experiment, out, workers=args.workers, resume=args.resume, progress=True,
                                    backend=args.backend, scheduler=args.scheduler, command=command)
    except ValueError as exc:  # the runs are kept; the analysis cannot use them as they are
        print(f"cisim: error: analysing the runs in {out}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    res = study.result
    if args.json:
        print(meta.dumps({"experiment": experiment.name, "method": res.method, "n": res.n,
                          "runs": len(study.runs), "seconds": study.seconds, "warnings": study.warnings,
                          **experiment.uncertainty_record(),
                          "noise": res.noise.to_dict(orient="records"),
                          "indices": res.indices.to_dict(orient="records"),
                          "out_dir": str(out), "files": {k: [str(p) for p in v] for k, v in study.files.items()}}))
        return 0
    rank = sa.RANK_INDEX[res.method]
    for output in res.outputs:
        noise = res.noise[res.noise["output"] == output].iloc[0]
        print(f"\n{output}: factors by {rank} (95% interval); noise floor (dummy) {noise['noise_floor']:.3f}, "
              f"noise share of the replicate mean {noise['noise_share_of_mean']:.3f}")
        table = res.table(output, rank).sort_values("value", ascending=False)
        rows = []
        for r in table.itertuples():
            flags = []
            if r.factor == sa.DUMMY:
                flags.append("noise floor")
            elif not _true(r.above_noise):
                flags.append("not above noise")
            if _known(r.converged) and not _true(r.converged):
                flags.append("not converged")
            rows.append([r.factor, f"{r.value:.3f}", f"[{r.conf_low:.3f}, {r.conf_high:.3f}]", ", ".join(flags)])
        print(_table(["factor", rank, "interval", ""], rows, right={1}))
    for w in study.warnings:
        print(f"\nwarning: {w}")
    print(f"\n{len(study.runs)} runs in {study.seconds.get('runs', 0):.1f} s, analysis in "
          f"{study.seconds.get('analysis', 0):.1f} s")
    print(f"\nWrote into {out}/:")
    for kind, paths in study.files.items():
        names = sorted({p.name for p in paths})
        print(f"  {kind}: " + ", ".join(names[:6]) + (f", ... ({len(names)} files)" if len(names) > 6 else ""))
    return 0


def _sweep_scenario(record: dict, results_dir: Path):
    """The scenario a sweep's runs used, rebuilt from its metadata: every resolved value, the experiment's
    ``[changes]`` and ``--set`` included, so that budget, horizon and words are what the runs had."""
    from cisim.model.scenario import from_dict

    sc = record.get("scenario") or {}
    if isinstance(sc.get("parameters"), dict):
        try:
            return from_dict(sc["parameters"], source=sc.get("source") or "<memory>", name=sc.get("name"))
        except ScenarioError as exc:
            raise ScenarioError(results_dir / "metadata.json", "scenario.parameters", _message(exc)) from None
    raise ScenarioError(results_dir / "metadata.json", "scenario", "expected the scenario the runs used (a "
                        "sweep's metadata written by this version of cisim); rerun the sweep")


def _draw_report(kind: str, results, out: Path, scenario, output: str, uncertainty: dict, beside=None) -> dict:
    from cisim.interfaces.reports import ablation_report, backbone_report

    if kind == "backbone":
        return backbone_report(results, out, scenario=scenario, uncertainty=uncertainty, beside=beside)
    return ablation_report(results, out / kind, scenario=scenario, output=output, uncertainty=uncertainty)


def _sweep_record(folder: Path, what: str) -> dict:
    """The metadata of the sweep in ``folder`` (empty if it has none); a folder with no runs stops here."""
    if not (folder / "runs").is_dir():
        raise ScenarioError(folder, None, f"expected the --out directory of a finished {what} "
                            "(with a runs/ dataset inside)")
    meta_file = folder / "metadata.json"
    return json.loads(meta_file.read_text()) if meta_file.is_file() else {}


def _on_top_table(args: argparse.Namespace):
    """``--on-top DIR``: the study of money on top of the grants, read as its own report reads it."""
    from cisim.experiments.sweep import load_results
    from cisim.experiments.tables import ON_TOP, backbone_table
    from cisim.experiments.uncertainty import ensemble_columns

    top_dir = Path(args.on_top)
    record = _sweep_record(top_dir, "'cisim sweep backbone_on_top'")
    results = load_results(top_dir, complete=True)
    if ON_TOP not in results or results[ON_TOP].nunique() < 2:
        raise ScenarioError(top_dir, None, f"expected a sweep over {ON_TOP} (like experiments/backbone_on_top.toml)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return backbone_table(results, ON_TOP, scenario=_sweep_scenario(record, top_dir),
                                  varied=ensemble_columns(record))
    except ValueError as exc:
        raise ScenarioError(top_dir, None, str(exc)) from None


def _report_uncertainty(args: argparse.Namespace, record: dict, results_dir: Path) -> dict:
    """What a report's intervals cover: what the sweep's runs had.  ``--uncertainty`` (for the backbone report
    ``parameters`` unless told) and ``--ensemble`` must match it: a report cannot add what its runs lack."""
    from cisim.experiments.uncertainty import UNCERTAINTY, kind_of, resolve

    ran = {"uncertainty": kind_of(record), "ensemble": record.get("ensemble")}
    wanted = args.uncertainty or (COMPARE_UNCERTAINTY if args.kind == "backbone" else ran["uncertainty"])
    if wanted not in UNCERTAINTY:
        raise ScenarioError("--uncertainty", None, f"expected {' or '.join(UNCERTAINTY)}, got {wanted!r}")
    if wanted != ran["uncertainty"]:
        if wanted == "parameters":
            raise ScenarioError(results_dir, None, "its runs have seed noise only (the sweep ran with uncertainty "
                                "'seeds'), so its intervals cannot cover the calibrated parameters: run the sweep "
                                "with --uncertainty parameters, or report seed noise alone with --uncertainty seeds")
        raise ScenarioError(results_dir, None, "its runs took parameter sets from an ensemble (the sweep ran with "
                            "uncertainty 'parameters'), so its intervals cover more than seed noise: leave out "
                            "--uncertainty seeds, or run the sweep with --uncertainty seeds")
    if args.ensemble is not None:
        spread = resolve(wanted, args.ensemble, where=("--uncertainty", "--ensemble"))
        if spread.sha256 != (ran["ensemble"] or {}).get("sha256"):
            raise ScenarioError(results_dir, None, f"its runs took their parameter sets from another ensemble "
                                f"({(ran['ensemble'] or {}).get('file')}) than --ensemble {args.ensemble}")
    return ran


def cmd_report(args: argparse.Namespace, command: str) -> int:
    """Figures and tables for funders and teachers from a finished sweep's results."""
    for name in ("uncertainty", "ensemble"):
        if args.kind == "discover" and getattr(args, name, None) is not None:
            raise ScenarioError(f"--{name}", None, "applies to 'cisim report backbone' and 'report ablation' only: "
                                "discover reads the runs as they are")
    if args.kind == "discover":
        return cmd_discover(args, command)
    _discover_options_unused(args)
    from cisim.experiments.sweep import load_results

    results_dir = Path(args.results)
    record = _sweep_record(results_dir, "'cisim sweep'")
    spread = _report_uncertainty(args, record, results_dir)  # before reading the runs: a mismatch stops here
    results = load_results(results_dir, complete=True)  # every chunk checked against the plan, none missing
    scenario = _sweep_scenario(record, results_dir)
    out = Path(args.out) if args.out else results_dir
    if out.suffix in (".png", ".pdf", ".csv", ".parquet", ".md"):
        raise ScenarioError("--out", None, f"expected a folder for the report's files, got {out}")
    beside = None
    if getattr(args, "on_top", None):
        if args.kind != "backbone":
            raise ScenarioError("--on-top", None, "applies to 'cisim report backbone' only")
        beside = _on_top_table(args)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            report = _draw_report(args.kind, results, out, scenario, args.output, spread, beside)
    except ValueError as exc:  # a results table that does not fit the report
        raise ScenarioError(results_dir, None, str(exc)) from None
    for w in caught:  # for a person, not a program: the message without Python's source line
        print(f"cisim: note: {w.message}", file=sys.stderr)
    if args.kind == "backbone":
        _print_backbone(report, scenario)
        if beside is not None:
            from cisim.interfaces.memo import on_top_paragraph

            print("\n" + on_top_paragraph(beside, scenario))
    else:
        print(report["takeaway"] + "\n")
        print(f"Main effects: mean [{report['interval']}]")
        rows = [[str(r.rank), r.label,
                 interval(r.effect_points, r.ci_low_points, r.ci_high_points, partial(number, signed=True))]
                for r in report["main"].itertuples()]
        print(_table(["rank", "condition", f"main effect on {args.output}, points [interval]"], rows))
    paths = [*report["figures"], *report["tables"], *report.get("memo", [])]
    print("\nWrote:\n" + "\n".join(f"  {p}" for p in paths))
    return 0


def _print_backbone(report: dict, sc) -> None:
    """The backbone report's answer, then a row per level: outcome, people and dollars, how solid, how often best."""
    from cisim.interfaces.report_parts import level_text
    from cisim.model.formats import dollars, horizon

    bt = report["backbone"]
    print(report["takeaway"])
    if report["statement"]:
        print(report["statement"])
    over = horizon(bt.months)
    print(f"\nOver {over} ({sc.name}); mean [{report['interval']}]")
    header = ["level" if bt.on_top else "backbone share", "backbone $/month"]
    if bt.mid is not None:
        header.append(f"outcome after {horizon(bt.checkpoint_month)}")
    header += [f"outcome after {over}", f"{sc.outcome_completed}", "a year",
               f"vs {level_text(bt.factor, bt.status_quo)}", sc.outcome_months, "funder $ per person",
               "all $ per person"]
    if bt.decision is not None:
        header += ["near best in worlds", "people short of best"]
    header.append("")
    rows = []
    for r in bt.table.to_dict("records"):
        row = [level_text(bt.factor, r["level"]).replace(" a month", ""), money(r.get("backbone_dollars_per_month"))]
        if bt.mid is not None:
            row.append(percent(r[f"{bt.mid}_mean"]))
        row += [_ci_pct(r[f"{bt.end}_mean"], r[f"{bt.end}_ci_low"], r[f"{bt.end}_ci_high"]),
                number(r["people_mean"], 0), number(r["people_per_year_mean"], 0),
                _ci_count({"mean": r["additional_mean"], "ci_low": r["additional_ci_low"],
                           "ci_high": r["additional_ci_high"]}) if r["level"] != bt.status_quo else "(status quo)",
                number(r["months_to_completion_mean"], 1), dollars(r["funder_dollars_per_person_mean"]),
                dollars(r["all_dollars_per_person_mean"])]
        if bt.decision is not None:
            row += [percent(r["p_near"], 0), number(r["people_short_mean"], 0)]
        flags = ["best" if r["best"] else f"within {share(bt.tolerance)}" if r["near_best"] else ""]
        if r["thin"]:
            flags.append(f"thin: {r['funder_dollars_per_person_valid']} of {r['runs']} runs")
        row.append(", ".join(f for f in flags if f))
        rows.append(row)
    print(_table(header, rows, right=set(range(1, len(header) - 1))))


# ---------------------------------------------------------------- report discover

_DISCOVER_OPTIONS = {"where": "--where", "inputs": "--inputs", "threshold": "--threshold",
                     "peel_alpha": "--peel-alpha", "json": "--json"}


def _discover_options_unused(args: argparse.Namespace) -> None:
    """The options of ``report discover`` mean nothing to the other reports: say so rather than ignore them."""
    for name, option in _DISCOVER_OPTIONS.items():
        if getattr(args, name, None) not in (None, False):
            raise ScenarioError(option, None, f"applies to 'cisim report discover' only, not to 'report {args.kind}'")


def cmd_discover(args: argparse.Namespace, command: str) -> int:
    """Where in a sweep's (or a calibration's) inputs a condition holds: PRIM's box, printed, then drawn and written."""
    if args.where is None:
        raise ScenarioError("--where", None, "expected the condition to explain, for example "
                                             '--where "outcome_60 > 0.7"')

    from cisim.experiments import discovery as dv
    from cisim.experiments import metadata as meta

    inputs = [s.strip() for s in args.inputs.split(",") if s.strip()] if args.inputs is not None else None
    if inputs == []:
        raise ScenarioError("--inputs", None, "expected input columns, comma-separated (for example x1,x2)")
    table = dv.read_results(args.results, inputs)
    result = dv.discover(table.rows, args.where, table.inputs, threshold=args.threshold,
                         peel_alpha=dv.DEFAULT_PEEL_ALPHA if args.peel_alpha is None else args.peel_alpha)
    if not args.json:
        _print_discovery(result, table)
        sys.stdout.flush()  # read while the figures are drawn

    from cisim.interfaces.discovery_plots import write_figures

    results = Path(args.results)
    if args.out:  # a folder, as everywhere
        Path(args.out).mkdir(parents=True, exist_ok=True)
        stem = Path(args.out) / "discover"
    else:
        stem = results / "discover" if results.is_dir() else results.with_name(f"{results.stem}-discover")
    files: dict[str, Path] = {}
    for key, paths in write_figures(result, stem).items():
        files.update({f"{key}_{p.suffix[1:]}": p for p in paths})
    for key, df in (("trajectory", result.trajectory), ("box", result.box)):
        files[f"{key}_csv"], files[f"{key}_parquet"] = meta.write_table(df, f"{stem}-{key}")
    files["record"] = Path(f"{stem}.json")
    record = dv.record(result, table, command, files)
    meta.write_json(files["record"], record)
    if args.json:
        print(meta.dumps(record))
        return 0
    _print_files(files)
    return 0


def _print_discovery(result, table) -> None:
    """The base rate, the chosen box, its restrictions and the sentence of ``cisim report discover``."""
    from cisim.experiments.discovery import limits_text, quasi_p_text

    src = table.source
    left = [f"{count(src['runs_failed'], 'run')} with status \"error\"" if src["runs_failed"] else "",
            f"{count(result.incomplete, 'run')} missing an input" if result.incomplete else ""]
    left = [s for s in left if s]
    print(f"Runs: {src['kind']} {src['path']}, {result.runs:,} used"
          + (f" ({' and '.join(left)} left out)" if left else ""))
    for name, why in result.left_out.items():
        print(f"Input {name} left out: {why}")
    if result.missing:
        print(f"The condition is missing (NaN) in {count(result.missing, 'run')}: counted as not holding")
    print(f"Condition: {result.expression} holds in {result.hits:,} of the {result.runs:,} runs "
          f"({percent(result.base_rate)}, the base rate)\n")
    chosen = result.chosen
    print(textwrap.fill(f"Chosen box: step {result.step} of the {len(result.trajectory)} on PRIM's trajectory, "
                        f"{result.rule_text()}", width=100))
    rows = [["coverage", percent(result.coverage), f"{chosen['hits']:,} of the {result.hits:,} runs where it holds "
             "are in the box"],
            ["density", percent(result.density), f"it holds in {chosen['hits']:,} of the {chosen['runs']:,} runs "
             "in the box"],
            ["mass", percent(result.mass), f"{chosen['runs']:,} of the {result.runs:,} runs are in the box"]]
    print(textwrap.indent(_table(["", "", ""], rows, right={1}).split("\n", 2)[2], "  "))
    restricted = result.restricted
    if not restricted.empty:
        print()
        rows = [[r.label if r.label == r.factor else f"{r.label} ({r.factor})",
                 limits_text(r, "low") if r.low > r.min else "", limits_text(r, "high") if r.high < r.max else "",
                 f"{limits_text(r, 'min')} to {limits_text(r, 'max')}", quasi_p_text(r.quasi_p),
                 "" if r.significant else "may be chance"]
                for r in restricted.itertuples()]
        print(_table(["input", "low", "high", "range in the runs", "quasi-p", ""], rows, right={1, 2, 4}))
    others = result.box.loc[~result.box["restricted"], "factor"].tolist()
    if others:
        print(f"Not restricted: {', '.join(others)}")
    print("\n" + textwrap.fill(result.sentence(), width=100))
    if not restricted.empty:
        print("\n" + textwrap.fill("(quasi-p: how likely a box this dense would be if the input's restriction "
                                   "picked runs at random, a one-sided binomial test against the box without it; "
                                   "below 0.05 the restriction matters)", width=100, break_on_hyphens=False))


def cmd_new(args: argparse.Namespace, command: str) -> int:
    """Write a commented scenario for a funder's own community, and say what to run next."""
    from cisim.experiments import metadata as meta
    from cisim.model.scenario import bundled_names
    from cisim.model.template import scenario_template

    path = Path(args.file)
    if path.suffix != ".toml":
        raise ScenarioError(path, None, "expected a file name ending in .toml (for example my-county.toml)")
    if path.exists() and not args.force:
        raise ScenarioError(path, None, "exists already; choose another name, or add --force to overwrite it")
    if not path.parent.is_dir():
        raise ScenarioError(path, None, f"expected an existing folder to write into; {path.parent} does not exist")
    if args.like not in bundled_names():
        raise ScenarioError("--like", None, f"expected a bundled scenario ({', '.join(bundled_names())}), "
                            f"got {args.like!r}")
    meta.write_text(path, scenario_template(args.like, name=path.stem))
    load(path)  # what was written loads as a scenario
    out = Path(DEFAULT_OUT) / _slug(["backbone_investment", path.stem])  # the folder sweep --scenario writes
    print(f"Wrote {path}, a scenario like '{args.like}' to fill in with your own numbers. Then:\n"
          f"  cisim validate {path}\n"
          f"  cisim compare {path}                       # against the same organizations working alone\n"
          f"  cisim sweep backbone_investment --scenario {path}\n"
          f"  cisim report backbone {out}")
    return 0


def cmd_dashboard(args: argparse.Namespace, command: str) -> int:
    """Serve the classroom dashboard on 127.0.0.1 until Ctrl-C."""
    from cisim.interfaces.dashboard import DashboardError, serve

    if args.preset is not None and args.preset not in bundled_names():
        raise ScenarioError("--preset", None, f"no bundled scenario {args.preset!r}"
                            f"{_suggest(args.preset, bundled_names())} (bundled: {', '.join(bundled_names())})")
    try:
        return serve(port=args.port, open_browser=not args.no_open, preset=args.preset)
    except DashboardError as exc:
        print(f"cisim: error: {exc}", file=sys.stderr)
        return 2


def cmd_lesson(args: argparse.Namespace, command: str) -> int:
    """The lesson kit: the handout (PDF), its figures (PNG) and metadata (JSON)."""
    from cisim.experiments import metadata as meta
    from cisim.interfaces.lesson import METADATA_NAME, write_lesson

    pdf = write_lesson(args.out, replicates=args.replicates, seed=args.seed, progress=True, command=command)
    record = json.loads((pdf.parent / METADATA_NAME).read_text(encoding="utf-8"))
    files = record["files"]
    seeds = range(args.seed, args.seed + args.replicates)
    if args.json:
        print(meta.dumps({"handout": str(pdf), "replicates": args.replicates, "seeds": list(seeds),
                          "uncertainty": record.get("uncertainty", "seeds"), "ensemble": record.get("ensemble"),
                          "figures": record["figures"], "files": files, "out_dir": str(args.out)}))
        return 0
    print(f"Lesson kit: isolated and collective, {args.replicates} replicates each (seeds {seed_text(seeds)}); "
          f"the handout's Figure 5 shows seed {args.seed}.")
    print("\nWrote:\n" + "\n".join(f"  {p}" for p in files.values()))
    return 0


# ---------------------------------------------------------------- parser

def _whole(lowest: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < lowest:
            raise argparse.ArgumentTypeError(f"expected {lowest} or more, got {value}")
        return value

    return parse


def cmd_calibrate(args: argparse.Namespace, command: str) -> int:
    """Fit a targets file's parameters by ABC-SMC; print each target's verdict before drawing the figures."""
    import time

    from cisim.experiments.targets import load_targets

    tf = load_targets(args.targets)  # a bad file stops here, before the model loads
    if args.population is not None:
        tf.abc["population"] = args.population
        tf.content.setdefault("overrides", {})["population"] = args.population
    if args.replicates is not None:
        tf.replicates = args.replicates
        tf.content.setdefault("overrides", {})["replicates"] = args.replicates
    _check_scheduler(args.scheduler)
    out = Path(args.out) if args.out else Path(DEFAULT_OUT) / _slug([f"calibration-{tf.name}"])

    from cisim.experiments import metadata as meta
    from cisim.experiments.calibration import calibrate, export_ensemble
    from cisim.experiments.ensemble import effective_size
    from cisim.experiments.sweep import DaskSetupError, WorkersLost

    sim = tf.simulator()
    say = (lambda line: None) if args.json else (lambda line: print(line, file=sys.stderr))
    say(f"{tf.name}: {len(tf.priors)} parameters fitted to {len(tf.targets)} targets; "
        f"{tf.abc['population']} sets a generation, {sim.runs_per_set} runs a set "
        f"({tf.replicates} replicates of {', '.join(r for r, _ in sim.scenarios)}, {tf.months} months)")
    t0 = time.perf_counter()
    try:
        fit = calibrate(tf, out, workers=args.workers, resume=args.resume, progress=not args.json,
                        backend=args.backend, scheduler=args.scheduler, command=command, log=say)
    except DaskSetupError as exc:
        print(f"cisim: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except WorkersLost as exc:
        print(f"cisim: error: {exc.what}; the finished chunks are kept in {out}; run {_resume_command()} with "
              "--resume to do the rest", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        kept = len(list((out / "evaluations").glob("*.parquet"))) if (out / "evaluations").is_dir() else 0
        print(f"cisim: interrupted; {kept} finished chunks are kept in {out}. Run the same command with --resume "
              "to do only the rest.", file=sys.stderr)
        raise SystemExit(130) from None
    seconds = time.perf_counter() - t0
    files = {"posterior": out / "posterior.csv", "targets": out / "targets.csv",
             "generations": out / "generations.csv", "evaluations": out / "evaluations.parquet",
             "metadata": out / "metadata.json"}
    if args.ensemble:
        files["ensemble"] = export_ensemble(fit, args.ensemble)
    status = {"reached": "every target's range reached", "acceptance": "stopped: acceptance too low",
              "budget": "stopped: run budget spent", "generations": "stopped: generations used up",
              "failures": "stopped: too many failed runs"}[fit.status]
    if args.json:
        if not args.no_figures:
            from cisim.interfaces.calibration_plots import draw

            files.update(draw(fit, out))
        print(meta.dumps({"targets_file": str(tf.path), "status": fit.status, "epsilon": fit.epsilon,
                          "runs": fit.runs, "seconds": round(seconds, 3), "out_dir": str(out),
                          "targets": fit.targets.to_dict("records"),
                          "posterior_median": {p: float(fit.posterior[p].median()) for p in fit.parameters},
                          "files": {k: str(v) for k, v in files.items()}}))
        return 0
    print(f"{status} (tolerance {fit.epsilon:.3g}); {fit.runs:,} runs in {seconds:.0f} s; "
          f"{len(fit.posterior)} posterior sets, effective size "
          f"{effective_size(fit.posterior['weight']):.0f}")
    rows = []
    for r in fit.targets.to_dict("records"):
        rows.append([r["target"], f"{r['low']:.3g} to {r['high']:.3g}", f"{r['predictive_mean']:.3g}",
                     f"{r['predictive_low']:.3g} to {r['predictive_high']:.3g}", f"{100 * r['share_inside']:.0f}%",
                     "met" if r["met"] else "NOT MET"])
    print("\nTargets: the evidence's range against the posterior predictive (every posterior set run again with "
          "new seeds;\n90% interval: seed noise and the fitted parameters)")
    print(_table(["target", "evidence range", "predicted", "90% interval", "inside", "verdict"], rows,
                 right={2, 4}))
    unmet = [r["target"] for r in fit.targets.to_dict("records") if not r["met"]]
    if unmet:
        print(f"\nUnmet: {', '.join(unmet)}: run again with new seeds, the posterior's sets put the mean of these "
              "statistics outside their ranges.\nThe model does not meet them together with the others within the "
              f"priors (or only with the luck of {tf.replicates} replicates); they are reported, not fitted.")
    if not args.no_figures:
        from cisim.interfaces.calibration_plots import draw

        files.update(draw(fit, out))
    _print_files(files)
    return 0


def _add_uncertainty(p: argparse.ArgumentParser, default: str | None, default_text: str) -> None:
    """--uncertainty and --ensemble (checked by the command, so that a bad value is one line and exit 2)."""
    p.add_argument("--uncertainty", default=default, metavar="seeds|parameters",
                   help="what the intervals cover: 'seeds', seed noise alone; 'parameters', seed noise and the "
                        "calibrated parameters: each replicate also takes the parameter set the ensemble gives its "
                        "seed (the same for every scenario), except the values set on purpose (--set; an "
                        f"experiment's [changes] and factors) (default {default_text})")
    p.add_argument("--ensemble", default=None, metavar="NAME|FILE.csv",
                   help="with --uncertainty parameters: a bundled ensemble's name or an ensemble file "
                        "(default evidence, the calibrated one in scenarios/ensembles/)")


def _add_common(p: argparse.ArgumentParser, replicates: int, uncertainty: str = RUN_UNCERTAINTY) -> None:
    from cisim.experiments.experiment import ALLOW, ALLOW_HELP, MAX_FIRST_SEED, MAX_REPLICATES

    def bounded(lowest: int, highest: int, what: str):
        whole = _whole(lowest)

        def parse(text: str) -> int:
            value = whole(text)
            if value > highest:
                raise argparse.ArgumentTypeError(f"expected at most {highest:,}, got {value:,} ({what})")
            return value

        return parse

    p.add_argument("--replicates", "-r", default=replicates, metavar="R",
                   type=bounded(1, MAX_REPLICATES, "for more runs, write an experiment file for 'cisim sweep'"),
                   help=f"runs per scenario (default {replicates}; at most {MAX_REPLICATES:,})")
    p.add_argument("--seed", type=bounded(0, MAX_FIRST_SEED, "seeds S .. S+R-1 are 64-bit numbers"), default=0,
                   metavar="S", help="first seed; runs use seeds S .. S+R-1, the same for every scenario (default 0)")
    p.add_argument("--out", "-o", default=DEFAULT_OUT, metavar="DIR",
                   help=f"directory for the outputs (default {DEFAULT_OUT}/; created if missing)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout instead of tables")
    p.add_argument("--set", action="extend", nargs="+", metavar="PATH=VALUE", default=[],
                   help="change a value in every scenario, e.g. --set months=36 backbone.budget_share=0.1")
    p.add_argument("--allow", action="append", choices=ALLOW, default=[], help=ALLOW_HELP)
    _add_uncertainty(p, uncertainty, uncertainty)


def _add_experiment(p: argparse.ArgumentParser, what: str) -> None:
    """An experiment file, where ``what`` goes, where and how its runs go, and --json."""
    from cisim.experiments.experiment import ALLOW, ALLOW_HELP

    p.add_argument("experiment", metavar="EXPERIMENT", help="path to an experiment file, or a bundled one's name")
    p.add_argument("--scenario", default=None, metavar="FILE",
                   help="run the design on this scenario (a path, or a bundled name) instead of the experiment "
                        "file's, e.g. your own community's from 'cisim new'; the file's [changes] still apply")
    p.add_argument("--set", action="extend", nargs="+", metavar="PATH=VALUE", default=[],
                   help="change a value of the scenario after the file's [changes] (e.g. funder.budget=150000)")
    p.add_argument("--out", "-o", default=None, metavar="DIR",
                   help=f"directory for {what} (default {DEFAULT_OUT}/<experiment name>/, with the scenario's "
                        "name after it for --scenario and a digest of the changes for --set)")
    p.add_argument("--workers", "-w", type=_whole(1), default=None, metavar="N",
                   help="processes to run on (default: all local cores; one for a sweep of a few seconds); "
                        "the numbers do not depend on it")
    p.add_argument("--resume", action="store_true",
                   help="keep the finished runs in --out and run only the rest")
    p.add_argument("--backend", choices=["local", "dask"], default="local",
                   help="'local': a process pool on this machine (default); 'dask': Dask distributed, on the "
                        "cluster at --scheduler or on a local cluster bound to 127.0.0.1 (--workers processes)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run on the Dask cluster with this scheduler (implies --backend dask); every worker "
                        "needs the same version of cisim installed")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout instead of text")
    p.add_argument("--allow", action="append", choices=ALLOW, default=[], help=ALLOW_HELP)
    _add_uncertainty(p, None, f"the experiment file's uncertainty key, else {RUN_UNCERTAINTY}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cisim",
        description="The collective impact simulator: agent-based models of coalitions tackling complex "
                    "social problems.",
        epilog="Scenarios are bundled names (see 'cisim scenarios') or paths to .toml files.",
    )
    try:
        from importlib.metadata import version

        parser.add_argument("--version", action="version", version=f"cisim {version('cisim')}")
    except Exception:  # pragma: no cover - not installed
        pass
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("compare", help="compare scenarios over replicates with common seeds (the main job)",
                       description="Run each scenario for the same seeds and compare them with the first: "
                                   "writes a figure (PNG, SVG), tables (CSV, Parquet) and metadata (JSON).")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="bundled name or path; the first is the baseline; one scenario alone is compared with its "
                        "own organizations working alone (its isolated form)")
    _add_common(p, COMPARE_REPLICATES, COMPARE_UNCERTAINTY)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("run", help="run one scenario once, or over replicates",
                       description="Run one scenario: writes the per-month table and the per-run summary "
                                   "(CSV, Parquet), metadata (JSON) and a figure (PNG, SVG).")
    p.add_argument("scenario", metavar="SCENARIO", help="bundled name or path")
    _add_common(p, RUN_REPLICATES)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("scenarios", help="list the bundled scenarios", description="List the bundled scenarios.")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("validate", help="check scenario and experiment files", description="Load each scenario "
                       "or experiment file and print OK or what is wrong (exit status 2 if any is wrong).")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--allow", action="append", choices=("large", "outside-paths"), default=[],
                   help="'large': accept an experiment beyond its limits; 'outside-paths': read files named outside "
                        "the folder of the file given and the bundled folders (repeat for both)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("new", help="write a commented scenario of your own community to fill in",
                       description="Write a scenario file for your own community, with every value a funder "
                                   "knows (horizon, budget, organizations, sectors, population, the pathway's "
                                   "steps and their costs) under a comment saying what it means, its unit and "
                                   "its range. It extends a bundled scenario, whose calibrated behaviour it keeps.")
    p.add_argument("file", metavar="FILE.toml", help="the file to write")
    p.add_argument("--like", default="youth-homelessness", metavar="SCENARIO",
                   help="the bundled scenario to start from (default youth-homelessness)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("sweep", help="run an experiment file's design on all local cores",
                       description="Run every point x replicate of an experiment file (experiments/*.toml) "
                                   "in parallel; writes a Parquet dataset (a row per run) and metadata (JSON). "
                                   "Interrupted, run the same command with --resume to do only the rest.")
    _add_experiment(p, "the results")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("calibrate", help="fit the assumed parameters to evidence (ABC-SMC)",
                       description="Fit the parameters a targets file names (experiments/targets/evidence.toml) "
                                   "to its targets by approximate Bayesian computation (sequential Monte Carlo), "
                                   "in large batches through the batch runner. Writes the posterior ensemble "
                                   "(CSV, Parquet), each target's verdict, every evaluation, figures (PNG, SVG) "
                                   "and metadata (JSON). Interrupted, run the same command with --resume.")
    p.add_argument("targets", metavar="TARGETS", help="path to a targets file, or a bundled one's name (evidence)")
    p.add_argument("--out", "-o", default=None, metavar="DIR",
                   help=f"directory for the results (default {DEFAULT_OUT}/calibration-<name>/)")
    p.add_argument("--workers", "-w", type=_whole(1), default=None, metavar="N",
                   help="processes to run on (default: all local cores); the numbers do not depend on it")
    p.add_argument("--resume", action="store_true", help="keep the finished chunks in --out and run only the rest")
    p.add_argument("--backend", choices=["local", "dask"], default="local",
                   help="'local': a process pool on this machine (default); 'dask': Dask distributed, on the "
                        "cluster at --scheduler or on a local cluster bound to 127.0.0.1")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run on the Dask cluster with this scheduler (implies --backend dask)")
    p.add_argument("--population", type=_whole(2), default=None, metavar="N",
                   help="parameter sets per generation (default: the targets file's [abc] population)")
    p.add_argument("--replicates", "-r", type=_whole(1), default=None, metavar="R",
                   help="runs per set in each role (default: the targets file's replicates)")
    p.add_argument("--ensemble", default=None, metavar="FILE.csv",
                   help="also write the posterior as an ensemble file for --uncertainty parameters")
    p.add_argument("--no-figures", action="store_true", help="write no figures")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout instead of text")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("sensitivity", help="global sensitivity analysis (SALib) of an experiment file",
                       description="Run a sensitivity experiment (experiments/sobol_default.toml, "
                                   "morris_screening.toml, or a file with [design] kind = sobol, morris, efast, "
                                   "rbd_fast, pawn or delta) through the sweep engine, then compute the indices on "
                                   "the replicate means, with bootstrap intervals, the noise share, the dummy "
                                   "factor's noise floor and convergence at N/4, N/2 and N. Writes tables (CSV, "
                                   "Parquet), figures (PNG, SVG) and sensitivity.json.")
    _add_experiment(p, "the runs and the analysis")
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("report", help="figures for a finished sweep: the backbone study, the ablation, or "
                                      "where a condition holds (discover)",
                       description="Draw the report of a finished sweep: 'backbone' (for the scenario the runs "
                                   "used: outcome, people helped and the funder's dollars per person at each level "
                                   "of backbone money, what each step buys and how often each level is best across "
                                   "plausible worlds; PNG, PDF, CSV and a board memo in Markdown and PDF), "
                                   "'ablation' (main effects and interactions of the conditions) or 'discover' "
                                   "(scenario discovery with PRIM: the box of the inputs where --where holds; "
                                   "PNG, SVG, CSV, Parquet, JSON).")
    p.add_argument("kind", choices=["backbone", "ablation", "discover"])
    p.add_argument("results", metavar="RESULTS", help="the --out directory of 'cisim sweep'; for discover also a "
                                                      "calibration's folder, or a .csv or .parquet table")
    p.add_argument("--out", "-o", default=None, metavar="DIR",
                   help="folder for the files (default RESULTS): DIR/backbone.*, DIR/backbone-memo.md and .pdf, "
                        "DIR/ablation.*, DIR/discover-*; for discover on a table file, <table>-discover beside it")
    p.add_argument("--on-top", default=None, metavar="RESULTS2",
                   help="backbone only: the results of 'cisim sweep backbone_on_top' (money on top of the grants), "
                        "set beside the fixed-budget study in the memo")
    p.add_argument("--output", default="outcome_60", metavar="NAME",
                   help="the per-run output the ablation ranks effects on (default outcome_60)")
    p.add_argument("--where", default=None, metavar="EXPRESSION",
                   help="discover: the condition, a pandas expression over the runs' columns, true or false per run, "
                        "e.g. \"outcome_60 > 0.7\" or \"coalition_alive_final == 1\" (dotted names need no backticks)")
    p.add_argument("--inputs", default=None, metavar="A,B,...",
                   help="discover: the inputs to search over (default: the sweep's factors or the calibration's "
                        "parameters; required for a table file)")
    p.add_argument("--threshold", type=float, default=None, metavar="D",
                   help="discover: choose the widest box whose density (share of its runs where the condition "
                        "holds) is D or more (default: the trajectory's knee, the best harmonic mean of coverage "
                        "and density)")
    p.add_argument("--peel-alpha", type=float, default=None, metavar="A",
                   help="discover: share of the box's runs PRIM peels off at each step (default 0.05)")
    p.add_argument("--json", action="store_true", default=None,
                   help="discover: print one JSON object to stdout instead of text")
    p.add_argument("--uncertainty", default=None, metavar="seeds|parameters",
                   help="backbone, ablation: what the intervals must cover, checked against the sweep's runs "
                        "(a report cannot add what they lack): 'parameters', seed noise and the calibrated "
                        "parameters (default for backbone); 'seeds', seed noise alone (ablation: default what the "
                        "sweep ran)")
    p.add_argument("--ensemble", default=None, metavar="NAME|FILE.csv",
                   help="backbone, ablation: the ensemble the sweep's runs must have taken their parameter sets from")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("dashboard", help="the classroom dashboard: drive a live model from sliders in a browser",
                       description="Serve the dashboard on 127.0.0.1 and print its address: the coalition and the "
                                   "same organizations working alone, stepped together from one seed, with play, "
                                   "step, reset and speed, sliders for the conditions and the backbone that act on "
                                   "the running coalition (marked on the time charts), a preset, seed and size for "
                                   "the next run, four views that redraw every month and an Info panel. The first "
                                   "start fetches the page's browser files (once). Ctrl-C stops it.")
    p.add_argument("--port", "-p", type=_whole(0), default=8765, metavar="P",
                   help="port on 127.0.0.1 (default 8765; 0 picks a free one)")
    p.add_argument("--preset", default=None, metavar="SCENARIO",
                   help="bundled scenario the page starts from (default collective)")
    p.add_argument("--no-open", action="store_true", help="do not open a browser window")
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("lesson", help="the lesson kit: a PDF handout on isolated vs collective impact, with figures",
                       description="Run isolated and collective for the same seeds and write a short PDF handout "
                                   "(the two side by side, what each condition does, five discussion questions, "
                                   "how to reproduce each figure), its figures (PNG) and metadata (JSON).")
    p.add_argument("--replicates", "-r", type=_whole(2), default=30, metavar="R",
                   help="runs per scenario (default 30)")
    p.add_argument("--seed", type=_whole(0), default=0, metavar="S",
                   help="first seed; runs use seeds S .. S+R-1, and Figure 5 shows seed S (default 0)")
    p.add_argument("--out", "-o", default=DEFAULT_OUT, metavar="DIR",
                   help=f"directory for the outputs (default {DEFAULT_OUT}/; created if missing)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout instead of text")
    p.set_defaults(func=cmd_lesson)
    return parser


def _check_out(args: argparse.Namespace) -> None:
    """``--out`` names a directory: say so before any work if it is a file."""
    out = getattr(args, "out", None)
    if out and Path(out).exists() and not Path(out).is_dir():
        raise ScenarioError("--out", None, f"expected a directory for the outputs, but {out} is a file")


def main(argv: Sequence[str] | None = None) -> int:
    """The ``cisim`` command.  Returns the exit status; exits with status 2 on a bad scenario or value."""
    from cisim.experiments.metadata import command_line

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        _check_out(args)
        return args.func(args, command_line(argv)) or 0
    except ScenarioError as exc:
        print(f"cisim: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except BrokenPipeError:  # the reader (``| head``) went away: stop quietly
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        print("cisim: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"cisim: error: cannot write{where}: {exc.strerror or exc}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    sys.exit(main())
