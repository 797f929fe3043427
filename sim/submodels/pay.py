"""Pay and careers: the local wage, the pay standard, the career ladder, certification and training.

The local average wage grows every week; salaries follow it at the yearly
pay review by the indexation share, and a new pay standard applies to
everyone at once. A worker's pay is the standard (``workforce.salary_ratio``
of the local wage) raised by the grade reached on the pay ladder (a grade
every ``ladder_step_years`` in post) and by the certificate premium (持证).
Training takes hours and money and makes the certificate likelier; certified
workers are more productive. Bonuses paid from an agency's surplus count as
pay for a year.
"""

from __future__ import annotations

from ..agents import SocialWorker
from ..state import Context, LabourMarket, Rosters

BONUS_MEMORY_WEEKS = 52.0
"""Bonuses count toward pay for about a year (exponential memory)."""


def grade_for(tenure_weeks: int, ctx: Context) -> int:
    """Grade on the pay ladder after this tenure (0 without a ladder)."""
    p = ctx.p.workforce
    if p.ladder_step_years <= 0:
        return 0
    return min(int(tenure_weeks // (52.0 * p.ladder_step_years)), p.ladder_max_grades)


def career_factor(grade: int, certified: bool, ctx: Context) -> float:
    p = ctx.p.workforce
    return (1.0 + p.ladder_step_raise * grade) * (1.0 + p.certified_pay_premium * certified)


def pay_standard(grade: int, certified: bool, labour: LabourMarket, ctx: Context) -> float:
    """Salary of a new worker at this grade [yuan/year]."""
    return ctx.p.workforce.salary_ratio * labour.local_wage * career_factor(grade, certified, ctx)


def training_cost_per_year(ctx: Context) -> float:
    """What one worker's training costs the agency a year [yuan]."""
    p = ctx.p.workforce
    return p.training_cost_yuan_per_worker_year * p.training_hours_per_year / 40.0


def pay_ratio(w: SocialWorker, labour: LabourMarket) -> float:
    """Pay, bonuses of the last year included, relative to the local average wage."""
    return (w.salary + w.bonus_recent) / labour.local_wage


def advance_wages(labour: LabourMarket, rosters: Rosters, ctx: Context) -> None:
    """Local wage growth every week; the yearly pay review at each year's start."""
    p = ctx.p.workforce
    labour.local_wage *= (1.0 + p.wage_growth_per_year) ** (1.0 / 52.0)
    if ctx.week > 0 and ctx.week % 52 == 0:
        pay_review(rosters, ctx)


def pay_review(rosters: Rosters, ctx: Context) -> None:
    """Yearly pay review: salaries follow local wage growth by the indexation share."""
    p = ctx.p.workforce
    for w in rosters.workers:
        w.salary *= 1.0 + p.salary_indexation * p.wage_growth_per_year


def reset_pay(rosters: Rosters, labour: LabourMarket, ctx: Context) -> None:
    """A new pay standard (e.g. a timeline pay raise) applies to everyone at once."""
    for w in rosters.workers:
        w.salary = max(w.salary, pay_standard(w.grade, w.certified, labour, ctx))


def careers(rosters: Rosters, ctx: Context) -> None:
    """Each week: promotions on the ladder, certificates gained, bonuses fading from pay."""
    p = ctx.p.workforce
    trained = p.training_hours_per_year > 0
    yearly = (min(p.trained_certification_per_year * p.training_hours_per_year / 40.0, 1.0)
              if trained else p.certification_per_year)
    weekly = 1.0 - (1.0 - min(yearly, 1.0)) ** (1.0 / 52.0)
    fade = 1.0 - 1.0 / BONUS_MEMORY_WEEKS
    for w in rosters.workers:
        grade = grade_for(w.tenure_weeks, ctx)
        if grade != w.grade:
            w.salary *= (1.0 + p.ladder_step_raise * grade) / (1.0 + p.ladder_step_raise * w.grade)
            w.grade = grade
        if not w.certified and weekly > 0 and ctx.rng.random() < weekly:
            w.certified = True
            w.salary *= 1.0 + p.certified_pay_premium
            ctx.tally.add("sw_certified", 1)
        w.bonus_recent *= fade


def productivity_factor(w: SocialWorker, ctx: Context) -> float:
    """Certified workers resolve cases faster."""
    return 1.0 + ctx.p.workforce.certified_productivity_gain * w.certified

