"""The cisim command: outputs of compare and run, errors, scenarios, validate."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_call import call

from cisim.experiments import metadata as meta
from cisim.interfaces.cli import parse_sets, parse_value
from cisim.model.scenario import ScenarioError, bundled_names

FAST = ["--replicates", "4", "--set", "months=24"]
VERSIONS = {"cisim", "mesa", "numpy", "pandas", "numba", "matplotlib", "SALib", "python"}




@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    status, stdout, stderr = call(["compare", "isolated", "collective", "--json", "--out", str(out), *FAST])
    assert status == 0, stderr
    return out, stdout


def test_compare_json_has_the_documented_keys(compared):
    out, stdout = compared
    digest = json.loads(stdout)  # exactly one JSON object, nothing else on stdout
    assert set(digest["scenarios"]) == {"isolated", "collective"}
    assert digest["replicates"] == 4
    assert digest["seeds"] == [0, 1, 2, 3]
    for entry in digest["scenarios"].values():
        for metric in ("outcome_final", "outcome_start", "auc", "min_coverage_final", "total_spend"):
            assert set(entry[metric]) == {"mean", "ci_low", "ci_high"}
        final = entry["outcome_final"]
        assert final["ci_low"] <= final["mean"] <= final["ci_high"]
    collective = digest["scenarios"]["collective"]
    assert collective["crossover_month"] is None or isinstance(collective["crossover_month"], int)
    assert "crossover_month" not in digest["scenarios"]["isolated"]
    assert set(collective["difference"]["outcome_final"]) >= {"mean", "ci_low", "ci_high"}
    for path in digest["files"].values():
        assert Path(path).is_file()


def test_compare_writes_figure_tables_and_metadata(compared):
    out, stdout = compared
    files = json.loads(stdout)["files"]
    names = {Path(p).name for p in files.values()}
    suffixes = {Path(p).suffix for p in files.values()}
    assert {".png", ".svg", ".csv", ".parquet", ".json"} <= suffixes
    assert Path(files["figure_png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in Path(files["figure_svg"]).read_text()[:2000]
    for key in ("summary", "monthly", "comparison"):
        csv = pd.read_csv(files[f"{key}_csv"])
        parquet = pd.read_parquet(files[f"{key}_parquet"])
        assert len(csv) == len(parquet) > 0
        assert list(csv.columns) == list(parquet.columns)
    summary = pd.read_parquet(files["summary_parquet"])
    assert len(summary) == 8 and set(summary.scenario) == {"isolated", "collective"}
    comparison = pd.read_parquet(files["comparison_parquet"])
    assert {"diff_mean", "diff_ci_low", "diff_ci_high", "crossover_month"} <= set(comparison.columns)
    monthly = pd.read_parquet(files["monthly_parquet"])
    assert {"outcome_mean", "outcome_ci_low", "outcome_ci_high", "outcome_diff_mean"} <= set(monthly.columns)
    # nothing half-written or temporary is left behind
    assert sorted(p.name for p in out.iterdir()) == sorted(names)


def test_compare_metadata(compared):
    out, stdout = compared
    record = json.loads(Path(json.loads(stdout)["files"]["metadata"]).read_text())
    assert record["scenario_names"] == ["isolated", "collective"]
    assert record["seeds"] == [0, 1, 2, 3] and record["replicates"] == 4
    assert record["changes"] == {"months": 24}
    assert VERSIONS <= set(record["versions"])
    assert record["versions"]["cisim"]
    assert record["command"].startswith("cisim compare isolated collective")
    assert record["created"].endswith("+00:00")
    for s in record["scenarios"]:
        assert Path(s["source"]).is_file()
        params = s["parameters"]
        assert params["months"] == 24
        assert "budget_share" in params["backbone"] and "common_agenda" in params["conditions"]
        assert params["domains"]


def test_compare_prints_a_readable_table(tmp_path):
    status, stdout, stderr = call(["compare", "isolated", "collective", "--out", str(tmp_path),
                                   "--replicates", "2", "--set", "months=12"])
    assert status == 0, stderr
    assert "difference from isolated" in stdout
    assert "crossover" in stdout
    assert "month 12 (year 1)" in stdout
    assert "Changed in every scenario: months = 12" in stdout
    assert re.search(r"compare-isolated-collective-r2-set-[0-9a-f]{6}\.png", stdout)


def test_variants_of_a_run_keep_their_own_files(tmp_path):
    """Other replicates, another first seed or changed values never overwrite the default run's
    files, nor each other's."""
    def files(*extra):
        status, stdout, stderr = call(["compare", "isolated", "collective", "--out", str(tmp_path), "--json", *extra])
        assert status == 0, stderr
        return json.loads(stdout)["files"]

    default = files()["figure_png"]
    assert Path(default).name == "compare-isolated-collective.png"
    variants = [files(*a)["figure_png"] for a in (["-r", "2", "--set", "months=12"], ["-r", "3", "--set", "months=12"],
                                                  ["-r", "2", "--set", "months=24"], ["-r", "2", "--seed", "5",
                                                                                      "--set", "months=12"],
                                                  ["--set", "months=12"])]
    assert len({default, *variants}) == 6 and all(Path(f).is_file() for f in (default, *variants))
    # the same variant again goes to the same files
    assert files("-r", "2", "--set", "months=12")["figure_png"] == variants[0]
    meta = json.loads(Path(variants[0].replace(".png", "-metadata.json")).read_text())
    assert meta["replicates"] == 2 and meta["changes"] == {"months": 12}
    status, stdout, _ = call(["run", "collective", "--out", str(tmp_path), "--set", "months=12"])
    assert status == 0 and re.search(r"run-collective-set-[0-9a-f]{6}\.png", stdout)


