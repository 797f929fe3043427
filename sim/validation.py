"""Pattern-oriented validation: does the model reproduce the stylized facts, and which of them emerge?

Each fact (Grimm et al. 2005) is a declared :class:`Check`: its pattern, its
source, whether it is a *calibration target* (its range is used to calibrate
the model, ``cogov calibrate``) or *held out* (never used to set a
parameter), the realised outcome it measures (never the model's own hazard
formulas), a pass range from its source, and a *knock-out*: the parameter
change that switches off the input or mechanism most likely to impose the
pattern. Every check is measured twice, as the model is and with its
knock-out, so a reader sees which patterns emerge from the interplay of
mechanisms (they survive the knock-out) and which hold by construction
(they vanish with it).

All arms share the seeds (common random numbers) and run on the sweep
runner (results folder, resumable, process pool or Dask). Labour-market
checks run at street scale or larger, where quits are counted in hundreds.
When noise decides a check (a range check's interval is wider than its
range, or an effect's interval straddles zero), its verdict is *undecided*
rather than pass or fail, with about how many replications would decide it;
``cogov validate-model`` then exits 1. The report records the code version and the
hash of every scenario it ran, so a test can tell when it is stale.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import UserError
from .provenance import model_fingerprint, stamp
from .scenario import STREET
from .stats import bootstrap_ratio, mean_ci

Overrides = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Arm:
    """One scenario variant: a bundled scenario plus overrides, under a short name."""

    name: str
    scenario: str
    overrides: Overrides = ()

    def key(self) -> str:
        return self.name

    def knocked(self, check: str, knockout: Overrides) -> Arm:
        return Arm(f"{self.name}~{check}", self.scenario, self.overrides + knockout)


@dataclass
class Estimate:
    value: float
    low: float
    high: float
    details: dict[str, Any] = field(default_factory=dict)


class Results:
    """Replications by arm, read from the runs of the validation's results folder."""

    def __init__(self, root: Path):
        from .experiments.store import Store, load_results

        self.store = Store(root)
        self.runs = load_results(root)
        design = self.store.design()
        self.point = {label: int(pid) for pid, label in zip(design["point_id"], design["label"], strict=True)}

    def kpi(self, arm: Arm, name: str) -> np.ndarray:
        rows = self.runs[self.runs["point_id"] == self.point[arm.key()]].sort_values("replication")
        return rows[name].to_numpy(dtype=float)

    def series(self, arm: Arm, name: str) -> np.ndarray:
        return np.array([ts[name].to_numpy(dtype=float)
                         for _, _, ts in self.store.iter_series(self.point[arm.key()])])

    def count(self, arm: Arm, rate: str, exposure: str) -> tuple[np.ndarray, np.ndarray]:
        """Events and exposure per replication from a rate KPI and its exposure KPI."""
        e = self.kpi(arm, exposure)
        return np.nan_to_num(self.kpi(arm, rate)) * e, e


Measure = Callable[[Results, tuple[Arm, ...], np.random.Generator], Estimate]


@dataclass(frozen=True)
class Check:
    """One stylized fact, how it is measured and when it passes."""

    name: str
    pattern: str
    source: str
    role: str
    """``"calibration target"`` or ``"held out"``."""
    arms: tuple[Arm, ...]
    measure: Measure
    measured: str
    low: float
    high: float
    """The pass range of the estimate (a sourced range, or a sign: (0, inf) for an effect that must be
    positive, with its interval too)."""
    criterion: str
    knockout: Overrides
    mechanism: str
    """What the knock-out switches off."""
    interval_must_clear: bool = False
    """For an effect: the whole interval must lie in the range (not only the estimate)."""

    def passes(self, e: Estimate) -> bool:
        if not math.isfinite(e.value):
            return False
        if self.interval_must_clear:
            return self.low < e.low and e.high < self.high
        return self.low <= e.value <= self.high

    def bounds(self) -> tuple[float, ...]:
        """The finite ends of the pass range (a sign check has one)."""
        return tuple(b for b in (self.low, self.high) if math.isfinite(b))

    def decidable(self, e: Estimate) -> bool:
        """Is the interval narrow enough that noise does not decide the verdict? A range check's interval
        must be no wider than its range; an effect's interval must not straddle a bound (it lies wholly on
        one side: the effect is shown, or shown to be absent)."""
        if not (math.isfinite(e.low) and math.isfinite(e.high)):
            return False
        if self.interval_must_clear:
            return not any(e.low <= b <= e.high for b in self.bounds())
        return (e.high - e.low) <= (self.high - self.low)

    def replications_needed(self, e: Estimate, reps: int) -> int | None:
        """About how many replications would make an undecided check decidable, if the estimate held: the
        interval shrinks as one over the square root of the count. ``None`` when no count would (an
        estimate on a bound, or an interval that is not finite)."""
        if not (math.isfinite(e.low) and math.isfinite(e.high)):
            return None
        if self.interval_must_clear:
            gap = min(abs(e.value - b) for b in self.bounds())
            return int(math.ceil(reps * ((e.high - e.low) / 2 / gap) ** 2)) if gap > 0 else None
        width = self.high - self.low
        return int(math.ceil(reps * ((e.high - e.low) / width) ** 2))


