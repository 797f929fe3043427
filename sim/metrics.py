"""Weekly series and the summary of key performance indicators (KPIs).

Each week the model records one row of array reductions; the Mesa
DataCollector reads that row. The summary covers the weeks after warm-up.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from . import ledger
from .accounts import SOURCES, USES
from .population import N_TYPES

if TYPE_CHECKING:
    from .model import CommunityModel

COUNTERS = (
    "needs_arisen", "needs_found", "needs_resolved", "needs_dropped", "wait_weeks_sum",
    "weeks_to_resolution_sum",
    "found_self_report", "found_outreach", "found_volunteer", "found_referral",
    "served_case", "served_group", "served_activity", "served_volunteer", "served_enterprise",
    "resolved_case", "resolved_group", "resolved_volunteer", "resolved_enterprise",
    "resolved_assistance", "cases_opened", "cases_handed_back", "outreach_visits",
    "sw_hires", "sw_quits", "sw_layoffs", "volunteer_recruits", "volunteer_dropouts",
    "enterprise_joins", "enterprise_exits", "disputes_arisen", "disputes_resolved",
    "deliberation_meetings", "deliberation_participants", "disputes_at_meetings", "activities_held", "ties_formed",
    "contracts_ended", "contracts_renewed", "contracts_lost", "ngo_failures",
    "quit_hazard_sum", "quit_hazard_n",
)
STATES = (
    "sw_headcount", "sw_posts_funded", "sw_vacancies", "sw_first_year", "sw_burnout_mean",
    "sw_satisfaction_mean", "sw_caseload_mean", "sw_pay_ratio_mean", "local_wage",
    "open_needs", "backlog", "waiting_list", "trust_mean", "belonging_mean", "wellbeing_mean",
    "volunteers_active", "volunteers_registered", "volunteer_coverage_mean",
    "enterprises_engaged", "disputes_open", "ngos", "ngo_cash", "community_fund",
    "coverage_vulnerable", "coverage_elderly_alone",
)
COVERAGE_WEEKS = 13
"""A vulnerable resident counts as covered if contacted (visited, served, or at an activity)
in the last quarter."""
MONEY = tuple(f"money_in_{s}" for s in SOURCES) + tuple(f"money_out_{u}" for u in USES)
COLUMNS = ("week",) + COUNTERS + STATES + MONEY


class Recorder:
    """Weekly rows and running totals of the counters."""

    def __init__(self, model: CommunityModel):
        r = model.residents
        self.vulnerable = np.flatnonzero(r.vulnerable)
        self.elder_alone = np.flatnonzero((r.age >= 60) & r.lives_alone)
        self.adults = int((r.age >= 18).sum())
        self.columns: dict[str, list[float]] = {c: [] for c in COLUMNS}
        self.totals: defaultdict[str, float] = defaultdict(float)
        self.last: dict[str, float] = {}

    def record(self, model: CommunityModel) -> None:
        t = model.tally
        r = model.residents
        needs = model.needs
        workers = model.workers
        row: dict[str, float] = {"week": model.week}
        for c in COUNTERS:
            row[c] = float(t[c])
            self.totals[c] += row[c]
        posts = sum(model.funding.affordable_posts(model, n) for n in model.ngos)
        row["sw_headcount"] = len(workers)
        row["sw_posts_funded"] = posts
        row["sw_vacancies"] = max(posts - len(workers), 0)
        row["sw_first_year"] = sum(w.in_first_year for w in workers)
        n_w = max(len(workers), 1)
        row["sw_burnout_mean"] = math.fsum(w.burnout for w in workers) / n_w
        row["sw_satisfaction_mean"] = math.fsum(w.satisfaction for w in workers) / n_w
        row["sw_caseload_mean"] = sum(w.caseload for w in workers) / n_w
        row["sw_pay_ratio_mean"] = math.fsum(w.salary for w in workers) / n_w / model.local_wage
        row["local_wage"] = model.local_wage
        row["open_needs"] = float(np.count_nonzero(needs.open))
        listed = ledger.listed(model)
        row["backlog"] = float(len(listed))
        row["waiting_list"] = float(np.count_nonzero(needs.worker[listed] < 0))
        row["trust_mean"] = float(r.trust.mean())
        row["belonging_mean"] = float(r.belonging.mean())
        row["wellbeing_mean"] = float(r.wellbeing.mean())
        vol = model.volunteers
        row["volunteers_active"] = float(np.count_nonzero(vol.active))
        row["volunteers_registered"] = float(np.count_nonzero(vol.registered))
        row["volunteer_coverage_mean"] = float(np.mean(model.volunteer_coverage))
        row["enterprises_engaged"] = float(len(model.enterprises))
        row["disputes_open"] = float(model.disputes_open.sum())
        row["ngos"] = float(len(model.ngos))
        row["ngo_cash"] = math.fsum(n.cash for n in model.ngos)
        row["community_fund"] = float(model.fund.balance.sum())
        since = model.week - COVERAGE_WEEKS
        row["coverage_vulnerable"] = _share(r.last_contact[self.vulnerable] >= since)
        row["coverage_elderly_alone"] = _share(r.last_contact[self.elder_alone] >= since)
        for s in SOURCES:
            row[f"money_in_{s}"] = model.accounts.week_in[s]
        for u in USES:
            row[f"money_out_{u}"] = model.accounts.week_out[u]
        for c in COLUMNS:
            self.columns[c].append(row[c])
        self.last = row


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def reporters() -> dict:
    """DataCollector model reporters: each reads this week's recorded row."""
    return {c: (lambda m, c=c: m.recorder.last[c]) for c in COLUMNS}


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else 0.0


