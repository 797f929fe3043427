"""The five kinds of actor, as Mesa agents.

Residents and volunteers are many: their state lives in the model's arrays and
these agents are readable views onto it (reading or setting an attribute reads
or writes the array). Social workers, agencies (NGOs) and enterprises are few
and keep their state on the agent.
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass

import mesa

from .schema import N_TYPES, NEED_TYPES


def _array_property(block: str, attr: str, doc: str, cast=float, writable: bool = True):
    """An attribute that reads (and writes) row ``idx`` of an array of the model's state."""
    def fget(self):
        return cast(getattr(getattr(self.model.world, block), attr)[self.idx])

    def fset(self, value):
        getattr(getattr(self.model.world, block), attr)[self.idx] = value

    return property(fget, fset if writable else None, doc=doc)


class _IdCounters(weakref.WeakKeyDictionary):
    """Each model's counter of agent ids, held without keeping the model alive.

    Mesa 3.3 numbers agents from a class-level ``defaultdict`` keyed by the
    model, which keeps every model ever built (and all its agents and arrays)
    in memory: a process running one model after another, as a sweep or a
    calibration worker does, grew by about 20 MB per street-scale run until the
    operating system killed it. Later Mesa numbers agents on the model and does
    not use this table.
    """

    def __getitem__(self, model: mesa.Model) -> itertools.count:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


class Agent(mesa.Agent):
    """The base of the five kinds: one id counter per model across all of them, as Mesa keeps it."""

    _ids = _IdCounters()


class Resident(Agent):
    """A resident (居民): a view onto row ``idx`` of the resident arrays."""

    def __init__(self, model: mesa.Model, idx: int):
        super().__init__(model)
        self.idx = idx

    age = _array_property("residents", "age", "Age in years.", writable=False)
    lives_alone = _array_property("residents", "lives_alone", "Lives in a one-person household.", bool,
                                  writable=False)
    disabled = _array_property("residents", "disabled", "Has a disability.", bool, writable=False)
    low_income = _array_property("residents", "low_income", "Lives in a low-income household.", bool,
                                 writable=False)
    trust = _array_property("residents", "trust", "Trust in community institutions (0-1).")
    belonging = _array_property("residents", "belonging", "Sense of belonging (0-1).")
    wellbeing = _array_property("residents", "wellbeing", "Wellbeing (0-1).")
    willingness = _array_property("residents", "willingness", "Willingness to take part (0-1), a trait.",
                                  writable=False)
    community = _array_property("residents", "community", "Community index.", int, writable=False)
    household = _array_property("residents", "household", "Household index.", int, writable=False)

    @property
    def open_needs(self) -> dict[str, float]:
        """Open needs by type, with their severity."""
        needs = self.model.world.needs
        lo = self.idx * N_TYPES
        return {t: float(needs.severity[lo + k]) for k, t in enumerate(NEED_TYPES)
                if needs.open[lo + k]}

    @property
    def neighbours(self) -> list[int]:
        a = self.model.world.network.base
        return a.indices[a.indptr[self.idx]:a.indptr[self.idx + 1]].tolist()

    @property
    def is_volunteer(self) -> bool:
        return bool(self.model.world.volunteers.active[self.idx])


class Volunteer(Agent):
    """A community volunteer (社区志愿者): a view onto the volunteer arrays of resident ``idx``."""

    def __init__(self, model: mesa.Model, idx: int):
        super().__init__(model)
        self.idx = idx

    active = _array_property("volunteers", "active", "Currently volunteering.", bool)
    motivation = _array_property("volunteers", "motivation", "Motivation (0-1).")
    hours_per_week = _array_property("volunteers", "hours", "Hours given a week.")
    elder_visitor = _array_property("volunteers", "elder_visitor",
                                    "Trained for elder visiting (低龄助高龄).", bool)
    coordinator = _array_property("volunteers", "coordinator",
                                  "Worker id (``wid``) of the coordinating social worker, -1 if none.", int)