@dataclass
class CheckResult:
    name: str
    pattern: str
    source: str
    role: str
    measured: str
    value: float
    low: float
    high: float
    criterion: str
    passed: bool
    decidable: bool
    mechanism: str
    knockout_value: float
    knockout_low: float
    knockout_high: float
    knockout_passed: bool
    verdict: str
    """``emerges`` (survives the knock-out), ``by construction`` (vanishes with it), ``fails``, or
    ``undecided`` (fails, but its interval is too wide to say: more replications would decide)."""
    details: dict[str, Any] = field(default_factory=dict)


# Measures --------------------------------------------------------------------------------------------
def level(kpi: str) -> Measure:
    def measure(res: Results, arms: tuple[Arm, ...], rng) -> Estimate:
        return Estimate(*mean_ci(res.kpi(arms[0], kpi)))
    return measure


def difference(kpi: str) -> Measure:
    """Paired difference (common random numbers) of arm 0 minus arm 1."""
    def measure(res: Results, arms: tuple[Arm, ...], rng) -> Estimate:
        a, b = res.kpi(arms[0], kpi), res.kpi(arms[1], kpi)
        return Estimate(*mean_ci(a - b), {"with": float(np.nanmean(a)), "without": float(np.nanmean(b))})
    return measure


def first_year_ratio(res: Results, arms: tuple[Arm, ...], rng) -> Estimate:
    """Quit rate in the first year of tenure over the rate after it, pooled over replications."""
    fq, fy = res.count(arms[0], "sw_first_year_quit_rate", "sw_first_year_worker_years")
    lq, ly = res.count(arms[0], "sw_later_quit_rate", "sw_later_worker_years")
    idx = rng.integers(0, len(fq), size=(2000, len(fq)))
    ratio = (fq[idx].sum(1) / np.maximum(fy[idx].sum(1), 1e-9)) / np.maximum(
        lq[idx].sum(1) / np.maximum(ly[idx].sum(1), 1e-9), 1e-12)
    est = (fq.sum() / fy.sum()) / (lq.sum() / ly.sum()) if lq.sum() > 0 and fy.sum() > 0 else math.nan
    lo, hi = np.percentile(ratio, [2.5, 97.5])
    return Estimate(float(est), float(lo), float(hi), {"first_year_quits": float(fq.sum()),
                                                         "later_quits": float(lq.sum())})


def pay_elasticity(res: Results, arms: tuple[Arm, ...], rng) -> Estimate:
    """Realised elasticity of the quit rate to pay: log(quits per worker-year, high pay / low pay)
    over log(pay ratio, high / low); quits pooled over replications, bootstrap interval."""
    high, low = arms
    hq, hy = res.count(high, "sw_quit_rate", "sw_worker_years")
    lq, ly = res.count(low, "sw_quit_rate", "sw_worker_years")
    ph, pl = np.nanmean(res.kpi(high, "sw_pay_ratio_mean")), np.nanmean(res.kpi(low, "sw_pay_ratio_mean"))
    log_pay = math.log(ph / pl)
    idx = rng.integers(0, len(hq), size=(2000, len(hq)))
    el = np.log((hq[idx].sum(1) / hy[idx].sum(1)) / (lq[idx].sum(1) / ly[idx].sum(1))) / log_pay
    est = math.log((hq.sum() / hy.sum()) / (lq.sum() / ly.sum())) / log_pay
    lo, hi = np.percentile(el, [2.5, 97.5])
    return Estimate(float(est), float(lo), float(hi), {"pay_ratio": [float(pl), float(ph)],
                                                         "quits": [float(lq.sum()), float(hq.sum())]})