def summary(model: CommunityModel) -> dict[str, float]:
    """KPIs over the weeks after warm-up (all flows per year, all flat keys)."""
    cols = {k: np.asarray(v, dtype=float) for k, v in model.recorder.columns.items()}
    warm = model.s.simulation.warmup_weeks
    keep = cols["week"] > warm
    if not keep.any():
        keep = np.ones_like(cols["week"], dtype=bool)
    c = {k: v[keep] for k, v in cols.items()}
    weeks = float(keep.sum())
    years = weeks / 52.0

    def total(name: str) -> float:
        return float(c[name].sum())

    def mean(name: str) -> float:
        return float(c[name].mean())

    head = mean("sw_headcount")
    quits, layoffs = total("sw_quits"), total("sw_layoffs")
    sep = [s for s in model.separations if s[0] >= warm]
    first_year_quits = sum(1 for s in sep if s[2] == "quit" and s[3])
    later_quits = sum(1 for s in sep if s[2] == "quit" and not s[3])
    first_exposure = total("sw_first_year") / 52.0
    later_exposure = (total("sw_headcount") - total("sw_first_year")) / 52.0
    tenure = [w.tenure_weeks / 52.0 for w in model.workers]
    resolved = total("needs_resolved")
    arisen = total("needs_arisen")
    spent = math.fsum(total(f"money_out_{u}") for u in USES if u != "closed_agency_reserves")
    out: dict[str, float] = {
        "weeks_measured": weeks,
        "sw_headcount_mean": head,
        "sw_posts_funded_mean": mean("sw_posts_funded"),
        "sw_turnover_rate": _ratio(quits + layoffs, head * years),
        "sw_quit_rate": _ratio(quits, head * years),
        "sw_expected_quit_rate": _ratio(total("quit_hazard_sum"), total("quit_hazard_n")),
        "sw_layoff_rate": _ratio(layoffs, head * years),
        "sw_first_year_quit_rate": _ratio(first_year_quits, first_exposure),
        "sw_later_quit_rate": _ratio(later_quits, later_exposure),
        "sw_first_year_worker_years": first_exposure,
        "sw_later_worker_years": later_exposure,
        "sw_vacancy_rate": _ratio(total("sw_vacancies"), total("sw_posts_funded")),
        "sw_median_tenure_years": float(np.median(tenure)) if tenure else 0.0,
        "sw_burnout_mean": mean("sw_burnout_mean"),
        "sw_satisfaction_mean": mean("sw_satisfaction_mean"),
        "sw_caseload_mean": mean("sw_caseload_mean"),
        "sw_pay_ratio_mean": mean("sw_pay_ratio_mean"),
        "needs_arisen_per_year": _ratio(arisen, years),
        "needs_found_per_year": _ratio(total("needs_found"), years),
        "needs_resolved_per_year": _ratio(resolved, years),
        "needs_dropped_per_year": _ratio(total("needs_dropped"), years),
        "resolution_rate": _ratio(resolved, arisen),
        "mean_wait_weeks": _ratio(total("wait_weeks_sum"), resolved),
        "mean_weeks_to_resolution": _ratio(total("weeks_to_resolution_sum"), resolved),
        "backlog_mean": mean("backlog"),
        "backlog_end": float(cols["backlog"][-1]),
        "waiting_list_end": float(cols["waiting_list"][-1]),
        "open_needs_end": float(cols["open_needs"][-1]),
        "coverage_vulnerable": mean("coverage_vulnerable"),
        "coverage_elderly_alone": mean("coverage_elderly_alone"),
        "trust_mean": mean("trust_mean"),
        "belonging_mean": mean("belonging_mean"),
        "wellbeing_mean": mean("wellbeing_mean"),
        "volunteers_active_mean": mean("volunteers_active"),
        "volunteer_rate": _ratio(mean("volunteers_active"), model.recorder.adults),
        "volunteer_dropout_rate": _ratio(total("volunteer_dropouts"),
                                         mean("volunteers_active") * years),
        "volunteers_registered_end": float(cols["volunteers_registered"][-1]),
        "enterprises_engaged_mean": mean("enterprises_engaged"),
        "disputes_arisen_per_year": _ratio(total("disputes_arisen"), years),
        "disputes_resolved_per_year": _ratio(total("disputes_resolved"), years),
        "dispute_resolution_share": _ratio(total("disputes_resolved"), total("disputes_arisen")),
        "dispute_settled_per_meeting": _ratio(total("disputes_resolved"), total("disputes_at_meetings")),
        "disputes_open_mean": mean("disputes_open"),
        "deliberation_participants_per_meeting": _ratio(total("deliberation_participants"),
                                                        total("deliberation_meetings")),
        "ngo_failures": total("ngo_failures"),
        "contracts_lost": total("contracts_lost"),
        "cost_per_resolved_need": _ratio(spent, resolved),
    }
    for ch in ("case", "group", "activity", "volunteer", "enterprise"):
        out[f"served_{ch}_per_year"] = _ratio(total(f"served_{ch}"), years)
    for ch in ("case", "group", "volunteer", "enterprise", "assistance"):
        out[f"resolved_{ch}_per_year"] = _ratio(total(f"resolved_{ch}"), years)
    for s in SOURCES:
        out[f"money_in_{s}_per_year"] = _ratio(total(f"money_in_{s}"), years)
    for u in USES:
        out[f"money_out_{u}_per_year"] = _ratio(total(f"money_out_{u}"), years)
    return {k: float(v) for k, v in out.items()}


KPI_NAMES = None
"""Filled lazily by :func:`kpi_names`."""


def kpi_names() -> list[str]:
    """Names of the summary KPIs, in order (runs a tiny model once)."""
    global KPI_NAMES
    if KPI_NAMES is None:
        from .model import CommunityModel

        m = CommunityModel({"population": {"residents": 50},
                            "simulation": {"horizon_weeks": 2, "warmup_weeks": 0,
                                           "resident_agents": False}})
        m.run()
        KPI_NAMES = list(m.summary())
    return list(KPI_NAMES)


__all__ = ["Recorder", "reporters", "summary", "kpi_names", "COLUMNS", "N_TYPES"]
