"""The model's declared state: every block the weekly schedule shares, typed, built at setup.

A mechanism (a function in :mod:`sim.submodels`) is handed the blocks it reads
and writes, plus the :class:`Context` (parameters, week, generator, counters),
so its signature says what it touches. Blocks are ``slots`` dataclasses: nothing
can be attached to them later, and every cache is built at setup. Each block
has one owner, the module that creates it and keeps it consistent; others may
read it and change only what the owner's docstring allows.

========================  ===========================================  ===================================
block                     what it holds                                owner
========================  ===========================================  ===================================
:class:`Context`          parameters, week, generator, week's counts   :mod:`sim.model`
:class:`Residents`        per-resident traits and attitudes            :mod:`sim.population`
``SocialNetwork``         ties, built and formed at activities         :mod:`sim.network`
:class:`NeedState`        one need slot per (resident, type)           :mod:`sim.submodels.needs`
:class:`VolunteerState`   volunteer arrays and this week's hours       :mod:`sim.submodels.volunteering`
:class:`WeekHours`        workers' hours this week, by use and case    :mod:`sim.submodels.workforce`
:class:`Disputes`         open public disputes per community           :mod:`sim.submodels.deliberation`
``Accounts``              money flows by source and use                :mod:`sim.accounts`
``CommunityFund``         community fund balances                      :mod:`sim.submodels.fund`
:class:`Rosters`          workers, agencies, partners (Mesa agents)    :mod:`sim.model`
:class:`LabourMarket`     local wage, separations, worker ids          :mod:`sim.submodels.workforce`
:class:`StreetOffice`     which agencies serve which communities       :mod:`sim.submodels.funding`
========================  ===========================================  ===================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .accounts import Accounts, CommunityFund, Tally
from .agents import NGO, ROSTER_KINDS, Enterprise, SocialWorker
from .network import SocialNetwork
from .schema import N_TYPES, Scenario

if TYPE_CHECKING:
    import mesa

NEVER = -(10**6)
"""Week stamp meaning 'never happened'."""


@dataclass(slots=True)
class Context:
    """What every mechanism may read: the parameters, this week and the generator; and the
    week's counters, which mechanisms only add to."""

    p: Scenario
    rng: np.random.Generator
    tally: Tally
    week: int = 0


@dataclass(slots=True)
class Residents:
    """Per-resident state arrays (index = resident id), ordered by community, building and
    household, so each community is one contiguous block.

    Traits (age, household, vulnerability, willingness) are fixed at setup, and so are the
    frames derived from them below; attitudes (trust, belonging, wellbeing) and contact
    stamps change every week.
    """

    community: np.ndarray
    building: np.ndarray
    household: np.ndarray
    age: np.ndarray
    adult: np.ndarray
    elderly: np.ndarray
    younger_old: np.ndarray
    """Elderly and below ``population.younger_old_max_age`` (低龄)."""
    oldest_old: np.ndarray
    lives_alone: np.ndarray
    disabled: np.ndarray
    low_income: np.ndarray
    vulnerability: np.ndarray
    trust: np.ndarray
    belonging: np.ndarray
    wellbeing: np.ndarray
    willingness: np.ndarray
    last_contact: np.ndarray
    """Week of the last contact (visit, service, activity, meeting)."""
    reached: np.ndarray
    """Contacted this week (visits, groups, activities, meetings): the week's recruitment pool."""
    community_start: np.ndarray
    community_size: np.ndarray
    households_per_community: np.ndarray
    vulnerable_per_community: np.ndarray
    """Vulnerable residents per community (outreach weights)."""
    elder_alone: np.ndarray
    """Elderly residents living alone, by community (the frame of elder visits)."""
    elder_alone_start: np.ndarray
    elder_alone_size: np.ndarray
    willingness_sum: np.ndarray
    """Sum of willingness per community (activity attendance)."""
    willingness_max: np.ndarray
    """Highest willingness per community."""

    @property
    def n(self) -> int:
        return len(self.age)

    @property
    def n_communities(self) -> int:
        return len(self.community_size)

    @property
    def vulnerable(self) -> np.ndarray:
        return (self.lives_alone & self.elderly) | self.disabled | self.low_income