def layoff_share(res: Results, arms: tuple[Arm, ...], rng) -> Estimate:
    """Layoffs as a share of all separations, pooled over replications."""
    q, y = res.count(arms[0], "sw_quit_rate", "sw_worker_years")
    lay, _ = res.count(arms[0], "sw_layoff_rate", "sw_worker_years")
    return Estimate(*bootstrap_ratio(lay, q + lay, rng))


def active_share(res: Results, arms: tuple[Arm, ...], rng) -> Estimate:
    return Estimate(*bootstrap_ratio(res.kpi(arms[0], "volunteers_active_mean"),
                                     res.kpi(arms[0], "volunteers_registered_mean"), rng))


def staffing_returns(kpi: str, levels: Sequence[float]) -> Measure:
    """Reduction in ``kpi`` per added post per 1,000 residents, step by step; the estimate is the first
    step's gain, and the details show that later steps gain less."""
    def measure(res: Results, arms: tuple[Arm, ...], rng) -> Estimate:
        gains = [(res.kpi(a0, kpi) - res.kpi(a1, kpi)) / (x1 - x0)
                 for a0, a1, x0, x1 in zip(arms[:-1], arms[1:], levels[:-1], levels[1:], strict=True)]
        steps = [mean_ci(g) for g in gains]
        first = steps[0]
        shrinking = all(steps[i + 1][0] <= steps[i][0] for i in range(len(steps) - 1))
        return Estimate(first[0], first[1], first[2], {"gain_per_post": [s[0] for s in steps],
                                                         "diminishing": shrinking})
    return measure


def backlog_lag(cut_week: int) -> Measure:
    """Backlog difference (cut - baseline) a year after the cut bites, and when it first rises."""
    def measure(res: Results, arms: tuple[Arm, ...], rng) -> Estimate:
        d = res.series(arms[0], "backlog") - res.series(arms[1], "backlog")
        bite = cut_week + 52 - cut_week % 52
        before = d[:, max(cut_week - 52, 0):cut_week].mean(axis=1)
        first = next((w for w in range(cut_week, d.shape[1] - 8) if mean_ci(d[:, w:w + 8].mean(axis=1))[1] > 0),
                     None)
        after = d[:, bite + 52:].mean(axis=1)
        m, lo, hi = mean_ci(after)
        return Estimate(m, lo, hi, {"before": list(mean_ci(before)), "first_rise_week": first,
                                    "cut_announced": cut_week, "cut_bites": bite})
    return measure


def diminishing(check: Check, e: Estimate) -> bool:
    return bool(e.details.get("diminishing", True))


# The checks ----------------------------------------------------------------------------------------------
STREET_SET: Overrides = tuple(STREET.items())
LARGE_SET: Overrides = (("population.residents", 200000), ("population.communities", 40), ("funding.ngos", 40),
                        ("simulation.resident_agents", False))
"""Four streets (about 200 workers): the realised pay elasticity needs quits in the thousands, and the
funding cut's effect on quits several hundred a year in each arm."""

BASE = Arm("street_baseline", "baseline", STREET_SET)
CUT = Arm("street_funding_cut", "funding_cut", STREET_SET)
LARGE_BASE = Arm("large_baseline", "baseline", LARGE_SET)
LARGE_CUT = Arm("large_funding_cut", "funding_cut", LARGE_SET)
"""The cut's effect on quits (about +0.02 a worker-year) needs four streets: at street scale 20 paired
replications give a standard error of 0.007-0.009 (sd of a paired difference 0.03-0.04), and whether the
interval clears zero is then a matter of the seed."""
ADMIN = Arm("street_admin_burden", "admin_burden", STREET_SET)
PAY_LOW = Arm("large_pay_low", "baseline", LARGE_SET + (("workforce.salary_ratio", 0.5),))
PAY_HIGH = Arm("large_pay_high", "pay_raise", LARGE_SET)
STAFF_LEVELS = (0.5, 1.0, 2.0, 3.0)
STAFF = tuple(Arm(f"posts_{v:g}", "baseline", (("workforce.posts_per_1000_residents", v),
                                               ("simulation.resident_agents", False))) for v in STAFF_LEVELS)
