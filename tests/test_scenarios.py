"""Scenario files: the bundled set loads, ``extends`` and ``replace`` work, and bad files fail with
messages that name the file, the dotted key and what was expected."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from cisim.model.scenario import BUNDLED_DIR, ScenarioError, bundled_names, load
from cisim.model.schema import BY_PATH, FIELDS

ABLATIONS = {
    "no-common-agenda": ("conditions.common_agenda", 0.0),
    "no-shared-measurement": ("conditions.shared_measurement", 0.0),
    "no-reinforcing": ("conditions.mutually_reinforcing", 0.0),
    "no-communication": ("conditions.continuous_communication", 0.0),
    "no-backbone": ("backbone.budget_share", 0.0),
    "underfunded-backbone": ("backbone.budget_share", 0.015),
}
SEED_CASES = ("health-equity-delta", "youth-homelessness", "wealth-building", "farmworker-health")
EXPECTED = {"isolated", "collective", "backbone-withdrawn", *ABLATIONS, *SEED_CASES}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def error_of(target) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load(target)
    return info.value


def assert_names(err: ScenarioError, file: Path | str, key: str | None, *expected: str) -> None:
    message = str(err)
    assert str(file) in message, message
    assert Path(err.file).name == Path(file).name, message
    if key is not None:
        assert err.key == key, message
        assert f"'{key}'" in message, message
    for text in expected:
        assert text in message, message


# --- the bundled scenarios


def test_bundled_set_is_complete():
    assert EXPECTED <= set(bundled_names())


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_scenario_loads(name):
    sc = load(name)
    assert sc.name == name
    assert len(sc.description) > 80, "a one-paragraph plain-language description"
    assert "\n" not in sc.description
    assert 36 <= sc.months <= 600
    assert sc.domains and sc.sectors
    for f in FIELDS:
        assert f.lo <= sc.values[f.path] <= f.hi
    homes = {h for s in sc.sectors.values() for h in s["home_domains"]}
    assert homes <= set(sc.domains)
    assert sc.outcome_label and sc.outcome_unit


@pytest.mark.parametrize("name", sorted(ABLATIONS))
def test_ablation_switches_one_thing_and_inherits_the_rest(name):
    collective, sc = load("collective"), load(name)
    path, value = ABLATIONS[name]
    assert sc.values[path] == value != collective.values[path]
    others = {p: v for p, v in sc.values.items() if p != path}
    assert others == {p: v for p, v in collective.values.items() if p != path}
    assert sc.domains == collective.domains
    assert sc.sectors == collective.sectors
    assert sc.outcome_label == collective.outcome_label
    assert sc.description != collective.description
    assert [Path(s).name for s in sc.sources] == ["collective.toml", f"{name}.toml"]


def test_no_backbone_keeps_the_collective_values():
    sc, collective = load("no-backbone"), load("collective")
    assert sc.get("backbone.budget_share") == 0.0
    for path in (
        "conditions.common_agenda",
        "conditions.community_voice",
        "funder.budget",
        "coalition.size",
        "backbone.half_saturation",
        "problem.population",
    ):
        assert sc.get(path) == collective.get(path)
    # a value the collective file leaves to the schema default is inherited as that default
    assert sc.get("trust.growth") == BY_PATH["trust.growth"].default


def test_isolated_switches_everything_off():
    sc = load("isolated")
    for c in (
        "common_agenda",
        "shared_measurement",
        "mutually_reinforcing",
        "continuous_communication",
        "community_voice",
    ):
        assert sc.get(f"conditions.{c}") == 0.0
    assert sc.get("backbone.budget_share") == 0.0


def test_backbone_withdrawn_has_its_event():
    sc = load("backbone-withdrawn")
    assert [(e.month, e.kind) for e in sc.events] == [(24, "backbone_funding_ends")]
    assert load("collective").events == []
    assert sc.values == load("collective").values


@pytest.mark.parametrize("name", SEED_CASES)
def test_seed_cases_replace_domains_and_sectors(name):
    sc, collective = load(name), load("collective")
    # the problem structure is their own: exactly the file's tables, no collective domain or sector merged in
    with open(BUNDLED_DIR / f"{name}.toml", "rb") as fh:
        own = tomllib.load(fh)
    assert set(own["replace"]) >= {"domains", "sectors"}
    assert list(sc.domains) == list(own["domains"])
    assert list(sc.sectors) == list(own["sectors"])
    assert {"psychiatric", "family", "prevention"}.isdisjoint(sc.domains)
    for key, d in sc.domains.items():
        assert d["label"] == own["domains"][key]["label"]
        assert d["need_rate"] == own["domains"][key]["need_rate"]
        assert d["label"] and d["unit_cost"] > 0 and 0 <= d["visibility"] <= 1
    assert sc.outcome_label != collective.outcome_label
    # the behaviour is inherited from the collective scenario
    for path in ("conditions.common_agenda", "backbone.budget_share", "trust.threshold"):
        assert sc.get(path) == collective.get(path)
    # 20 to 40 partners, and money calibrated like the collective scenario
    v = sc.values
    assert 20 <= v["coalition.size"] <= 40
    cost = sum(v["problem.population"] * d["need_rate"] * d["unit_cost"] for d in sc.domains.values())
    assert 0.45 <= cost / (v["coalition.size"] * v["coalition.budget_mean"]) <= 0.7


def test_seed_case_visibility_favours_visible_work():
    sc = load("health-equity-delta")
    assert sc.domains["clinics"]["visibility"] > sc.domains["transportation"]["visibility"]
    assert sc.domains["mobile_markets"]["visibility"] > sc.domains["follow_up"]["visibility"]


def test_replace_in_a_user_file(tmp_path):
    path = write(
        tmp_path,
        "mine",
        """
