"""Scenario files: the bundled set loads, ``extends`` and ``replace`` work, and bad files fail with
messages that name the file, the dotted key and what was expected."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from cisim.model.scenario import (
    BUNDLED_DIR,
    OUTCOME_FIELDS,
    OUTCOME_KEYS,
    Scenario,
    ScenarioError,
    bundled_names,
    from_dict,
    load,
    read_toml,
)
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
#: The people outputs an [outcome] table names, beyond the headline label and unit.
PEOPLE_KEYS = ("people", "completed", "months", "completion")
#: Words that mark a step lowering the marginalized group's access barriers.
BARRIER_WORDS = ("transport", "ride", "outreach", "interpret", "follow", "coach", "community health worker")


def own_tables(name: str) -> list[dict]:
    """The TOML of a bundled scenario and of every file it extends, the scenario's own file last."""
    chain, path = [], BUNDLED_DIR / f"{name}.toml"
    while True:
        raw = read_toml(path)
        chain.insert(0, raw)
        if "extends" not in raw:
            return chain
        path = BUNDLED_DIR / f"{raw['extends']}.toml"


def entrants(sc) -> float:
    """People entering need in a month if nobody were on the pathway or helped yet (incidence times the groups'
    shares and need): an upper bound, since those on the pathway or helped are out of the pool at risk."""
    v = sc.values
    share, need = v["problem.marginalized_share"], v["problem.marginalized_need"]
    return v["problem.population"] * v["problem.incidence"] * ((1 - share) + share * need)


def cost_of_the_need(sc) -> float:
    """What serving everyone entering need would cost a month: entrants x sum(need_rate x duration x unit_cost)."""
    return entrants(sc) * sum(d["need_rate"] * d["duration"] * d["unit_cost"] for d in sc.domains.values())


def organizations_money(sc) -> float:
    """The organizations' money a month: their own funds plus the funder's budget."""
    v = sc.values
    return v["coalition.size"] * v["coalition.budget_mean"] * v["coalition.own_funds_share"] + v["funder.budget"]


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
        "backbone.salary",
        "backbone.staff_per_member",
        "problem.population",
        "problem.incidence",
        "problem.dropout",
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
    # the behaviour is inherited from the collective scenario: a seed case sets only its own sizes
    assert set(own) <= {"extends", "replace", "name", "description", "months", "outcome", "domains", "sectors",
                        "coalition", "funder", "problem"}
    for path in ("conditions.common_agenda", "backbone.budget_share", "trust.threshold", "behaviour.gap_response"):
        assert sc.get(path) == collective.get(path)
    # 20 to 40 partners, and money calibrated like the collective scenario: the need is of the order of the
    # organizations' money (about 0.7 of it once the pool at risk has settled), so where the money goes matters
    assert 20 <= sc.values["coalition.size"] <= 40
    assert 0.6 <= cost_of_the_need(sc) / organizations_money(sc) <= 1.2


def test_the_collective_scenario_is_calibrated_like_the_seed_cases():
    sc = load("collective")
    assert 0.6 <= cost_of_the_need(sc) / organizations_money(sc) <= 1.2


# --- the pathway


@pytest.mark.parametrize("name", bundled_names())
def test_every_step_has_its_own_duration_and_cost(name):
    sc = load(name)
    tables = own_tables(name)
    for dname, d in sc.domains.items():
        # written in a file of the scenario's chain, not left to the schema's default
        for key in ("need_rate", "duration", "unit_cost", "visibility"):
            assert any(key in t.get("domains", {}).get(dname, {}) for t in tables), (dname, key)
        assert 0 < d["need_rate"] <= 1
        assert 1 <= d["duration"] <= 24
        assert d["unit_cost"] > 0
    assert len({d["duration"] for d in sc.domains.values()}) > 1, "steps take different times"


@pytest.mark.parametrize("name", bundled_names())
def test_every_pathway_has_steps_that_lower_barriers(name):
    sc = load(name)
    relief = {k: d["barrier_relief"] for k, d in sc.domains.items() if d["barrier_relief"] > 0}
    assert relief, "at least one step lowers the marginalized group's access barrier"
    for k in relief:
        text = f"{k} {sc.domains[k]['label']}".lower()
        assert any(w in text for w in BARRIER_WORDS), (k, sc.domains[k]["label"])
        assert 0 < relief[k] <= 0.5
    # barriers are lowered by the unglamorous steps, not the visible ones
    assert max(sc.domains[k]["visibility"] for k in relief) <= 0.7


def test_steps_are_in_the_order_people_pass_them():
    order = {
        "youth-homelessness": ("outreach", "shelter", "case_management", "housing"),
        "health-equity-delta": ("transportation", "clinics", "follow_up", "chronic_care"),
        "wealth-building": ("literacy", "banking", "coaching", "credit", "homeownership"),
        "farmworker-health": ("rights_education", "health_care", "transportation", "interpretation", "legal"),
        "collective": ("clinics", "transportation", "follow_up"),
    }
    for name, steps in order.items():
        names = load(name).domain_names
        assert [names.index(s) for s in steps] == sorted(names.index(s) for s in steps), name


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


