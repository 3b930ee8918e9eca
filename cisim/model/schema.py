"""The scenario schema: every scalar parameter, its default, range, unit and source.

Scalar parameters are addressed by dotted path (``conditions.common_agenda``) and
packed, one column each, into a float matrix with one row per run, so that any of
them can differ between the runs of a batch.  ``docs/ODD.md`` is written from this
table; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """One scalar parameter of a scenario."""

    path: str
    default: float
    lo: float
    hi: float
    unit: str
    doc: str
    source: str = "assumed"
    integer: bool = False
    label: str = ""  # a short plain-language name, for axes, legends and reports


_F = Field

FIELDS: tuple[Field, ...] = (
    # --- the five conditions (plus community voice), each a level 0..1
    _F("conditions.common_agenda", 1.0, 0, 1, "level", "Shared priorities organizations align to.",
       "Kania and Kramer 2011 (condition); effect assumed", label="Common agenda"),
    _F("conditions.shared_measurement", 1.0, 0, 1, "level", "Members see every step of the pathway: queues, "
       "drop-outs and what partners cover.", "Kania and Kramer 2011 (condition); effect assumed",
       label="Shared measurement"),
    _F("conditions.mutually_reinforcing", 1.0, 0, 1, "level", "Trusted partners split the work and fill each "
       "other's gaps.", "Kania and Kramer 2011 (condition); effect assumed", label="Mutually reinforcing activities"),
    _F("conditions.continuous_communication", 1.0, 0, 1, "level", "Meeting frequency among members.",
       "Kania and Kramer 2011 (condition); effect assumed", label="Continuous communication"),
    _F("conditions.community_voice", 0.0, 0, 1, "level", "Residents with lived experience share decisions: "
       "members weigh the marginalized group's waiting and barriers more.",
       "Cabaj and Weaver 2016; Kania et al. 2022 (mechanism only)", label="Community voice"),
    # --- the coalition
    _F("coalition.size", 30, 2, 200, "organizations", "Organizations working on the problem in the community.",
       "seed 000: 20 to 40 partners", integer=True, label="Coalition size"),
    _F("coalition.initial_members", 0.85, 0, 1, "share", "Share of the organizations that join the coalition "
       "at its start; the others may join later.", label="Share joining at the start"),
    _F("coalition.min_members", 6, 0, 200, "members", "Active members below which the coalition cannot meet "
       "and dissolves.", "ASPE 2011 (dissolved coalitions were smaller; value assumed)", integer=True,
       label="Fewest members to meet"),
    _F("coalition.budget_mean", 20000.0, 100, 1e8, "$/month", "Mean size of an organization: own funds are this "
       "times own_funds_share; the funder's grants are split in proportion to size.", label="Mean organization size"),
    _F("coalition.budget_spread", 0.6, 0, 2, "log-sd", "Spread of budgets (sd of the log).",
       label="Spread of organization sizes"),
    _F("coalition.own_funds_share", 0.5, 0, 1, "share", "Share of an organization's size it funds itself, "
       "on top of grants.", label="Share of own funds"),
    _F("coalition.home_capability", 1.0, 0.05, 5, "ratio", "People served per person-cost in the home domain.",
       label="Skill in the home domain"),
    _F("coalition.other_capability", 0.5, 0, 5, "ratio", "People served per person-cost outside the home domain.",
       label="Skill outside the home domain"),
    _F("coalition.mission_tilt", 1.0, 0, 10, "exponent", "Pull of visible, fundable steps on own priorities.",
       label="Pull of fundable steps"),
    _F("coalition.home_priority", 3.0, 1, 50, "ratio", "Weight of the home domain in own priorities.",
       label="Weight of the home domain"),
    # --- the funder
    _F("funder.budget", 300000.0, 0, 1e10, "$/month", "Funder's monthly budget: service grants plus backbone.",
       label="Funder budget"),
    # --- the problem: people entering need and moving through the pathway
    _F("problem.population", 1100.0, 1, 1e9, "people", "People at risk in the community.",
       label="People at risk"),
    _F("problem.incidence", 0.02, 0, 1, "per month", "Share of the people at risk who enter need in a month "
       "(times root causes).", label="Entering need each month"),
    _F("problem.relapse", 0.01, 0, 1, "per month", "Share of the people helped who fall back into need in a month.",
       label="Relapse each month"),
    _F("problem.dropout", 0.06, 0, 1, "per month", "Chance a person waiting for a step gives up in a month.",
       label="Drop-out while waiting"),
    _F("problem.marginalized_share", 0.3, 0, 1, "share", "Share of the marginalized group among the people at risk.",
       "both seeds centre equity (value assumed)", label="Share of marginalized people"),
    _F("problem.marginalized_need", 1.5, 1, 5, "ratio", "Incidence of the marginalized group over the majority's.",
       label="Need of the marginalized"),
    _F("problem.marginalized_access", 0.5, 0.05, 1, "ratio", "Monthly uptake of a step with room by the "
       "marginalized group, over the majority's, before any step lowers the barrier.",
       label="Access of the marginalized"),
    _F("problem.coverage_floor", 0.5, 0, 1, "share", "Share of a step's demand in service below which the step "
       "counts as a gap.", label="Coverage floor"),
    _F("problem.target", 0.7, 0, 1, "outcome", "Outcome level for the months-to-target output.",
       label="Outcome target"),
    # --- backbone
    _F("backbone.budget_share", 0.08, 0, 0.9, "share", "Share of the funder budget given to the backbone.",
       label="Backbone's share of the budget"),
    _F("backbone.extra_budget", 0.0, 0, 1e9, "$/month", "Backbone money on top of the funder's grants.",
       label="Extra backbone money"),
    _F("backbone.salary", 7000.0, 100, 1e6, "$/staff-month", "Cost of one full-time backbone staff member, "
       "with overheads.", label="Backbone salary"),
    _F("backbone.staff_per_member", 0.127, 0, 10, "staff/member", "Staff the six functions need per member "
       "for full effort.", "Bitterman and Koliba 2020 (capacity bottleneck); value "
       "calibrated (docs/evidence.md; prior 0.06 to 0.24, log)",
       label="Backbone staff needed per member"),
    _F("backbone.staff_per_domain", 0.1, 0, 10, "staff/step", "Staff the six functions need per step of the pathway.",
       "Bitterman and Koliba 2020 (capacity bottleneck; value assumed)", label="Backbone staff needed per step"),
    _F("backbone.hill", 2.0, 1, 8, "exponent", "Steepness of effort in staffing: below the minimum viable "
       "level staff achieve little.", "Bitterman and Koliba 2020 (bottleneck); value assumed",
       label="Steepness of backbone effort"),
    _F("backbone.build_rate", 0.0741, 0, 1, "per month", "Share of the distance to full strength a function's stock "
       "gains in a month at full effort.",
       "value calibrated (docs/evidence.md; prior 0.02 to 0.12, log)", label="Speed of building backbone stocks"),
    _F("backbone.stock_decay", 0.0137, 0, 1, "per month", "Share of a function's stock lost in a month: data "
       "systems, agreements and relationships wear without upkeep.", "S3: coalitions outlive their funding "
       "with weaker functions; value calibrated (docs/evidence.md; prior 0.005 to 0.04, log)",
       label="Decay of backbone stocks"),
    _F("backbone.hiring_months", 9.0, 1, 60, "months", "Time for the backbone's staff to follow its budget.",
       label="Backbone hiring time"),
    _F("backbone.without_strength", 0.1, 0, 1, "share", "How much of a condition works with no backbone "
       "function behind it.", "FSG: collaboration without infrastructure fails (value assumed)",
       label="Conditions without a backbone"),
    _F("backbone.effort_strategy", 1.0, 0, 10, "weight", "Effort on guiding vision and strategy.",
       "Turner et al. 2012 (value assumed)", label="Backbone effort on strategy"),
    _F("backbone.effort_activities", 1.0, 0, 10, "weight", "Effort on supporting aligned activities and convening.",
       "Turner et al. 2012 (value assumed)", label="Backbone effort on activities"),
    _F("backbone.effort_measurement", 1.0, 0, 10, "weight", "Effort on the shared data system.",
       "Turner et al. 2012 (value assumed)", label="Backbone effort on measurement"),
    _F("backbone.effort_public_will", 0.5, 0, 10, "weight", "Effort on building public will.",
       "Turner et al. 2012 (value assumed)", label="Backbone effort on public will"),
    _F("backbone.effort_policy", 0.5, 0, 10, "weight", "Effort on advancing policy.",
       "Turner et al. 2012 (value assumed)", label="Backbone effort on policy"),
    _F("backbone.effort_funding", 0.5, 0, 10, "weight", "Effort on mobilizing funding.",
       "Turner et al. 2012 (value assumed)", label="Backbone effort on funding"),
    # --- communication and trust
    _F("trust.initial_within", 0.45, 0, 1, "trust", "Mean starting trust within a sector.",
       label="Starting trust within sectors"),
    _F("trust.initial_across", 0.15, 0, 1, "trust", "Mean starting trust across sectors (silos).",
       "seed 004: silos (value assumed)", label="Starting trust across sectors"),
    _F("trust.initial_spread", 0.08, 0, 0.5, "trust", "Spread of starting trust.", label="Spread of starting trust"),
    _F("trust.growth", 0.0368, 0, 1, "per meeting", "Trust gained per meeting, of the distance to full trust.", "value calibrated (docs/evidence.md; prior 0.015 to 0.08, log)",
       label="Trust growth rate"),
    _F("trust.cross_sector_factor", 0.45, 0, 1, "ratio", "Speed of trust building across sectors over within.",
       "seed 004: different language and culture (value assumed)", label="Trust building across sectors"),
    _F("trust.decay", 0.015, 0, 1, "per month", "Trust lost per month without contact.", label="Trust decay rate"),
    _F("trust.betrayal", 0.3, 0, 1, "share", "Share of trust lost when a partner fails to deliver.",
       "Gorobets and Nooteboom 2004 (asymmetry; value assumed)", label="Trust lost to a failure"),
    _F("trust.failure_rate", 0.01, 0, 1, "per month", "Chance a member fails to deliver in a month.",
       label="Failures to deliver"),
    _F("trust.threshold", 0.383, 0, 1, "trust", "Trust above which partners coordinate.", "value calibrated (docs/evidence.md; prior 0.35 to 0.65)",
       label="Trust needed to coordinate"),
    _F("communication.max_meetings", 2.0, 0, 30, "meetings/month", "Meetings per month at full communication.",
       "C2: about 4 to 5 meeting hours per member per month", label="Meetings a month"),
    _F("communication.meeting_cost", 250.0, 0, 1e7, "$/member/meeting", "Staff time a meeting takes from services.",
       label="Cost of a meeting"),
    _F("communication.planning_meetings", 1.34, 0, 30, "meetings/month", "Extra meetings a month spent agreeing "
       "the agenda, in proportion to how much of it is not yet agreed.",
       "value calibrated (docs/evidence.md; prior 1 to 8)", label="Planning meetings a month"),
    _F("communication.member_burden", 1.0, 0, 10, "ratio", "Extra meeting time members spend organizing the "
       "coalition's work themselves when no backbone staff do it (1: a meeting costs them twice as much).",
       label="Members' burden without staff"),
    # --- behaviour
    _F("behaviour.alignment_rate", 0.1, 0, 0.5, "per month", "Speed of alignment with the common agenda.",
       label="Speed of alignment"),
    _F("behaviour.adaptation_rate", 0.176, 0, 1, "per month", "Share of the way to what it wants an organization "
       "moves its money in a month: programs change slowly.",
       "value calibrated (docs/evidence.md; prior 0.04 to 0.25, log)", label="Speed of changing programs"),
    _F("behaviour.startup_cost", 0.274, 0, 1, "share", "Share of money newly moved into a step that is spent "
       "starting up (hiring, training) rather than serving.",
       "value calibrated (docs/evidence.md; prior 0.25 to 0.75)", label="Start-up cost of new programs"),
    _F("behaviour.comparative_advantage", 2.0, 0, 10, "ratio", "Pull toward steps of above-average own capability "
       "when coordinating.", label="Pull toward own strengths"),
    _F("behaviour.gap_response", 5.63, 0, 20, "ratio", "Pull of seen waiting on allocation.", "value calibrated (docs/evidence.md; prior 1.5 to 10, log)",
       label="Response to seen waiting"),
    _F("behaviour.perception_noise", 0.35, 0, 2, "sd", "Relative error of an organization's own view of its "
       "queues.", label="Error in the own view"),
    _F("behaviour.perception_lag", 6.0, 1, 60, "months", "Months an organization's own view lags behind its "
       "queues.", label="Lag of the own view"),
    _F("behaviour.coordination_ties", 3.0, 1, 50, "partners", "Trusted partners needed to coordinate fully.",
       label="Partners needed to coordinate"),
    _F("behaviour.coordination_max", 0.948, 0, 1, "share", "Most of an organization's work that coordination "
       "reaches: it removes part of the overlap, not all.",
       "value calibrated (docs/evidence.md; prior 0.6 to 1)", label="Reach of coordination"),
    _F("behaviour.coordination_cost", 0.05, 0, 1, "share", "Share of coordinated service money spent on "
       "referrals and agreements.", label="Cost of coordinating"),
    _F("behaviour.spillover", 0.02, 0, 1, "per month", "Capability learned over trusted cross-sector ties.",
       "seed 004: cross-pollination (value assumed)", label="Learning across sectors"),
    _F("behaviour.appraisal_months", 6.0, 1, 60, "months", "Months over which a member's appraisal of membership "
       "averages what it costs and gains.", label="Memory of the appraisal"),
    _F("behaviour.leave_hazard", 0.0435, 0, 1, "per month", "Chance a member leaves in a month at a very poor "
       "appraisal (half of it at a neutral one).", "S4: 10% to 20% yearly turnover; value "
       "calibrated (docs/evidence.md; prior 0.01 to 0.06, log)",
       label="Chance of leaving"),
    _F("behaviour.join_rate", 0.0308, 0, 1, "per month", "Chance an organization outside joins in a month when "
       "the coalition recruits at full strength and looks worth it.",
       "value calibrated (docs/evidence.md; prior 0.03 to 0.3, log)", label="Chance of joining"),
    _F("behaviour.appraisal_scale", 0.0947, 0.001, 10, "ratio", "How sharply the appraisal moves the chances of "
       "leaving and joining.",
       "value calibrated (docs/evidence.md; prior 0.025 to 0.1, log)", label="Sharpness of the appraisal"),
    _F("behaviour.benefit_progress", 3.0, 0, 100, "per unit outcome", "Value members see in recent progress "
       "(this year's outcome over last year's).", label="Value of visible progress"),
    _F("behaviour.benefit_support", 0.06, 0, 10, "ratio", "Value members see in backbone support.",
       label="Value of backbone support"),
    _F("behaviour.benefit_trust", 0.05, 0, 10, "ratio", "Value members see in trusted partners.",
       label="Value of trusted partners"),
    _F("behaviour.tolerance", 0.0941, 0, 10, "ratio", "Largest cost an organization accepts for nothing "
       "(spread uniform from 0).",
       "value calibrated (docs/evidence.md; prior 0.03 to 0.12, log)", label="Cost members accept"),
    _F("behaviour.voice_weight", 5.0, 0, 50, "ratio", "How much more, at full community voice, members wish "
       "to fund the steps that lower barriers (by the barrier left) and where the marginalized group makes up more "
       "of the waiting.", label="Weight of community voice"),
    _F("policy.advocacy_exponent", 2.0, 1, 6, "exponent", "Superlinearity of influence in the aligned share.",
       "seed 004: leveraging influence (value assumed)", label="Leverage of aligned advocacy"),
    _F("policy.advocacy_threshold", 0.1, 0, 1, "influence", "Influence needed to move policy.",
       label="Influence needed to move policy"),
    _F("policy.root_cause_decline", 0.01, 0, 1, "per month", "Fall of root causes per unit of influence over "
       "threshold.", "E4: risk factors move after 2 to 5 years (value assumed)", label="Speed of root-cause decline"),
    _F("policy.root_cause_floor", 0.8, 0, 1, "level", "Lowest level policy can bring root causes to.",
       label="Lowest root-cause level"),
    _F("policy.fundraising_rate", 0.3, 0, 100, "per unit outcome", "Extra monthly funds, as a share of the funder "
       "budget, per unit of visible outcome gain (0..1).", label="Fundraising on results"),
)

BY_PATH: dict[str, Field] = {f.path: f for f in FIELDS}
COLUMN: dict[str, int] = {f.path: i for i, f in enumerate(FIELDS)}
N_PARAMS = len(FIELDS)
#: The horizon as a sweep factor: it cannot vary within one batch, so each value runs as its own.
MONTHS = Field("months", 60, 1, 600, "months", "Months simulated.", integer=True, label="Months simulated")

CONDITIONS = (
    "common_agenda",
    "shared_measurement",
    "mutually_reinforcing",
    "continuous_communication",
)
BACKBONE_FUNCTIONS = ("strategy", "activities", "measurement", "public_will", "policy", "funding")

# Per-domain values, addressed as ``domains.<name>.<key>``.
DOMAIN_FIELDS: tuple[Field, ...] = (
    _F("need_rate", 0.5, 0, 1, "share", "Share of the people in need who need this step on their path.",
       label="Need rate"),
    _F("duration", 3.0, 1, 120, "months", "Mean months of service at this step.", label="Months of service"),
    _F("unit_cost", 100.0, 0.01, 1e7, "$/person-month", "Cost of serving one person for a month.",
       label="Cost per person-month"),
    _F("visibility", 0.5, 0, 1, "level", "How visible and fundable the work is.", label="Visibility"),
    _F("barrier_relief", 0.0, 0, 1, "share", "Share of the marginalized group's access barrier this step removes "
       "when it serves everyone who needs it (transport, outreach, interpretation).", label="Barrier relief"),
    _F("extra_funding", 0.0, 0, 1e10, "$/month", "Money earmarked for services at this step.",
       label="Earmarked money"),
)
DOMAIN_COLUMN: dict[str, int] = {f.path: i for i, f in enumerate(DOMAIN_FIELDS)}
N_DOMAIN_PARAMS = len(DOMAIN_FIELDS)

EVENT_KINDS = {
    "backbone_funding_ends": "the backbone's funding stops (value unused)",
    "funding_shock": "the funder's budget is multiplied by value from that month on",
    "partner_leaves": "the value largest members leave the coalition",
}


#: The largest structures a scenario may have: the model's arrays grow with each (a run's state is about
#: 8 bytes x organizations x domains x months), and these keep one run's state under a hundred megabytes.
MAX_DOMAINS = 100
MAX_SECTORS = 100
MAX_EVENTS = 1200
#: The largest factor a funding shock multiplies the funder's budget by (larger ones overflow the books).
MAX_FUNDING_FACTOR = 100.0
