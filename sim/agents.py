"""The five kinds of actor, as Mesa agents.

Residents and volunteers are many: their state lives in the model's arrays and
these agents are readable views onto it (reading or setting an attribute reads
or writes the array). Social workers, agencies (NGOs) and enterprises are few
and keep their state on the agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from .population import N_TYPES
from .schema import NEED_TYPES

if TYPE_CHECKING:
    from .model import CommunityModel


def _array_property(array: str, attr: str, doc: str, cast=float):
    def fget(self):
        return cast(getattr(getattr(self.model, array), attr)[self.idx])

    def fset(self, value):
        getattr(getattr(self.model, array), attr)[self.idx] = value

    return property(fget, fset, doc=doc)


class Resident(mesa.Agent):
    """A resident (居民): a view onto row ``idx`` of the resident arrays."""

    def __init__(self, model: CommunityModel, idx: int):
        super().__init__(model)
        self.idx = idx

    age = _array_property("residents", "age", "Age in years.")
    lives_alone = _array_property("residents", "lives_alone", "Lives in a one-person household.", bool)
    disabled = _array_property("residents", "disabled", "Has a disability.", bool)
    low_income = _array_property("residents", "low_income", "Lives in a low-income household.", bool)
    trust = _array_property("residents", "trust", "Trust in community institutions (0-1).")
    belonging = _array_property("residents", "belonging", "Sense of belonging (0-1).")
    wellbeing = _array_property("residents", "wellbeing", "Wellbeing (0-1).")
    willingness = _array_property("residents", "willingness", "Willingness to take part (0-1).")
    community = _array_property("residents", "community", "Community index.", int)
    household = _array_property("residents", "household", "Household index.", int)

    @property
    def open_needs(self) -> dict[str, float]:
        """Open needs by type, with their severity."""
        needs = self.model.needs
        lo = self.idx * N_TYPES
        return {t: float(needs.severity[lo + k]) for k, t in enumerate(NEED_TYPES)
                if needs.open[lo + k]}

    @property
    def neighbours(self) -> list[int]:
        a = self.model.adjacency
        return a.indices[a.indptr[self.idx]:a.indptr[self.idx + 1]].tolist()

    @property
    def is_volunteer(self) -> bool:
        return bool(self.model.volunteers.active[self.idx])


class Volunteer(mesa.Agent):
    """A community volunteer (社区志愿者): a view onto the volunteer arrays of one resident."""

    def __init__(self, model: CommunityModel, resident: int):
        super().__init__(model)
        self.resident = resident
        self.idx = resident

    active = _array_property("volunteers", "active", "Currently volunteering.", bool)
    motivation = _array_property("volunteers", "motivation", "Motivation (0-1).")
    hours_per_week = _array_property("volunteers", "hours", "Hours given a week.")
    elder_visitor = _array_property("volunteers", "elder_visitor",
                                    "Trained for elder visiting (低龄助高龄).", bool)
    coordinator = _array_property("volunteers", "coordinator",
                                  "Unique id of the coordinating social worker, -1 if none.", int)

    @property
    def skills(self) -> list[str]:
        return ["elder_visiting"] if self.elder_visitor else ["general"]


class SocialWorker(mesa.Agent):
    """A professional social worker (社工) employed by an agency."""

    def __init__(self, model: CommunityModel, employer: NGO, community: int, salary: float,
                 certified: bool, experience_weeks: float = 0.0, tenure_weeks: int = 0):
        super().__init__(model)
        self.employer = employer
        self.community = community
        self.salary = salary
        self.certified = certified
        self.experience_weeks = experience_weeks
        self.tenure_weeks = tenure_weeks
        self.hired_week = model.week - tenure_weeks
        self.caseload = 0
        self.burnout = 0.0
        self.satisfaction = 0.5
        self.demanded_hours = 0.0
        self.productivity = 0.0
        self.wid = model.next_wid
        model.next_wid += 1

    @property
    def in_first_year(self) -> bool:
        return self.tenure_weeks < 52


@dataclass
class Contract:
    """A government purchase-of-service contract (政府购买服务)."""

    value_per_year: float
    posts: int
    start_week: int
    end_week: int
    instalments: int
    paid: int = 0
    resolved_at_start: int = 0

    @property
    def total(self) -> float:
        return self.value_per_year * (self.end_week - self.start_week) / 52.0

    def instalment_due(self, week: int) -> bool:
        if self.paid >= self.instalments:
            return False
        due = self.start_week + self.paid * (self.end_week - self.start_week) / self.instalments
        return week >= due

    def months_left(self, week: int) -> float:
        return max(self.end_week - week, 0) / (52.0 / 12.0)


class NGO(mesa.Agent):
    """A social-work agency (社工机构) funded by contracts and grants."""

    def __init__(self, model: CommunityModel, communities: list[int], cash: float):
        super().__init__(model)
        self.communities = communities
        self.cash = cash
        self.contract: Contract | None = None
        self.tender_week: int | None = None
        self.failed = False
        self.resolved = 0
        self.vacancies: list[int] = []

    @property
    def workers(self) -> list[SocialWorker]:
        return self.model.staff(self)

    @property
    def funded_posts(self) -> int:
        return self.contract.posts if self.contract else 0

    def months_left(self) -> float:
        return self.contract.months_left(self.model.week) if self.contract else 0.0


class Enterprise(mesa.Agent):
    """An enterprise partner (社区合伙人) giving in-kind services and donations."""

    SERVICES = ("haircut", "cleaning", "clinic", "groceries")
    SERVES = {"haircut": ("eldercare",), "cleaning": ("eldercare",),
              "clinic": ("eldercare", "children_youth"), "groceries": ("hardship",)}

    def __init__(self, model: CommunityModel, community: int, service: str, engagement: float):
        super().__init__(model)
        self.community = community
        self.service = service
        self.engagement = engagement
        self.active = True
        self.served = 0

    @property
    def need_types(self) -> list[int]:
        return [NEED_TYPES.index(t) for t in self.SERVES[self.service]]


def resident_agents(model: CommunityModel) -> np.ndarray:
    """Create one Resident view per resident (in index order)."""
    return np.array([Resident(model, i) for i in range(model.residents.n)], dtype=object)
