"""Plain-language names of parameters and outputs, for every figure, report, table and dashboard.

Parameter names come from the schema (``cisim.model.schema.Field.label``), output names from
``cisim.experiments.outputs.OUTPUT_LABELS``; :func:`label` reads both, and names anything else
from its dotted path.  Light on purpose (no numpy, no kernel): the dashboard and the command
line read it.
"""

from __future__ import annotations

from cisim.experiments.outputs import OUTPUT_LABELS
from cisim.model.schema import BY_PATH, DOMAIN_FIELDS, MONTHS
from cisim.model.schema import CONDITIONS as CONDITION_NAMES

_PARAMETERS = {**BY_PATH, MONTHS.path: MONTHS}
_DOMAIN_PARAMETERS = {f.path: f for f in DOMAIN_FIELDS}  # by key: ``domains.<name>.<key>``

#: The five conditions of collective impact as a report's factors, by parameter path: the four
#: conditions by their own labels, and the backbone's share, which an ablation switches off and on.
CONDITIONS: dict[str, str] = {
    **{f"conditions.{c}": BY_PATH[f"conditions.{c}"].label for c in CONDITION_NAMES},
    "backbone.budget_share": "Backbone (funded)",
}


def label(name: str) -> str:
    """A plain-language name for a parameter path or a summary output.

    A parameter reads as its schema label ("Trust growth rate"), an output as its phrase
    ("outcome at 5 years"); a per-domain path (``domains.clinics.unit_cost``) as its key's label.
    Any other dotted path reads as its last part in words, with the group in front when that part
    is a single word, so that ``model.speed`` does not read as a bare "Speed"; a name without a
    dot (``x1``) reads as itself.
    """
    if name in OUTPUT_LABELS:
        return OUTPUT_LABELS[name]
    field = _PARAMETERS.get(name)
    if field is None and name.startswith("domains."):
        field = _DOMAIN_PARAMETERS.get(name.rsplit(".", 1)[-1])
    if field is not None and field.label:
        return field.label
    if "." not in name:
        return name
    group, leaf = name.rsplit(".", 1)
    if "_" not in leaf:
        return f"{group.rsplit('.', 1)[-1]} {leaf}".replace("_", " ").capitalize()
    return leaf.replace("_", " ").capitalize()


def factor_label(path: str) -> str:
    """A factor's name in a report: one of the five conditions by its name as a condition, else :func:`label`."""
    return CONDITIONS.get(path) or label(path)


__all__ = ["CONDITIONS", "OUTPUT_LABELS", "factor_label", "label"]
