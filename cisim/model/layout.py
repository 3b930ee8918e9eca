"""Where each number lives: the columns of the state arrays the compiled processes share.

Every array has a leading run axis (see ``cisim.model.state.World``).  Parameters sit in
``P`` (runs, parameters), one column per schema field, and ``PD`` (runs, domains, domain
parameters); the per-run scalar state sits in ``G`` (runs, ``N_GLOBAL``); each month's
outputs sit in ``out`` (runs, ``N_OUTPUTS``), with coverage per domain beside them in
``out_cov``.  The names are module-level integers so that numba compiles them as constants.
"""

from __future__ import annotations

from cisim.model.schema import COLUMN, CONDITIONS, DOMAIN_COLUMN

# ---- columns of the per-run parameter matrix ``P``
AGENDA = COLUMN["conditions.common_agenda"]
MEASURE = COLUMN["conditions.shared_measurement"]
REINFORCE = COLUMN["conditions.mutually_reinforcing"]
COMMUNICATE = COLUMN["conditions.continuous_communication"]
VOICE = COLUMN["conditions.community_voice"]
FUNDER = COLUMN["funder.budget"]
POP = COLUMN["problem.population"]
MARG_SHARE = COLUMN["problem.marginalized_share"]
MARG_NEED = COLUMN["problem.marginalized_need"]
ACCESS0 = COLUMN["problem.marginalized_access"]
FLOOR = COLUMN["problem.coverage_floor"]
HOME_CAP = COLUMN["coalition.home_capability"]
OTHER_CAP = COLUMN["coalition.other_capability"]
TILT = COLUMN["coalition.mission_tilt"]
HOME_PRIORITY = COLUMN["coalition.home_priority"]
OWN_SHARE = COLUMN["coalition.own_funds_share"]
BB_SHARE = COLUMN["backbone.budget_share"]
BB_EXTRA = COLUMN["backbone.extra_budget"]
BB_HALF = COLUMN["backbone.half_saturation"]
BB_HILL = COLUMN["backbone.hill"]
BB_HIRING = COLUMN["backbone.hiring_months"]
BB_WITHOUT = COLUMN["backbone.without_strength"]
BB_EFFORT = COLUMN["backbone.effort_strategy"]  # six consecutive columns, in BACKBONE_FUNCTIONS order
T_WITHIN = COLUMN["trust.initial_within"]
T_ACROSS = COLUMN["trust.initial_across"]
T_SPREAD = COLUMN["trust.initial_spread"]
T_GROWTH = COLUMN["trust.growth"]
T_CROSS = COLUMN["trust.cross_sector_factor"]
T_DECAY = COLUMN["trust.decay"]
T_BETRAYAL = COLUMN["trust.betrayal"]
T_FAIL = COLUMN["trust.failure_rate"]
T_THRESHOLD = COLUMN["trust.threshold"]
MAX_MEETINGS = COLUMN["communication.max_meetings"]
MEETING_COST = COLUMN["communication.meeting_cost"]
ALIGN_RATE = COLUMN["behaviour.alignment_rate"]
INERTIA = COLUMN["behaviour.allocation_inertia"]
ADVANTAGE = COLUMN["behaviour.comparative_advantage"]
GAP_RESPONSE = COLUMN["behaviour.gap_response"]
NOISE = COLUMN["behaviour.perception_noise"]
COORD_TIES = COLUMN["behaviour.coordination_ties"]
SPILLOVER = COLUMN["behaviour.spillover"]
PATIENCE = COLUMN["behaviour.patience"]
B_PROGRESS = COLUMN["behaviour.benefit_progress"]
B_SUPPORT = COLUMN["behaviour.benefit_support"]
B_TRUST = COLUMN["behaviour.benefit_trust"]
VOICE_RATE = COLUMN["behaviour.voice_rate"]
ADV_EXP = COLUMN["policy.advocacy_exponent"]
ADV_THRESHOLD = COLUMN["policy.advocacy_threshold"]
ROOT_DECLINE = COLUMN["policy.root_cause_decline"]
ROOT_FLOOR = COLUMN["policy.root_cause_floor"]
FUNDRAISING = COLUMN["policy.fundraising_rate"]
#: The conditions whose presence makes a coalition (community voice alone does not).
CONDITION_COLUMNS = tuple(COLUMN[f"conditions.{c}"] for c in CONDITIONS)

# ---- columns of the per-domain parameters ``PD``
NEED_RATE = DOMAIN_COLUMN["need_rate"]
UNIT_COST = DOMAIN_COLUMN["unit_cost"]
VISIBILITY = DOMAIN_COLUMN["visibility"]
EXTRA = DOMAIN_COLUMN["extra_funding"]

# ---- columns of the per-run scalar state ``G``
ROOT = 0  # root causes, 1 at the start; policy lowers them
ACCESS = 1  # the marginalized group's access to services
BB_CAP = 2  # the backbone's staff spending ($/month), following its income with a hiring lag
BB_RESERVE = 3  # backbone money received and not yet spent ($)
RAISED = 4  # funds raised this month for next month's grants ($)
OUTCOME0 = 5  # the status quo's outcome (month 0)
FUND_FACTOR = 6  # the funder's budget multiplier (funding shocks)
BB_FUNDED = 7  # 1 while the backbone is funded
COALITION = 8  # 1 if there is a coalition (see ``processes.setup.has_coalition``)
CUM_INFLOW, CUM_SERVICES, CUM_MEETINGS, CUM_BACKBONE, CUM_WASTE = range(9, 14)  # the books ($, cumulative)
STRENGTH = 14  # six consecutive columns: the backbone functions' strengths this month (0..1)
GRANTS = 20  # the funder's grants to organizations this month ($)
BB_INCOME = 21  # the backbone's income this month ($)
N_GLOBAL = 22

# ---- per-month outputs (columns of ``out``); coverage per domain goes to ``out_cov``
OUTPUTS = (
    "outcome", "outcome_majority", "outcome_marginalized", "equity_gap",
    "duplication_waste", "domains_below_floor", "min_coverage",
    "trust_within", "trust_across", "tie_density", "active_members", "mean_alignment",
    "root_cause", "marginalized_access", "influence",
    "backbone_spend", "service_spend", "meeting_spend", "total_spend", "funds_raised", "unspent",
)
N_OUTPUTS = len(OUTPUTS)
(O_OUTCOME, O_MAJ, O_MARG, O_GAP, O_WASTE, O_BELOW, O_MINCOV, O_TW, O_TA, O_DENS, O_ACTIVE,
 O_ALIGN, O_ROOT, O_ACCESS, O_INFL, O_BB, O_SERV, O_MEET, O_TOTAL, O_RAISED, O_UNSPENT) = range(N_OUTPUTS)
