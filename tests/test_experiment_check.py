"""Experiment files checked without drawing their points (``cisim validate``): the same answers as drawn."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from cisim.experiments import sensitivity as sa
from cisim.experiments.experiment import _read_table, load_experiment
from cisim.experiments.sensitivity_factors import check_design, design_rows
from cisim.model.scenario import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "experiments").glob("*.toml"))
SMALL = ('scenario = "collective"\nreplicates = 2\n[changes]\nmonths = 12\n"coalition.size" = 10\n')


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def designs(tmp_path: Path) -> list[Path]:
    write(tmp_path, "points.csv", "backbone.budget_share,coalition.size\n0.0,10\n0.1,12\n0.3,14.0\n")
    lhs = '[design]\nkind = "lhs"\npoints = 7\n[factors."coalition.size"]\nlow = 10\nhigh = 20\n'
    sobol2 = ('[design]\nkind = "sobol"\nn = 8\nsecond_order = true\ndummy = false\n'
              '[factors."backbone.budget_share"]\nlow = 0.0\nhigh = 0.3\n'
              '[factors."coalition.size"]\nlow = 5\nhigh = 20\n')
    others = "".join(f'[factors."{p}"]\nlow = 0.0\nhigh = 0.5\n' for p in ("conditions.common_agenda",
                                                                           "backbone.budget_share"))
    files = [write(tmp_path, "table.toml", SMALL + '[design]\nkind = "table"\nfile = "points.csv"\n'),
             write(tmp_path, "lhs.toml", SMALL + lhs), write(tmp_path, "sobol2.toml", SMALL + sobol2)]
    for kind, n in (("efast", 65), ("rbd_fast", 40), ("pawn", 50), ("delta", 100), ("morris", 4)):
        files.append(write(tmp_path, f"{kind}.toml", SMALL + f'[design]\nkind = "{kind}"\nn = {n}\n' + others))
    return [*BUNDLED, *files]


def test_counted_points_are_the_drawn_points(tmp_path):
    for path in designs(tmp_path):
        drawn, counted = load_experiment(path), load_experiment(path, draw=False)
        assert counted.n_points == drawn.n_points == len(drawn.points()), path.name
        assert counted.n_runs == drawn.n_runs and counted.factors == drawn.factors, path.name
        assert counted.is_sensitivity == drawn.is_sensitivity == (drawn.sa_design is not None), path.name
        assert counted.sa_design is None and counted.analysis == drawn.analysis, path.name
        with pytest.raises(RuntimeError, match="draw=False"):
            counted.runs()


def test_design_rows_is_what_salib_draws():
    factors = [sa.Factor("a", (0.0, 1.0)), sa.Factor("b", (0.0, 2.0)), sa.Factor("c", (1.0, 3.0))]
    for method, n, second in (("sobol", 16, False), ("sobol", 16, True), ("morris", 5, False), ("efast", 65, False),
                              ("rbd_fast", 40, False), ("pawn", 60, False), ("delta", 100, False)):
        d = sa.make_design(factors, method, n, seed=3, second_order=second)
        _, _, checked, _ = check_design(factors, method, n, second_order=second)
        assert design_rows(method, n, len(checked), second) == d.n_points == len(d.X), method


def test_table_cells_read_as_pandas_reads_them(tmp_path):
    path = write(tmp_path, "cells.csv", "whole,number,gap,text,flag\n1,0.5,1,a,True\n-2, 3,,0.1,false\n"
                                        "\n+7,1e-3,NA,b,TRUE\n")
    mine, theirs = _read_table("exp.toml", path), pd.read_csv(path)
    assert list(mine) == list(theirs.columns)
    for c in mine:
        expected = [v.item() if hasattr(v, "item") else v for v in theirs[c].tolist()]
        assert [type(v) for v in mine[c]] == [type(v) for v in expected], c
        assert all(a == b or (a != a and b != b) for a, b in zip(mine[c], expected)), (c, mine[c], expected)
    assert math.isnan(mine["gap"][1]) and mine["text"] == ["a", "0.1", "b"]


@pytest.mark.parametrize("text, words", [
    ("", "no columns to parse"),
    ("backbone.budget_share\n", "has no rows"),
    ("backbone.budget_share,coalition.size\n0.1,10\n0.2\n", "expected 2 fields in line 3, saw 1"),
    ("backbone.budget_share,backbone.budget_share\n0.1,0.2\n", "appears twice"),
    ("backbone.budget_share\n0.1\nlots\n", "row 1"),
])
def test_a_bad_table_is_an_error_naming_the_file(tmp_path, text, words):
    write(tmp_path, "points.csv", text)
    p = write(tmp_path, "exp.toml", SMALL + '[design]\nkind = "table"\nfile = "points.csv"\n')
    for draw in (False, True):
        with pytest.raises(ScenarioError, match=words) as err:
            load_experiment(p, draw=draw)
        assert err.value.file == str(p.resolve()) and err.value.key.startswith("design.file")
