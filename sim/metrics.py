"""The weekly record and the summary of key performance indicators (KPIs).

Each week the model records one row of array reductions into its Mesa
``DataCollector`` (the one weekly record: ``model_vars`` holds the columns
declared in :mod:`sim.outputs`). The summary covers the weeks after warm-up.
"""

from __future__ import annotations

import math
from collections import defaultdict

import mesa
import numpy as np

from . import ledger, outputs
from .accounts import SOURCES, USES
from .state import World
from .submodels import funding

COUNTERS = tuple(o.name for o in outputs.COUNTER_SERIES)
STATES = tuple(o.name for o in outputs.STATE_SERIES)
MONEY = tuple(o.name for o in outputs.MONEY_SERIES)
COLUMNS = tuple(o.name for o in outputs.SERIES)
COVERAGE_WEEKS = 13
"""A vulnerable resident counts as covered if contacted (visited, served, or at an activity)
in the last quarter."""


class WeeklyRecord(mesa.DataCollector):
    """The weekly record: one row of declared columns a week, and running totals of the counters.

    A Mesa ``DataCollector`` whose rows are computed in one pass over the
    model's arrays (rather than by one reporter function per column), so
    ``get_model_vars_dataframe`` and ``mesa.batch_run`` read it as usual.
    """

    def __init__(self, world: World):
        super().__init__()
        self.model_reporters = {c: c for c in COLUMNS}
        self.model_vars = {c: [] for c in COLUMNS}
        self.world = world
        r = world.residents
        self.vulnerable = r.vulnerable.nonzero()[0]
        self.elder_alone = r.elder_alone
        self.adults = int(r.adult.sum())
        self.headcount_start = len(world.rosters.workers)
        self.volunteers_start = int(world.volunteers.active.sum())
        self.totals: defaultdict[str, float] = defaultdict(float)
        self.last: dict[str, float] = {}

    @property
    def columns(self) -> dict[str, list[float]]:
        return self.model_vars

    def collect(self, model: mesa.Model) -> None:
        """Record this week's row (``model`` is the one whose world this record was built on)."""
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(getattr(model, "time", model.steps))
        world = self.world
        ctx = world.ctx
        t = ctx.tally
        r = world.residents
        needs = world.needs
        workers = world.rosters.workers
        ngos = world.rosters.ngos
        row: dict[str, float] = {"week": ctx.week}
        for c in COUNTERS:
            row[c] = float(t[c])
            self.totals[c] += row[c]
        posts = sum(funding.affordable_posts(n, world.labour, ctx) for n in ngos)
        row["sw_headcount"] = len(workers)
        row["sw_posts_funded"] = posts
        row["sw_vacancies"] = max(posts - len(workers), 0)
        row["sw_first_year"] = sum(w.in_first_year for w in workers)
        n_w = max(len(workers), 1)
        row["sw_burnout_mean"] = math.fsum(w.burnout for w in workers) / n_w
        row["sw_satisfaction_mean"] = math.fsum(w.satisfaction for w in workers) / n_w
        row["sw_caseload_mean"] = sum(w.caseload for w in workers) / n_w
        row["sw_pay_ratio_mean"] = math.fsum(w.salary for w in workers) / n_w / world.labour.local_wage
        row["local_wage"] = world.labour.local_wage
        row["open_needs"] = float(np.count_nonzero(needs.open))
        listed = ledger.listed(needs)
        row["backlog"] = float(len(listed))
        row["waiting_list"] = float(np.count_nonzero(needs.worker[listed] < 0))
        row["trust_mean"] = float(r.trust.mean())
        row["belonging_mean"] = float(r.belonging.mean())
        row["wellbeing_mean"] = float(r.wellbeing.mean())
        vol = world.volunteers
        row["volunteers_active"] = float(np.count_nonzero(vol.active))
        row["volunteers_registered"] = float(np.count_nonzero(vol.registered))
        row["volunteer_coverage_mean"] = float(np.mean(vol.coverage))
        row["enterprises_engaged"] = float(len(world.rosters.enterprises))
        row["disputes_open"] = float(world.disputes.open.sum())
        row["ngos"] = float(len(ngos))
        row["ngo_cash"] = math.fsum(n.cash for n in ngos)
        row["community_fund"] = float(world.fund.balance.sum())
        since = ctx.week - COVERAGE_WEEKS
        row["coverage_vulnerable"] = _share(r.last_contact[self.vulnerable] >= since)
        row["coverage_elderly_alone"] = _share(r.last_contact[self.elder_alone] >= since)
        for s in SOURCES:
            row[f"money_in_{s}"] = world.accounts.week_in[s]
        for u in USES:
            row[f"money_out_{u}"] = world.accounts.week_out[u]
        for c in COLUMNS:
            self.model_vars[c].append(row[c])
        self.last = row


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else 0.0


def summary(world: World, recorder: WeeklyRecord) -> dict[str, float]:
    """KPIs over the weeks after warm-up (all flows per year, all flat keys)."""
    cols = {k: np.asarray(v, dtype=float) for k, v in recorder.columns.items()}
    warm = world.ctx.p.simulation.warmup_weeks
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
    sep = [s for s in world.labour.separations if s.week >= warm]
    first_year_quits = sum(1 for s in sep if s.reason == "quit" and s.first_year)
    later_quits = sum(1 for s in sep if s.reason == "quit" and not s.first_year)
    first_exposure = total("sw_first_year") / 52.0
    later_exposure = (total("sw_headcount") - total("sw_first_year")) / 52.0
    tenure = [w.tenure_weeks / 52.0 for w in world.rosters.workers]
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
        "volunteer_rate": _ratio(mean("volunteers_active"), recorder.adults),
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


__all__ = ["WeeklyRecord", "summary", "COLUMNS"]
