"""The community co-governance model (三社联动 / 五社联动).

Reading :meth:`CommunityModel.step` gives the whole weekly schedule and, in each
call's arguments, the state each mechanism reads and writes (see :mod:`sim.state`).
"""

from __future__ import annotations

import sys
from typing import Any

import mesa
import numpy as np

from . import invariants, metrics
from .accounts import Accounts, CommunityFund, Tally
from .agents import NGO, Enterprise, Resident, SocialWorker, Volunteer
from .errors import UserError, renamed
from .network import SocialNetwork, build_network
from .params import ParamPath
from .population import build_residents
from .scenario import load_scenario
from .schema import Scenario
from .seeds import run_seed
from .state import (
    Context,
    Disputes,
    LabourMarket,
    NeedState,
    Rosters,
    StreetOffice,
    VolunteerState,
    WeekHours,
    World,
)
from .submodels import (
    deliberation,
    discovery,
    fund,
    funding,
    needs,
    partners,
    pay,
    services,
    social,
    timeline,
    volunteering,
    workforce,
)


class CommunityModel(mesa.Model):
    """One street's communities, their residents and the five kinds of actor.

    Args:
        scenario: a :class:`~sim.schema.Scenario`, a YAML path, a bundled
            scenario name, a mapping, or ``None`` for the defaults.
        seed: the run's seed (``simulation.seed``); ``None`` keeps the scenario's,
            except under ``mesa.batch_run``, where replication r of a parameter set
            gets seed r derived from it (see :func:`batch_replication`).
        rng: a seed or a NumPy generator, as for any Mesa model (give ``seed`` or
            ``rng``, not both).
        **overrides: flat parameter names joined by ``__``
            (``workforce__salary_ratio=0.8``), as ``mesa.batch_run`` passes them.
    """

    def __init__(self, scenario: Scenario | str | dict | None = None, seed: int | None = None,
                 rng: Any = None, **overrides: Any):
        if seed is not None and rng is not None:
            raise UserError("give seed or rng, not both", source="CommunityModel", field="seed")
        if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
            seed, rng = int(rng), None
        try:
            s = load_scenario(scenario, overrides or None)
            if seed is None and rng is None and not _seed_given(overrides):
                replication = batch_replication()
                if replication is not None:
                    seed = run_seed(s.simulation.seed, replication)
            s = load_scenario(s, seed=seed).model_copy(deep=True)
        except UserError as exc:
            raise renamed(exc, {"--set": "CommunityModel", "--seed": "seed"}) from None
        super().__init__(rng=s.simulation.seed if rng is None else rng)
        self.world = build_world(self, s)
        w = self.world
        if s.simulation.resident_agents:
            for i in range(w.residents.n):
                Resident(self, i)
        funding.setup(w.rosters, w.office, w.labour, w.accounts, w.residents, w.ctx)
        workforce.allocate_time(w.hours, w.rosters, w.needs, w.disputes, w.labour, w.residents.n_communities,
                                w.ctx)
        volunteering.setup(w.volunteers, w.residents, w.hours, w.rosters, w.ctx)
        partners.setup(w.rosters, w.residents, w.ctx)
        w.ctx.tally.reset()
        self.datacollector = metrics.WeeklyRecord(w)
        self.running = True

    # The weekly schedule -------------------------------------------------
    def step(self) -> None:
        """One week."""
        w, c = self.world, self.world.ctx
        r, n_c = w.residents, w.residents.n_communities
        w.begin_week()
        # Policy, contracts and money in, new needs and disputes.
        timeline.apply(w)
        pay.advance_wages(w.labour, w.rosters, c)
        funding.contracts(w.rosters, w.office, w.accounts, w.labour, w.needs, r, w.volunteers, c)
        funding.pay_in(w.rosters, w.office, w.accounts, w.fund, r, c)
        fund.charity_inflow(w.fund, c)
        needs.arise(w.needs, c)
        deliberation.arise(w.disputes, r, c)
        # The week's hours: workers' 40 hours, coordinated volunteer hours.
        workforce.allocate_time(w.hours, w.rosters, w.needs, w.disputes, w.labour, n_c, c)
        volunteering.plan_hours(w.volunteers, r, w.hours, c)
        # Finding and serving needs.
        discovery.find(w.needs, r, w.volunteers, w.hours, w.network, c)
        services.casework(w.needs, r, w.hours, c)
        services.enterprise_services(w.needs, r, w.rosters.enterprises, c)
        services.assistance(w.needs, r, w.fund, c)
        services.volunteer_tasks(w.needs, r, w.volunteers, c)
        services.group_work(w.needs, r, w.hours, c)
        deliberation.meet(w.disputes, r, w.hours, c)
        services.activities(r, w.hours, w.fund, w.network, c)
        services.assign_cases(w.needs, r, w.hours, c)
        # The week's consequences.
        needs.progress(w.needs, r, c)
        social.update(r, w.network, w.needs, c)
        volunteering.update(w.volunteers, r, w.hours, w.rosters, c)
        partners.update(w.rosters, w.hours, w.fund, r, c)
        workforce.update(w.rosters, w.labour, w.needs, r, w.volunteers, c)
        pay.careers(w.rosters, c)
        # Agencies: hiring and payroll.
        funding.recruit(w.rosters, w.labour, r, c)
        funding.pay_out(w.rosters, w.accounts, w.fund, w.labour, w.needs, r, w.volunteers, c)
        c.week += 1
        self.datacollector.collect(self)
        if c.p.simulation.check_invariants:
            invariants.check(w, self.datacollector)
        if c.week >= c.p.simulation.horizon_weeks and self.running:
            self.running = False
            self.datacollector.close(self)

    def run(self, weeks: int | None = None) -> None:
        for _ in range(weeks if weeks is not None else self.params.simulation.horizon_weeks):
            self.step()

    # Mesa keeps the agents; the rosters keep the few read every week in order.
    def register_agent(self, agent: mesa.Agent) -> None:
        super().register_agent(agent)
        self.world.rosters.added(agent)

    def deregister_agent(self, agent: mesa.Agent) -> None:
        super().deregister_agent(agent)
        self.world.rosters.removed(agent)

    # Views ------------------------------------------------------------------
    @property
    def params(self) -> Scenario:
        """The scenario's parameters in force (timeline events change them during a run)."""
        return self.world.ctx.p

    @property
    def week(self) -> int:
        return self.world.ctx.week

    @property
    def residents(self):
        return self.world.residents

    @property
    def needs(self) -> NeedState:
        return self.world.needs

    @property
    def volunteers(self) -> VolunteerState:
        return self.world.volunteers

    @property
    def workers(self) -> list[SocialWorker]:
        return self.world.rosters.workers

    @property
    def ngos(self) -> list[NGO]:
        return self.world.rosters.ngos

    @property
    def enterprises(self) -> list[Enterprise]:
        return self.world.rosters.enterprises

    def summary(self) -> dict[str, float]:
        """Key performance indicators after warm-up (flat keys)."""
        closed = self.datacollector.closed
        if closed is not None and closed[0] == self.world.ctx.week:
            return dict(closed[1])
        return metrics.summary(self.world, self.datacollector)

    def check_invariants(self) -> None:
        """Conservation of money, people and needs; no negative stocks; shares in [0, 1]."""
        invariants.check(self.world, self.datacollector)