NO_COORD: Overrides = (("workforce.share_casework", 0.65), ("workforce.share_coordination", 0.0))
NO_VOL: Overrides = (("volunteers.initial_registered_share", 0.0), ("volunteers.recruit_probability", 0.0))
ONE = (("simulation.resident_agents", False),)
VOL = {(True, True): Arm("community", "baseline", ONE),
       (True, False): Arm("no_volunteers", "baseline", ONE + NO_VOL),
       (False, True): Arm("no_coordination", "baseline", ONE + NO_COORD),
       (False, False): Arm("no_coordination_no_volunteers", "baseline", ONE + NO_COORD + NO_VOL)}
AGING = Arm("aging_estate", "aging_estate")
AGING_NEITHER = Arm("aging_neither", "aging_estate", (("volunteers.elder_visiting_skill_share", 0.0),
                                                      ("enterprises.partners_per_1000_residents", 0.0),
                                                      ("enterprises.recruit_per_1000_residents_year", 0.0)))
DELIB_HIGH = Arm("deliberation_high_trust", "deliberation", (("social.initial_trust_mean", 0.65),
                                                            ("social.initial_belonging_mean", 0.6)))
DELIB_LOW = Arm("deliberation_low_trust", "deliberation", (("social.initial_trust_mean", 0.35),
                                                          ("social.initial_belonging_mean", 0.3)))
CUT_WEEK = 182

TURNOVER = "DOMAIN: ~20%/yr (Shenzhen, Dongguan, Beijing, Shanghai, Nanjing 2014-2020); 17.6-25%"
NO_HAZARD_TERMS: Overrides = (("workforce.quit_burnout_effect", 0.0), ("workforce.quit_satisfaction_effect", 0.0),
                              ("workforce.quit_insecurity_effect", 0.0), ("workforce.first_year_quit_multiplier", 1.0))
NO_PAY: Overrides = (("workforce.quit_pay_elasticity", 0.0), ("workforce.satisfaction_pay_weight", 0.0),
                     ("workforce.hiring_lag_pay_exponent", 0.0))