extends = "collective"
replace = ["domains", "sectors"]
[domains.a]
need_rate = 0.4
[domains.b]
label = "Bee"
[sectors.s]
home_domains = ["a", "b"]
""",
    )
    sc = load(path)
    assert list(sc.domains) == ["a", "b"]
    assert sc.domains["a"]["label"] == "a"
    assert sc.domains["b"]["need_rate"] == 0.5  # the schema default, not a collective value
    assert list(sc.sectors) == ["s"]
    assert sc.name == "mine"
    assert sc.get("conditions.community_voice") == load("collective").get("conditions.community_voice")


def test_without_replace_tables_merge(tmp_path):
    path = write(
        tmp_path,
        "merged",
        """
extends = "collective"
[domains.clinics]
unit_cost = 10.0
[domains.extra]
need_rate = 0.1
""",
    )
    sc = load(path)
    collective = load("collective")
    assert sc.domains["clinics"]["unit_cost"] == 10.0
    assert sc.domains["clinics"]["visibility"] == collective.domains["clinics"]["visibility"]
    assert list(sc.domains) == [*collective.domains, "extra"]


def test_extends_relative_path_and_chain(tmp_path):
    write(tmp_path, "base", 'extends = "collective"\n[coalition]\nsize = 25\n')
    path = write(tmp_path, "child", 'extends = "base.toml"\n[funder]\nbudget = 1000.0\n')
    sc = load(path)
    assert sc.get("coalition.size") == 25
    assert sc.get("funder.budget") == 1000.0
    assert sc.get("backbone.budget_share") == load("collective").get("backbone.budget_share")
    assert [Path(s).name for s in sc.sources] == ["collective.toml", "base.toml", "child.toml"]
    assert sc.description == ""  # a description is not inherited


# --- errors in files


# One bad file each: the error names the file, the dotted key and what was expected.
BAD_FILES = [
    pytest.param(
        'extends = "collective"\n[conditions]\ncomon_agenda = 1\n',
        "conditions.comon_agenda", ("unknown key", "did you mean 'common_agenda'",), id="unknown_key_suggests"),
    pytest.param(
        'extends = "collective"\n[domains.clinics]\nvisiblity = 0.2\n',
        "domains.clinics.visiblity", ("unknown key", "did you mean 'visibility'",), id="unknown_domain_key_suggests"),
    pytest.param(
        'extends = "collective"\n[conditons]\ncommon_agenda = 1\n',
        "conditons", ("unknown key", "did you mean 'conditions'",), id="unknown_section"),
    pytest.param(
        'extends = "collective"\n[funder]\nbudget = "lots"\n',
        "funder.budget", ("expected a number", "'lots'",), id="wrong_type"),
    pytest.param(
        'extends = "collective"\n[coalition]\nsize = 30.5\n',
        "coalition.size", ("expected a whole number", "30.5",), id="wrong_type_whole_number"),
    pytest.param(
        'extends = "collective"\nconditions = 1\n',
        "conditions", ("expected a table",), id="section_that_is_not_a_table"),
    pytest.param(
        'extends = "collective"\n[conditions]\nshared_measurement = 1.5\n',
        "conditions.shared_measurement", ("expected a value from 0 to 1", "1.5",), id="value_out_of_range"),
    pytest.param(
        'extends = "collective"\n[domains.transportation]\nvisibility = -0.1\n',
        "domains.transportation.visibility", ("expected a value from 0 to 1", "-0.1",), id="domain_value_out_of_range"),
    pytest.param(
        'extends = "collective"\nmonths = 0\n',
        "months", ("from 1 to 600",), id="months_out_of_range"),
]


@pytest.mark.parametrize("text, key, expected", BAD_FILES)
def test_bad_file_names_file_key_and_expectation(tmp_path, text, key, expected):
    path = write(tmp_path, "bad", text)
    assert_names(error_of(path), path, key, *expected)


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    err = error_of(path)
    assert_names(err, path, None, "no such scenario file")


def test_missing_bundled_name_suggests():
    err = error_of("colective")
    assert "colective" in str(err)
    assert "did you mean 'collective'" in str(err)


def test_missing_parent(tmp_path):
    path = write(tmp_path, "orphan", 'extends = "colective"\n')
    err = error_of(path)
    assert_names(err, path, "extends", "'colective'", "no such scenario", "did you mean 'collective'")


def test_malformed_toml(tmp_path):
    path = write(tmp_path, "broken", 'extends = "collective"\n[conditions\ncommon_agenda = 1\n')
    err = error_of(path)
    assert_names(err, path, None, "not valid TOML", "line 2")


def test_malformed_parent(tmp_path):
    parent = write(tmp_path, "broken", "[conditions\n")
    child = write(tmp_path, "child", 'extends = "broken"\n')
    err = error_of(child)
    assert_names(err, parent, None, "not valid TOML")


def test_cycle_of_extends(tmp_path):
    a = write(tmp_path, "a", 'extends = "b"\n')
    b = write(tmp_path, "b", 'extends = "a"\n')
    err = error_of(a)
    assert_names(err, b, "extends", "cycle of extends", "a.toml -> b.toml -> a.toml")


def test_self_extends(tmp_path):
    a = write(tmp_path, "selfish", 'extends = "selfish"\n')
    err = error_of(a)
    assert_names(err, a, "extends", "cycle of extends")


def test_sector_with_unknown_home_domain(tmp_path):
    path = write(
        tmp_path,
        "homes",
        """