def _seed_given(overrides: dict[str, Any]) -> bool:
    return any(ParamPath.parse(k, "CommunityModel").dotted == "simulation.seed" for k in overrides)


def batch_replication() -> int | None:
    """The replication number when ``mesa.batch_run`` builds this model, else ``None``.

    The batch runner hands every replication of a parameter set the same arguments (Mesa 3.3's
    ``iterations``, Mesa 3.5's ``rng=None`` entries) and no replication number, so without this
    ``iterations=N`` would give N identical runs; the number is in the batch runner's frame.
    Replication r of every parameter set then shares seed r (common random numbers).
    """
    frame = sys._getframe(1)
    for _ in range(4):
        frame = frame.f_back
        if frame is None:
            return None
        if frame.f_code.co_name == "_model_run_func" and frame.f_globals.get("__name__") == "mesa.batchrunner":
            iteration = frame.f_locals.get("iteration")
            return iteration if isinstance(iteration, int) else None
    return None


def build_world(model: mesa.Model, s: Scenario) -> World:
    """Every block of state, in the order the generator is first drawn from."""
    rng = model.rng
    r = build_residents(s, rng)
    network = SocialNetwork(build_network(r.household, r.building, s, rng),
                            int(s.network.max_activity_ties * r.n / 2))
    n_c = r.n_communities
    accounts = Accounts()
    community_fund = CommunityFund(accounts, n_c, s.community_fund.initial_balance_yuan)
    accounts.initial_held += float(community_fund.balance.sum())
    need_state = NeedState.empty(r.n)
    needs.rebuild_hazard(need_state, r, s.needs)
    return World(
        ctx=Context(p=s, rng=rng, tally=Tally(n_c)),
        residents=r,
        network=network,
        needs=need_state,
        volunteers=VolunteerState.empty(r.n, n_c),
        hours=WeekHours.empty(n_c),
        disputes=Disputes(np.zeros(n_c, dtype=np.int64)),
        accounts=accounts,
        fund=community_fund,
        rosters=Rosters(model),
        labour=LabourMarket(local_wage=s.workforce.local_average_wage_yuan_year),
        office=StreetOffice(ngos_per_community=np.zeros(n_c, dtype=np.int64)),
    )


__all__ = ["CommunityModel", "Resident", "SocialWorker", "Volunteer", "NGO", "Enterprise"]
