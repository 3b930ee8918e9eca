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
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING

from cisim.scenario import Scenario, ScenarioError, bundled_names
from cisim.scenario import load as load_scenario

if TYPE_CHECKING:  # pragma: no cover
    from cisim.compare import CompareResult, compare
    from cisim.model import CoalitionModel
    from cisim.runner import BatchResult, run_batch

_LAZY = {
    "run_batch": "cisim.runner",
    "BatchResult": "cisim.runner",
    "CompareResult": "cisim.compare",
    "CoalitionModel": "cisim.model",
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
    return sorted(set(globals()) | set(_LAZY) | {"compare", "__version__"})


class _Package(types.ModuleType):
    """The package module; ``cisim.compare`` always means the function, although a submodule
    ``cisim.compare`` exists (importing it would otherwise overwrite the name with the module)."""

    @property
    def compare(self):
        from cisim.compare import compare

        return compare

    @compare.setter
    def compare(self, value) -> None:
        pass  # the import system sets the submodule here; ``from cisim.compare import ...`` still works


sys.modules[__name__].__class__ = _Package


__all__ = [
    "BatchResult", "CoalitionModel", "CompareResult", "Scenario", "ScenarioError", "__version__",
    "bundled_scenarios", "compare", "load_scenario", "run_batch",
]