def test_out_that_is_a_file_is_a_clear_error(tmp_path):
    taken = write(tmp_path, "taken", "not a directory")
    for args in (["run", "collective"], ["compare", "isolated", "collective"], ["lesson"]):
        status, stdout, stderr = call([*args, "--out", str(taken)])
        assert_clean_error(status, stdout, stderr, "--out", "is a file")
    assert taken.read_text() == "not a directory"


def test_long_lists_of_scenarios_get_distinct_file_names():
    from cisim.interfaces.cli import _slug

    names = sorted(bundled_names())
    a, b = _slug(names), _slug(names[:-1])
    assert len(a) <= 100 and len(b) <= 100 and a != b
    assert _slug(["isolated", "collective"]) == "isolated-collective"


def test_run_writes_steps_summary_metadata_and_figure(tmp_path):
    status, stdout, stderr = call(["run", "collective", "--out", str(tmp_path), "--json", "--replicates", "2",
                                   "--set", "months=12", "backbone.budget_share=0.1"])
    assert status == 0, stderr
    digest = json.loads(stdout)
    assert digest["scenario"] == "collective" and digest["seeds"] == [0, 1]
    assert set(digest["summary"]["outcome_final"]) >= {"mean", "ci_low", "ci_high"}
    files = digest["files"]
    steps = pd.read_parquet(files["steps_parquet"])
    assert len(steps) == 2 * 13 and {"scenario", "seed", "month", "outcome", "coverage_clinics"} <= set(steps)
    assert len(pd.read_csv(files["summary_csv"])) == 2
    assert Path(files["figure_png"]).stat().st_size > 10_000
    record = json.loads(Path(files["metadata"]).read_text())
    assert record["changes"] == {"months": 12, "backbone.budget_share": 0.1}
    assert record["scenarios"][0]["parameters"]["backbone"]["budget_share"] == 0.1

    status, stdout, stderr = call(["run", "collective", "--out", str(tmp_path), "-r", "2", "--set", "months=12"])
    assert status == 0, stderr
    assert "outcome at month 12" in stdout
    assert re.search(r"equity gap \(majority - marginalized\)\s+-?\d+\.\d pts", stdout)


