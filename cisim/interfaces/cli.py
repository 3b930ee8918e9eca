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
    if _INT.fullmatch(text):
        return int(text)
    try:
        return float(text)
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


def load_all(names: Sequence[str], changes: dict[str, Any]) -> list[Scenario]:
    """Load every scenario and check every change in each, before anything runs."""
    loaded = [load(n) for n in names]
    for s in loaded:
        apply_sets(s, changes)
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


def _variant(args: argparse.Namespace, changes: dict, default_replicates: int) -> str:
    """File-name suffix for a run that is not the default one: other replicates (``-r5``), another
    first seed (``-seed100``), changed values (``-set-`` and a digest of them). Results of a
    variant never overwrite those of the default run, nor those of another variant."""
    parts = []
    if args.replicates != default_replicates:
        parts.append(f"r{args.replicates}")
    if args.seed != 0:
        parts.append(f"seed{args.seed}")
    if changes:
        text = json.dumps({k: changes[k] for k in sorted(changes)}, default=str)
        parts.append(f"set-{hashlib.sha1(text.encode()).hexdigest()[:6]}")
    return "".join(f"-{p}" for p in parts)


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

    from cisim.experiments import metadata as meta
    from cisim.experiments.compare import compare

    result = compare(loaded, replicates=args.replicates, seed=args.seed, changes=changes, progress=True,
                     command=command)
    if not args.json:
        _print_compare(result, changes)
        sys.stdout.flush()  # read while the figures are drawn

    from cisim.interfaces.plots import compare_figure

    out = Path(args.out)
    stem = out / f"compare-{_slug(result.names)}{_variant(args, changes, COMPARE_REPLICATES)}"
    files: dict[str, Path] = {}
    png, svg = compare_figure(result, stem)
    files["figure_png"], files["figure_svg"] = png, svg
    for key, df in (("summary", result.summary), ("monthly", result.monthly), ("comparison", result.comparison)):
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
        print(f"1 run per scenario, seed {result.seeds[0]} (one run: no confidence intervals)")
    else:
        print(f"{result.replicates} replicates per scenario, common seeds {seed_text(result.seeds)}; "
              f"mean [95% CI]")
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
    print(f"\nPeople over months 1 to {first.months}, means:")
    header = ["scenario", f"{names['completed']}", f"vs {result.baseline}", "gave up waiting", names["months"],
              "cost per person helped"]
    rows = []
    for k, name in enumerate(result.names):
        def m(metric, name=name):
            return result.stat(name, metric)["mean"]
        extra = "(baseline)" if k == 0 else _ci_count(result.difference(name, "people_completed_total"))
        rows.append([name, number(m("people_completed_total"), 0), extra, number(m("people_dropped_total"), 0),
                     number(m("months_to_completion_final"), 1), dollars(m("cost_per_person_helped"))])
    print(_table(header, rows, right={1, 2, 3, 4, 5}))
    print("\n(crossover: first month from which the mean paired difference stays above 0; "
          "cost per point: all money spent per outcome percentage point gained; cost per person helped: "
          f"all money spent per person who completed the pathway; {names['months']}: at the last month)")


RUN_METRICS = ("outcome_start", "outcome_36", "outcome_60", "outcome_final", "auc", "months_to_target",
               "min_coverage_final", "domains_below_floor_final", "equity_gap_final", "duplication_waste_total",
               "total_spend", "cost_per_point", "active_members_final", "members_lost", "trust_across_final",
               "root_cause_final", "people_completed_total", "people_dropped_total", "people_in_need_final",
               "months_to_completion_final", "need_met_final", "cost_per_person_helped", "coalition_alive_final")


def cmd_run(args: argparse.Namespace, command: str) -> int:
    """Run one scenario; print its tables as soon as the numbers exist, then draw and write."""
    changes = parse_sets(args.set)
    (scenario,) = load_all([args.scenario], changes)  # a bad file or --set stops here, before the model loads

    from cisim.experiments import metadata as meta
    from cisim.experiments.compare import mean_ci
    from cisim.experiments.runner import run_batch

    seeds = range(args.seed, args.seed + args.replicates)
    batch = run_batch(scenario, seeds, "both", changes=changes, progress=True, command=command)
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
    stem = out / f"run-{_slug([batch.scenario.name])}{_variant(args, changes, RUN_REPLICATES)}"
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
                          "seeds": list(seeds), "changes": changes, "summary": stats,
                          "files": {k: str(v) for k, v in files.items()}, "out_dir": str(out)}))
        return 0
    _print_files(files)
    return 0


