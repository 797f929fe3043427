"""The declared outputs: every KPI of a run's summary and every column of its weekly record.

Each output has a name, a label, a unit, a definition and a kind that says how
to show it and what range it can take (a share lies in [0, 1]; counts and
money are never negative). The summary, the weekly record, the command-line
tables, comparisons, sweeps, reports, figures and the docs all read this list,
so a KPI is defined once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from .accounts import SOURCES, USES


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


BOUNDS = {Kind.SHARE: (0.0, 1.0), Kind.INDEX: (0.0, 1.0), Kind.RATE: (0.0, math.inf),
          Kind.COUNT: (0.0, math.inf), Kind.MONEY: (0.0, math.inf), Kind.TIME: (0.0, math.inf)}


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
        if self.kind is Kind.INDEX:
            return f"{value:.2f}"
        if self.kind is Kind.TIME:
            return f"{value:.1f}"
        if abs(value) >= 100 or float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:.3g}"


def _kpi(name: str, label: str, unit: str, kind: Kind, definition: str, headline: bool = False) -> Output:
    return Output(name, label, unit, kind, definition, headline)


S, R, X, C, M, T = Kind.SHARE, Kind.RATE, Kind.INDEX, Kind.COUNT, Kind.MONEY, Kind.TIME

KPIS: tuple[Output, ...] = (
    _kpi("weeks_measured", "Weeks measured", "weeks", T, "Weeks after warm-up that the summary covers."),
    _kpi("sw_headcount_mean", "Social workers in post", "workers", C, "Mean weekly headcount."),
    _kpi("sw_posts_funded_mean", "Funded posts", "posts", C, "Mean weekly posts the agencies can pay for."),
    _kpi("sw_turnover_rate", "Social-worker turnover", "per worker-year", R,
         "(Quits + layoffs) / (mean headcount x years).", True),
    _kpi("sw_quit_rate", "  of which quits", "per worker-year", R, "Quits / (mean headcount x years).", True),
    _kpi("sw_expected_quit_rate", "Expected quit rate", "per worker-year", R,
         "The yearly quit hazard averaged over worker-weeks (the model's own rate, not realised quits)."),
    _kpi("sw_layoff_rate", "  of which layoffs", "per worker-year", R, "Layoffs / (mean headcount x years).",
         True),
    _kpi("sw_first_year_quit_rate", "Quit rate, first year of tenure", "per worker-year", R,
         "Quits in the first year of tenure per worker-year in the first year.", True),
    _kpi("sw_later_quit_rate", "Quit rate, after the first year", "per worker-year", R,
         "Quits after the first year of tenure per worker-year after the first year.", True),
    _kpi("sw_first_year_worker_years", "Worker-years in the first year of tenure", "worker-years", T,
         "Exposure behind the first-year quit rate."),
    _kpi("sw_later_worker_years", "Worker-years after the first year", "worker-years", T,
         "Exposure behind the later quit rate."),
    _kpi("sw_vacancy_rate", "Vacancy rate", "share of funded posts", S,
         "Vacant post-weeks / funded post-weeks.", True),
    _kpi("sw_median_tenure_years", "Median tenure in post", "years", T,
         "Median tenure of the workers in post at the end.", True),
    _kpi("sw_burnout_mean", "Mean burnout", "0-1", X, "Mean over weeks of the workers' mean burnout.", True),
    _kpi("sw_satisfaction_mean", "Mean job satisfaction", "0-1", X, "Mean over weeks of mean satisfaction."),
    _kpi("sw_caseload_mean", "Mean caseload", "cases per worker", C, "Mean over weeks of mean cases held."),
    _kpi("sw_pay_ratio_mean", "Pay relative to the local average wage", "ratio", X,
         "Mean over weeks of mean salary / local average wage."),
    _kpi("needs_arisen_per_year", "Needs arisen", "per year", C, "New needs per year.", True),
    _kpi("needs_found_per_year", "Needs found", "per year", C, "Needs put on the ledger per year."),
    _kpi("needs_resolved_per_year", "Needs resolved", "per year", C, "Needs resolved per year.", True),
    _kpi("needs_dropped_per_year", "Needs lapsed unserved", "per year", C, "Needs that went away unserved per year."),
    _kpi("resolution_rate", "Resolution rate", "share of needs arisen", S, "Needs resolved / needs arisen.",
         True),
    _kpi("mean_wait_weeks", "Mean weeks waited in the ledger", "weeks", T,
         "Mean weeks from being found to resolution, over resolved needs.", True),
    _kpi("mean_weeks_to_resolution", "Mean weeks from need arising to resolution", "weeks", T,
         "Mean weeks from arising to resolution, over resolved needs.", True),
    _kpi("backlog_mean", "Mean ledger backlog", "needs", C, "Mean number of found, open needs."),
    _kpi("backlog_end", "Ledger backlog at end", "needs", C, "Found, open needs in the last week.", True),
    _kpi("waiting_list_end", "Waiting list at end", "needs", C, "Found needs not held as a case, last week."),
    _kpi("open_needs_end", "Open needs at end", "needs", C, "All open needs, found or not, last week."),
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
    _kpi("volunteers_registered_end", "Registered volunteers at end", "volunteers", C,
         "Registered volunteers (active or not) in the last week."),
    _kpi("enterprises_engaged_mean", "Enterprise partners", "partners", C, "Mean engaged partners."),
    _kpi("disputes_arisen_per_year", "Public disputes arisen", "per year", C, "New public disputes per year."),
    _kpi("disputes_resolved_per_year", "Public disputes settled", "per year", C,
         "Disputes settled at deliberation meetings per year.", True),
    _kpi("dispute_resolution_share", "Disputes settled per dispute arisen", "ratio", R,
         "Disputes settled / disputes arisen over the measured weeks."),
    _kpi("dispute_settled_per_meeting", "Share of open disputes settled at a meeting", "share", S,
         "Disputes settled / open disputes taken up at meetings."),
    _kpi("disputes_open_mean", "Open disputes", "disputes", C, "Mean open disputes."),
    _kpi("deliberation_participants_per_meeting", "Participants per meeting", "residents", C,
         "Residents taking part per deliberation meeting."),
    _kpi("ngo_failures", "Agencies closed", "agencies", C, "Agencies that lost their contract and closed.",
         True),
    _kpi("contracts_lost", "Contracts not renewed", "contracts", C, "Contracts ending without renewal."),
    _kpi("cost_per_resolved_need", "Cost per resolved need", "yuan", M,
         "All spending except closed agencies' reserves / needs resolved.", True),
    *(_kpi(f"served_{ch}_per_year", f"Residents served by {what}", "per year", C,
           f"Service contacts by {what} per year.")
      for ch, what in (("case", "case work"), ("group", "group work"), ("activity", "activities"),
                       ("volunteer", "volunteers"), ("enterprise", "enterprise partners"))),
    *(_kpi(f"resolved_{ch}_per_year", f"Needs resolved by {what}", "per year", C,
           f"Needs resolved by {what} per year.")
      for ch, what in (("case", "case work"), ("group", "group work"), ("volunteer", "volunteers"),
                       ("enterprise", "enterprise partners"), ("assistance", "fund assistance"))),
    *(_kpi(f"money_in_{s}_per_year", f"Income from {s.replace('_', ' ')}", "yuan/year", M,
           f"Money received from {s.replace('_', ' ')} per year.") for s in SOURCES),
    *(_kpi(f"money_out_{u}_per_year", f"Spending on {u.replace('_', ' ')}", "yuan/year", M,
           f"Money spent on {u.replace('_', ' ')} per year.") for u in USES),
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
        ("cases_opened", "Cases opened", "cases", C),
        ("cases_handed_back", "Cases handed back by leavers", "cases", C),
        ("outreach_visits", "Outreach home visits", "visits", C),
        ("sw_hires", "Social workers hired", "workers", C),
        ("sw_quits", "Social workers who quit", "workers", C),
        ("sw_layoffs", "Social workers laid off", "workers", C),
        ("volunteer_recruits", "Volunteers recruited", "volunteers", C),
        ("volunteer_dropouts", "Volunteers who dropped out", "volunteers", C),
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
    ))
"""Weekly counters: what happened this week (reset every week)."""

STATE_SERIES: tuple[Output, ...] = tuple(
    _series(name, label, unit, kind, definition) for name, label, unit, kind, definition in (
        ("sw_headcount", "Social workers in post", "workers", C, "Workers employed at the end of the week."),
        ("sw_posts_funded", "Funded posts", "posts", C, "Posts the agencies can pay for."),
        ("sw_vacancies", "Vacant posts", "posts", C, "Funded posts minus workers in post (at least 0)."),
        ("sw_first_year", "Workers in their first year", "workers", C, "Workers with under 52 weeks' tenure."),
        ("sw_burnout_mean", "Mean burnout", "0-1", X, "Mean burnout of the workers in post (0 with none)."),
        ("sw_satisfaction_mean", "Mean job satisfaction", "0-1", X, "Mean satisfaction (0 with none)."),
        ("sw_caseload_mean", "Mean caseload", "cases per worker", C, "Mean cases held (0 with none)."),
        ("sw_pay_ratio_mean", "Pay relative to the local average wage", "ratio", X,
         "Mean salary / local average wage (0 with none)."),
        ("local_wage", "Local average wage", "yuan/year", M, "The local average wage this week."),
        ("open_needs", "Open needs", "needs", C, "Open needs, found or not."),
        ("backlog", "Ledger backlog", "needs", C, "Found, open needs (held as a case or waiting)."),
        ("waiting_list", "Waiting list", "needs", C, "Found, open needs not held as a case."),
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
)

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