def test_one_run_claims_no_confidence_interval(tmp_path):
    status, stdout, stderr = call(["run", "collective", "--out", str(tmp_path), "--set", "months=12"])
    assert status == 0, stderr
    assert stdout.startswith("collective: 1 run (seed 0), 12 months\n") and "95%" not in stdout
    assert re.search(r"active members at the end\s+\d+\n", stdout)  # a count, not 30.0
    status, stdout, stderr = call(["compare", "isolated", "collective", "-r", "1", "--out", str(tmp_path),
                                   "--set", "months=12"])
    assert status == 0, stderr
    assert "1 run per scenario, seed 0 (one run: no confidence intervals)" in stdout and "95%" not in stdout


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def assert_clean_error(status: int, stdout: str, stderr: str, *needles: str) -> None:
    assert status == 2
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cisim: error: "), stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_unknown_key_in_a_file(tmp_path):
    bad = write(tmp_path, "typo.toml", 'extends = "collective"\n[conditions]\ncommon_agendaa = 1.0\n')
    out = tmp_path / "out"
    status, stdout, stderr = call(["compare", "isolated", str(bad), "--out", str(out), *FAST])
    assert_clean_error(status, stdout, stderr, "typo.toml", "conditions.common_agendaa", "common_agenda")
    assert not out.exists()  # nothing is written when the input is wrong


def test_out_of_range_value_in_a_file(tmp_path):
    bad = write(tmp_path, "range.toml", 'extends = "collective"\n[backbone]\nbudget_share = 1.5\n')
    status, stdout, stderr = call(["run", str(bad), "--out", str(tmp_path / "out"), *FAST])
    assert_clean_error(status, stdout, stderr, "range.toml", "backbone.budget_share", "1.5")


def test_nonexistent_scenario(tmp_path):
    status, stdout, stderr = call(["compare", "isolated", "colective", "--out", str(tmp_path / "out"), *FAST])
    assert_clean_error(status, stdout, stderr, "colective", "collective")


@pytest.mark.parametrize("item, needles", [
    ("conditions.common_agenda=2", ["--set", "conditions.common_agenda", "0 to 1"]),
    ("conditions.nope=1", ["--set", "conditions.nope", "unknown key"]),
    ("foo=1", ["--set", "'foo'", "unknown key", "conditions.<key>", "domains.<domain>.<key>", "docs/ODD.md"]),
    ("months=abc", ["--set", "months"]),
    ("months", ["--set", "path=value"]),
])
def test_bad_set(tmp_path, item, needles):
    status, stdout, stderr = call(["compare", "isolated", "collective", "--out", str(tmp_path / "out"),
                                   "-r", "2", "--set", item])
    assert_clean_error(status, stdout, stderr, *needles)
    assert not (tmp_path / "out").exists()


def test_scenarios_lists_bundled_names_with_descriptions():
    status, stdout, stderr = call(["scenarios"])
    assert status == 0
    assert "isolated" in stdout and "collective" in stdout
    assert "backbone" in stdout  # from the descriptions
    assert max(len(line) for line in stdout.splitlines()) <= 100


def test_validate(tmp_path):
    good = Path(__file__).resolve().parent.parent / "scenarios" / "collective.toml"
    status, stdout, stderr = call(["validate", str(good)])
    assert status == 0 and stdout.startswith("OK")
    bad = write(tmp_path, "bad.toml", 'extends = "collective"\n[problem]\npopulaton = 5\n')
    status, stdout, stderr = call(["validate", str(good), str(bad)])
    assert status == 2
    assert "OK" in stdout
    assert "bad.toml" in stderr and "problem.populaton" in stderr and "Traceback" not in stderr


def test_validate_checks_experiment_files_too(tmp_path):
    root = Path(__file__).resolve().parent.parent / "experiments"
    files = [str(root / "backbone_investment.toml"), str(root / "sobol_default.toml")]
    status, stdout, stderr = call(["validate", *files])
    assert status == 0, stderr
    assert "experiment backbone_investment (sweep, grid design) on scenario collective, 1 factor, 20 points" in stdout
    assert "experiment sobol_default (sensitivity analysis, sobol design)" in stdout
    bad = write(tmp_path, "bad.toml", (root / "smoke.toml").read_text().replace("replicates =", "replicatse ="))
    status, stdout, stderr = call(["validate", str(bad)])
    assert_clean_error(status, stdout, stderr, "bad.toml", "replicatse")