def _print_run(args: argparse.Namespace, batch, stats: dict[str, dict], changes: dict, seeds: range) -> None:
    """The yearly table and the summary table of ``cisim run``."""
    s = batch.scenario
    one = args.replicates == 1
    runs = f"1 run (seed {args.seed})" if one else f"{args.replicates} replicates (seeds {seed_text(seeds)})"
    print(f"{s.name}: {runs}, {s.months} months" + ("" if one else "; mean [95% CI]"))
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
    """An experiment file has a [design] or [factors] table, which no scenario file has."""
    from cisim.model.scenario import read_toml

    path = Path(file)
    if not path.is_file():
        return False
    try:
        raw = read_toml(path)
    except ScenarioError:
        return False  # loading it as a scenario says what is wrong
    return isinstance(raw.get("design"), dict) or isinstance(raw.get("factors"), dict)


def cmd_validate(args: argparse.Namespace, command: str) -> int:
    """Check scenario and experiment files: OK and a summary, or what is wrong (status 2)."""
    from cisim.experiments.experiment import load_experiment

    failed = 0
    for file in args.files:
        try:
            if _is_experiment_file(file):
                e = load_experiment(file, draw=False)  # its points counted, not drawn
                kind = "sensitivity analysis" if e.is_sensitivity else "sweep"
                print(f"OK  {file}: experiment {e.name} ({kind}, {e.design} design) on scenario {e.scenario.name}, "
                      f"{count(len(e.factors), 'factor')}, {count(e.n_points, 'point')}, "
                      f"{count(e.n_runs, 'run')}")
                continue
            s = load(file)
        except ScenarioError as exc:
            failed += 1
            print(f"cisim: error: {exc}", file=sys.stderr)
            continue
        print(f"OK  {file}: {s.name}, {s.months} months, {count(len(s.domains), 'domain')}, "
              f"{count(len(s.sectors), 'sector')}, {count(len(s.events), 'event')}")
    return 2 if failed else 0


def _experiment_and_out(args: argparse.Namespace):
    """The experiment file of ``sweep`` and ``sensitivity``, its output directory; a bad --scheduler stops here."""
    from cisim.experiments.experiment import load_experiment

    experiment = load_experiment(args.experiment)  # a bad file stops here, before the model loads
    if args.scheduler:
        from cisim.experiments.sweep import DaskSetupError, check_scheduler_address

        try:
            check_scheduler_address(args.scheduler)
        except DaskSetupError as exc:
            raise ScenarioError("--scheduler", None, str(exc)) from None
    return experiment, Path(args.out) if args.out else Path(DEFAULT_OUT) / _slug([experiment.name])


