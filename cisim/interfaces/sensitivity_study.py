"""A sensitivity experiment from file to figures: runs through the experiment engine, then SALib.

``run_sensitivity`` runs every design point x replicate of an experiment whose design is a
SALib method (``[design] kind = "sobol"``, ``"morris"``, ...; see ``cisim.experiments.experiment``) with
``run_sweep`` (so progress, ``--resume``, workers and Dask all work), then analyses the
replicate means with ``cisim.experiments.sensitivity.analyze`` and writes, into the same directory::

    runs/chunk-*.parquet, plan.json, metadata.json   the sweep (a row per run)
    sensitivity_indices.csv/.parquet                 a row per output, factor and index, with intervals,
                                                     converged and above_noise flags
    sensitivity_noise.csv/.parquet                   per output: noise share, noise floor, warnings
    sensitivity_convergence.csv/.parquet             the indices at N/4, N/2 and N
    sensitivity_over_time_*.csv/.parquet             time-resolved indices (outcome at the end of each year)
    figures/indices-<output>.png/.svg                index bars with intervals and the noise floor
    figures/morris-<output>.png/.svg                 mu* against sigma (Morris)
    figures/convergence-<output>.png/.svg            indices against the base sample size
    figures/over-time-outcome.png/.svg               time-resolved indices
    sensitivity.json                                 what was analysed, how, warnings, files, versions
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from cisim.experiments import metadata as meta
from cisim.experiments import sensitivity as sa
from cisim.experiments.experiment import Experiment, load_experiment
from cisim.experiments.outputs import YEARLY_OUTCOMES
from cisim.experiments.sweep import STATUS_ERROR, load_results, run_sweep
from cisim.model.scenario import ScenarioError


@dataclass
class SensitivityStudy:
    """The analysis of a sensitivity experiment and where it was written."""

    experiment: Experiment
    result: sa.SensitivityResult
    over_time: sa.SensitivityResult | None
    runs: pd.DataFrame
    out_dir: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def ranking(self, output: str) -> pd.DataFrame:
        """Factors by the method's ranking index for ``output``, largest first (the dummy included)."""
        index = sa.RANK_INDEX[self.result.method]
        df = self.result.table(output, index)
        return df.sort_values("value", ascending=False).reset_index(drop=True)


def require_sensitivity(experiment: Experiment) -> None:
    """A ScenarioError naming the file and ``design.kind`` unless the experiment is a sensitivity design."""
    if not experiment.is_sensitivity:
        raise ScenarioError(str(experiment.source), "design.kind",
                            f"expected a sensitivity design ({', '.join(sa.METHODS)}), got {experiment.design!r}; "
                            "run grid, lhs and table designs with 'cisim sweep'")


def run_sensitivity(experiment: Experiment | str | Path, out_dir: str | Path, *, workers: int | None = None,
                    resume: bool = False, progress: bool | str = True, backend: str = "local",
                    scheduler: str | None = None, command: str | None = None) -> SensitivityStudy:
    """Run a sensitivity experiment's design (resumably) and write its analysis to ``out_dir``.

    Raises:
        ScenarioError: the experiment is not a sensitivity design, or ``out_dir`` holds other results.
    """
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    require_sensitivity(experiment)
    t0 = time.perf_counter()
    runs = run_sweep(experiment, out_dir, workers=workers, resume=resume, progress=progress, command=command,
                     backend=backend, scheduler=scheduler)
    ran = time.perf_counter() - t0
    study = analyze_study(experiment, out_dir, runs, command=command)
    study.seconds = {"runs": round(ran, 3), **study.seconds}
    return study


def analyze_study(experiment: Experiment, out_dir: str | Path, runs: pd.DataFrame | None = None,
                  command: str | None = None) -> SensitivityStudy:
    """Analyse the finished runs of a sensitivity experiment in ``out_dir`` and write tables and figures."""
    from cisim.interfaces import sensitivity_plots as sp

    require_sensitivity(experiment)
    out_dir = Path(out_dir)
    start = time.perf_counter()
    runs = load_results(out_dir, complete=True) if runs is None else runs
    design = experiment.sa_design
    settings = experiment.analysis
    notes: list[str] = []
    if len(runs) != experiment.n_runs:
        raise ScenarioError(str(out_dir), None, f"holds {len(runs)} of {experiment.n_runs} runs; finish the sweep "
                            "with --resume first")
    failed = int((runs["status"] == STATUS_ERROR).sum())
    if failed:
        notes.append(f"{failed} of {len(runs)} runs failed; their points are analysed on the replicates that ran")
    kw: dict[str, Any] = {"bootstrap": settings["bootstrap"], "conf_level": settings["conf_level"],
                          "seed": experiment.seed}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sa.NoiseWarning)
        result = sa.analyze(design, runs, outputs=settings["analyze"], **kw)
        over = None
        if settings["time_resolved"]:
            years = {y: runs[["point", "replicate", col]].rename(columns={col: "outcome"})
                     for y, col in YEARLY_OUTCOMES if 12 * y <= experiment.scenario.months}
            over = sa.analyze_over_time(design, years, outputs=["outcome"], convergence=False, **kw)
    notes += [str(w.message) for w in caught if issubclass(w.category, sa.NoiseWarning)]
    analysed = time.perf_counter()

    files: dict[str, list[Path]] = {"tables": result.to_files(out_dir, "sensitivity")}
    if over is not None:
        files["tables"] += over.to_files(out_dir, "sensitivity_over_time")
    figs = out_dir / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    drawn: list[Path] = []
    for output in result.outputs:
        sp.plot_indices(result, output, path=figs / f"indices-{output}")
        drawn += [figs / f"indices-{output}.{ext}" for ext in ("png", "svg")]
        if result.method == "morris":
            sp.plot_morris(result, output, path=figs / f"morris-{output}")
            drawn += [figs / f"morris-{output}.{ext}" for ext in ("png", "svg")]
        if len(result.convergence):
            sp.plot_convergence(result, output, path=figs / f"convergence-{output}")
            drawn += [figs / f"convergence-{output}.{ext}" for ext in ("png", "svg")]
    if over is not None:
        sp.plot_over_time(over, "outcome", path=figs / "over-time-outcome")
        drawn += [figs / f"over-time-outcome.{ext}" for ext in ("png", "svg")]
    files["figures"] = drawn
    seconds = {"analysis": round(analysed - start, 3), "files": round(time.perf_counter() - analysed, 3)}
    record = {
        "kind": "sensitivity",
        "experiment": experiment.to_record(),
        "scenario": meta.scenario_record(experiment.scenario),
        "command": command if command is not None else meta.command_line(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": seconds,
        "runs": len(runs),
        "runs_failed": failed,
        **experiment.uncertainty_record(),
        "noise": result.noise.to_dict(orient="records"),
        "warnings": notes,
        "files": {k: [str(p) for p in v] for k, v in files.items()},
        "versions": meta.package_versions(),
        "source_revision": meta.source_revision(),
    }
    meta.write_json(out_dir / "sensitivity.json", record)
    files["metadata"] = [out_dir / "sensitivity.json"]
    return SensitivityStudy(experiment=experiment, result=result, over_time=over, runs=runs, out_dir=out_dir,
                            files=files, warnings=notes, seconds=seconds)