def test_parse_values():
    assert parse_value("3") == 3 and isinstance(parse_value("3"), int)
    assert parse_value("0.25") == 0.25 and parse_value("1e3") == 1000.0
    assert parse_value("text") == "text" and parse_value('"quoted"') == "quoted"
    assert parse_sets(["months=36", "backbone.budget_share = 0.1"]) == {"months": 36, "backbone.budget_share": 0.1}
    with pytest.raises(ScenarioError):
        parse_sets(["=3"])


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError), meta.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    meta.write_json(target.with_suffix(".json"), {"x": float("nan")})
    assert json.loads(target.with_suffix(".json").read_text()) == {"x": None}


def test_subprocess_prints_only_json(tmp_path):
    done = subprocess.run([sys.executable, "-m", "cisim.interfaces.cli", "compare", "isolated", "collective", "--json",
                           "--replicates", "2", "--set", "months=12", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    digest = json.loads(done.stdout)
    assert digest["replicates"] == 2
    assert Path(digest["files"]["figure_png"]).is_file()

    done = subprocess.run([sys.executable, "-m", "cisim.interfaces.cli", "run", "no-such-scenario"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 2
    assert done.stderr.startswith("cisim: error: no-such-scenario") and "Traceback" not in done.stderr


# ---------------------------------------------------------------- answering at once

HEAVY = ("numba", "numpy", "pandas", "matplotlib", "mesa", "scipy", "SALib", "dask", "distributed", "pyarrow")
# the cisim command, with the top-level modules it loaded written to a file at exit
PROBE = """
import atexit, json, sys
out, argv = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted({m.split(".")[0] for m in sys.modules}))))
from cisim.interfaces.cli import main
sys.exit(main(argv))
"""
EXPERIMENTS = sorted(str(p) for p in (Path(__file__).resolve().parent.parent / "experiments").glob("*.toml"))


def probe(tmp_path: Path, argv: list[str]) -> tuple[int, str, str, set[str]]:
    """Run ``cisim argv`` in a fresh interpreter: (status, stdout, stderr, top-level modules loaded)."""
    loaded = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", PROBE, str(loaded), *argv], capture_output=True, text=True,
                          timeout=120)
    return done.returncode, done.stdout, done.stderr, set(json.loads(loaded.read_text()))


def bad_files(tmp_path: Path) -> dict[str, Path]:
    points = write(tmp_path, "points.csv", "backbone.budget_share,coalition.size\n0.0,10\n0.1,12\n")
    return {
        "scenario": write(tmp_path, "range.toml", 'extends = "collective"\n[backbone]\nbudget_share = 1.5\n'),
        "experiment": write(tmp_path, "exp.toml", 'scenario = "collective"\n[factors."backbone.budget_share"]\n'
                                                  'levels = [0.1, 1.5]\n'),
        "table": write(tmp_path, "table.toml", f'scenario = "collective"\n[design]\nkind = "table"\n'
                                               f'file = "{points.name}"\n'),
        "lhs": write(tmp_path, "lhs.toml", 'scenario = "collective"\n[design]\nkind = "lhs"\npoints = 8\n'
                                           '[factors."coalition.size"]\nlow = 10\nhigh = 20\n'),
    }


@pytest.mark.parametrize("argv, status", [
    (["--help"], 0), (["run", "--help"], 0), (["compare", "--help"], 0), (["validate", "--help"], 0),
    (["sweep", "--help"], 0), (["scenarios"], 0),
    (["validate", "collective", *EXPERIMENTS, "{table}", "{lhs}"], 0),
    (["validate", "{scenario}"], 2), (["validate", "{experiment}"], 2),
    (["run", "{scenario}"], 2), (["compare", "isolated", "{scenario}"], 2),
    (["compare", "isolated", "collective", "--set", "backbone.budget_share=1.5"], 2),
], ids=lambda x: " ".join(x) if isinstance(x, list) else None)
def test_help_scenarios_validate_and_bad_input_load_no_heavy_module(tmp_path, argv, status):
    files = bad_files(tmp_path)
    argv = [a.format(**files) for a in argv]
    got, stdout, stderr, loaded = probe(tmp_path, argv)
    assert got == status, stderr
    assert "cisim" in loaded and not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    if argv[0] == "validate" and "--help" not in argv and status == 0:
        assert stdout.count("OK  ") == len(argv) - 1


@pytest.mark.parametrize("argv", [["validate", "{scenario}"], ["run", "{scenario}"], ["compare", "collective",
                                                                                      "{scenario}", "-r", "2"]])
def test_a_bad_file_is_one_line_naming_file_key_and_expectation(tmp_path, argv):
    argv = [a.format(**bad_files(tmp_path)) for a in argv]
    status, stdout, stderr, _ = probe(tmp_path, [*argv, *(["--out", str(tmp_path / "out")] if argv[0] != "validate"
                                                          else [])])
    assert_clean_error(status, stdout, stderr, "range.toml", "backbone.budget_share", "from 0 to 0.9", "1.5")
    assert stdout == "" and not (tmp_path / "out").exists()


def test_validate_still_samples_an_unbounded_factor(tmp_path):
    """Whether a norm factor's values stay in range only its sample says: validate draws it, and says so."""
    p = write(tmp_path, "norm.toml", 'scenario = "collective"\nreplicates = 2\n[design]\nkind = "sobol"\nn = 16\n'
                                     '[factors."conditions.common_agenda"]\ndist = "norm"\nbounds = [0.5, 0.5]\n'
                                     '[factors."backbone.budget_share"]\nlow = 0.0\nhigh = 0.3\n')
    status, stdout, stderr = call(["validate", str(p)])
    assert_clean_error(status, stdout, stderr, "norm.toml", "factors.conditions.common_agenda",
                       "outside the parameter's range")


def _recorder(monkeypatch, name: str) -> list[str]:
    """Patch the figure function ``name`` of the plots module to record what stdout held when it was called."""
    from cisim.interfaces import plots

    seen: list[str] = []
    real = getattr(plots, name)

    def figure(*args, **kwargs):
        seen.append(sys.stdout.getvalue())
        return real(*args, **kwargs)

    monkeypatch.setattr(plots, name, figure)
    return seen


def test_compare_prints_its_tables_before_drawing_the_figure(tmp_path, monkeypatch):
    seen = _recorder(monkeypatch, "compare_figure")
    status, stdout, stderr = call(["compare", "isolated", "collective", "--out", str(tmp_path), "-r", "2",
                                   "--set", "months=12"])
    assert status == 0, stderr
    (before,) = seen
    assert "difference from isolated" in before and "Mechanisms at month 12" in before and "cost per point:" in before
    assert "Wrote:" not in before and stdout.startswith(before)
    assert re.search(r"Wrote:\n  \S+compare-isolated-collective-r2-set-[0-9a-f]{6}\.png\n", stdout[len(before):])


def test_run_prints_its_tables_before_drawing_the_figure(tmp_path, monkeypatch):
    seen = _recorder(monkeypatch, "run_figure")
    status, stdout, stderr = call(["run", "collective", "--out", str(tmp_path), "--set", "months=12"])
    assert status == 0, stderr
    (before,) = seen
    assert before.startswith("collective: 1 run (seed 0), 12 months\n") and "root causes (1 = unchanged)" in before
    assert "Wrote:" not in before and stdout.startswith(before) and ".png" in stdout[len(before):]


def test_compare_json_is_printed_after_its_files_exist(tmp_path, monkeypatch):
    seen = _recorder(monkeypatch, "compare_figure")
    status, stdout, stderr = call(["compare", "isolated", "collective", "--json", "--out", str(tmp_path), "-r", "2",
                                   "--set", "months=12"])
    assert status == 0, stderr
    assert seen == [""]  # nothing on stdout until everything is written
    assert all(Path(p).is_file() for p in json.loads(stdout)["files"].values())