@dataclass(slots=True)
class NeedState:
    """Open needs, one slot per (resident, need type); flat index = resident * N_TYPES + type."""

    open: np.ndarray
    found: np.ndarray
    severity: np.ndarray
    effort_left: np.ndarray
    arisen_week: np.ndarray
    found_week: np.ndarray
    worker: np.ndarray
    """Worker id holding the need as a case, -1 if none."""
    weekly_hazard: np.ndarray
    """Weekly chance that each slot's need arises (rebuilt when need rates change)."""
    hazard_blocks: tuple[np.ndarray, ...] | None
    """Slots grouped by equal hazard (see :func:`sim.submodels.needs.hazard_blocks`)."""

    def by_resident(self, arr: np.ndarray) -> np.ndarray:
        """A slot array as one row per resident, one column per need type."""
        return arr.reshape(-1, N_TYPES)

    @classmethod
    def empty(cls, n_residents: int) -> NeedState:
        size = n_residents * N_TYPES
        return cls(open=np.zeros(size, dtype=bool), found=np.zeros(size, dtype=bool),
                   severity=np.zeros(size, dtype=np.float32), effort_left=np.zeros(size, dtype=np.float32),
                   arisen_week=np.zeros(size, dtype=np.int32), found_week=np.zeros(size, dtype=np.int32),
                   worker=np.full(size, -1, dtype=np.int32), weekly_hazard=np.zeros(size, dtype=np.float32),
                   hazard_blocks=None)


@dataclass(slots=True)
class VolunteerState:
    """Volunteer arrays, indexed by resident id, and this week's volunteer hours per community."""

    registered: np.ndarray
    active: np.ndarray
    has_view: np.ndarray
    """A ``Volunteer`` agent exists for the resident (created at first registration)."""
    motivation: np.ndarray
    hours: np.ndarray
    elder_visitor: np.ndarray
    coordinator: np.ndarray
    """Worker id of the coordinating social worker, -1 if none."""
    coverage: np.ndarray
    """Share of each community's active volunteers that coordination hours support."""
    task_hours: np.ndarray
    visit_hours: np.ndarray

    @classmethod
    def empty(cls, n_residents: int, n_communities: int) -> VolunteerState:
        n = n_residents
        return cls(registered=np.zeros(n, dtype=bool), active=np.zeros(n, dtype=bool),
                   has_view=np.zeros(n, dtype=bool),
                   motivation=np.zeros(n, dtype=np.float32), hours=np.zeros(n, dtype=np.float32),
                   elder_visitor=np.zeros(n, dtype=bool), coordinator=np.full(n, -1, dtype=np.int64),
                   coverage=np.ones(n_communities), task_hours=np.zeros(n_communities),
                   visit_hours=np.zeros(n_communities))


@dataclass(slots=True)
class WeekHours:
    """Workers' hours this week: per community by use, and per case (set by time allocation)."""

    outreach: np.ndarray
    groups: np.ndarray
    activities: np.ndarray
    coordination: np.ndarray
    casework: np.ndarray
    meeting: np.ndarray
    """Communities holding a deliberation meeting this week (its facilitation hours are already
    taken out of ``activities``)."""
    per_case: np.ndarray
    """Case-work hours each held case gets this week, by worker id."""
    wid: np.ndarray
    """This week's workers (roster order) as arrays: id, community, planned case hours."""
    community: np.ndarray
    case_hours: np.ndarray

    @classmethod
    def empty(cls, n_communities: int) -> WeekHours:
        z = np.zeros(n_communities)
        return cls(outreach=z, groups=z, activities=z, coordination=z, casework=z,
                   meeting=np.zeros(n_communities, dtype=bool),
                   per_case=np.zeros(0, dtype=np.float32), wid=np.zeros(0, dtype=np.int64),
                   community=np.zeros(0, dtype=np.int64), case_hours=np.zeros(0))