CHECKS: tuple[Check, ...] = (
    Check("baseline_turnover", "Annual social-worker turnover about 20% at typical pay", TURNOVER,
          "calibration target", (BASE,), level("sw_turnover_rate"), "turnover per worker-year, street baseline",
          0.15, 0.25, "estimate within [15%, 25%]", NO_HAZARD_TERMS,
          "burnout, satisfaction, insecurity and first-year terms of the quit rate"),
    Check("volunteer_dropout", "About a third of active volunteers drop out a year",
          "DOMAIN: ~35% of volunteers drop out each year (CNCS 2009)", "calibration target", (BASE,),
          level("volunteer_dropout_rate"), "drop-outs per volunteer-year, street baseline", 0.25, 0.45,
          "estimate within [25%, 45%]", (("volunteers.life_event_dropout_per_year", 0.0),),
          "drop-out for life events (an input rate)"),
    Check("caseload_standard", "Caseloads within the CWLA standard of 12-17 active cases",
          "DOMAIN: CWLA 12-17 active cases per worker", "calibration target", (BASE,), level("sw_caseload_mean"),
          "cases held per worker, street baseline", 12.0, 17.0, "estimate within [12, 17]",
          (("workforce.target_caseload", 22),), "the caseload target (an input)"),
    Check("first_year_attrition", "Quits are higher in the first year of tenure",
          "DOMAIN: US trainees 46-54% against ~30% mean; culturalcarriers/asa ABMs", "held out", (BASE,),
          first_year_ratio, "first-year / later quit rate, pooled", 1.3, 2.5, "ratio within [1.3, 2.5]",
          (("workforce.first_year_quit_multiplier", 1.0),), "the first-year multiplier of the quit rate"),
    Check("pay_effect_small", "Pay alone moves quits little: elasticity about -0.1",
          "DOMAIN: quit elasticity to wages ~0.1 (Naidu & Carr); burnout and dissatisfaction the strongest "
          "predictors; workforce.satisfaction_pay_weight is set so that it holds",
          "calibration target", (PAY_HIGH, PAY_LOW), pay_elasticity,
          "realised quit elasticity to pay, 0.5 against 0.85 of the local wage, four streets", -0.3, -0.03,
          "estimate within [-0.3, -0.03]: small, but not none", NO_PAY,
          "every pay channel (direct elasticity, satisfaction, hiring lag)"),
    Check("quits_dominate_separations", "Social workers leave mostly by quitting",
          "seed 000: every year workers left because pay and status are low", "held out", (BASE,), layoff_share,
          "layoffs / separations, street baseline", 0.0, 0.35, "share within [0, 35%]",
          (("funding.renewal_floor", 0.3), ("funding.renewal_ceiling", 0.6)),
          "stable contracts (renewal made uncertain)"),
    Check("completed_tenure", "Leavers have stayed a few years, not decades",
          "DOMAIN: median tenure 1.8 years (US child welfare); ~20% turnover means about five years on average",
          "held out", (BASE,), level("sw_median_completed_tenure_years"), "median tenure of leavers (years)",
          1.0, 6.0, "estimate within [1, 6] years", (("workforce.initial_tenure_mean_weeks", 2000.0),),
          "the initial staff's tenure (an input)"),
    Check("cut_raises_layoffs", "Cutting contract funding raises layoffs", "seed 000: no projects, no funding",
          "held out", (CUT, BASE), difference("sw_layoff_rate"), "layoff rate, funding cut - baseline (street)",
          0.0, math.inf, "95% interval above 0", (("funding.reserve_cap_months", 60.0),
                                                  ("funding.initial_cash_months", 60.0)),
          "budget constraint (agencies given five years of reserves)", True),
    Check("cut_raises_quits", "Cutting contract funding raises quits among those who stay",
          "DOMAIN stylized facts: turnover rises when funding is cut; workload-exhaustion r~0.66", "held out",
          (LARGE_CUT, LARGE_BASE), difference("sw_quit_rate"), "quit rate, funding cut - baseline (four streets)",
          0.0, math.inf,
          "95% interval above 0", (("workforce.burnout_gain", 0.0), ("workforce.quit_insecurity_effect", 0.0)),
          "workload burnout and contract insecurity", True),
    Check("cut_backlog_lag", "After a funding cut the backlog grows, with a lag", "DOMAIN stylized facts",
          "held out", (CUT, BASE), backlog_lag(CUT_WEEK), "backlog difference a year after the cut bites",
          0.0, math.inf, "95% interval above 0", (("needs.waiting_exit_per_year", 1.0),
                                                  ("needs.exit_per_year", 1.0)),
          "needs staying on the ledger (all unserved needs leave within a year)", True),
    Check("staffing_backlog", "More funded posts reduce the backlog, with diminishing returns",
          "DOMAIN stylized facts", "held out", STAFF, staffing_returns("backlog_mean", STAFF_LEVELS),
          "backlog reduction per post per 1,000 residents, first step", 0.0, math.inf,
          "first step's interval above 0 and each later step gains less", (("needs.exit_per_year", 0.9),
                                                                           ("needs.waiting_exit_per_year", 0.9)),
          "a ledger that keeps needs (unserved needs leave fast)", True),
    Check("admin_raises_burnout", "High administrative burden raises burnout",
          "DOMAIN: workload-exhaustion r~0.66; 行政化 in the seeds", "held out", (ADMIN, BASE),
          difference("sw_burnout_mean"), "burnout, admin burden - baseline (street)", 0.0, math.inf,
          "95% interval above 0", (("workforce.burnout_admin_gain", 0.0),),
          "the admin drain on burnout (only lost hours remain)", True),
    Check("admin_lowers_resolved", "High administrative burden lowers resolved needs at the same staffing",
          "DOMAIN; 行政化 in the seeds", "held out", (ADMIN, BASE), difference("needs_resolved_per_year"),
          "needs resolved a year, admin burden - baseline (street)", -math.inf, 0.0, "95% interval below 0",
          (("workforce.hours_per_week", 80.0),), "scarce hours (workers given twice the hours)", True),
    Check("volunteers_need_coordination", "Volunteers raise resolved needs only while coordinated",
          "DOMAIN: volunteers multiply capacity only while someone coordinates them", "held out",
          (VOL[True, True], VOL[True, False]), difference("needs_resolved_per_year"),
          "needs resolved a year added by volunteers, coordinated (one community)", 0.0, math.inf,
          "95% interval above 0", (("volunteers.uncoordinated_effectiveness", 0.0),
                                   ("workforce.share_casework", 0.65), ("workforce.share_coordination", 0.0)),
          "coordination (no coordination hours)", True),
    Check("registered_exceed_active", "Registered volunteers far exceed active ones",
          "DOMAIN: registered volunteers >> active ones", "held out", (BASE,), active_share,
          "active / registered volunteers", 0.05, 0.5, "share within [5%, 50%]",
          (("volunteers.registration_lapse_per_year", 1.0),), "registrations kept after activity stops"),
    Check("aging_partners_and_visits", "In the aging estate, 低龄助高龄 and partners raise contact with the elderly "
          "living alone", "seed 001: Huarui estate", "held out", (AGING, AGING_NEITHER),
          difference("coverage_elderly_alone"), "coverage of elderly living alone, with - without", 0.0, math.inf,
          "95% interval above 0", (("volunteers.visits_per_hour", 0.0), ("enterprises.services_per_week", 0.0)),
          "the visits and services themselves", True),
    Check("deliberation_trust", "Deliberation settles more disputes where trust and belonging are higher",
          "seed 001: Jinyuan party-masses deliberation days", "held out", (DELIB_HIGH, DELIB_LOW),
          difference("dispute_settled_per_meeting"), "share of disputes settled per meeting, high - low trust",
          0.0, math.inf, "95% interval above 0", (("deliberation.trust_effect", 0.0),
                                                  ("deliberation.belonging_effect", 0.0)),
          "trust and belonging in the settlement chance (an input)", True),
)
"""The checks, in report order."""


