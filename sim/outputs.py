"""The declared outputs: every KPI of a run's summary and every column of its weekly record.

Each output has a name, a label, a unit, a definition and a kind that says how
to show it and what range it can take (a share lies in [0, 1]; counts and
money are never negative). The summary, the weekly record, the command-line
tables, comparisons, sweeps, reports, figures and the docs all read this list,
so a KPI is defined once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

from .accounts import SOURCES, TRANSFERS, USES


class Kind(StrEnum):
    """How a quantity is shown and which values it can take."""

    SHARE = "share"
    """A proportion in [0, 1], shown as a percentage."""
    RATE = "rate"
    """Events per exposure (per worker-year, per year): at least 0, shown as a percentage per year."""
    INDEX = "index"
    """An attitude or state on a 0-1 scale, shown with two decimals."""
    COUNT = "count"
    """A number of people, needs or events: at least 0."""
    MONEY = "money"
    """Yuan: at least 0."""
    TIME = "time"
    """Weeks or years: at least 0."""
    TERM = "term"
    """A term of a log rate: any sign, shown with three decimals."""
    RATIO = "ratio"
    """One amount relative to another (pay to the local wage): at least 0, shown with two decimals."""


BOUNDS = {Kind.SHARE: (0.0, 1.0), Kind.INDEX: (0.0, 1.0), Kind.RATE: (0.0, math.inf),
          Kind.COUNT: (0.0, math.inf), Kind.MONEY: (0.0, math.inf), Kind.TIME: (0.0, math.inf),
          Kind.TERM: (-math.inf, math.inf), Kind.RATIO: (0.0, math.inf)}


@dataclass(frozen=True)
class Output:
    """One declared output."""

    name: str
    label: str
    unit: str
    kind: Kind
    definition: str
    headline: bool = False
    """Shown in the printed tables of ``run``, ``compare`` and ``sweep``."""

    @property
    def bounds(self) -> tuple[float, float]:
        return BOUNDS[self.kind]

    def format(self, value: float) -> str:
        """The value as a reader expects it: 12.5% for shares, 1,234 for counts."""
        if value is None or not math.isfinite(value):
            return "–"
        if self.kind in (Kind.SHARE, Kind.RATE):
            return f"{value:.1%}"
        if self.kind in (Kind.INDEX, Kind.RATIO):
            return f"{value:.2f}"
        if self.kind is Kind.TIME:
            return f"{value:.1f}"
        if self.kind is Kind.TERM:
            return f"{value:+.3f}"
        if abs(value) >= 100 or float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:.3g}"


def _kpi(name: str, label: str, unit: str, kind: Kind, definition: str, headline: bool = False) -> Output:
    return Output(name, label, unit, kind, definition, headline)


S, R, X, C, M, T = Kind.SHARE, Kind.RATE, Kind.INDEX, Kind.COUNT, Kind.MONEY, Kind.TIME

_TYPES = ("eldercare", "children_youth", "family", "employment", "hardship", "disputes")
_TERMS = ("first_year", "pay", "satisfaction", "burnout", "insecurity")

KPIS: tuple[Output, ...] = (
    _kpi("weeks_measured", "Weeks measured", "weeks", T, "Weeks after warm-up that the summary covers."),
    _kpi("sw_headcount_mean", "Social workers in post", "workers", C, "Mean weekly headcount."),
    _kpi("sw_posts_funded_mean", "Posts the agencies' budgets fill", "posts", C,
         "Mean weekly posts the agencies' budgets cover."),
    _kpi("sw_turnover_rate", "Social-worker turnover", "per worker-year", R,
         "(Quits + layoffs) / worker-years.", True),
    _kpi("sw_quit_rate", "  of which quits", "per worker-year", R, "Quits / worker-years.", True),
    _kpi("sw_expected_quit_rate", "Expected quit rate", "per worker-year", R,
         "The yearly quit hazard averaged over worker-weeks (the model's own rate, not realised quits)."),
    _kpi("sw_layoff_rate", "  of which layoffs", "per worker-year", R, "Layoffs / worker-years.", True),
    _kpi("sw_emergency_layoff_rate", "Layoffs without notice", "per worker-year", R,
         "Layoffs because this week's payroll could not be paid / worker-years."),
    _kpi("sw_layoff_notices_per_year", "Layoff notices", "per year", C, "Layoff notices given per year."),
    _kpi("sw_first_year_quit_rate", "Quit rate, first year of tenure", "per worker-year", R,
         "Quits in the first year of tenure per worker-year in the first year.", True),
    _kpi("sw_later_quit_rate", "Quit rate, after the first year", "per worker-year", R,
         "Quits after the first year of tenure per worker-year after the first year.", True),
    _kpi("sw_worker_years", "Worker-years", "worker-years", T, "Exposure behind every workers' rate."),
    _kpi("sw_first_year_worker_years", "Worker-years in the first year of tenure", "worker-years", T,
         "Exposure behind the first-year quit rate."),
    _kpi("sw_later_worker_years", "Worker-years after the first year", "worker-years", T,
         "Exposure behind the later quit rate."),
    _kpi("sw_vacancy_rate", "Vacancy rate", "share of funded posts", S,
         "Vacant post-weeks / funded post-weeks.", True),
    _kpi("sw_median_tenure_years", "Median tenure in post", "years", T,
         "Median tenure of the workers in post at the end (undefined with none).", True),
    _kpi("sw_median_completed_tenure_years", "Median tenure of leavers", "years", T,
         "Median tenure at separation of the workers who left after warm-up (undefined with none)."),
    _kpi("sw_certified_share", "Certified workers", "share of workers", S,
         "Certified worker-weeks / worker-weeks."),
    _kpi("sw_burnout_mean", "Mean burnout", "0-1", X, "Burnout averaged over worker-weeks.", True),
    _kpi("sw_satisfaction_mean", "Mean job satisfaction", "0-1", X, "Satisfaction averaged over worker-weeks."),
    _kpi("sw_caseload_mean", "Mean caseload", "cases per worker", C, "Cases held averaged over worker-weeks."),
    _kpi("sw_pay_ratio_mean", "Pay relative to the local average wage", "ratio", Kind.RATIO,
         "(Salary + bonuses of the last year) / local average wage, averaged over worker-weeks."),
    *(_kpi(f"quit_term_{t}_mean", f"Quit log-rate term: {t.replace('_', ' ')}", "log rate", Kind.TERM,
           f"The {t.replace('_', ' ')} term of the log quit rate, averaged over worker-weeks (0 = neutral).")
      for t in _TERMS),
    _kpi("needs_arisen_per_year", "Needs arisen", "per year", C, "New needs per year.", True),
    _kpi("needs_found_per_year", "Needs found", "per year", C, "Needs put on the ledger per year."),
    _kpi("needs_resolved_per_year", "Needs resolved", "per year", C, "Needs resolved per year.", True),
    _kpi("needs_dropped_per_year", "Needs lapsed unserved", "per year", C, "Mild needs that went away per year."),
    _kpi("needs_exited_per_year", "Needs ended elsewhere", "per year", C,
         "Needs that left at any severity without the community's service (moved, family or market care, "
         "other providers) per year."),
    _kpi("resolution_rate", "Resolution rate", "share of needs ended", S,
         "Needs resolved / needs that ended (resolved, lapsed or ended elsewhere).", True),
    _kpi("wait_median_weeks", "Median weeks from found to service", "weeks", T,
         "Kaplan-Meier median of weeks from being put on the ledger to resolution, needs still waiting and "
         "needs that left unserved counted as censored (found after warm-up; undefined if never reached).", True),
    _kpi("ledger_age_mean_weeks", "Mean weeks on the ledger so far", "weeks", T,
         "Weeks since being found of the needs on the ledger, averaged over needs and weeks.", True),
    _kpi("wait_weeks_resolved", "Mean weeks waited by resolved needs", "weeks", T,
         "Mean weeks from being found to resolution, over resolved needs only (falls when service collapses: "
         "read with the two above)."),
    _kpi("mean_weeks_to_resolution", "Mean weeks from need arising to resolution", "weeks", T,
         "Mean weeks from arising to resolution, over resolved needs."),
    _kpi("backlog_mean", "Mean ledger backlog", "needs", C, "Mean number of found, open needs.", True),
    _kpi("backlog_end", "Ledger backlog at end", "needs", C, "Found, open needs in the last week."),
    _kpi("waiting_list_end", "Waiting list at end", "needs", C, "Found needs not held as a case, last week."),
    _kpi("open_needs_end", "Open needs at end", "needs", C, "All open needs, found or not, last week."),
    *(_kpi(f"backlog_mean_{t}", f"Mean ledger backlog: {t.replace('_', ' ')}", "needs", C,
           f"Mean number of found, open {t.replace('_', ' ')} needs.") for t in _TYPES),
    *(_kpi(f"resolution_rate_{t}", f"Resolution rate: {t.replace('_', ' ')}", "share of needs ended", S,
           f"Resolved / ended {t.replace('_', ' ')} needs.", t == "eldercare") for t in _TYPES),
    *(_kpi(f"wait_median_weeks_{t}", f"Median weeks from found to service: {t.replace('_', ' ')}", "weeks", T,
           f"As wait_median_weeks, {t.replace('_', ' ')} needs only.", t == "eldercare") for t in _TYPES),
    _kpi("coverage_vulnerable", "Vulnerable residents reached in the last quarter", "share", S,
         "Share of vulnerable residents contacted in the last 13 weeks, mean over weeks.", True),
    _kpi("coverage_elderly_alone", "Elderly living alone reached in the last quarter", "share", S,
         "Share of elderly residents living alone contacted in the last 13 weeks, mean over weeks."),
    _kpi("trust_mean", "Mean trust", "0-1", X, "Mean trust in community institutions.", True),
    _kpi("belonging_mean", "Mean belonging", "0-1", X, "Mean sense of belonging.", True),
    _kpi("wellbeing_mean", "Mean wellbeing", "0-1", X, "Mean wellbeing.", True),
    _kpi("volunteers_active_mean", "Active volunteers", "volunteers", C, "Mean active volunteers."),
    _kpi("volunteer_rate", "Active volunteers", "share of adults", S, "Mean active volunteers / adults.", True),
    _kpi("volunteer_dropout_rate", "Volunteer drop-out", "per volunteer-year", R,
         "Drop-outs / (mean active volunteers x years).", True),
    _kpi("volunteers_registered_mean", "Registered volunteers", "volunteers", C,
         "Mean registered volunteers (active or not)."),
    _kpi("volunteers_registered_end", "Registered volunteers at end", "volunteers", C,
         "Registered volunteers (active or not) in the last week."),
    _kpi("enterprises_engaged_mean", "Enterprise partners", "partners", C, "Mean engaged partners."),
    _kpi("enterprise_exits_per_year", "Enterprise partners leaving", "per year", C, "Partners leaving per year."),
    _kpi("disputes_arisen_per_year", "Public disputes arisen", "per year", C, "New public disputes per year."),
    _kpi("disputes_resolved_per_year", "Public disputes settled", "per year", C,
         "Disputes settled at deliberation meetings per year.", True),
    _kpi("dispute_resolution_share", "Disputes settled", "share of disputes faced", S,
         "Disputes settled / (disputes open when measurement starts + disputes arisen since)."),
    _kpi("dispute_settled_per_meeting", "Share of open disputes settled at a meeting", "share", S,
         "Disputes settled / open disputes taken up at meetings."),
    _kpi("disputes_open_mean", "Open disputes", "disputes", C, "Mean open disputes."),
    _kpi("deliberation_participants_per_meeting", "Participants per meeting", "residents", C,
         "Residents taking part per deliberation meeting (undefined with no meeting)."),
    _kpi("ngo_failures", "Agencies closed", "agencies", C, "Agencies that lost their contract and closed.",
         True),
    _kpi("contracts_lost", "Contracts not renewed", "contracts", C, "Contracts ending without renewal.", True),
    _kpi("ngo_cash_mean", "Agency reserves", "yuan", M, "Mean cash held by the agencies."),
    _kpi("ngo_reserve_months", "Agency reserves", "months of payroll", T,
         "Mean agency cash / mean monthly payroll (undefined with no payroll).", True),
    _kpi("cost_per_resolved_need", "Cost per resolved need", "yuan", M,
         "All spending except money returned to the funder and closed agencies' reserves / needs resolved.",
         True),
    *(_kpi(f"served_{ch}_per_year", f"Residents served by {what}", "per year", C,
           f"Service contacts by {what} per year.")
      for ch, what in (("case", "case work"), ("group", "group work"), ("activity", "activities"),
                       ("volunteer", "volunteers"), ("enterprise", "enterprise partners"))),
    *(_kpi(f"resolved_{ch}_per_year", f"Needs resolved by {what}", "per year", C,
           f"Needs resolved by {what} per year.")
      for ch, what in (("case", "case work"), ("group", "group work"), ("volunteer", "volunteers"),
                       ("enterprise", "enterprise partners"), ("assistance", "fund assistance"))),
    *(_kpi(f"money_in_{s}_per_year", f"Income from {s.replace('_', ' ')}", "yuan/year", M,
           f"Money received from {s.replace('_', ' ')} per year.", s == "government") for s in SOURCES),
    *(_kpi(f"money_out_{u}_per_year", f"Spending on {u.replace('_', ' ')}", "yuan/year", M,
           f"Money spent on {u.replace('_', ' ')} per year.", u in ("salaries", "returned_to_funder"))
      for u in USES),
    *(_kpi(f"money_moved_{t}_per_year", f"Transfers {t.replace('_', ' ')}", "yuan/year", M,
           f"Money moved {t.replace('_', ' ')} per year.") for t in TRANSFERS),
)
"""The KPIs of :func:`sim.metrics.summary`, in its order."""


def _series(name: str, label: str, unit: str, kind: Kind, definition: str) -> Output:
    return Output(name, label, unit, kind, definition)


COUNTER_SERIES: tuple[Output, ...] = tuple(
    _series(name, label, unit, kind, f"{label} this week.") for name, label, unit, kind in (
        ("needs_arisen", "Needs arisen", "needs", C),
        ("needs_found", "Needs found", "needs", C),
        ("needs_resolved", "Needs resolved", "needs", C),
        ("needs_dropped", "Needs lapsed unserved", "needs", C),
        ("needs_exited", "Needs ended elsewhere", "needs", C),
        ("wait_weeks_sum", "Weeks waited by the needs resolved", "weeks", T),
        ("weeks_to_resolution_sum", "Weeks from arising of the needs resolved", "weeks", T),
        ("found_self_report", "Needs found by self-report", "needs", C),
        ("found_outreach", "Needs found by outreach visits", "needs", C),
        ("found_volunteer", "Needs found by volunteer visits", "needs", C),
        ("found_referral", "Needs found by referral", "needs", C),
        ("served_case", "Cases worked on", "cases", C),
        ("served_group", "Group-session places", "residents", C),
        ("served_activity", "Activity attendances", "residents", C),
        ("served_volunteer", "Volunteer services and visits", "residents", C),
        ("served_enterprise", "Enterprise in-kind services", "residents", C),
        ("resolved_case", "Needs resolved by case work", "needs", C),
        ("resolved_group", "Needs resolved by group work", "needs", C),
        ("resolved_volunteer", "Needs resolved by volunteers", "needs", C),
        ("resolved_enterprise", "Needs resolved by enterprise partners", "needs", C),
        ("resolved_assistance", "Needs resolved by fund assistance", "needs", C),
        *((f"arisen_{t}", f"Needs arisen: {t.replace('_', ' ')}", "needs", C) for t in _TYPES),
        *((f"resolved_{t}", f"Needs resolved: {t.replace('_', ' ')}", "needs", C) for t in _TYPES),
        *((f"ended_unresolved_{t}", f"Needs ended unresolved: {t.replace('_', ' ')}", "needs", C) for t in _TYPES),
        ("cases_opened", "Cases opened", "cases", C),
        ("cases_handed_back", "Cases handed back by leavers", "cases", C),
        ("outreach_visits", "Outreach home visits", "visits", C),
        ("sw_hires", "Social workers hired", "workers", C),
        ("sw_quits", "Social workers who quit", "workers", C),
        ("sw_layoffs", "Social workers laid off", "workers", C),
        ("sw_emergency_layoffs", "Social workers laid off without notice", "workers", C),
        ("sw_layoff_notices", "Layoff notices given", "workers", C),
        ("sw_notices_withdrawn", "Layoff notices withdrawn", "workers", C),
        ("sw_certified", "Workers gaining the certificate", "workers", C),
        ("volunteer_recruits", "Volunteers recruited", "volunteers", C),
        ("volunteer_dropouts", "Volunteers who dropped out", "volunteers", C),
        ("volunteer_deregistrations", "Registrations lapsed", "volunteers", C),
        ("enterprise_joins", "Enterprise partners signed", "partners", C),
        ("enterprise_exits", "Enterprise partners who left", "partners", C),
        ("disputes_arisen", "Public disputes arisen", "disputes", C),
        ("disputes_resolved", "Public disputes settled", "disputes", C),
        ("deliberation_meetings", "Deliberation meetings", "meetings", C),
        ("deliberation_participants", "Deliberation participants", "residents", C),
        ("disputes_at_meetings", "Open disputes taken up at meetings", "disputes", C),
        ("activities_held", "Community activities held", "activities", C),
        ("ties_formed", "New ties formed at activities", "ties", C),
        ("contracts_ended", "Contracts reaching their end", "contracts", C),
        ("contracts_renewed", "Contracts renewed", "contracts", C),
        ("contracts_lost", "Contracts not renewed", "contracts", C),
        ("ngo_failures", "Agencies closed", "agencies", C),
        ("quit_hazard_sum", "Sum of workers' yearly quit hazards", "per year", R),
        ("quit_hazard_n", "Worker-weeks behind the quit hazard sum", "worker-weeks", C),
        *((f"quit_term_{t}_sum", f"Sum over workers of the quit log-rate term: {t.replace('_', ' ')}",
           "log rate", Kind.TERM) for t in _TERMS),
    ))
"""Weekly counters: what happened this week (reset every week)."""

STATE_SERIES: tuple[Output, ...] = tuple(
    _series(name, label, unit, kind, definition) for name, label, unit, kind, definition in (
        ("sw_headcount", "Social workers in post", "workers", C, "Workers employed at the end of the week."),
        ("sw_posts_funded", "Posts the budgets fill", "posts", C, "Posts the agencies' budgets cover."),
        ("sw_vacancies", "Vacant posts", "posts", C, "Funded posts minus workers staying (at least 0)."),
        ("sw_on_notice", "Workers under layoff notice", "workers", C, "Workers serving a layoff notice."),
        ("sw_first_year", "Workers in their first year", "workers", C, "Workers with under 52 weeks' tenure."),
        ("sw_certified_count", "Certified workers", "workers", C, "Workers holding the certificate."),
        ("sw_burnout_mean", "Mean burnout", "0-1", X, "Mean burnout of the workers in post (undefined with none)."),
        ("sw_satisfaction_mean", "Mean job satisfaction", "0-1", X, "Mean satisfaction (undefined with none)."),
        ("sw_caseload_mean", "Mean caseload", "cases per worker", C, "Mean cases held (undefined with none)."),
        ("sw_pay_ratio_mean", "Pay relative to the local average wage", "ratio", Kind.RATIO,
         "Mean (salary + last year's bonuses) / local average wage (undefined with none)."),
        ("sw_payroll_per_week", "Agency payroll", "yuan/week", M,
         "Salaries with on-costs, overhead and training of the staff in post, a week."),
        ("local_wage", "Local average wage", "yuan/year", M, "The local average wage this week."),
        ("open_needs", "Open needs", "needs", C, "Open needs, found or not."),
        ("backlog", "Ledger backlog", "needs", C, "Found, open needs (held as a case or waiting)."),
        ("waiting_list", "Waiting list", "needs", C, "Found, open needs not held as a case."),
        ("ledger_age_sum", "Weeks on the ledger so far, summed", "weeks", T,
         "Sum over the needs on the ledger of the weeks since each was found."),
        *((f"backlog_{t}", f"Ledger backlog: {t.replace('_', ' ')}", "needs", C,
           f"Found, open {t.replace('_', ' ')} needs.") for t in _TYPES),
        ("trust_mean", "Mean trust", "0-1", X, "Mean trust in community institutions."),
        ("belonging_mean", "Mean belonging", "0-1", X, "Mean sense of belonging."),
        ("wellbeing_mean", "Mean wellbeing", "0-1", X, "Mean wellbeing."),
        ("volunteers_active", "Active volunteers", "volunteers", C, "Active volunteers."),
        ("volunteers_registered", "Registered volunteers", "volunteers", C, "Registered volunteers."),
        ("volunteer_coverage_mean", "Volunteer coordination coverage", "share", S,
         "Share of active volunteers coordination hours support, mean over communities."),
        ("enterprises_engaged", "Enterprise partners", "partners", C, "Engaged enterprise partners."),
        ("disputes_open", "Open disputes", "disputes", C, "Open public disputes."),
        ("ngos", "Agencies", "agencies", C, "Agencies in operation."),
        ("ngo_cash", "Agency cash", "yuan", M, "Cash held by the agencies."),
        ("community_fund", "Community fund balance", "yuan", M, "Balance of the community funds."),
        ("coverage_vulnerable", "Vulnerable residents reached in the last quarter", "share", S,
         "Share of vulnerable residents contacted in the last 13 weeks."),
        ("coverage_elderly_alone", "Elderly living alone reached in the last quarter", "share", S,
         "Share of elderly residents living alone contacted in the last 13 weeks."),
    ))
"""Weekly states: stocks at the end of the week."""

MONEY_SERIES: tuple[Output, ...] = (
    *(_series(f"money_in_{s}", f"Income from {s.replace('_', ' ')}", "yuan", M,
              f"Money received from {s.replace('_', ' ')} this week.") for s in SOURCES),
    *(_series(f"money_out_{u}", f"Spending on {u.replace('_', ' ')}", "yuan", M,
              f"Money spent on {u.replace('_', ' ')} this week.") for u in USES),
    *(_series(f"money_moved_{t}", f"Transfers {t.replace('_', ' ')}", "yuan", M,
              f"Money moved {t.replace('_', ' ')} this week.") for t in TRANSFERS),
)

_RATIOS = frozenset((
    "cost_per_resolved_need", "dispute_resolution_share", "dispute_settled_per_meeting", "ledger_age_mean_weeks",
    "mean_weeks_to_resolution", "resolution_rate", "sw_burnout_mean", "sw_caseload_mean", "sw_certified_share",
    "sw_emergency_layoff_rate", "sw_expected_quit_rate", "sw_first_year_quit_rate", "sw_later_quit_rate",
    "sw_layoff_rate", "sw_pay_ratio_mean", "sw_quit_rate", "sw_satisfaction_mean", "sw_turnover_rate",
    "sw_vacancy_rate", "volunteer_dropout_rate", "wait_weeks_resolved",
    *(f"quit_term_{t}_mean" for t in _TERMS), *(f"resolution_rate_{t}" for t in _TYPES),
    *(f"wait_median_weeks_{t}" for t in _TYPES)))
"""Means and ratios whose denominator can be zero (no workers, posts, needs or meetings measured)."""


def _say_undefined(o: Output) -> Output:
    if o.name not in _RATIOS or "undefined" in o.definition.lower():
        return o
    return replace(o, definition=f"{o.definition} Undefined (NaN) with nothing to measure it on.")


KPIS = tuple(_say_undefined(o) for o in KPIS)
STATE_SERIES = tuple(_say_undefined(o) for o in STATE_SERIES)

WEEK = Output("week", "Week", "weeks", Kind.TIME, "Weeks since the start (the row's week has ended).")
SERIES: tuple[Output, ...] = (WEEK, *COUNTER_SERIES, *STATE_SERIES, *MONEY_SERIES)
"""Columns of the weekly record, in order."""

_BY_NAME = {o.name: o for o in SERIES} | {o.name: o for o in KPIS}


def kpi_names() -> list[str]:
    return [k.name for k in KPIS]


def headline() -> list[Output]:
    return [k for k in KPIS if k.headline]


def output(name: str) -> Output:
    """The declared output of that name (a KPI, or else a weekly column)."""
    return _BY_NAME[name]


def label(name: str) -> str:
    """A readable label with its unit, for a table row or an axis; the name itself if undeclared."""
    o = _BY_NAME.get(name)
    if o is None:
        return name
    return f"{o.label.strip()} ({o.unit})" if o.unit else o.label.strip()
