"""The corpus of bad inputs: every file is generated here, from the list ``CASES``.

Each case names the files it writes (paths relative to its own folder; ``../`` reaches a sibling folder,
outside the case's tree), the ``cisim`` command that reads them, and what the one error line must say:
the file, the key (None for an error about the whole file) and a fragment of the expectation.  Files
marked secret are not scenarios or designs: no error may echo their content.

    uv run python tests/data/bad_inputs/make_corpus.py DIR    # write every case's files under DIR
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

#: Content no error message may show: it stands for a file that is not a scenario or a design.
SECRET = "TOPSECRET-7f3a"
S = 'extends = "collective"\n'  # a scenario built on the bundled one
E = 'scenario = "collective"\n'  # an experiment on it
GRID = '[factors."backbone.budget_share"]\nlevels = [0.0, 0.1]\n'
TWO = ('[factors."conditions.common_agenda"]\nlow = 0.0\nhigh = 1.0\n'
       '[factors."backbone.budget_share"]\nlow = 0.0\nhigh = 0.3\n')
PASSWD = f"root:x:0:0:{SECRET}:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
TARGETS = ('seed = 1\nreplicates = 2\nmonths = 60\n[scenarios]\ntreatment = "collective"\n'
           '[parameters."trust.growth"]\nlow = 0.015\nhigh = 0.08\n'
           '[targets.E1]\nstatistic = "relative_improvement"\nmonth = 48\nlow = 0.2\nhigh = 0.35\n')


@dataclass
class Case:
    """One bad input: its files, the command, and what its error line must contain."""

    name: str
    files: dict[str, str | bytes]
    key: str | None
    fragment: str
    argv: list[str] = field(default_factory=lambda: ["validate", "{main}"])
    names: str | None = None  # what the line names as the file (default: the first file's name)
    secret: tuple[str, ...] = ()  # files that are not scenarios or designs


def scenario(name: str, text: str, key: str | None, fragment: str, **kw) -> Case:
    return Case(name, {f"{name}.toml": text}, key, fragment, **kw)


def experiment(name: str, text: str, key: str | None, fragment: str, files: dict | None = None, **kw) -> Case:
    return Case(name, {f"{name}.toml": text, **(files or {})}, key, fragment, **kw)


def sets(name: str, change: str, key: str | None, fragment: str, target: str = "collective") -> Case:
    return Case(name, {}, key, fragment, argv=["run", target, "--set", change], names="--set")


def targets(name: str, text: str, key: str | None, fragment: str, files: dict | None = None, **kw) -> Case:
    return Case(name, {f"{name}.toml": text, **(files or {})}, key, fragment, argv=["calibrate", "{main}"], **kw)


def _nested(n: int, open_: str, close: str) -> str:
    return open_ * n + "1" + close * n


def _chain(n: int) -> dict[str, str]:
    files = {f"c{k}.toml": f'extends = "c{k + 1}.toml"\n' for k in range(n)}
    files[f"c{n}.toml"] = S
    return files


def _domains(n: int) -> str:
    return 'extends = "collective"\nreplace = ["domains", "sectors"]\n' + "".join(
        f"[domains.d{k}]\n" for k in range(n)) + '[sectors.s]\nhome_domains = ["d0"]\n'


def _sectors(n: int) -> str:
    return S + "".join(f'[sectors.s{k}]\nhome_domains = ["clinics"]\nshare = 0.001\n' for k in range(n))


def _events(n: int) -> str:
    return S + "".join('[[events]]\nmonth = 2\nkind = "funding_shock"\nvalue = 1.0\n' for _ in range(n))


def _grid(factors: int, levels: int) -> str:
    paths = ["conditions.common_agenda", "conditions.shared_measurement", "conditions.mutually_reinforcing",
             "conditions.continuous_communication", "conditions.community_voice", "trust.decay"][:factors]
    values = ", ".join(f"{k / levels:.4f}" for k in range(levels))
    return E + "".join(f'[factors."{p}"]\nlevels = [{values}]\n' for p in paths)


def _sa(kind: str, options: str, factors: str = TWO) -> str:
    return E + f'[design]\nkind = "{kind}"\n{options}\n' + factors


SCENARIO_CASES = [
    Case("binary", {"binary.toml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + SECRET.encode()}, None,
         "not a TOML file: not UTF-8 text", secret=("binary.toml",)),
    Case("nul", {"nul.toml": b'name = "a"\x00' + SECRET.encode() + b"\n"}, None, "binary content",
         secret=("nul.toml",)),
    Case("latin1", {"latin1.toml": S.encode() + 'description = "caf\xe9"\n'.encode("latin-1")}, None,
         "not UTF-8 text"),
    Case("passwd-as-toml", {"passwd-as-toml.toml": PASSWD}, None, "not valid TOML", secret=("passwd-as-toml.toml",)),
    scenario("syntax", S + "[conditions\n", None, "not valid TOML"),
    scenario("extends-etc", 'extends = "/etc/passwd"\n', "extends", "is outside the folder"),
    Case("extends-up", {"extends-up.toml": 'extends = "../elsewhere/base.toml"\n', "../elsewhere/base.toml": S},
         "extends", "is outside the folder"),
    Case("extends-up-allowed", {"extends-up-allowed.toml": 'extends = "../elsewhere/bad.toml"\n',
                                "../elsewhere/bad.toml": S + "months = 0\n"},
         "months", "expected a whole number of months", argv=["validate", "--allow", "outside-paths", "{main}"],
         names="bad.toml"),
    Case("extends-text", {"extends-text.toml": 'extends = "notes.txt"\n', "notes.txt": f"{SECRET} = 1\n"}, None,
         "not a TOML file", names="notes.txt", secret=("notes.txt",)),
    Case("extends-csv", {"extends-csv.toml": 'extends = "points.csv"\n', "points.csv": f"{SECRET}\n1\n"}, None,
         "not a TOML file", names="points.csv", secret=("points.csv",)),
    Case("extends-passwd-allowed", {"extends-passwd-allowed.toml": 'extends = "/etc/passwd"\n'}, None,
         "not a TOML file", argv=["validate", "--allow", "outside-paths", "{main}"], names="/etc/passwd"),
    Case("extends-passwd-copy", {"extends-passwd-copy.toml": 'extends = "passwd.toml"\n', "passwd.toml": PASSWD},
         None, "not valid TOML", names="passwd.toml", secret=("passwd.toml",)),
    Case("extends-chain", {"extends-chain.toml": 'extends = "c0.toml"\n', **_chain(40)}, "extends",
         "a chain of more than 32 files"),
    Case("extends-cycle", {"extends-cycle.toml": 'extends = "other.toml"\n', "other.toml": 'extends = '
                                                                                         '"extends-cycle.toml"\n'},
         "extends", "cycle of extends"),
    scenario("extends-missing", 'extends = "colective"\n', "extends", "did you mean 'collective'"),
    scenario("extends-number", "extends = 5\n", "extends", "expected a string"),
    scenario("nested-arrays", S + "[coalition]\nsize = " + _nested(5000, "[", "]") + "\n", None,
             "nested too deeply"),
    scenario("nested-tables", S + "x = " + _nested(5000, "{a = ", "}") + "\n", None, "nested too deeply"),
    scenario("nested-headers", S + "[" + ".".join(["a"] * 3000) + "]\nx = 1\n", None, "levels deep"),
    scenario("huge-file", S + "#" * 10_000_001 + "\n", None, "a TOML file here is at most"),
    scenario("huge-integer", S + "[coalition]\nsize = " + "9" * 5000 + "\n", None, "Exceeds the limit"),
    scenario("homes-numbers", S + "[sectors.health]\nhome_domains = [1, 2]\n", "sectors.health.home_domains",
             "expected names of domains, got 1"),
    scenario("homes-lists", S + '[sectors.health]\nhome_domains = [["clinics"]]\n', "sectors.health.home_domains",
             "expected names of domains"),
    scenario("homes-tables", S + "[sectors.health]\nhome_domains = [{a = 1}]\n", "sectors.health.home_domains",
             "expected names of domains"),
    scenario("homes-twice", S + '[sectors.health]\nhome_domains = ["clinics", "clinics"]\n',
             "sectors.health.home_domains", "listed twice"),
    scenario("homes-empty", S + "[sectors.health]\nhome_domains = []\n", "sectors.health.home_domains",
             "non-empty list"),
    scenario("replace-number", S + "replace = [1]\n", "replace", "expected section names, got 1"),
    scenario("replace-list", S + 'replace = [["domains"]]\n', "replace", "expected section names"),
    scenario("replace-table", S + "replace = [{a = 1}]\n", "replace", "expected section names"),
    scenario("replace-string", S + 'replace = "domains"\n', "replace", "expected a list"),
    scenario("event-month-inf", S + '[[events]]\nmonth = inf\nkind = "funding_shock"\n', "events[0].month",
             "expected a whole number"),
    scenario("event-shock-inf", S + '[[events]]\nmonth = 3\nkind = "funding_shock"\nvalue = inf\n',
             "events[0].value", "expected a budget factor from 0 to 100"),
    scenario("event-shock-nan", S + '[[events]]\nmonth = 3\nkind = "funding_shock"\nvalue = nan\n',
             "events[0].value", "expected a budget factor"),
    scenario("event-shock-huge", S + '[[events]]\nmonth = 3\nkind = "funding_shock"\nvalue = 1e308\n',
             "events[0].value", "expected a budget factor"),
    scenario("event-shock-negative", S + '[[events]]\nmonth = 3\nkind = "funding_shock"\nvalue = -1.0\n',
             "events[0].value", "expected a budget factor"),
    scenario("event-leaves-inf", S + '[[events]]\nmonth = 3\nkind = "partner_leaves"\nvalue = inf\n',
             "events[0].value", "expected a whole number of members from 1 to 200"),
    scenario("event-leaves-huge", S + '[[events]]\nmonth = 3\nkind = "partner_leaves"\nvalue = 1e308\n',
             "events[0].value", "expected a whole number of members"),
    scenario("event-leaves-bigint", S + '[[events]]\nmonth = 3\nkind = "partner_leaves"\nvalue = '
             + "1" * 30 + "\n", "events[0].value", "expected a whole number of members"),
    scenario("event-leaves-half", S + '[[events]]\nmonth = 3\nkind = "partner_leaves"\nvalue = 2.5\n',
             "events[0].value", "expected a whole number of members"),
    scenario("event-ends-nan", S + '[[events]]\nmonth = 3\nkind = "backbone_funding_ends"\nvalue = nan\n',
             "events[0].value", "a number (unused)"),
    scenario("event-after-end", S + '[[events]]\nmonth = 61\nkind = "backbone_funding_ends"\n', "events[0].month",
             "the last month (60)"),
    scenario("event-after-short-end", S + 'months = 12\n[[events]]\nmonth = 24\nkind = "backbone_funding_ends"\n',
             "events[0].month", "the last month (12)"),
    scenario("event-month-zero", S + '[[events]]\nmonth = 0\nkind = "backbone_funding_ends"\n', "events[0].month",
             "expected a month from 1"),
    scenario("event-kind-list", S + "[[events]]\nmonth = 3\nkind = [1]\n", "events[0].kind", "expected a string"),
    scenario("event-kind-typo", S + '[[events]]\nmonth = 3\nkind = "funding_shok"\n', "events[0].kind",
             "did you mean 'funding_shock'"),
    scenario("event-no-kind", S + "[[events]]\nmonth = 3\n", "events[0].kind", "missing"),
    scenario("events-number", S + "events = 5\n", "events", "expected a list"),
    scenario("events-of-numbers", S + "events = [1]\n", "events[0]", "expected a table"),
    scenario("events-too-many", _events(1201), "events", "expected at most 1200 events"),
    scenario("share-inf", S + "[sectors.health]\nshare = inf\n", "sectors.health.share",
             "expected a share of the organizations from 0 to 1"),
    scenario("share-nan", S + "[sectors.health]\nshare = nan\n", "sectors.health.share", "expected a share"),
    scenario("share-huge", S + "[sectors.health]\nshare = 1e308\n", "sectors.health.share", "expected a share"),
    scenario("share-negative", S + "[sectors.health]\nshare = -0.1\n", "sectors.health.share", "expected a share"),
    scenario("share-zero", S + "[sectors.health]\nshare = 0.0\n", "sectors.health.share", "above 0"),
    scenario("share-text", S + '[sectors.health]\nshare = "most"\n', "sectors.health.share", "expected a number"),
    scenario("shares-sum", S + "[sectors.health]\nshare = 0.5\n", "sectors", "expected shares that sum to 1"),
    scenario("share-missing", S + '[sectors.new]\nhome_domains = ["clinics"]\n', "sectors.new.share",
             "give every sector a share"),
    scenario("size-inf", S + "[coalition]\nsize = inf\n", "coalition.size", "expected a whole number"),
    scenario("size-float", S + "[coalition]\nsize = 30.5\n", "coalition.size", "expected a whole number"),
    scenario("size-bool", S + "[coalition]\nsize = true\n", "coalition.size", "expected a whole number"),
    scenario("size-huge", S + "[coalition]\nsize = 100000\n", "coalition.size", "expected a value from 2 to 200"),
    scenario("budget-inf", S + "[funder]\nbudget = inf\n", "funder.budget", "expected a value from 0 to 1e+10"),
    scenario("budget-nan", S + "[funder]\nbudget = nan\n", "funder.budget", "expected a value from 0 to 1e+10"),
    scenario("budget-huge", S + "[funder]\nbudget = 1e308\n", "funder.budget", "expected a value from 0 to 1e+10"),
    scenario("population-neginf", S + "[problem]\npopulation = -inf\n", "problem.population", "expected a value"),
    scenario("budget-mean-huge", S + "[coalition]\nbudget_mean = 1e308\n", "coalition.budget_mean",
             "expected a value from 100 to 1e+08"),
    scenario("unit-cost-inf", S + "[domains.clinics]\nunit_cost = inf\n", "domains.clinics.unit_cost",
             "expected a value"),
    scenario("earmark-huge", S + "[domains.clinics]\nextra_funding = 1e308\n", "domains.clinics.extra_funding",
             "expected a value"),
    scenario("need-all-zero", 'extends = "collective"\nreplace = ["domains", "sectors"]\n[domains.a]\nneed_rate = 0.0\n'
             '[sectors.s]\nhome_domains = ["a"]\n', "domains.a.need_rate", "nobody needs any step"),
    scenario("name-number", S + "name = 5\n", "name", "expected a string"),
    scenario("name-list", S + "name = [1]\n", "name", "expected a string"),
    scenario("description-number", S + "description = 5\n", "description", "expected a string"),
    scenario("months-text", S + 'months = "60"\n', "months", "expected a whole number"),
    scenario("months-float", S + "months = 60.5\n", "months", "expected a whole number"),
    scenario("months-bool", S + "months = true\n", "months", "expected a whole number"),
    scenario("months-zero", S + "months = 0\n", "months", "from 1 to 600"),
    scenario("months-huge", S + "months = 100000\n", "months", "from 1 to 600"),
    scenario("outcome-number", S + "outcome = 5\n", "outcome", "expected a table"),
    scenario("outcome-label-number", S + "[outcome]\nlabel = 5\n", "outcome.label", "expected a string"),
    scenario("domains-number", S + "domains = 5\n", "domains", "expected a table"),
    scenario("sectors-list", S + "sectors = [1]\n", "sectors", "expected a table"),
    scenario("section-number", S + "conditions = 5\n", "conditions", "expected a table"),
    scenario("empty", "", "domains", "expected at least one"),
    scenario("empty-domains", 'extends = "collective"\nreplace = ["domains"]\n[domains]\n', "domains",
             "expected at least one"),
    scenario("domain-dotted", S + '[domains."a.b"]\n', "domains.a.b", "expected a name without dots"),
    scenario("domain-blank", S + '[domains." "]\n', "domains. ", "expected a name without dots"),
    scenario("domain-number", S + "[domains]\nclinics = 5\n", "domains.clinics", "expected a table"),
    scenario("domains-too-many", _domains(101), "domains", "expected at most 100 domains"),
    scenario("sectors-too-many", _sectors(101), "sectors", "expected at most 100 sectors"),
    scenario("unicode-typo", S + '["conditiöns"]\ncommon_agenda = 1.0\n', "conditiöns", "unknown key"),
    scenario("sector-label-number", S + "[sectors.health]\nlabel = 5\n", "sectors.health.label", "expected a string"),
    scenario("domain-label-list", S + "[domains.clinics]\nlabel = [1]\n", "domains.clinics.label",
             "expected a string"),
    Case("missing-file", {}, None, "no such scenario file", argv=["validate", "{dir}/nothing.toml"],
         names="nothing.toml"),
    Case("folder", {"folder.toml/x.toml": S}, None, "no such scenario file", argv=["validate", "{dir}/folder.toml"],
         names="folder.toml"),
]

SET_CASES = [
    sets("set-label-x", "sectors.health.label.x=1", "sectors.health.label.x", "not a value of the scenario"),
    sets("set-events-0", "events.0.month=3", "events.0.month", "events is a list"),
    sets("set-name-x", "name.x=1", "name.x", "unknown key"),
    sets("set-events", "events=5", "events", "is a list, not a single value"),
    sets("set-sector", "sectors.health=5", "sectors.health", "is a table, not a single value"),
    sets("set-domain-label-x", "domains.clinics.label.x=1", "domains.clinics.label.x", "not a value"),
    sets("set-budget-inf", "funder.budget=inf", "funder.budget", "expected a value from 0 to 1e+10"),
    sets("set-budget-nan", "funder.budget=nan", "funder.budget", "expected a value from 0 to 1e+10"),
    sets("set-budget-huge", "funder.budget=1e308", "funder.budget", "expected a value from 0 to 1e+10"),
    sets("set-size-overflow", "coalition.size=1e400", "coalition.size", "expected a whole number"),
    sets("set-size-digits", "coalition.size=" + "9" * 5000, "coalition.size", "expected a whole number"),
    sets("set-months-zero", "months=0", "months", "from 1 to 600"),
    sets("set-months-nan", "months=nan", "months", "expected a whole number"),
    sets("set-months-event", "months=12", "months", "after the last month (12)", target="backbone-withdrawn"),
    sets("set-share", "sectors.health.share=0.5", "sectors", "expected shares that sum to 1"),
    sets("set-share-inf", "sectors.health.share=inf", "sectors.health.share", "expected a share"),
    sets("set-name-number", "name=5", "name", "expected a string"),
    sets("set-homes-text", "sectors.health.home_domains=clinics", "sectors.health.home_domains", "is a list"),
    sets("set-need-nan", "domains.clinics.need_rate=nan", "domains.clinics.need_rate", "expected a value from 0 to 1"),
    sets("set-unknown", "nosuch.key=1", "nosuch.key", "unknown key"),
    sets("set-unknown-domain", "domains.nowhere.need_rate=0.5", "domains.nowhere.need_rate", "unknown domain"),
    sets("set-empty-part", "sectors..share=1", "sectors..share", "expected a dotted path"),
    sets("set-no-value", "funder.budget", None, "expected path=value"),
    sets("set-shock", "events=[]", "events", "is a list, not a single value"),
]

TABLE = E + '[design]\nkind = "table"\nfile = "points.csv"\n'
EXPERIMENT_CASES = [
    experiment("replicates-billion", E + "replicates = 1000000000\n" + GRID, "replicates",
               "more than the limit of 100,000"),
    experiment("grid-6x100", _grid(6, 100), "factors", "1,000,000,000,000 design points"),
    experiment("sobol-huge-n", _sa("sobol", "n = 1099511627776"), "design.n", "design points"),
    experiment("lhs-huge", E + '[design]\nkind = "lhs"\npoints = 1000000000\n[factors."coalition.size"]\nlow = 10\n'
               "high = 20\n", "design.points", "design points"),
    experiment("runs-limit", E + "replicates = 20000\n" + '[design]\nkind = "lhs"\npoints = 1000\n'
               '[factors."coalition.size"]\nlow = 10\nhigh = 20\n', "replicates", "runs (points x replicates)"),
    experiment("run-months-limit", E + 'replicates = 2000\n[changes]\nmonths = 600\n[design]\nkind = "lhs"\n'
               'points = 1000\n[factors."coalition.size"]\nlow = 10\nhigh = 20\n', "replicates", "run-months"),
    experiment("memory-limit", E + 'replicates = 50000\n[limits]\nruns = 100000000\nrun_months = 10000000000\n'
               '[design]\nkind = "lhs"\npoints = 1000\n[factors."coalition.size"]\nlow = 10\nhigh = 20\n',
               "replicates", "MB for the runs"),
    experiment("limit-zero", E + "[limits]\nruns = 0\n" + GRID, "limits.runs", "expected 1 or more"),
    experiment("limit-text", E + '[limits]\nruns = "many"\n' + GRID, "limits.runs", "expected a whole number"),
    experiment("limit-unknown", E + "[limits]\nrun = 5\n" + GRID, "limits.run", "did you mean 'runs'"),
    experiment("limit-bool", E + "[limits]\nallow_large = 1\n" + GRID, "limits.allow_large", "true or false"),
    experiment("seed-huge", E + "seed = 1180591620717411303424\n" + GRID, "seed", "from 0 to 2**63 - 1"),
    experiment("seed-negative", E + "seed = -1\n" + GRID, "seed", "from 0 to 2**63 - 1"),
    experiment("seed-bool", E + "seed = true\n" + GRID, "seed", "expected a whole number"),
    experiment("seed-float", E + "seed = 1.5\n" + GRID, "seed", "expected a whole number"),
    experiment("replicates-zero", E + "replicates = 0\n" + GRID, "replicates", "expected 1 or more"),
    experiment("replicates-bool", E + "replicates = true\n" + GRID, "replicates", "expected a whole number"),
    experiment("exp-name-number", E + "name = 5\n" + GRID, "name", "expected a string"),
    experiment("exp-description-list", E + "description = [1]\n" + GRID, "description", "expected a string"),
    experiment("scenario-number", "scenario = 5\n" + GRID, "scenario", "expected a string"),
    experiment("scenario-etc", 'scenario = "/etc/passwd"\n' + GRID, "scenario", "is outside the folder"),
    experiment("scenario-up", 'scenario = "../elsewhere/s.toml"\n' + GRID, "scenario", "is outside the folder",
               files={"../elsewhere/s.toml": S}),
    experiment("scenario-text", 'scenario = "notes.txt"\n' + GRID, "scenario", "not a TOML file",
               files={"notes.txt": f"{SECRET} = 1\n"}, secret=("notes.txt",)),
    experiment("scenario-bad", 'scenario = "s.toml"\n' + GRID, "scenario", "expected a value from 2 to 200",
               files={"s.toml": S + "[coalition]\nsize = 1\n"}),
    experiment("scenario-extends-etc", 'scenario = "s.toml"\n' + GRID, "scenario", "is outside the folder",
               files={"s.toml": 'extends = "/etc/passwd"\n'}),
    experiment("outputs-number", E + "outputs = [1]\n" + GRID, "outputs", "unknown output 1"),
    experiment("outputs-text", E + 'outputs = "outcome_60"\n' + GRID, "outputs", "expected a list"),
    experiment("outputs-empty", E + "outputs = []\n" + GRID, "outputs", "non-empty list"),
    experiment("outputs-twice", E + 'outputs = ["outcome_60", "outcome_60"]\n' + GRID, "outputs", "listed twice"),
    experiment("uncertainty-number", E + "uncertainty = 5\n" + GRID, "uncertainty", "expected a string"),
    experiment("ensemble-etc", E + 'uncertainty = "parameters"\nensemble = "/etc/passwd"\n' + GRID, "ensemble",
               "is outside the folder"),
    experiment("ensemble-up", E + 'uncertainty = "parameters"\nensemble = "../elsewhere/e.csv"\n' + GRID,
               "ensemble", "is outside the folder", files={"../elsewhere/e.csv": f"{SECRET},weight\n1,1\n"},
               secret=("../elsewhere/e.csv",)),
    experiment("ensemble-text", E + 'uncertainty = "parameters"\nensemble = "notes.txt"\n' + GRID, "ensemble",
               "expected a .csv file", files={"notes.txt": SECRET}, secret=("notes.txt",)),
    experiment("ensemble-missing", E + 'uncertainty = "parameters"\nensemble = "nothing-here"\n' + GRID,
               "ensemble", "no such ensemble file"),
    experiment("kind-number", E + "[design]\nkind = 5\n" + GRID, "design.kind", "expected a string"),
    experiment("kind-typo", E + '[design]\nkind = "grd"\n' + GRID, "design.kind", "did you mean 'grid'"),
    experiment("design-number", E + "design = 5\n" + GRID, "design", "expected a table"),
    experiment("factors-number", E + "factors = 5\n", "factors", "expected a table"),
    experiment("factor-number", E + '[factors]\n"backbone.budget_share" = 5\n', "factors.backbone.budget_share",
               "expected a table"),
    experiment("factor-unknown", E + '[factors."backbone.budget"]\nlevels = [0.1]\n', "factors.backbone.budget",
               "not a parameter"),
    experiment("level-inf", E + '[factors."backbone.budget_share"]\nlevels = [inf]\n',
               "factors.backbone.budget_share.levels", "expected a value from 0 to 0.9"),
    experiment("level-nan", E + '[factors."backbone.budget_share"]\nlevels = [nan]\n',
               "factors.backbone.budget_share.levels", "expected a value from 0 to 0.9"),
    experiment("level-text", E + '[factors."backbone.budget_share"]\nlevels = ["a"]\n',
               "factors.backbone.budget_share.levels", "expected a number"),
    experiment("level-list", E + '[factors."backbone.budget_share"]\nlevels = [[0.1]]\n',
               "factors.backbone.budget_share.levels", "expected a number"),
    experiment("levels-empty", E + '[factors."backbone.budget_share"]\nlevels = []\n',
               "factors.backbone.budget_share.levels", "non-empty list"),
    experiment("level-half-size", E + '[factors."coalition.size"]\nlevels = [10.5]\n', "factors.coalition.size.levels",
               "expected a whole number"),
    experiment("months-level-event", 'scenario = "backbone-withdrawn"\n[factors.months]\nlevels = [12, 60]\n',
               "factors.months.levels", "ends before scenario backbone-withdrawn's event at month 24"),
    experiment("lhs-integer-float", E + '[design]\nkind = "lhs"\npoints = 4\n[factors."backbone.budget_share"]\n'
               "low = 0.1\nhigh = 0.3\ninteger = true\n", "factors.backbone.budget_share.integer",
               "not a whole-number parameter"),
    experiment("lhs-low-inf", E + '[design]\nkind = "lhs"\npoints = 4\n[factors."backbone.budget_share"]\n'
               "low = -inf\nhigh = 0.3\n", "factors.backbone.budget_share.low", "expected a value"),
    experiment("lhs-high-nan", E + '[design]\nkind = "lhs"\npoints = 4\n[factors."backbone.budget_share"]\n'
               "low = 0.0\nhigh = nan\n", "factors.backbone.budget_share.high", "expected a value"),
    experiment("lhs-size-half", E + '[design]\nkind = "lhs"\npoints = 4\n[factors."coalition.size"]\n'
               "low = 10.5\nhigh = 20\n", "factors.coalition.size.low", "expected a whole number"),
    experiment("lhs-points-zero", E + '[design]\nkind = "lhs"\npoints = 0\n[factors."coalition.size"]\n'
               "low = 10\nhigh = 20\n", "design.points", "expected 1 or more"),
    experiment("efast-m-zero", _sa("efast", "n = 65\nM = 0"), "design.M", "efast M must be a whole number from 1"),
    experiment("efast-m-negative", _sa("efast", "n = 65\nM = -3"), "design.M", "from 1 to 1000"),
    experiment("efast-m-bool", _sa("efast", "n = 65\nM = true"), "design.M", "expected a whole number"),
    experiment("efast-m-huge", _sa("efast", "n = 65\nM = 1180591620717411303424"), "design.M", "from 1 to 1000"),
    experiment("efast-n-small", _sa("efast", "n = 10"), "design", "efast needs N >= 65"),
    experiment("rbd-m-zero", _sa("rbd_fast", "n = 40\nM = 0"), "design.M", "rbd_fast M must be"),
    experiment("pawn-s-zero", _sa("pawn", "n = 50\nS = 0"), "design.S", "pawn S must be"),
    experiment("pawn-s-one", _sa("pawn", "n = 50\nS = 1"), "design.S", "from 2 to 1000"),
    experiment("morris-odd", _sa("morris", "n = 4\nnum_levels = 3"), "design.num_levels", "even whole number"),
    experiment("morris-zero", _sa("morris", "n = 4\nnum_levels = 0"), "design.num_levels", "from 2 to 1000"),
    experiment("morris-huge", _sa("morris", "n = 4\nnum_levels = 1000000000"), "design.num_levels", "from 2 to 1000"),
    experiment("sobol-not-power", _sa("sobol", "n = 100"), "design", "power of two"),
    experiment("sobol-zero", _sa("sobol", "n = 0"), "design", "power of two"),
    experiment("sobol-negative", _sa("sobol", "n = -8"), "design", "power of two"),
    experiment("sobol-n-float", _sa("sobol", "n = 8.0"), "design.n", "expected a whole number"),
    experiment("sobol-no-n", _sa("sobol", ""), "design.n", "missing"),
    experiment("scramble-text", _sa("sobol", 'n = 8\nscramble = "yes"'), "design.scramble", "true or false"),
    experiment("bootstrap-one", _sa("delta", "n = 100\nbootstrap = 1"), "design.bootstrap", "from 2 to 10,000"),
    experiment("bootstrap-huge", _sa("delta", "n = 100\nbootstrap = 1000000000"), "design.bootstrap",
               "from 2 to 10,000"),
    experiment("conf-high", _sa("delta", "n = 100\nconf_level = 1.5"), "design.conf_level", "between 0 and 1"),
    experiment("conf-nan", _sa("delta", "n = 100\nconf_level = nan"), "design.conf_level", "between 0 and 1"),
    experiment("conf-inf", _sa("delta", "n = 100\nconf_level = inf"), "design.conf_level", "between 0 and 1"),
    experiment("analyze-number", _sa("delta", "n = 100\nanalyze = [1]"), "design.analyze", "expected names of outputs"),
    experiment("analyze-unknown", _sa("delta", 'n = 100\nanalyze = ["nosuch"]'), "design.analyze",
               "is not among the outputs kept"),
    experiment("dummy-number", _sa("delta", "n = 100\ndummy = 1"), "design.dummy", "true or false"),
    experiment("second-order-morris", _sa("morris", "n = 4\nsecond_order = true"), "design.second_order",
               "unknown key"),
    experiment("dist-unknown", _sa("delta", "n = 100", '[factors."trust.decay"]\ndist = "gamma"\nlow = 0.0\n'
                                   'high = 0.5\n[factors."backbone.budget_share"]\nlow = 0.0\nhigh = 0.3\n'),
               "factors.trust.decay.dist", "expected one of"),
    experiment("bounds-inf", _sa("delta", "n = 100", '[factors."trust.decay"]\nbounds = [-inf, 0.5]\n'),
               "factors.trust.decay.bounds", "expected a value"),
    experiment("bounds-text", _sa("delta", "n = 100", '[factors."trust.decay"]\nbounds = ["a", 0.5]\n'),
               "factors.trust.decay.bounds", "expected numbers"),
    experiment("bounds-one", _sa("delta", "n = 100", '[factors."trust.decay"]\nbounds = [0.1]\n'),
               "factors.trust.decay", "unif needs 2 bounds"),
    experiment("sa-integer-float", _sa("delta", "n = 100", '[factors."trust.decay"]\nlow = 0.0\nhigh = 0.5\n'
                                       "integer = true\n"), "factors.trust.decay.integer",
               "not a whole-number parameter"),
    experiment("sa-norm-outside", _sa("delta", "n = 100", '[factors."trust.decay"]\ndist = "norm"\n'
                                      "bounds = [0.5, 2.0]\n"), "factors.trust.decay", "sampled values fall outside"),
    experiment("sa-common-seeds", E + "common_seeds = true\n" + '[design]\nkind = "delta"\nn = 100\n' + TWO,
               "common_seeds", "remove common_seeds"),
    experiment("changes-months-event", 'scenario = "backbone-withdrawn"\n[changes]\nmonths = 12\n' + GRID,
               "changes.months", "after the last month (12)"),
    experiment("changes-budget-inf", E + '[changes]\n"funder.budget" = inf\n' + GRID, "changes.funder.budget",
               "expected a value"),
    experiment("changes-name-number", E + "[changes]\nname = 5\n" + GRID, "changes.name", "expected a string"),
    experiment("changes-label-x", E + '[changes]\n"sectors.health.label.x" = 1\n' + GRID,
               "changes.sectors.health.label.x", "not a value of the scenario"),
    experiment("table-no-file", E + '[design]\nkind = "table"\n', "design.file", "missing"),
    experiment("table-etc", E + '[design]\nkind = "table"\nfile = "/etc/passwd"\n', "design.file",
               "is outside the folder"),
    experiment("table-up", E + '[design]\nkind = "table"\nfile = "../elsewhere/p.csv"\n', "design.file",
               "is outside the folder", files={"../elsewhere/p.csv": f"{SECRET}\n1\n"},
               secret=("../elsewhere/p.csv",)),
    experiment("table-text", E + '[design]\nkind = "table"\nfile = "notes.txt"\n', "design.file",
               "expected a .csv file", files={"notes.txt": f"{SECRET}\n1\n"}, secret=("notes.txt",)),
    experiment("table-binary", TABLE, "design.file", "not UTF-8 text",
               files={"points.csv": b"backbone.budget_share\n\xff\xfe\x00\x01\n"}),
    experiment("table-nul", TABLE, "design.file column backbone.budget_share, row 1", "expected a number",
               files={"points.csv": "backbone.budget_share\n0.1\x00\n"}),
    experiment("table-inf", TABLE, "design.file column backbone.budget_share, row 2", "got inf",
               files={"points.csv": "backbone.budget_share\n0.1\ninf\n"}),
    experiment("table-nan", TABLE, "design.file column backbone.budget_share, row 1", "got nan",
               files={"points.csv": "backbone.budget_share\nnan\n0.1\n"}),
    experiment("table-rows-limit", TABLE + "[limits]\npoints = 10\n", "design.file", "more than 10 rows",
               files={"points.csv": "backbone.budget_share\n" + "0.1\n" * 11}),
    experiment("table-bytes-limit", TABLE + "[limits]\ndesign_file_mb = 1\n", "design.file", "MB of design file",
               files={"points.csv": "backbone.budget_share\n" + "0.1000000\n" * 250_000}),
    experiment("table-column", TABLE, "design.file column backbone.budget", "not a parameter",
               files={"points.csv": "backbone.budget\n0.1\n"}),
    experiment("table-half-size", TABLE, "design.file column coalition.size, row 1", "expected a whole number",
               files={"points.csv": "coalition.size\n10.5\n"}),
    experiment("table-empty", TABLE, "design.file", "no columns to parse", files={"points.csv": ""}),
    experiment("table-header-only", TABLE, "design.file", "has no rows", files={"points.csv": "coalition.size\n"}),
    experiment("table-ragged", TABLE, "design.file", "expected 2 fields in line 3",
               files={"points.csv": "coalition.size,backbone.budget_share\n10,0.1\n12\n"}),
    experiment("table-months-event", 'scenario = "backbone-withdrawn"\n[design]\nkind = "table"\n'
               'file = "points.csv"\n', "design.file column months", "ends before",
               files={"points.csv": "months\n12\n60\n"}),
    Case("exp-binary", {"exp-binary.toml": b"\xff\xfe[design]\nkind = 1\n"}, None, "not UTF-8 text"),
    experiment("exp-nested", E + "[design]\nkind = " + _nested(3000, "[", "]") + "\n", None, "nested too deeply"),
    experiment("exp-syntax", E + "[design\n", None, "not valid TOML"),
    experiment("exp-limit-key-large", E + "replicates = 1000000000\n" + GRID, "replicates",
               "raise the limit in the file ([limits] replicates = 1000000000) or pass --allow large",
               argv=["sweep", "{main}"]),
    experiment("sensitivity-cli", _sa("efast", "n = 65\nM = 0"), "design.M", "efast M must be",
               argv=["sensitivity", "{main}"]),
]

TARGETS_CASES = [
    Case("targets-binary", {"targets-binary.toml": b"\x00\x01\x02" + SECRET.encode()}, None, "binary content",
         argv=["calibrate", "{main}"], secret=("targets-binary.toml",)),
    Case("targets-latin1", {"targets-latin1.toml": TARGETS.encode() + 'name = "\xe9"\n'.encode("latin-1")}, None,
         "not UTF-8 text", argv=["calibrate", "{main}"]),
    targets("targets-statistic-list", TARGETS.replace('statistic = "relative_improvement"', "statistic = [1]"),
            "targets.E1.statistic", "expected one of"),
    targets("targets-etc", TARGETS.replace('treatment = "collective"', 'treatment = "/etc/passwd"'),
            "scenarios.treatment", "is outside the folder"),
    targets("targets-up", TARGETS.replace('treatment = "collective"', 'treatment = "../elsewhere/t.toml"'),
            "scenarios.treatment", "is outside the folder", files={"../elsewhere/t.toml": S}),
    targets("targets-seed", TARGETS.replace("seed = 1", "seed = 1180591620717411303424"), "seed", "2**63 - 1"),
    targets("targets-replicates", TARGETS.replace("replicates = 2", "replicates = 0"), "replicates", "from 1 to 1000"),
    targets("targets-low-inf", TARGETS.replace("low = 0.015", "low = -inf"), "parameters.trust.growth.low",
            "a finite number"),
    targets("targets-nested", TARGETS + "x = " + _nested(3000, "[", "]") + "\n", None, "nested too deeply"),
]

CASES: list[Case] = [*SCENARIO_CASES, *SET_CASES, *EXPERIMENT_CASES, *TARGETS_CASES]


def write_case(case: Case, root: Path) -> Path:
    """Write a case's files into ``root/<case name>/`` (``../`` paths beside it); return that folder."""
    folder = root / case.name
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in case.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def argv_of(case: Case, folder: Path) -> list[str]:
    """The case's command with its placeholders filled in."""
    main = folder / next(iter(case.files), "")
    return [a.replace("{main}", str(main)).replace("{dir}", str(folder)) for a in case.argv]


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "bad-inputs")
    for c in CASES:
        write_case(c, root)
    print(f"wrote {len(CASES)} cases under {root}/")
