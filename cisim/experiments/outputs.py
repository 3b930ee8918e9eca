"""The per-run summary outputs by name, in table order, with what each means.

Kept apart from ``summary`` (which computes them with numpy and the kernel's layout) so that an
experiment file's ``outputs`` are checked without loading either.
"""

from __future__ import annotations

#: Per-run summary outputs, in table order, with a one-line meaning each.
SUMMARY_DOCS: dict[str, str] = {
    "outcome_start": "outcome at month 0 (the status quo before the initiative)",
    "outcome_12": "outcome at month 12, the end of year 1 (NaN when the horizon is shorter)",
    "outcome_24": "outcome at month 24, the end of year 2 (NaN when the horizon is shorter)",
    "outcome_36": "outcome at month 36 (NaN when the horizon is shorter)",
    "outcome_48": "outcome at month 48, the end of year 4 (NaN when the horizon is shorter)",
    "outcome_60": "outcome at month 60 (NaN when the horizon is shorter)",
    "outcome_final": "outcome at the last month",
    "auc": "area under the outcome curve: mean outcome over months 1..T",
    "months_to_target": "first month the outcome reaches problem.target (NaN if never)",
    "cost_per_point": "all money spent over months 1..T per outcome percentage point gained (NaN if no gain)",
    "points_per_million": "outcome percentage points gained (final against start) per $1M spent over months 1..T; "
                          "defined for every run, unlike cost_per_point (negative when the outcome fell)",
    "total_spend": "services + meetings + backbone over months 1..T ($)",
    "funder_spend_total": "what the funder paid over months 1..T: grants and backbone money, extra budget "
                          "included, funds raised from others not ($)",
    "backbone_income_total": "the backbone's income over months 1..T: its share of the funder's budget and "
                             "backbone.extra_budget, while funded ($)",
    "funder_cost_per_person_helped": "the funder's money over months 1..T per person who completed the pathway ($)",
    "duplication_waste_total": "money that bought places nobody used (idle, or overlapping another provider's), "
                               "months 1..T ($)",
    "equity_gap_final": "outcome of the majority minus the marginalized group, last month",
    "min_coverage_final": "coverage of the worst-covered step (share of the people wanting it in service), last month",
    "domains_below_floor_final": "domains below problem.coverage_floor, last month",
    "active_members_final": "coalition members still active, last month",
    "members_lost": "members at the coalition's start (month 0) minus active members at the last month",
    "trust_across_final": "mean trust across sectors, last month",
    "trust_within_final": "mean trust within sectors, last month",
    "root_cause_final": "root-cause level (1 = as at the start), last month",
    "people_completed_total": "people who completed the pathway over months 1..T",
    "people_dropped_total": "people who gave up waiting over months 1..T",
    "people_in_need_final": "people on the pathway (waiting or in service), last month",
    "months_to_completion_final": "mean months from entering need to completing the pathway, last month "
                                  "(Little's law)",
    "need_met_final": "share of the people on the pathway who are in service rather than waiting, last month",
    "cost_per_person_helped": "all money spent over months 1..T per person who completed the pathway ($)",
    "members_joined_total": "organizations that joined the coalition over months 1..T",
    "members_left_total": "members that left the coalition over months 1..T (dissolution included)",
    "coalition_alive_final": "1 if the coalition still meets at the last month, 0 if it dissolved (or never was)",
}
SUMMARY_COLUMNS: tuple[str, ...] = tuple(SUMMARY_DOCS)
OUTCOME_COLUMNS = ("outcome_start", "outcome_12", "outcome_24", "outcome_36", "outcome_48", "outcome_60",
                   "outcome_final", "auc")
#: The outcome at the end of each year: (year, column).
YEARLY_OUTCOMES = ((1, "outcome_12"), (2, "outcome_24"), (3, "outcome_36"), (4, "outcome_48"), (5, "outcome_60"))
#: Each summary output in plain words, as it reads mid-sentence ("it moves the outcome at 5 years by ...");
#: ``cisim.experiments.labels.label`` reads them.
OUTPUT_LABELS: dict[str, str] = {
    "outcome_start": "outcome at the start",
    "outcome_12": "outcome at 1 year",
    "outcome_24": "outcome at 2 years",
    "outcome_36": "outcome at 3 years",
    "outcome_48": "outcome at 4 years",
    "outcome_60": "outcome at 5 years",
    "outcome_final": "outcome at the end",
    "auc": "mean outcome over the run",
    "months_to_target": "months to reach the target",
    "cost_per_point": "cost per outcome point gained",
    "points_per_million": "outcome points gained per $1M",
    "total_spend": "all money spent",
    "funder_spend_total": "the funder's money spent",
    "backbone_income_total": "the backbone's income",
    "funder_cost_per_person_helped": "funder's money per person helped",
    "duplication_waste_total": "money on places nobody used",
    "equity_gap_final": "equity gap at the end",
    "min_coverage_final": "weakest step's coverage at the end",
    "domains_below_floor_final": "domains below the coverage floor at the end",
    "active_members_final": "active members at the end",
    "members_lost": "members lost",
    "trust_across_final": "trust across sectors at the end",
    "people_completed_total": "people who completed the pathway",
    "people_dropped_total": "people who gave up waiting",
    "people_in_need_final": "people in need at the end",
    "months_to_completion_final": "months from entry to completion at the end",
    "need_met_final": "share of need met at the end",
    "cost_per_person_helped": "cost per person helped",
    "members_joined_total": "organizations that joined",
    "members_left_total": "members that left",
    "coalition_alive_final": "coalition still meeting at the end",
    "trust_within_final": "trust within sectors at the end",
    "root_cause_final": "root causes at the end",
}
