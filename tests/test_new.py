"""``cisim new``: a commented scenario of one's own community that loads as the scenario it starts from."""

from __future__ import annotations

import re

import pytest
from cli_call import call

from cisim.model.scenario import load
from cisim.model.template import FUNDER_VALUES, scenario_template

CASES = ["youth-homelessness", "collective", "farmworker-health", "wealth-building", "health-equity-delta",
         "backbone-withdrawn"]


def _without_words(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in ("name", "description")}


@pytest.mark.parametrize("like", CASES)
def test_the_file_loads_as_the_scenario_it_starts_from(tmp_path, like):
    path = tmp_path / "mine.toml"
    path.write_text(scenario_template(like, name="mine"))
    sc, base = load(path), load(like)
    assert sc.name == "mine"
    assert _without_words(sc.to_dict()) == _without_words(base.to_dict())


def test_every_value_a_funder_edits_has_its_meaning_unit_and_range_above_it(tmp_path):
    text = scenario_template()
    lines = text.splitlines()
    keys = [k for k, line in enumerate(lines) if re.match(r"^[a-z_]+ = ", line)
            and not line.startswith(("extends", "replace", "name", "description"))]
    assert len(keys) > 40
    for k in keys:
        assert lines[k - 1].startswith("# "), lines[k]
    for paths in FUNDER_VALUES.values():
        for path in paths:
            key = path.split(".", 1)[1]
            at = next(k for k, line in enumerate(lines) if line.startswith(f"{key} = "))
            assert re.search(r"\(.+, [-0-9.e+]+ to [-0-9.e+]+\)\.$", lines[at - 1]), lines[at - 1]
    # youth-homelessness: 24 x $20,000 x 0.5 own + $240,000; 4,000 x 0.011 x (0.7 + 0.3 x 1.5) = 50.6 entrants
    assert "$480,000 a month in all" in text and "$19,200 a month goes to the backbone" in text
    assert "= 51 x $8,710" in text and "Serving them all costs" in text


def test_a_funders_edits_are_read_back(tmp_path):
    text = scenario_template(name="county")
    text = re.sub(r"^months = 60$", "months = 36", text, count=1, flags=re.M)
    text = text.replace("budget = 240000.0", "budget = 150000.0").replace("size = 24", "size = 20")
    path = tmp_path / "county.toml"
    path.write_text(text)
    sc = load(path)
    assert (sc.months, sc.get("funder.budget"), sc.get("coalition.size")) == (36, 150_000, 20)
    assert call(["validate", str(path)])[0] == 0


def test_the_command_writes_the_file_and_says_what_to_run_next(tmp_path):
    path = tmp_path / "my-county.toml"
    status, out, err = call(["new", str(path), "--like", "farmworker-health"])
    assert status == 0, err
    assert f"cisim sweep backbone_investment --scenario {path}" in out and f"cisim compare {path}" in out
    assert load(path).name == "my-county"
    assert "started from the bundled 'farmworker-health'" in path.read_text()


@pytest.mark.parametrize("argv, needle", [
    (["{dir}/exists.toml"], "exists already; choose another name, or add --force"),
    (["{dir}/mine.txt"], "expected a file name ending in .toml"),
    (["{dir}/no/such/folder/mine.toml"], "expected an existing folder"),
    (["{dir}/mine.toml", "--like", "atlantis"], "expected a bundled scenario"),
])
def test_bad_requests_are_one_line(tmp_path, argv, needle):
    (tmp_path / "exists.toml").write_text("keep me\n")
    status, out, err = call(["new", *[a.format(dir=tmp_path) for a in argv]])
    assert status == 2 and err.count("\n") == 1 and err.startswith("cisim: error:") and needle in err, err
    assert (tmp_path / "exists.toml").read_text() == "keep me\n"
    assert not (tmp_path / "mine.toml").exists()


def test_force_overwrites(tmp_path):
    path = tmp_path / "exists.toml"
    path.write_text("keep me\n")
    assert call(["new", str(path), "--force"])[0] == 0
    assert load(path).name == "exists"