@dataclass(slots=True)
class Disputes:
    """Public disputes (noise, parking, pets, elevators) open per community."""

    open: np.ndarray


class Separation(NamedTuple):
    """A social worker leaving."""

    week: int
    tenure_weeks: int
    reason: str
    """``"quit"`` or ``"layoff"``."""
    first_year: bool


@dataclass(slots=True)
class LabourMarket:
    """The local labour market the workers are paid against, and who has left."""

    local_wage: float
    """Local average wage this week [yuan/year]."""
    separations: list[Separation] = field(default_factory=list)
    notices: list[tuple[int, int, float]] = field(default_factory=list)
    """Layoff notices given: (week, agency id, projected cash at the end of the contract then)."""
    next_wid: int = 0
    """Id the next hired worker gets (ids index the per-worker arrays)."""


@dataclass(slots=True)
class StreetOffice:
    """The street office's side of purchase-of-service contracting."""

    ngos_per_community: np.ndarray
    """Agencies contracted for each community (a community's posts are shared among them)."""


@dataclass(slots=True)
class Rosters:
    """The few actors that are Mesa agents, in creation order, and the model that owns them.

    Lists are read many times a week and change rarely: a new actor is appended, a
    departure rebuilds the lists on next read (sorted by unique id).
    """

    model: mesa.Model
    """Agents are created on this model (``SocialWorker(rosters.model, ...)``)."""
    _lists: dict[Any, Any] = field(default_factory=dict)
    _new_staff: list[SocialWorker] = field(default_factory=list)

    def added(self, agent: mesa.Agent) -> None:
        """An agent registered with the model."""
        kind = type(agent)
        if kind not in ROSTER_KINDS:
            return
        roster = self._lists.get(kind)
        if roster is not None:
            self._lists[kind] = [*roster, agent]  # the newest comes last in creation order
        if kind is SocialWorker:
            self._new_staff.append(agent)

    def removed(self, agent: mesa.Agent) -> None:
        """An agent left the model."""
        if type(agent) in ROSTER_KINDS:
            self._lists.clear()
            self._new_staff.clear()

    def _of(self, kind: type) -> list:
        roster = self._lists.get(kind)
        if roster is None:
            roster = sorted(self.model.agents_by_type.get(kind, []), key=lambda a: a.unique_id)
            self._lists[kind] = roster
        return roster

    @property
    def workers(self) -> list[SocialWorker]:
        return self._of(SocialWorker)

    @property
    def ngos(self) -> list[NGO]:
        return self._of(NGO)

    @property
    def enterprises(self) -> list[Enterprise]:
        return self._of(Enterprise)

    def staff(self, ngo: NGO) -> list[SocialWorker]:
        """The agency's workers, in hiring order (do not modify the list)."""
        by_employer = self._lists.get("staff")
        if by_employer is None:
            by_employer = {}
            for w in self.workers:
                by_employer.setdefault(w.employer, []).append(w)
            self._lists["staff"] = by_employer
        elif self._new_staff:
            # Hired since the grouping was built (their employer is set by now).
            for w in self._new_staff:
                by_employer[w.employer] = [*by_employer.get(w.employer, []), w]
        self._new_staff.clear()
        return by_employer.get(ngo, [])


@dataclass(slots=True)
class World:
    """All state the weekly schedule shares."""

    ctx: Context
    residents: Residents
    network: SocialNetwork
    needs: NeedState
    volunteers: VolunteerState
    hours: WeekHours
    disputes: Disputes
    accounts: Accounts
    fund: CommunityFund
    rosters: Rosters
    labour: LabourMarket
    office: StreetOffice
    events: list[tuple[int, str]] = field(default_factory=list)
    """Policy events applied so far: (week, label)."""

    def begin_week(self) -> None:
        """The week's counters and money flows start at zero; nobody has been reached yet."""
        self.ctx.tally.reset()
        self.accounts.new_week()
        self.residents.reached[:] = False
