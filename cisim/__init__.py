"""cisim, the collective impact simulator: agent-based (Mesa) models of coalitions
tackling complex social problems.

For notebooks::

    import cisim

    s = cisim.load_scenario("collective").replace({"backbone.budget_share": 0.12})
    batch = cisim.run_batch(s, range(30), outputs="both")
    batch.summary      # one row per run
    batch.steps        # one row per run and month
    result = cisim.compare(["isolated", "collective"], replicates=30)
    result.comparison  # paired differences with 95% CIs and the crossover month

``import cisim`` loads only the scenario code; the compiled kernel, Mesa, pandas and
matplotlib load when first used.

The package has three layers, and imports run downward only:

- ``cisim.model``: the schema, scenarios, the state arrays, the compiled processes
  (one small function per ODD submodel) and the Mesa face (``CoalitionModel``);
- ``cisim.experiments``: the batch runner, sweeps and their workers, comparisons,
  sensitivity analysis, and the tables reports are made of;
- ``cisim.interfaces``: what people use: the command line, figures, the classroom
  dashboard and the lesson kit.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from cisim.model.scenario import Scenario, ScenarioError, bundled_names
from cisim.model.scenario import load as load_scenario

if TYPE_CHECKING:  # pragma: no cover
    from cisim.experiments.compare import CompareResult, compare
    from cisim.experiments.runner import BatchResult, run_batch
    from cisim.model.coalition import CoalitionModel, CoalitionScenario

_LAZY = {
    "run_batch": "cisim.experiments.runner",
    "BatchResult": "cisim.experiments.runner",
    "compare": "cisim.experiments.compare",
    "CompareResult": "cisim.experiments.compare",
    "CoalitionModel": "cisim.model.coalition",
    "CoalitionScenario": "cisim.model.coalition",
}


def bundled_scenarios() -> list[str]:
    """Names of the bundled scenarios (``cisim scenarios`` prints them with descriptions)."""
    return bundled_names()


def _version() -> str:
    # importlib.metadata costs a tenth of a second to import: a sweep's workers never ask
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cisim")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
        return "0+unknown"


def __getattr__(name: str):
    if name == "__version__":
        globals()[name] = _version()
        return globals()[name]
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cisim' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"__version__"})


__all__ = [
    "BatchResult", "CoalitionModel", "CoalitionScenario", "CompareResult", "Scenario", "ScenarioError", "__version__",
    "bundled_scenarios", "compare", "load_scenario", "run_batch",
]
