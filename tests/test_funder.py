"""A funder's path, end to end: ``cisim new`` → their own numbers → ``sweep --scenario`` → ``report backbone``.

Every dollar and every horizon the report states is checked against the scenario the funder wrote.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_call import call

from cisim.experiments.sweep import load_results

BUDGET, SIZE, MONTHS = 150_000.0, 20, 36
SMALL = """
name = "funder_small"
scenario = "collective"
seed = 11
replicates = 12
uncertainty = "parameters"
outputs = ["outcome_start", "outcome_12", "outcome_24", "outcome_36", "outcome_60", "outcome_final",
           "cost_per_point", "total_spend", "funder_spend_total", "backbone_income_total", "people_completed_total",
           "months_to_completion_final", "cost_per_person_helped", "funder_cost_per_person_helped",
           "coalition_alive_final"]
[design]
kind = "grid"
[factors."backbone.budget_share"]
levels = [0.0, 0.04, 0.08, 0.12, 0.16, 0.24, 0.36]
"""


def set_value(text: str, table: str | None, key: str, value: object) -> str:
    """``text`` with ``key`` of ``[table]`` (top level for None) set to ``value``, as a person edits the file."""
    start = 0 if table is None else re.search(rf"^\[{re.escape(table)}\]\s*$", text, re.M).end()
    end = re.search(r"^\[", text[start:], re.M)
    stop = len(text) if end is None else start + end.start()
    part, n = re.subn(rf"^{re.escape(key)}\s*=.*$", f"{key} = {value}", text[start:stop], count=1, flags=re.M)
    assert n == 1, f"{key} not found in [{table}]"
    return text[:start] + part + text[stop:]


@pytest.fixture(scope="module")
def funder(tmp_path_factory) -> dict:
    """The funder's folder after new → edit → sweep → report, with what each command printed."""
    tmp = tmp_path_factory.mktemp("funder")
    county = tmp / "my-county.toml"
    status, out, err = call(["new", str(county)])
    assert status == 0, err
    text = county.read_text()
    text = set_value(text, None, "months", MONTHS)
    text = set_value(text, "funder", "budget", BUDGET)
    text = set_value(text, "coalition", "size", SIZE)
    county.write_text(text)
    assert call(["validate", str(county)])[0] == 0
    exp = tmp / "small.toml"
    exp.write_text(SMALL)
    results = tmp / "results"
    status, _, err = call(["sweep", str(exp), "--scenario", str(county), "--out", str(results), "--workers", "1"])
    assert status == 0, err
    status, report_out, err = call(["report", "backbone", str(results)])
    assert status == 0, err
    return {"county": county, "results": results, "printed": report_out, "notes": err}


def test_the_runs_used_the_funders_scenario(funder):
    record = json.loads((funder["results"] / "metadata.json").read_text())
    params = record["scenario"]["parameters"]
    assert params["months"] == MONTHS and params["funder"]["budget"] == BUDGET
    assert params["coalition"]["size"] == SIZE
    assert record["experiment"]["scenario_given"] == str(funder["county"])
    runs = load_results(funder["results"], complete=True)
    share, alive = runs["backbone.budget_share"], runs["coalition_alive_final"] == 1
    # a fixed budget: grants and backbone money add up to the funder's budget every month the coalition meets;
    # once it dissolves the backbone's share is no longer paid (and not granted instead)
    assert runs.loc[alive, "funder_spend_total"].to_numpy() == pytest.approx(BUDGET * MONTHS)
    assert runs.loc[alive, "backbone_income_total"].to_numpy() == pytest.approx(share[alive] * BUDGET * MONTHS)
    gone = ~alive & (share > 0)
    assert (runs.loc[gone, "funder_spend_total"] < BUDGET * MONTHS).all()
    assert (runs.loc[gone, "funder_spend_total"] >= (1 - share[gone]) * BUDGET * MONTHS).all()
    assert alive.mean() > 0.5  # most coalitions of 20 last the three years
    assert runs["outcome_60"].isna().all() and (runs["outcome_36"] == runs["outcome_final"]).all()


