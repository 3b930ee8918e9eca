"""One table of plain-language names: parameters from the schema, outputs beside their definitions."""

from __future__ import annotations

import pytest

from cisim.experiments.labels import CONDITIONS, OUTPUT_LABELS, factor_label, label
from cisim.experiments.outputs import SUMMARY_COLUMNS
from cisim.model.schema import DOMAIN_FIELDS, FIELDS, MONTHS


def test_every_parameter_has_its_own_label():
    fields = [*FIELDS, MONTHS, *DOMAIN_FIELDS]
    assert [f.path for f in fields if not f.label] == []
    labels = [f.label for f in fields]
    assert len(set(labels)) == len(labels), "two parameters share a label"
    assert all(len(lbl) <= 40 and lbl[0].isupper() for lbl in labels)


def test_every_summary_output_has_a_label():
    assert set(OUTPUT_LABELS) == set(SUMMARY_COLUMNS)
    assert label("outcome_60") == "outcome at 5 years"


@pytest.mark.parametrize("name, expected", [
    ("conditions.common_agenda", "Common agenda"),
    ("backbone.budget_share", "Backbone's share of the budget"),
    ("trust.growth", "Trust growth rate"),
    ("months", "Months simulated"),
    ("domains.clinics.unit_cost", "Cost per person-month"),
    ("model.speed", "Model speed"),  # unknown, one word: the group says of what
    ("model.meeting_length", "Meeting length"),
    ("x1", "x1"),
])
def test_label_lookup_and_its_fallbacks(name, expected):
    assert label(name) == expected


def test_a_report_names_the_five_conditions_as_conditions():
    assert list(CONDITIONS) == ["conditions.common_agenda", "conditions.shared_measurement",
                                "conditions.mutually_reinforcing", "conditions.continuous_communication",
                                "backbone.budget_share"]
    assert factor_label("backbone.budget_share") == "Backbone (funded)"  # switched off and on in an ablation
    assert factor_label("conditions.shared_measurement") == label("conditions.shared_measurement")
    assert factor_label("coalition.size") == "Coalition size"
