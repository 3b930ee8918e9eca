"""Where each number lives: the columns of the state arrays the compiled processes share.

Every array has a leading run axis (see ``cisim.model.state.World``).  Parameters sit in
``P`` (runs, parameters), one column per schema field, and ``PD`` (runs, domains, domain
parameters); the per-run scalar state sits in ``G`` (runs, ``N_GLOBAL``); the people on the
pathway sit in ``path`` (runs, ``N_PATH``, domains); each month's outputs sit in ``out``
(runs, ``N_OUTPUTS``), with coverage and drop-outs per step beside them in ``out_cov`` and
``out_drop``.  The names are module-level integers so that numba compiles them as constants.
"""

from __future__ import annotations

from cisim.model.schema import COLUMN, CONDITIONS, DOMAIN_COLUMN

# ---- columns of the per-run parameter matrix ``P``
AGENDA = COLUMN["conditions.common_agenda"]
MEASURE = COLUMN["conditions.shared_measurement"]
REINFORCE = COLUMN["conditions.mutually_reinforcing"]
COMMUNICATE = COLUMN["conditions.continuous_communication"]
VOICE = COLUMN["conditions.community_voice"]
INITIAL_MEMBERS = COLUMN["coalition.initial_members"]
MIN_MEMBERS = COLUMN["coalition.min_members"]
FUNDER = COLUMN["funder.budget"]
POP = COLUMN["problem.population"]
INCIDENCE = COLUMN["problem.incidence"]
RELAPSE = COLUMN["problem.relapse"]
DROPOUT = COLUMN["problem.dropout"]
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
BB_SALARY = COLUMN["backbone.salary"]
BB_PER_MEMBER = COLUMN["backbone.staff_per_member"]
BB_PER_DOMAIN = COLUMN["backbone.staff_per_domain"]
BB_HILL = COLUMN["backbone.hill"]
BB_BUILD = COLUMN["backbone.build_rate"]
BB_DECAY = COLUMN["backbone.stock_decay"]
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
PLANNING = COLUMN["communication.planning_meetings"]
BURDEN = COLUMN["communication.member_burden"]
ALIGN_RATE = COLUMN["behaviour.alignment_rate"]
ADAPT = COLUMN["behaviour.adaptation_rate"]
STARTUP = COLUMN["behaviour.startup_cost"]
ADVANTAGE = COLUMN["behaviour.comparative_advantage"]
GAP_RESPONSE = COLUMN["behaviour.gap_response"]
NOISE = COLUMN["behaviour.perception_noise"]
LAG = COLUMN["behaviour.perception_lag"]
COORD_TIES = COLUMN["behaviour.coordination_ties"]
COORD_MAX = COLUMN["behaviour.coordination_max"]
COORD_COST = COLUMN["behaviour.coordination_cost"]
SPILLOVER = COLUMN["behaviour.spillover"]
APPRAISAL_MONTHS = COLUMN["behaviour.appraisal_months"]
LEAVE_HAZARD = COLUMN["behaviour.leave_hazard"]
JOIN_RATE = COLUMN["behaviour.join_rate"]
APPRAISAL_SCALE = COLUMN["behaviour.appraisal_scale"]
B_PROGRESS = COLUMN["behaviour.benefit_progress"]
B_SUPPORT = COLUMN["behaviour.benefit_support"]
B_TRUST = COLUMN["behaviour.benefit_trust"]
VOICE_WEIGHT = COLUMN["behaviour.voice_weight"]
ADV_EXP = COLUMN["policy.advocacy_exponent"]
ADV_THRESHOLD = COLUMN["policy.advocacy_threshold"]
ROOT_DECLINE = COLUMN["policy.root_cause_decline"]
ROOT_FLOOR = COLUMN["policy.root_cause_floor"]
FUNDRAISING = COLUMN["policy.fundraising_rate"]
#: The conditions whose presence makes a coalition (community voice alone does not).
CONDITION_COLUMNS = tuple(COLUMN[f"conditions.{c}"] for c in CONDITIONS)

# ---- columns of the per-domain parameters ``PD``
NEED_RATE = DOMAIN_COLUMN["need_rate"]
DURATION = DOMAIN_COLUMN["duration"]
UNIT_COST = DOMAIN_COLUMN["unit_cost"]
VISIBILITY = DOMAIN_COLUMN["visibility"]
RELIEF = DOMAIN_COLUMN["barrier_relief"]
EXTRA = DOMAIN_COLUMN["extra_funding"]