@contextlib.contextmanager
def _engine_exits(experiment, out: Path, then: str = ""):
    """Exit 2 when the Dask cluster cannot be used; on Ctrl-C say what was kept and how to resume."""
    from cisim.experiments.sweep import DaskSetupError, load_results

    try:
        yield
    except DaskSetupError as exc:
        print(f"cisim: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        kept = len(load_results(out))
        print(f"cisim: interrupted; {kept} of {experiment.n_runs} runs are kept in {out}. "
              f"Run the same command with --resume to do only the rest{then}.", file=sys.stderr)
        raise SystemExit(130) from None


def cmd_sweep(args: argparse.Namespace, command: str) -> int:
    import time

    experiment, out = _experiment_and_out(args)

    from cisim.experiments import metadata as meta
    from cisim.experiments.sweep import RUNS_DIR, STATUS_ERROR, run_sweep

    if not args.json:
        print(f"{experiment.name}: {experiment.n_points} points x {experiment.replicates} replicates = "
              f"{experiment.n_runs} runs of {experiment.scenario.name} ({experiment.scenario.months} months), "
              f"{experiment.design} design", file=sys.stderr)
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


def _draw_report(kind: str, results, stem: Path, scenario: str | None, output: str) -> dict:
    from cisim.interfaces.reports import ablation_report, backbone_report

    if kind == "backbone":
        if "backbone.budget_share" not in results:
            raise ValueError("expected a sweep over backbone.budget_share "
                             "(like experiments/backbone_investment.toml)")
        return backbone_report(results, stem, scenario=scenario)
    return ablation_report(results, stem, scenario=scenario, output=output)


def cmd_report(args: argparse.Namespace, command: str) -> int:
    """Figures and tables for funders and teachers from a finished sweep's results."""
    from cisim.experiments.sweep import load_results

    results_dir = Path(args.results)
    if not (results_dir / "runs").is_dir():
        raise ScenarioError(results_dir, None, "expected the --out directory of a finished 'cisim sweep' "
                            "(with a runs/ dataset inside)")
    results = load_results(results_dir)
    scenario = None
    meta_file = results_dir / "metadata.json"
    if meta_file.is_file():
        experiment = json.loads(meta_file.read_text()).get("experiment", {})
        scenario = experiment.get("scenario_source") or experiment.get("scenario")
    stem = Path(args.out) if args.out else results_dir / args.kind
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            report = _draw_report(args.kind, results, stem, scenario if isinstance(scenario, str) else None,
                                  args.output)
    except ValueError as exc:  # a results table that does not fit the report
        raise ScenarioError(results_dir, None, str(exc)) from None
    for w in caught:  # for a person, not a program: the message without Python's source line
        print(f"cisim: note: {w.message}", file=sys.stderr)
    if args.kind == "backbone":
        print(report["takeaway"] + "\n")
        rows = [[share(r.share), percent(r.outcome_36_mean),
                 _ci_pct(r.outcome_60_mean, r.outcome_60_ci_low, r.outcome_60_ci_high),
                 money(r.cost_per_point_mean),
                 "best" if r.best_cost_effectiveness else (f"within {share(report['tolerance'])}" if r.cost_near_best
                                                            else "")]
                for r in report["table"].itertuples()]
        print(_table(["backbone share", "outcome year 3", "outcome year 5 [95% CI]", "cost per point", "value"],
                     rows))
    else:
        print(report["takeaway"] + "\n")
        rows = [[str(r.rank), r.label,
                 interval(r.effect_points, r.ci_low_points, r.ci_high_points, partial(number, signed=True))]
                for r in report["main"].itertuples()]
        print(_table(["rank", "condition", f"main effect on {args.output}, points [95% CI]"], rows))
    paths = [*report["figures"], *report["tables"]]
    print("\nWrote:\n" + "\n".join(f"  {p}" for p in paths))
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


def _add_common(p: argparse.ArgumentParser, replicates: int) -> None:
    p.add_argument("--replicates", "-r", type=_whole(1), default=replicates, metavar="R",
                   help=f"runs per scenario (default {replicates})")
    p.add_argument("--seed", type=_whole(0), default=0, metavar="S",
                   help="first seed; runs use seeds S .. S+R-1, the same for every scenario (default 0)")
    p.add_argument("--out", "-o", default=DEFAULT_OUT, metavar="DIR",
                   help=f"directory for the outputs (default {DEFAULT_OUT}/; created if missing)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout instead of tables")
    p.add_argument("--set", action="extend", nargs="+", metavar="PATH=VALUE", default=[],
                   help="change a value in every scenario, e.g. --set months=36 backbone.budget_share=0.1")


def _add_experiment(p: argparse.ArgumentParser, what: str) -> None:
    """An experiment file, where ``what`` goes, where and how its runs go, and --json."""
    p.add_argument("experiment", metavar="EXPERIMENT", help="path to an experiment file, or a bundled one's name")
    p.add_argument("--out", "-o", default=None, metavar="DIR",
                   help=f"directory for {what} (default {DEFAULT_OUT}/<experiment name>/)")
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
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="bundled name or path; the first is the baseline")
    _add_common(p, COMPARE_REPLICATES)
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
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("sweep", help="run an experiment file's design on all local cores",
                       description="Run every point x replicate of an experiment file (experiments/*.toml) "
                                   "in parallel; writes a Parquet dataset (a row per run) and metadata (JSON). "
                                   "Interrupted, run the same command with --resume to do only the rest.")
    _add_experiment(p, "the results")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("sensitivity", help="global sensitivity analysis (SALib) of an experiment file",
                       description="Run a sensitivity experiment (experiments/sobol_default.toml, "
                                   "morris_screening.toml, or a file with [design] kind = sobol, morris, efast, "
                                   "rbd_fast, pawn or delta) through the sweep engine, then compute the indices on "
                                   "the replicate means, with bootstrap intervals, the noise share, the dummy "
                                   "factor's noise floor and convergence at N/4, N/2 and N. Writes tables (CSV, "
                                   "Parquet), figures (PNG, SVG) and sensitivity.json.")
    _add_experiment(p, "the runs and the analysis")
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("report", help="figures for a finished sweep: the backbone study or the ablation",
                       description="Draw the report of a finished sweep: 'backbone' (outcome, cost per outcome "
                                   "point and marginal return against the backbone's share; PNG, PDF, CSV) or "
                                   "'ablation' (main effects and interactions of the conditions).")
    p.add_argument("kind", choices=["backbone", "ablation"])
    p.add_argument("results", metavar="RESULTS", help="the --out directory of 'cisim sweep'")
    p.add_argument("--out", "-o", default=None, metavar="STEM",
                   help="path and stem of the files (default RESULTS/<kind>)")
    p.add_argument("--output", default="outcome_60", metavar="NAME",
                   help="the per-run output the ablation ranks effects on (default outcome_60)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("dashboard", help="the classroom dashboard: drive a live model from sliders in a browser",
                       description="Serve the dashboard (a Mesa SolaraViz app) on 127.0.0.1 and print its address: "
                                   "a preset picker, sliders for the conditions, the backbone's budget, the "
                                   "coalition's size and the seed, play, step and reset, and four views that redraw "
                                   "every step. Ctrl-C stops it.")
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
    """``--out`` names a directory (for ``report``, a file stem): say so before any work if it is a file."""
    out = getattr(args, "out", None)
    if out and args.func is not cmd_report and Path(out).exists() and not Path(out).is_dir():
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
