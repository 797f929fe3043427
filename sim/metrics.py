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
import pandas as pd

from . import ledger, outputs
from .accounts import SOURCES, TRANSFERS, USES
from .schema import N_TYPES, NEED_TYPES
from .state import World
from .stats import km_median
from .submodels import funding
from .submodels.workforce import QUIT_TERMS

TYPED = {f"{k}_{t}" for k in ("arisen", "resolved", "ended_unresolved") for t in NEED_TYPES}
COUNTERS = tuple(o.name for o in outputs.COUNTER_SERIES if o.name not in TYPED)
"""Counters kept in the tally by name (the per-type ones are arrays there)."""
STATES = tuple(o.name for o in outputs.STATE_SERIES)
MONEY = tuple(o.name for o in outputs.MONEY_SERIES)
COLUMNS = tuple(o.name for o in outputs.SERIES)
TYPE_COLUMNS = tuple((f"arisen_{t}", f"resolved_{t}", f"ended_unresolved_{t}") for t in NEED_TYPES)
BACKLOG_COLUMNS = tuple(f"backlog_{t}" for t in NEED_TYPES)
MONEY_IN = (tuple(f"money_in_{s}" for s in SOURCES), SOURCES)
MONEY_OUT = (tuple(f"money_out_{u}" for u in USES), USES)
MONEY_MOVED = (tuple(f"money_moved_{m}" for m in TRANSFERS), TRANSFERS)
"""Column names of the weekly record's per-type and money columns, built once (with the keys they read)."""
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
        self.waits: list[np.ndarray] = []
        """Needs that left the ledger, week by week (see ``Tally.left_ledger``)."""
        self.closed: tuple[int, dict[str, float]] | None = None
        """(week, KPIs) computed when the run reached its horizon."""

    @property
    def columns(self) -> dict[str, list[float]]:
        """The weekly columns (``model_vars`` also holds the run-level KPIs once the run has ended)."""
        return {c: self.model_vars[c] for c in COLUMNS}

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The weekly record, one row a week (without the run-level KPI columns)."""
        return pd.DataFrame(self.columns)

    def close(self, model: mesa.Model) -> dict[str, float]:
        """At the horizon: the run's KPIs, also put into ``model_vars`` for ``mesa.batch_run``.

        Each KPI becomes a column that is NaN on every week but the last, so the row
        ``batch_run`` takes at the final step carries the run's results next to its weekly
        values; a KPI named like a weekly column (``trust_mean``) comes as ``summary.trust_mean``.
        """
        kpis = summary(self.world, self)
        n = len(self.model_vars["week"])
        for name, value in {**kpis, "seed": model.params.simulation.seed}.items():
            key = f"summary.{name}" if name in self.model_reporters else name
            self.model_vars[key] = [math.nan] * (n - 1) + [value]
        self.closed = (self.world.ctx.week, kpis)
        return kpis

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
        counts, totals = t.counts, self.totals
        for c in COUNTERS:
            row[c] = value = float(counts.get(c, 0.0))
            totals[c] += value
        for k, (arisen, resolved, ended) in enumerate(TYPE_COLUMNS):
            row[arisen] = float(t.arisen_by_type[k])
            row[resolved] = float(t.resolved_by_type[k])
            row[ended] = float(t.exited_by_type[k])
        if t.waits:
            self.waits.append(np.concatenate(t.waits))
        n_w = len(workers)
        posts = sum(n.posts_target for n in ngos)
        on_notice = sum(w.notice_until is not None for w in workers)
        row["sw_headcount"] = n_w
        row["sw_posts_funded"] = posts
        row["sw_vacancies"] = max(posts - (n_w - on_notice), 0)
        row["sw_on_notice"] = on_notice
        row["sw_first_year"] = sum(w.in_first_year for w in workers)
        row["sw_certified_count"] = sum(w.certified for w in workers)
        wage = world.labour.local_wage
        if n_w:
            row["sw_burnout_mean"] = math.fsum(w.burnout for w in workers) / n_w
            row["sw_satisfaction_mean"] = math.fsum(w.satisfaction for w in workers) / n_w
            row["sw_caseload_mean"] = sum(w.caseload for w in workers) / n_w
            row["sw_pay_ratio_mean"] = math.fsum(w.salary + w.bonus_recent for w in workers) / n_w / wage
        else:
            row["sw_burnout_mean"] = row["sw_satisfaction_mean"] = np.nan
            row["sw_caseload_mean"] = row["sw_pay_ratio_mean"] = np.nan
        overhead = funding.overhead_per_post(world.labour, ctx)
        row["sw_payroll_per_week"] = math.fsum(funding.worker_cost_per_week(w, overhead, ctx) for w in workers)
        row["local_wage"] = wage
        row["open_needs"] = float(np.count_nonzero(needs.open))
        listed = ledger.listed(needs)
        row["backlog"] = float(len(listed))
        row["waiting_list"] = float(np.count_nonzero(needs.worker[listed] < 0))
        row["ledger_age_sum"] = float(ctx.week * len(listed) - needs.found_week[listed].sum(dtype=np.int64))
        by_type = np.bincount(listed % N_TYPES, minlength=N_TYPES)
        for k, name in enumerate(BACKLOG_COLUMNS):
            row[name] = float(by_type[k])
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
        acc = world.accounts
        for (name, key), held in ((MONEY_IN, acc.week_in), (MONEY_OUT, acc.week_out), (MONEY_MOVED, acc.week_moved)):
            for column, k in zip(name, key, strict=True):
                row[column] = held[k]
        model_vars = self.model_vars
        for c in COLUMNS:
            model_vars[c].append(row[c])
        self.last = row


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def _ratio(a: float, b: float) -> float:
    """a / b, undefined (NaN) where there is nothing to divide by."""
    return float(a / b) if b > 0 else float("nan")


def _median(values: list[float]) -> float:
    return float(np.median(values)) if len(values) else float("nan")


def summary(world: World, recorder: WeeklyRecord) -> dict[str, float]:
    """KPIs over the weeks after warm-up (flows per year, flat keys; NaN where undefined)."""
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

    heads = c["sw_headcount"]
    worker_weeks = float(heads.sum())

    def per_worker(name: str) -> float:
        """A workers' mean weighted by worker-weeks (weeks without workers carry no weight)."""
        staffed = heads > 0
        return _ratio(float((c[name][staffed] * heads[staffed]).sum()), worker_weeks)

    worker_years = worker_weeks / 52.0
    quits, layoffs = total("sw_quits"), total("sw_layoffs")
    sep = [s for s in world.labour.separations if s.week >= warm]
    first_year_quits = sum(1 for s in sep if s.reason == "quit" and s.first_year)
    later_quits = sum(1 for s in sep if s.reason == "quit" and not s.first_year)
    first_exposure = total("sw_first_year") / 52.0
    later_exposure = (worker_weeks - total("sw_first_year")) / 52.0
    tenure = [w.tenure_weeks / 52.0 for w in world.rosters.workers]
    resolved = total("needs_resolved")
    ended = resolved + total("needs_dropped") + total("needs_exited")
    waits = np.concatenate(recorder.waits) if recorder.waits else np.zeros((0, 4), dtype=np.int64)
    waits = np.concatenate((waits, open_ledger(world)))
    waits = waits[waits[:, 0] >= warm]
    spent = math.fsum(total(f"money_out_{u}") for u in USES if u not in ("closed_agency_reserves",
                                                                          "returned_to_funder"))
    open_at_start = float(cols["disputes_open"][~keep][-1]) if (~keep).any() else 0.0
    payroll = mean("sw_payroll_per_week")
    out: dict[str, float] = {
        "weeks_measured": weeks,
        "sw_headcount_mean": mean("sw_headcount"),
        "sw_posts_funded_mean": mean("sw_posts_funded"),
        "sw_turnover_rate": _ratio(quits + layoffs, worker_years),
        "sw_quit_rate": _ratio(quits, worker_years),
        "sw_expected_quit_rate": _ratio(total("quit_hazard_sum"), total("quit_hazard_n")),
        "sw_layoff_rate": _ratio(layoffs, worker_years),
        "sw_emergency_layoff_rate": _ratio(total("sw_emergency_layoffs"), worker_years),
        "sw_layoff_notices_per_year": total("sw_layoff_notices") / years,
        "sw_first_year_quit_rate": _ratio(first_year_quits, first_exposure),
        "sw_later_quit_rate": _ratio(later_quits, later_exposure),
        "sw_worker_years": worker_years,
        "sw_first_year_worker_years": first_exposure,
        "sw_later_worker_years": later_exposure,
        "sw_vacancy_rate": _ratio(total("sw_vacancies"), total("sw_posts_funded")),
        "sw_median_tenure_years": _median(tenure),
        "sw_median_completed_tenure_years": _median([s.tenure_weeks / 52.0 for s in sep]),
        "sw_certified_share": _ratio(total("sw_certified_count"), worker_weeks),
        "sw_burnout_mean": per_worker("sw_burnout_mean"),
        "sw_satisfaction_mean": per_worker("sw_satisfaction_mean"),
        "sw_caseload_mean": per_worker("sw_caseload_mean"),
        "sw_pay_ratio_mean": per_worker("sw_pay_ratio_mean"),
    }
    for term in QUIT_TERMS:
        out[f"quit_term_{term}_mean"] = _ratio(total(f"quit_term_{term}_sum"), total("quit_hazard_n"))
    out |= {
        "needs_arisen_per_year": total("needs_arisen") / years,
        "needs_found_per_year": total("needs_found") / years,
        "needs_resolved_per_year": resolved / years,
        "needs_dropped_per_year": total("needs_dropped") / years,
        "needs_exited_per_year": total("needs_exited") / years,
        "resolution_rate": _ratio(resolved, ended),
        "wait_median_weeks": km_median(waits[:, 1], waits[:, 2]),
        "ledger_age_mean_weeks": _ratio(total("ledger_age_sum"), total("backlog")),
        "wait_weeks_resolved": _ratio(total("wait_weeks_sum"), resolved),
        "mean_weeks_to_resolution": _ratio(total("weeks_to_resolution_sum"), resolved),
        "backlog_mean": mean("backlog"),
        "backlog_end": float(cols["backlog"][-1]),
        "waiting_list_end": float(cols["waiting_list"][-1]),
        "open_needs_end": float(cols["open_needs"][-1]),
    }
    for name in NEED_TYPES:
        out[f"backlog_mean_{name}"] = mean(f"backlog_{name}")
    for name in NEED_TYPES:
        done = total(f"resolved_{name}")
        out[f"resolution_rate_{name}"] = _ratio(done, done + total(f"ended_unresolved_{name}"))
    for k, name in enumerate(NEED_TYPES):
        mine = waits[waits[:, 3] == k]
        out[f"wait_median_weeks_{name}"] = km_median(mine[:, 1], mine[:, 2])
    out |= {
        "coverage_vulnerable": mean("coverage_vulnerable"),
        "coverage_elderly_alone": mean("coverage_elderly_alone"),
        "trust_mean": mean("trust_mean"),
        "belonging_mean": mean("belonging_mean"),
        "wellbeing_mean": mean("wellbeing_mean"),
        "volunteers_active_mean": mean("volunteers_active"),
        "volunteer_rate": _ratio(mean("volunteers_active"), recorder.adults),
        "volunteer_dropout_rate": _ratio(total("volunteer_dropouts"), mean("volunteers_active") * years),
        "volunteers_registered_mean": mean("volunteers_registered"),
        "volunteers_registered_end": float(cols["volunteers_registered"][-1]),
        "enterprises_engaged_mean": mean("enterprises_engaged"),
        "enterprise_exits_per_year": total("enterprise_exits") / years,
        "disputes_arisen_per_year": total("disputes_arisen") / years,
        "disputes_resolved_per_year": total("disputes_resolved") / years,
        "dispute_resolution_share": _ratio(total("disputes_resolved"), open_at_start + total("disputes_arisen")),
        "dispute_settled_per_meeting": _ratio(total("disputes_resolved"), total("disputes_at_meetings")),
        "disputes_open_mean": mean("disputes_open"),
        "deliberation_participants_per_meeting": _ratio(total("deliberation_participants"),
                                                        total("deliberation_meetings")),
        "ngo_failures": total("ngo_failures"),
        "contracts_lost": total("contracts_lost"),
        "ngo_cash_mean": mean("ngo_cash"),
        "ngo_reserve_months": _ratio(mean("ngo_cash"), payroll * 52.0 / 12.0),
        "cost_per_resolved_need": _ratio(spent, resolved),
    }
    for ch in ("case", "group", "activity", "volunteer", "enterprise"):
        out[f"served_{ch}_per_year"] = total(f"served_{ch}") / years
    for ch in ("case", "group", "volunteer", "enterprise", "assistance"):
        out[f"resolved_{ch}_per_year"] = total(f"resolved_{ch}") / years
    for s in SOURCES:
        out[f"money_in_{s}_per_year"] = total(f"money_in_{s}") / years
    for u in USES:
        out[f"money_out_{u}_per_year"] = total(f"money_out_{u}") / years
    for m in TRANSFERS:
        out[f"money_moved_{m}_per_year"] = total(f"money_moved_{m}") / years
    return {k: float(v) for k, v in out.items()}


def open_ledger(world: World) -> np.ndarray:
    """Needs still on the ledger, as censored waits: (week found, weeks so far, 0, type)."""
    needs = world.needs
    listed = ledger.listed(needs)
    found = needs.found_week[listed].astype(np.int64)
    return np.column_stack((found, world.ctx.week - found, np.zeros(len(listed), dtype=np.int64),
                            listed % N_TYPES))


__all__ = ["WeeklyRecord", "summary", "COLUMNS"]