# ---- rows of the pathway ``path`` (runs, N_PATH, domains): people per step, by group (0 majority,
# 1 marginalized), and this month's flows per step
WAIT = 0  # two rows: people waiting for the step, per group
SERVE = 2  # two rows: people in service at the step, per group
SLOTS = 4  # places of service the step's money buys this month (people), overlap removed
ARRIVED = 5  # people who joined the step's queue this month
DROPPED = 6  # people who gave up waiting at the step this month
IDLE = 7  # share of the places bought at the step that nobody used this month
N_PATH = 8

# ---- columns of the per-run scalar state ``G``
ROOT = 0  # root causes, 1 at the start; policy lowers them
ACCESS = 1  # the marginalized group's uptake of a step with room, after barrier relief
BB_STAFF = 2  # the backbone's staff (full-time), following its income with a hiring lag
BB_RESERVE = 3  # backbone money received and not yet spent ($)
RAISED = 4  # funds raised this month for next month's grants ($)
OUTCOME0 = 5  # the status quo's outcome (month 0)
FUND_FACTOR = 6  # the funder's budget multiplier (funding shocks)
BB_FUNDED = 7  # 1 while the backbone is funded
COALITION = 8  # 1 while there is a coalition (see ``processes.setup.has_coalition``); 0 once dissolved
CUM_INFLOW, CUM_SERVICES, CUM_MEETINGS, CUM_BACKBONE, CUM_WASTE = range(9, 14)  # the books ($, cumulative)
STOCK = 14  # six consecutive columns: the backbone's stocks, in BACKBONE_FUNCTIONS order (0..1)
GRANTS = 20  # the funder's grants to organizations this month ($)
BB_INCOME = 21  # the backbone's income this month ($)
ENTERED = 22  # people who entered need, cumulative from month 0 (the people on the pathway then included)
HELPED = 23  # two columns: people who completed the pathway and have not relapsed, per group
GONE = 25  # people who dropped out, cumulative from month 0
COMPLETED = 26  # completions of the pathway, cumulative from month 1
FLOW_DONE = 27  # two columns: completions this month, per group
FLOW_DROP = 29  # two columns: drop-outs this month, per group
FLOW_IN = 31  # two columns: people entering need this month (relapses included), per group
OUT_FAST = 33  # the outcome averaged over the last few months, as members see it
OUT_SLOW = 34  # the outcome averaged over the last year: what members compare it with
JOINED = 35  # organizations that joined the coalition this month
LEFT = 36  # members that left this month
SPENT = 37  # all money spent, cumulative from month 1 ($)
CONVENING = 38  # the backbone staff's effort on convening and supporting the work this month (0..1)
N_GLOBAL = 39

# ---- per-month outputs (columns of ``out``); coverage and drop-outs per step go to ``out_cov`` and ``out_drop``
OUTPUTS = (
    "outcome", "outcome_majority", "outcome_marginalized", "equity_gap",
    "people_in_need", "people_waiting", "people_served", "people_entering", "people_completed", "people_dropped",
    "people_helped", "months_to_completion", "need_met", "cost_per_person",
    "duplication_waste", "domains_below_floor", "min_coverage",
    "trust_within", "trust_across", "tie_density", "active_members", "members_joined", "members_left",
    "coalition_alive", "mean_alignment",
    "root_cause", "marginalized_access", "influence", "backbone_staff", "backbone_strength",
    "backbone_spend", "service_spend", "meeting_spend", "total_spend", "funds_raised", "unspent",
    "funder_money", "backbone_income",
)
N_OUTPUTS = len(OUTPUTS)
(O_OUTCOME, O_MAJ, O_MARG, O_GAP,
 O_NEED, O_WAITING, O_SERVED, O_ENTERING, O_COMPLETED, O_DROPPED,
 O_HELPED, O_MONTHS, O_NEED_MET, O_COST_PERSON,
 O_WASTE, O_BELOW, O_MINCOV,
 O_TW, O_TA, O_DENS, O_ACTIVE, O_JOINED, O_LEFT,
 O_ALIVE, O_ALIGN,
 O_ROOT, O_ACCESS, O_INFL, O_STAFF, O_STRENGTH,
 O_BB, O_SERV, O_MEET, O_TOTAL, O_RAISED, O_UNSPENT,
 O_FUNDER, O_BB_INCOME) = range(N_OUTPUTS)