class SocialWorker(Agent):
    """A professional social worker (社工) employed by an agency; ``wid`` indexes per-worker arrays."""

    def __init__(self, model: mesa.Model, wid: int, employer: NGO, community: int, salary: float,
                 certified: bool, satisfaction: float, experience_weeks: float = 0.0, tenure_weeks: int = 0):
        super().__init__(model)
        self.wid = wid
        self.employer = employer
        self.community = community
        self.salary = salary
        self.certified = certified
        self.experience_weeks = experience_weeks
        self.tenure_weeks = tenure_weeks
        self.caseload = 0
        self.burnout = 0.0
        self.satisfaction = satisfaction
        self.demanded_hours = 0.0
        self.productivity = 0.0
        self.grade = 0
        """Grade on the pay ladder."""
        self.bonus_recent = 0.0
        """Bonuses received, summed with a one-year memory [yuan]."""
        self.notice_until: int | None = None
        """Week a layoff notice takes effect, if one was given."""

    @property
    def in_first_year(self) -> bool:
        return self.tenure_weeks < 52


@dataclass
class Contract:
    """A government purchase-of-service contract (政府购买服务), paid in instalments.

    ``value_per_year`` is the first year's value; with indexation each later year of
    a multi-year term is worth ``indexation`` times the year before.
    """

    value_per_year: float
    posts: int
    start_week: int
    end_week: int
    instalments: int
    paid: int = 0
    resolved_at_start: int = 0
    indexation: float = 1.0

    @property
    def years(self) -> float:
        return (self.end_week - self.start_week) / 52.0

    def amount(self, i: int) -> float:
        """Instalment ``i`` (0-based): its year's value shared over the year's instalments."""
        per_year = self.instalments / self.years
        return self.value_per_year * self.indexation ** int(i // per_year) / per_year

    def due_week(self, i: int) -> float:
        return self.start_week + i * (self.end_week - self.start_week) / self.instalments

    @property
    def total(self) -> float:
        return sum(self.amount(i) for i in range(self.instalments))

    def unpaid(self) -> float:
        """Instalments still to come."""
        return sum(self.amount(i) for i in range(self.paid, self.instalments))

    def instalment_due(self, week: int) -> bool:
        return self.paid < self.instalments and week >= self.due_week(self.paid)

    def weeks_left(self, week: int) -> int:
        return max(self.end_week - week, 0)

    def months_left(self, week: int) -> float:
        return self.weeks_left(week) / (52.0 / 12.0)


class NGO(Agent):
    """A social-work agency (社工机构) funded by contracts and grants."""

    def __init__(self, model: mesa.Model, communities: list[int], cash: float):
        super().__init__(model)
        self.communities = communities
        self.cash = cash
        self.contract: Contract | None = None
        self.tender_week: int | None = None
        self.failed = False
        self.resolved = 0
        self.vacancies: list[int] = []
        self.headcount = dict.fromkeys(communities, 0)
        """Staff in post by community (kept by hiring and separation)."""
        self.posts_target = 0
        """Posts the agency's budget can fill this week (set when it recruits)."""

    @property
    def workers(self) -> list[SocialWorker]:
        """Staff in hiring order (do not modify the list)."""
        return self.model.world.rosters.staff(self)

    def months_left(self, week: int) -> float:
        return self.contract.months_left(week) if self.contract else 0.0


class Enterprise(Agent):
    """An enterprise partner (社区合伙人) giving in-kind services and donations."""

    SERVICES = ("haircut", "cleaning", "clinic", "groceries")
    SERVES = {"haircut": ("eldercare",), "cleaning": ("eldercare",),
              "clinic": ("eldercare", "children_youth"), "groceries": ("hardship",)}

    def __init__(self, model: mesa.Model, community: int, service: str, engagement: float):
        super().__init__(model)
        self.community = community
        self.service = service
        self.engagement = engagement

    @property
    def need_types(self) -> list[int]:
        return [NEED_TYPES.index(t) for t in self.SERVES[self.service]]


ROSTER_KINDS = (SocialWorker, NGO, Enterprise)
"""Agent kinds kept in rosters (few, read every week); residents and volunteers are views."""