extends = "collective"
[sectors.faith]
home_domains = ["family", "folow_up"]
""",
    )
    err = error_of(path)
    assert_names(
        err, path, "sectors.faith.home_domains", "expected names of domains", "'folow_up'", "did you mean 'follow_up'"
    )


def test_replaced_domains_break_inherited_sectors(tmp_path):
    path = write(tmp_path, "halfreplace", 'extends = "collective"\nreplace = ["domains"]\n[domains.only]\n')
    err = error_of(path)
    assert err.key is not None and err.key.endswith(".home_domains")
    assert "expected names of domains" in str(err)
    assert "halfreplace.toml" in str(err)


def test_unknown_replace_section(tmp_path):
    path = write(tmp_path, "badreplace", 'extends = "collective"\nreplace = ["domain"]\n')
    err = error_of(path)
    assert_names(err, path, "replace", "expected section names", "'domain'")


def test_unknown_event_kind(tmp_path):
    path = write(
        tmp_path,
        "event",
        """
extends = "collective"
[[events]]
month = 24
kind = "backbone_funding_end"
""",
    )
    err = error_of(path)
    assert_names(
        err, path, "events[0].kind", "expected one of", "backbone_funding_ends", "did you mean 'backbone_funding_ends'"
    )


def test_event_without_month(tmp_path):
    path = write(tmp_path, "event", 'extends = "collective"\n[[events]]\nkind = "funding_shock"\nvalue = 0.5\n')
    err = error_of(path)
    assert_names(err, path, "events[0].month", "missing")


def test_error_in_a_parent_names_the_parent(tmp_path):
    parent = write(tmp_path, "parent", 'extends = "collective"\n[conditions]\ncomon_agenda = 1\n')
    child = write(tmp_path, "child", 'extends = "parent"\n[coalition]\nsize = 25\n')
    err = error_of(child)
    assert_names(err, parent, "conditions.comon_agenda", "did you mean 'common_agenda'")
    assert "child.toml" in str(err)  # and says which load it came from


def test_error_overridden_in_the_child_names_the_child(tmp_path):
    write(tmp_path, "parent", 'extends = "collective"\n[coalition]\nsize = 25\n')
    child = write(tmp_path, "child", 'extends = "parent"\n[coalition]\nsize = 500\n')
    err = error_of(child)
    assert_names(err, child, "coalition.size", "expected a value from 2 to 200")


def test_fixed_file_loads_again(tmp_path):
    path = write(tmp_path, "fixme", 'extends = "collective"\n[conditions]\ncomon_agenda = 1\n')
    error_of(path)
    path.write_text('extends = "collective"\n[conditions]\ncommon_agenda = 0.25\n')
    assert load(path).get("conditions.common_agenda") == 0.25


# --- Scenario.replace validates like a file


def test_replace_changes_a_copy():
    sc = load("collective")
    new = sc.replace({"conditions.common_agenda": 0.5, "domains.transportation.unit_cost": 80.0}, months=36)
    assert new.get("conditions.common_agenda") == 0.5
    assert new.domains["transportation"]["unit_cost"] == 80.0
    assert new.months == 36
    assert sc.get("conditions.common_agenda") == 1.0
    assert sc.domains["transportation"]["unit_cost"] == 60.0
    assert load("collective").months == 60


def test_replace_keyword_form():
    new = load("collective").replace(backbone__budget_share=0.2)
    assert new.get("backbone.budget_share") == 0.2


def test_replace_unknown_key_suggests():
    with pytest.raises(ScenarioError) as info:
        load("collective").replace({"conditions.comon_agenda": 1})
    err = info.value
    assert err.key == "conditions.comon_agenda"
    assert "collective.toml" in str(err)
    assert "unknown key" in str(err) and "did you mean 'conditions.common_agenda'" in str(err)


def test_replace_out_of_range():
    with pytest.raises(ScenarioError) as info:
        load("collective").replace({"backbone.budget_share": 0.95})
    err = info.value
    assert err.key == "backbone.budget_share"
    assert "collective.toml" in str(err)
    assert re.search(r"expected a value from 0 to 0\.9 .*got 0\.95", str(err))


def test_replace_wrong_type():
    with pytest.raises(ScenarioError, match=r"'funder\.budget': expected a number, got 'lots'"):
        load("collective").replace({"funder.budget": "lots"})


def test_replace_unknown_domain():
    with pytest.raises(ScenarioError, match=r"'domains\.clinic\.need_rate': unknown domain; did you mean 'clinics'"):
        load("collective").replace({"domains.clinic.need_rate": 0.3})


def test_replace_structural_is_validated():
    with pytest.raises(ScenarioError, match=r"'sectors\.health\.home_domains': expected names of domains"):
        load("collective").replace({"sectors.health.home_domains": ["nowhere"]})
    new = load("collective").replace({"sectors.health.home_domains": ["clinics"]})
    assert new.sectors["health"]["home_domains"] == ["clinics"]


def test_bundled_dir_holds_the_files():
    for name in EXPECTED:
        assert (BUNDLED_DIR / f"{name}.toml").is_file()