def all_arms(checks: Sequence[Check]) -> tuple[Arm, ...]:
    """Every arm the checks need, each once: the model as it is and with each check's knock-out."""
    arms = [a for c in checks for a in c.arms]
    arms += [a.knocked(c.name, c.knockout) for c in checks for a in c.arms]
    return tuple(dict.fromkeys(arms))


def experiment(arms: Sequence[Arm], reps: int, seed: int, weeks: int | None, scale: float | None):
    """The validation as an experiment: every arm a scenario of one comparison, the same seeds in each."""
    from .experiments.spec import load_experiment

    entries = [{"scenario": a.scenario, "label": a.name, "set": dict(a.overrides)} for a in arms]
    return load_experiment({"name": "validation", "description": "Stylized-fact checks (cogov validate-model).",
                            "design": {"kind": "scenarios", "scenarios": entries}, "replications": reps,
                            "seed": seed, "weeks": weeks, "scale": scale, "save_series": True,
                            "common_random_numbers": True}, folder=Path("."))


def selected(only: Sequence[str] | None) -> tuple[Check, ...]:
    if not only:
        return CHECKS
    names = {c.name for c in CHECKS}
    unknown = [n for n in only if n not in names]
    if unknown:
        raise UserError(f"unknown check {unknown[0]!r}; choose from {', '.join(sorted(names))}", field="--only")
    return tuple(c for c in CHECKS if c.name in only)


def evaluate(check: Check, res: Results, rng: np.random.Generator, reps: int) -> CheckResult:
    e = check.measure(res, check.arms, rng)
    k = check.measure(res, tuple(a.knocked(check.name, check.knockout) for a in check.arms), rng)
    passed = check.passes(e) and (check.name != "staffing_backlog" or diminishing(check, e))
    knocked = check.passes(k) and (check.name != "staffing_backlog" or diminishing(check, k))
    decidable = check.decidable(e)
    details = dict(e.details)
    need = None if decidable else check.replications_needed(e, reps)
    if need is not None:
        details["replications_needed"] = need
    if passed:
        verdict = "emerges" if knocked else "by construction"
    else:
        verdict = "fails" if decidable else "undecided"
    return CheckResult(check.name, check.pattern, check.source, check.role, check.measured, e.value, e.low, e.high,
                       check.criterion, passed, decidable, check.mechanism, k.value, k.low, k.high, knocked, verdict,
                       details)


def run_validation(out: str | Path, reps: int = 20, scale: float | None = None, weeks: int | None = None,
                   workers: int | None = None, seed: int = 1000, executor: Executor | None = None,
                   only: Sequence[str] | None = None, resume: bool = False,
                   progress: bool = False) -> list[CheckResult]:
    """Run every check's arms (and their knock-outs) ``reps`` times on the sweep runner (results in
    ``out/runs``, resumable) and evaluate the checks."""
    from .experiments.runner import run_experiment

    checks = selected(only)
    exp = experiment(all_arms(checks), reps, seed, weeks, scale)
    outcome = run_experiment(exp, Path(out) / "runs", executor=executor, workers=workers, resume=resume,
                             progress=progress, command="cogov validate-model", report=False)
    if outcome.interrupted:
        raise KeyboardInterrupt
    if outcome.failures:
        first = outcome.failures[0]["error"].splitlines()[0]
        raise RuntimeError(f"{len(outcome.failures)} validation runs failed; first: {first}")
    res = Results(Path(out) / "runs")
    rng = np.random.default_rng(seed)
    return [evaluate(c, res, rng, reps) for c in checks]