def test_every_dollar_and_the_horizon_in_the_table_follow_the_scenario(funder):
    t = pd.read_csv(funder["results"] / "backbone.csv")
    assert t["backbone_dollars_per_month"].to_numpy() == pytest.approx(t["share"] * BUDGET)
    runs = load_results(funder["results"], complete=True)
    assert t["funder_dollars"].to_numpy() == pytest.approx(
        runs.groupby("backbone.budget_share")["funder_spend_total"].mean().to_numpy())
    paid = t["funder_dollars"]
    assert ((paid <= BUDGET * MONTHS) & (paid >= (1 - t["share"]) * BUDGET * MONTHS)).all()
    assert t.loc[0, "funder_dollars"] == pytest.approx(BUDGET * MONTHS)  # no backbone: all of it granted
    assert (t["months"] == MONTHS).all()
    assert {"outcome_m36_mean", "outcome_m24_mean"} <= set(t.columns)
    assert not [c for c in t.columns if c.startswith("outcome_60") or c.startswith("outcome_m60")]
    assert t["people_per_year_mean"].to_numpy() == pytest.approx(t["people_mean"] / (MONTHS / 12))
    assert t["funder_dollars_per_person_mean"].to_numpy() == pytest.approx(
        BUDGET * MONTHS / t["people_mean"], rel=0.05)  # a mean of per-run ratios, near the ratio of means
    clear = t["additional_ci_low"] > 0
    assert t.loc[clear, "backbone_dollars_per_additional_mean"].to_numpy() == pytest.approx(
        (t.loc[clear, "share"] * BUDGET * MONTHS / t.loc[clear, "additional_mean"]).to_numpy())
    assert (t.loc[t["share"] > 0, "extra_funder_dollars_per_additional_mean"].dropna() == 0).all()
    steps = np.diff(t["share"].to_numpy())
    assert t["people_per_1k"].iloc[1:].to_numpy() == pytest.approx(
        t["step_people"].iloc[1:].to_numpy() / (steps * BUDGET / 1000))
    assert t["best"].sum() == 1 and not t.loc[t["best"], "thin"].item()
    assert t["interval"].str.contains("calibrated parameters").all()


def test_the_printed_answer_the_figure_and_the_memo_say_the_same(funder):
    printed, results = funder["printed"], funder["results"]
    t = pd.read_csv(results / "backbone.csv")
    best = t.loc[t["best"]].iloc[0]
    share = f"{round(100 * best['share'])}%"
    assert f"Giving the backbone {share} of the $150k a month helps the most" in printed
    assert "over 3 years" in printed and "outcome after 3 years" in printed and "outcome after 2 years" in printed
    assert "5 years" not in printed and "$300k" not in printed
    assert re.search(r"In 80% of 12 plausible worlds .* the best share (lies between|lies at) ", printed)
    memo = (results / "backbone-memo.md").read_text()
    for words in ("**Question.**", "**Answer.**", "**What it rests on.**", "**What would change it.**",
                  "the funder's $150k a month", "over 3 years", f"{SIZE} organizations", "calibrated",
                  "Not calibrated", "seed noise and the calibrated parameters"):
        assert words in memo, words
    assert "$300k" not in memo and "5 years" not in memo
    for name in ("backbone.png", "backbone.pdf", "backbone-memo.pdf"):
        assert (results / name).stat().st_size > 5000, name
    assert (results / "backbone-memo.pdf").read_bytes().count(b"/Type /Page\n") + \
        (results / "backbone-memo.pdf").read_bytes().count(b"/Type /Page ") <= 2  # one page (and the Pages node)