# --- the outputs in the scenario's own words


@pytest.mark.parametrize("name", bundled_names())
def test_every_scenario_names_its_people_outputs(name):
    sc = load(name)
    tables = own_tables(name)
    for key in ("label", "unit", *PEOPLE_KEYS):
        value = getattr(sc, OUTCOME_FIELDS[key])
        assert isinstance(value, str) and value.strip()
        # written in a file of the chain, not the generic default
        assert any(key in t.get("outcome", {}) for t in tables), key
        assert value != getattr(Scenario, OUTCOME_FIELDS[key]), key


@pytest.mark.parametrize("name", SEED_CASES)
def test_seed_cases_name_their_own_people(name):
    sc, collective = load(name), load("collective")
    for key in ("label", "unit", "people", "completed"):
        assert getattr(sc, OUTCOME_FIELDS[key]) != getattr(collective, OUTCOME_FIELDS[key]), key


def test_youth_homelessness_speaks_of_young_people_and_housing():
    sc = load("youth-homelessness")
    assert sc.outcome_people == "young people"
    assert sc.outcome_months == "months to permanent housing"
    assert "housed" in sc.outcome_completed
    assert sc.outcome_completion == "program completion"


def test_the_variants_inherit_the_collective_words():
    collective = load("collective")
    for name in ("isolated", "backbone-withdrawn", *ABLATIONS):
        sc = load(name)
        for f in OUTCOME_FIELDS.values():
            assert getattr(sc, f) == getattr(collective, f), (name, f)


def test_outcome_defaults_when_a_file_names_nothing(tmp_path):
    path = write(tmp_path, "plain", 'extends = "collective"\nreplace = ["outcome"]\n[outcome]\n')
    sc = load(path)
    assert sc.outcome_people == "people"
    assert sc.outcome_completed == "people helped"
    assert sc.outcome_months == "months from entry to completion"
    assert sc.outcome_completion == "completion rate"
    assert sc.outcome_label == Scenario.outcome_label


def test_outcome_words_survive_copy_to_dict_and_replace():
    sc = load("youth-homelessness")
    words = {f: getattr(sc, f) for f in OUTCOME_FIELDS.values()}
    assert {f: getattr(sc.copy(), f) for f in OUTCOME_FIELDS.values()} == words
    raw = sc.to_dict()
    assert raw["outcome"] == {k: words[f] for k, f in OUTCOME_FIELDS.items()}
    again = from_dict(raw, source="again")
    assert {f: getattr(again, f) for f in OUTCOME_FIELDS.values()} == words
    changed = sc.replace({"conditions.common_agenda": 0.0, "months": 36})
    assert {f: getattr(changed, f) for f in OUTCOME_FIELDS.values()} == words
    renamed = sc.replace({"outcome.people": "youth"})
    assert renamed.outcome_people == "youth"
    assert renamed.outcome_months == words["outcome_months"]
    assert sc.outcome_people == "young people"


def test_outcome_keys_are_strings():
    assert set(OUTCOME_KEYS) == {"label", "unit", *PEOPLE_KEYS}
    assert all(t is str for t in OUTCOME_KEYS.values())
    assert set(OUTCOME_FIELDS.values()) <= set(Scenario.__dataclass_fields__)


@pytest.mark.parametrize("key", ["label", "unit", *PEOPLE_KEYS])
def test_an_outcome_key_that_is_not_a_string_names_file_and_key(tmp_path, key):
    path = write(tmp_path, "words", f'extends = "collective"\n[outcome]\n{key} = 3\n')
    assert_names(error_of(path), path, f"outcome.{key}", "expected a string", "3")


def test_an_empty_outcome_word_names_file_and_key(tmp_path):
    path = write(tmp_path, "empty", 'extends = "collective"\n[outcome]\ncompleted = "  "\n')
    assert_names(error_of(path), path, "outcome.completed", "expected a non-empty string")


def test_an_unknown_outcome_key_suggests(tmp_path):
    path = write(tmp_path, "typo", 'extends = "collective"\n[outcome]\ncompleters = "people"\n')
    assert_names(error_of(path), path, "outcome.completers", "unknown key", "did you mean 'completed'")


def test_replace_checks_outcome_words():
    with pytest.raises(ScenarioError) as info:
        load("collective").replace({"outcome.months": 12})
    assert info.value.key == "outcome.months"
    assert "expected a string" in str(info.value)


def test_a_bad_outcome_word_in_a_parent_names_the_parent(tmp_path):
    parent = write(tmp_path, "parent", 'extends = "collective"\n[outcome]\npeople = ["a", "b"]\n')
    child = write(tmp_path, "child", 'extends = "parent"\n[coalition]\nsize = 25\n')
    err = error_of(child)
    assert_names(err, parent, "outcome.people", "expected a string")
    assert "child.toml" in str(err)


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