def fingerprint(checks: Sequence[Check] = CHECKS) -> dict[str, str]:
    """What the report was computed from: the resolved scenario of every arm, hashed."""
    from .scenario import load_scenario

    out = {}
    for arm in all_arms(checks):
        blob = json.dumps(load_scenario(arm.scenario, dict(arm.overrides)).model_dump(mode="json"),
                          sort_keys=True).encode()
        out[arm.name] = hashlib.sha256(blob).hexdigest()[:16]
    return out


def scenarios_digest(checks: Sequence[Check] = CHECKS) -> str:
    """One hash of :func:`fingerprint` (every arm's resolved scenario)."""
    return hashlib.sha256(json.dumps(fingerprint(checks), sort_keys=True).encode()).hexdigest()[:16]


def write_report(checks: list[CheckResult], out: Path, meta: dict[str, Any]) -> Path:
    """Markdown table, JSON and a figure of the checks."""
    out.mkdir(parents=True, exist_ok=True)
    chosen = selected([c.name for c in checks])
    meta = {**meta, "model": model_fingerprint(), "scenarios": fingerprint(chosen)}
    (out / "validation.json").write_text(json.dumps(
        {"meta": meta, "checks": [asdict(c) for c in checks]}, indent=2, default=float))
    _figure(checks, out / "validation.png")
    passed = sum(c.passed for c in checks)
    emerge = [c.name for c in checks if c.verdict == "emerges"]
    built = [c.name for c in checks if c.verdict == "by construction"]
    failed = [c.name for c in checks if c.verdict in ("fails", "undecided")]
    lines = [
        "# Validation against stylized facts", "",
        stamp(scenarios=scenarios_digest(chosen)), "",
        f"{meta['reps']} replications per arm, common random numbers, seed {meta['seed']}; each check also run "
        f"with its knock-out; {meta['runs']} runs in {meta['seconds']:.0f} s on {meta['workers']} workers. "
        f"{passed} of {len(checks)} checks pass. Regenerate with `cogov validate-model --out docs/validation`.", "",
        "*Calibration targets* are the ranges `cogov calibrate` fits; *held-out* patterns are never used to set "
        "a parameter. The knock-out switches off the input or mechanism most likely to impose the pattern: a "
        "pattern that survives it **emerges** from the other mechanisms; one that vanishes holds **by "
        "construction** of that input, which is said plainly here. A check that fails while its interval "
        "cannot tell a pass from a fail (wider than its range, or straddling zero for an effect) is "
        "**undecided**, with about how many replications would decide it.", "",
        "| check | role | pattern | measured | value [95% CI] | pass range | result | knocked out | with it off "
        "| verdict |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        result = "pass" if c.passed else "**FAIL**"
        if not c.decidable:
            result += " (too few replications to decide" + (
                f"; about {c.details['replications_needed']} needed)" if "replications_needed" in c.details
                else ")")
        lines.append(f"| `{c.name}` | {c.role} | {c.pattern} | {c.measured} | {_num(c.value)} [{_num(c.low)}, "
                     f"{_num(c.high)}] | {c.criterion} | {result} | {c.mechanism} | {_num(c.knockout_value)} "
                     f"[{_num(c.knockout_low)}, {_num(c.knockout_high)}]: {'pass' if c.knockout_passed else 'fail'} "
                     f"| {c.verdict} |")
    lines += ["", f"Patterns that emerge: {', '.join(f'`{n}`' for n in emerge) or 'none'}.",
              f"Patterns that hold by construction of an input: {', '.join(f'`{n}`' for n in built) or 'none'}.",
              f"Checks that fail or that noise leaves undecided: {', '.join(f'`{n}`' for n in failed) or 'none'}.",
              "", "Sources:", ""]
    lines += [f"- `{c.name}`: {c.source}" for c in checks]
    lines += ["", "Details:", ""]
    lines += [f"- `{c.name}`: {json.dumps(c.details, default=float)}" for c in checks]
    lines += ["", "![checks](validation.png)", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _num(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:.3g}"


def _figure(checks: list[CheckResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 0.5 * len(checks) + 1.2))
    y = np.arange(len(checks))[::-1]
    for yi, c in zip(y, checks, strict=True):
        scale = max(abs(c.value), abs(c.low), abs(c.high), abs(c.knockout_value), 1e-9)
        for value, low, high, off, colour in ((c.value, c.low, c.high, 0.12, "tab:green" if c.passed else "tab:red"),
                                              (c.knockout_value, c.knockout_low, c.knockout_high, -0.12, "grey")):
            if math.isfinite(value):
                err = [[max(value - low, 0) / scale if math.isfinite(low) else 0],
                       [max(high - value, 0) / scale if math.isfinite(high) else 0]]
                ax.errorbar(value / scale, yi + off, xerr=err, fmt="o", color=colour, capsize=3)
    ax.errorbar([], [], fmt="o", color="tab:green", label="model (green pass, red fail)")
    ax.errorbar([], [], fmt="o", color="grey", label="with the knock-out")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(y, [c.name for c in checks], fontsize=8)
    ax.set_xlabel("estimate and 95% interval, each check scaled to its largest magnitude")
    ax.set_title("Stylized-fact checks")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def cmd_validate_model(args) -> int:
    from .experiments.runner import check_executor, open_executor
    from .run import check_writable, versions

    if args.reps < 2:
        raise UserError(f"must be at least 2, got {args.reps}", field="--reps")
    if not 0 < args.scale <= 10:
        raise UserError(f"must be in (0, 10], got {args.scale}", field="--scale")
    if args.weeks is not None and args.weeks < 208:
        raise UserError(f"must be at least 208 (three years of warm-up and one measured), got {args.weeks}",
                        field="--weeks")
    only = [g.strip() for g in args.only.split(",")] if args.only else None
    checks = selected(only)
    check_executor(args.executor, args.workers, args.scheduler)
    out = Path(args.out)
    check_writable(out)
    start = time.perf_counter()
    with open_executor(args.executor, args.workers, args.scheduler) as (executor, slots):
        results = run_validation(out, reps=args.reps, scale=None if args.scale == 1 else args.scale,
                                 weeks=args.weeks, workers=slots, seed=args.seed, executor=executor, only=only,
                                 resume=args.resume, progress=not args.no_progress)
    meta = {"reps": args.reps, "scale": args.scale, "weeks": args.weeks, "seed": args.seed, "workers": slots,
            "runs": len(all_arms(checks)) * args.reps, "seconds": time.perf_counter() - start,
            "versions": versions()}
    path = write_report(results, out, meta)
    width = max(len(c.name) for c in results)
    for c in results:
        note = "" if c.decidable else "  (too few replications to decide)"
        print(f"  {c.name:<{width}}  {_num(c.value):>8}  [{_num(c.low):>8}, {_num(c.high):>8}]  "
              f"{'pass' if c.passed else 'FAIL'}  {c.verdict}{note}")
    undecided = [c.name for c in results if not c.decidable]
    if undecided:
        need = max(c.details.get("replications_needed", args.reps) for c in results if not c.decidable)
        print(f"warning: {len(undecided)} checks cannot be decided with --reps {args.reps} (their intervals cannot "
              f"tell a pass from a fail): {', '.join(undecided)}; use --reps {max(need, args.reps + 1)} or more",
              flush=True)
    print(f"{sum(c.passed for c in results)}/{len(results)} checks pass; report in {path}")
    return 0 if all(c.passed for c in results) and not undecided else 1


def register(sub) -> None:
    p = sub.add_parser("validate-model", help="check the model against stylized facts",
                       description="Run every check's arms and knock-outs with common random numbers on the sweep "
                                   "runner and write a report with which patterns emerge and which hold by "
                                   "construction.")
    p.add_argument("--reps", type=int, default=20, help="replications per arm (default 20)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="scale residents, communities and agencies of every arm (default 1)")
    p.add_argument("--weeks", type=int, help="horizon (default: each scenario's)")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--executor", choices=("process", "dask"), default="process",
                   help="local process pool, or a Dask cluster (needs the dask extra)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a local cluster)")
    p.add_argument("--resume", action="store_true", help="continue the runs saved in OUT/runs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--seed", type=int, default=1000, help="master seed (default 1000)")
    p.add_argument("--only", help="comma-separated check names (default: all)")
    p.add_argument("--out", default="validation", help="report folder (default validation/)")
    p.set_defaults(func=cmd_validate_model)