def test_the_figure_labels_follow_the_scenario(funder):
    from cisim.experiments.tables import backbone_table
    from cisim.interfaces.backbone_report import backbone_figure
    from cisim.interfaces.cli import _sweep_scenario

    results = funder["results"]
    record = json.loads((results / "metadata.json").read_text())
    sc = _sweep_scenario(record, results)
    bt = backbone_table(load_results(results, complete=True), scenario=sc,
                        varied=[c for c in record["ensemble"]["parameters"] if c not in record["ensemble"]["kept"]])
    fig = backbone_figure(bt, sc, "t", "s", "w")
    legend = [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    assert legend == ["after 2 years", "after 3 years (the end)"]
    assert "$150k a month" in fig.axes[0].get_xlabel().replace("\\$", "$")
    assert sc.outcome_completed in fig.axes[1].get_ylabel() and "over 3 years" in fig.axes[1].get_ylabel()


def test_sweep_takes_set_and_scenario_into_its_own_folder(funder):
    from cisim.interfaces.cli import _experiment_and_out

    def args(**kw):
        base = {"experiment": "backbone_investment", "scenario": None, "set": [], "allow": [], "uncertainty": None,
                "ensemble": None, "scheduler": None, "out": None}
        return argparse.Namespace(**{**base, **kw})

    exp, out = _experiment_and_out(args())
    assert out.name == "backbone_investment" and exp.scenario.months == 60
    exp, out = _experiment_and_out(args(scenario=str(funder["county"])))
    assert out.name == "backbone_investment-my-county" and exp.scenario.months == MONTHS
    exp, out2 = _experiment_and_out(args(scenario=str(funder["county"]), set=["funder.budget=200000"]))
    assert out2.name.startswith("backbone_investment-my-county-set-") and exp.scenario.get("funder.budget") == 200_000
    assert exp.sets == {"funder.budget": 200_000} and "funder.budget" in exp.kept
    assert exp.fingerprint() != _experiment_and_out(args(scenario=str(funder["county"])))[0].fingerprint()


def test_a_bad_scenario_or_set_for_sweep_is_one_line(funder, tmp_path):
    status, _, err = call(["sweep", "backbone_investment", "--scenario", str(tmp_path / "nowhere.toml"),
                           "--out", str(tmp_path / "x")])
    assert status == 2 and err.count("\n") == 1 and "--scenario" in err and "nowhere.toml" in err
    status, _, err = call(["sweep", "backbone_investment", "--set", "funder.budget=lots", "--out", str(tmp_path / "x")])
    assert status == 2 and err.count("\n") == 1 and "funder.budget" in err and "expected a number" in err
    status, _, err = call(["sensitivity", "sobol_default", "--scenario", str(funder["county"]), "--set",
                           "coalition.size=1", "--out", str(tmp_path / "y")])
    assert status == 2 and err.count("\n") == 1 and "coalition.size" in err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_report_out_is_a_folder(funder, tmp_path):
    out = tmp_path / "board"
    status, printed, err = call(["report", "backbone", str(funder["results"]), "--out", str(out)])
    assert status == 0, err
    assert {p.name for p in out.iterdir()} >= {"backbone.png", "backbone.pdf", "backbone.csv", "backbone.parquet",
                                               "backbone-memo.md", "backbone-memo.pdf"}
    status, _, err = call(["report", "backbone", str(funder["results"]), "--out", str(tmp_path / "memo.md")])
    assert status == 2 and "expected a folder" in err


def test_compare_answers_in_people_and_the_funders_dollars(funder):
    status, printed, err = call(["compare", str(funder["county"]), "-r", "4", "--out",
                                 str(Path(funder["results"]) / "cmp"), "--uncertainty", "seeds"])
    assert status == 0, err
    assert "People over months 1 to 36, against my-county (isolated) (the status quo)" in printed
    assert "funder $ per person helped" in printed and "extra funder $ per added person" in printed
    assert "$0 (same money)" in printed or "no clear gain" in printed
    value = pd.read_csv(next((Path(funder["results"]) / "cmp").glob("*-value.csv")))
    assert value["scenario"].tolist() == ["my-county (isolated)", "my-county"]
    assert value["funder_dollars"].iloc[0] == pytest.approx(BUDGET * MONTHS)  # working alone: all of it granted
    assert 0.92 * BUDGET * MONTHS <= value["funder_dollars"].iloc[1] <= BUDGET * MONTHS  # less an unpaid backbone
    if value["additional_clear"].iloc[1]:  # a gain from the same budget costs the funder nothing extra
        assert value["extra_funder_dollars_per_additional_mean"].iloc[1] == 0
