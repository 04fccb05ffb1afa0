"""A peer of the engine: the flagship's core mechanisms as an idiomatic Mesa 3 model.

The engine steps fifteen processes over arrays of replicas; reproducing all of them agent by
agent would be a second engine. Both sides therefore run a *reduced model*, defined here
once (`reduced_model`) and implemented twice:

* **In the engine** (`engine_run`): the real `step` functions of the processes `payroll`,
  `counterterrorism`, `operations`, `defection` and `recruitment`, in the engine's order
  (taken from `resurgence.processes.PROCESSES`), on `initial_state` and `chunk_params` of
  the compiled flagship scenario, with one random stream per process as the engine spawns
  them. The other ten processes and the timeline do not run.
* **In Mesa** (`PeerModel`): one `Member` agent per member of every group and faction, in
  a `Region` agent; each month the members pay-or-leave, face the raids of their region,
  attack, and defect, and the regions recruit, with the same equations and parameter
  values, written per agent from the process modules' documented formulas.

The reduced model is the flagship scenario `isk` with:

* the initial members plus the prison releases of the first month (IS-K: 3,800 members;
  TTP 7,400, Jamaat ul-Ahrar 800, IMU 400, ETIM 300, the host's Tajik faction 6,500);
* everything the five processes do not draw held at its initial value: cohesion 0.8,
  posture 0.3 (cells of 22.8 members), visibility 0.7, propaganda 1.0, host unity 0.85,
  intelligence-led share 0.1, capacity by region as at the start (0.6 in Nangarhar, 0.4 in
  Kunar, 0.9 in Kabul, ...), equipment 0, recruitment boost 0, relations as at the start;
  capacity, equipment, the intelligence-led share and monitoring stay fixed because their
  rates (`counterterrorism.manpower_growth`, `.equipment_supply`, `.learning_rate`,
  `.monitoring_rate`) are set to 0;
* money that never runs short: the treasury starts at USD 1 billion (some 2,000 times the
  monthly bill), so the payroll is always paid in full (no arrears, no unpaid-salary
  attrition) and operations are always fully funded;
* every other parameter at the scenario's value, and no dated events after the first month.

Each month, for the focal group (IS-K), in this order:

1. payroll: each member leaves with probability
   `attrition_base * (2 - cohesion) + unpaid_attrition * strain` (strain 0 here);
2. counter-terrorism: each member in a host region is lost with the region's raid rate
   `min(capacity * lethality, 0.5)`, lethality mixing indiscriminate and intelligence-led
   raids, scaled by cell exposure and host unity; abroad, with the neighbour's rate
   `neighbour_lethality`, scaled by cell exposure;
3. operations: a monthly tempo `Gamma(shape, 1/shape)` common to all regions (drawn by the
   model, i.e. the group), then each member makes a Poisson number of attacks with mean
   `attack_rate * capability * funded * tempo` (a sum of independent Poisson counts per
   member has the engine's law, Poisson(planned * tempo) per region); each attack's type is
   drawn with the types' shares;
4. defection: each member of a unit with defection routes (IMU, ETIM, TTP, Jamaat
   ul-Ahrar and the Tajik faction toward IS-K, IS-K toward the TTP) moves to a route's
   destination with the route's probability (its pull from restrictions, affinity,
   estrangement from its protector and disunity; toward IS-K, times IS-K's presence in the
   member's region), from the members at the start of the step (an arrival does not leave
   again the same month);
5. recruitment: reconciliation exits (none in the flagship's base), then each region draws
   a Poisson number of recruits (`pool * rate * presence`, at most the pool), who become
   new member agents; the pool refills slowly toward its size.

A `mesa.DataCollector` records, per month, IS-K's members, the raid losses, the attrition
(leavers plus IS-K members who defected), the recruits, the attacks and the defectors who
joined IS-K; `engine_run` records the same from the engine's state.
"""

from __future__ import annotations

import math
from dataclasses import replace

import mesa
import numpy as np

from resurgence.catalogue import PROCESSES
from resurgence.core import streams
from resurgence.core.model import Model
from resurgence.engine.compile import compile_model
from resurgence.engine.run import chunk_params, initial_state
from resurgence.scenarios import load_scenario

SCENARIO = "isk"
FOCAL = 0  # the focal group is unit 0
REDUCED_PROCESSES = ("payroll", "counterterrorism", "operations", "defection", "recruitment")
TREASURY = 1.0e6  # USD thousand: money never runs short
NEUTRAL_PARAMETERS = {
    "counterterrorism.manpower_growth": 0.0,
    "counterterrorism.equipment_supply": 0.0,
    "counterterrorism.learning_rate": 0.0,
    "counterterrorism.monitoring_rate": 0.0,
}
OUTPUTS = ("members", "losses", "attrition", "recruits", "attacks", "defections")
"""What both sides record each month (IS-K totals over regions)."""


def reduced_model(months: int, scenario: str = SCENARIO) -> Model:
    """The compiled flagship scenario, reduced as the module docstring says."""
    model = compile_model(load_scenario(scenario), n_months=months)
    values = dict(model.values)
    for name, value in NEUTRAL_PARAMETERS.items():
        values[name] = np.full_like(values[name], value)
    members = model.initial["members"].copy()
    for event in model.events.get(0, ()):
        if event.kind == "members" and event.op == "add":
            unit, region = event.index[:2]
            members[unit, region] = max(members[unit, region] + int(event.value), 0)
    initial = {**model.initial, "members": members, "treasury": np.array(TREASURY)}
    return replace(model, values=values, initial=initial, events={})


# ------------------------------------------------------------------------------- engine


def engine_run(model: Model, replicas: int, seed: int) -> dict[str, np.ndarray]:
    """Run the reduced model in the engine: the real `step` of each reduced process, in the
    engine's order. Returns each output as (replicas, months)."""
    processes = [p for p in PROCESSES if p.name in REDUCED_PROCESSES]
    assert len(processes) == len(REDUCED_PROCESSES)
    rngs = [streams.stream(seed, "run", 0, process.name) for process in processes]
    params = chunk_params(model, 0, replicas)
    state = initial_state(model, replicas)
    held = {
        name: getattr(state, name).copy()
        for name in ("capacity", "equipment", "intel_share", "cohesion", "posture", "visibility")
    }
    out = {name: np.empty((replicas, model.n_months), dtype=np.int64) for name in OUTPUTS}
    for t in range(model.n_months):
        state.attrition[:] = 0  # the month's flows, reset as `engine.step.step` does
        state.defections[:] = 0
        for process, rng in zip(processes, rngs, strict=True):
            process.step(state, params, rng, model)
        out["members"][:, t] = state.members[:, FOCAL, :].sum(axis=1)
        out["losses"][:, t] = state.losses.sum(axis=1)
        out["attrition"][:, t] = state.attrition.sum(axis=1)
        out["recruits"][:, t] = state.recruits.sum(axis=1)
        out["attacks"][:, t] = state.attacks.sum(axis=(1, 2))
        out["defections"][:, t] = state.defections.sum(axis=1)
    # The reduced model's premises: nothing held has moved, and money never ran short.
    for name, before in held.items():
        assert np.array_equal(getattr(state, name), before), f"{name} moved"
    assert (state.paid_fraction == 1.0).all() and (state.arrears == 0.0).all()
    return out


# --------------------------------------------------------------------------------- Mesa


def poisson(random, mean: float) -> int:
    """A Poisson draw from a `random.Random`, by Knuth's multiplication method, summing
    Poisson parts of mean at most 20 (the law of a sum of independent Poisson counts)."""
    count = 0
    while mean > 0.0:
        part = min(mean, 20.0)
        mean -= part
        limit = math.exp(-part)
        u = random.random()
        while u > limit:
            count += 1
            u *= random.random()
    return count


class Region(mesa.Agent):
    """A region: the host's raids there, its pool of recruits, and the month's tallies."""

    def __init__(self, model: PeerModel, index: int, raid_rate: float, recruit_rate: float):
        super().__init__(model)
        self.index = index
        self.raid_rate = raid_rate
        self.recruit_rate = recruit_rate  # per person in the pool, before presence
        self.pool0 = self.pool = 0.0
        self.presence = 0.0  # the focal group's reach here, m / (m + presence_half)
        self.reconciliation_exit = 0.0
        self.reset()

    def reset(self) -> None:
        self.losses = 0
        self.attrition = 0
        self.recruits = 0
        self.attacks = [0] * len(self.model.attack_share)

    def recruit(self) -> None:
        """Recruits arrive from the local pool through the group's presence: a Poisson
        count (at most the pool), each a new member; the pool refills slowly."""
        mean = self.pool * min(self.recruit_rate * self.presence, 1.0)
        self.recruits = min(poisson(self.random, mean), math.floor(self.pool))
        self.pool -= self.recruits
        self.pool += self.model.pool_renewal * (self.pool0 - self.pool)
        for _ in range(self.recruits):
            Member(self.model, FOCAL, self)


class Member(mesa.Agent):
    """One member of a group or faction (`unit`), in a region."""

    def __init__(self, model: PeerModel, unit: int, region: Region):
        super().__init__(model)
        self.unit = unit
        self.region = region
        self.moved = -1  # the month of the member's last move between units

    def pay(self) -> None:
        """Payroll: leave with the month's attrition probability."""
        if self.random.random() < self.model.leave:
            self.region.attrition += 1
            self.remove()

    def face_raids(self) -> None:
        """Counter-terrorism: lost with the raid rate of the member's region."""
        if self.random.random() < self.region.raid_rate:
            self.region.losses += 1
            self.remove()

    def attack(self) -> None:
        """Operations: a Poisson number of attacks (mean `model.attack_mean`), each of a
        type drawn with the types' shares."""
        u = self.random.random()
        while u > self.model.no_attack:
            kind = self.model.attack_type()
            self.region.attacks[kind] += 1
            u *= self.random.random()

    def defect(self) -> None:
        """Defection: move to a route's destination with the route's probability, unless
        the member arrived this month."""
        routes = self.model.routes_from.get((self.unit, self.region.index))
        if not routes or self.moved == self.model.steps:
            return
        u = self.random.random()
        for target, cumulative in routes:
            if u < cumulative:
                model = self.model
                if target == FOCAL:
                    model.joined[self.unit] += 1
                elif self.unit == FOCAL:
                    self.region.attrition += 1
                self.unit = target
                self.moved = model.steps
                return

    def reconcile(self) -> None:
        """Reconciliation deals: go home with the region's exit probability."""
        if self.random.random() < self.region.reconciliation_exit:
            self.region.attrition += 1
            self.remove()


class PeerModel(mesa.Model):
    """The reduced flagship model, one agent per member (see the module docstring).

    `model` is the compiled reduced scenario (`reduced_model`): its parameter values, its
    initial state, its regions, units, relations and defection routes. Nothing of the
    engine's processes is called; their equations are written here per agent.
    """

    def __init__(self, model: Model, seed: int):
        super().__init__(seed=seed)
        self.spec = model
        v, s = model.values, model.initial

        def scalar(name: str) -> float:
            return float(v[name])

        # Held state (the reduced model's premises).
        self.treasury = float(s["treasury"])
        cohesion, posture = float(s["cohesion"]), float(s["posture"])
        visibility, propaganda = float(s["visibility"]), float(s["propaganda"])
        unity, intel = float(s["host_unity"]), float(s["intel_share"])
        equipment = float(s["equipment"])
        relation = s["relation"]

        # posture: cell size
        overt = scalar("posture.cell_size_overt")
        self.cell_size = overt * (1 - posture) + scalar("posture.cell_size_underground") * posture
        cell_ratio = self.cell_size / overt

        # payroll
        self.salary = scalar("payroll.salary")
        self.logistics = scalar("payroll.logistics")
        self.max_share = scalar("payroll.max_share")
        self.attrition_base = scalar("payroll.attrition_base")
        self.unpaid_attrition = scalar("payroll.unpaid_attrition")
        self.memory = scalar("payroll.arrears_memory")
        self.cohesion = cohesion
        self.arrears = 0.0
        self.leave = 0.0

        # counter-terrorism: the raid rate of each region
        host_territory = ~model.region_tags["abroad"]
        capacity = (
            np.asarray(s["capacity"], dtype=float)
            + scalar("counterterrorism.equipment_gain") * equipment * model.region_tags["mountain"]
        )
        lethality = (
            scalar("counterterrorism.lethality_indiscriminate") * (1 - intel)
            + scalar("counterterrorism.lethality_intel") * intel
        )
        lethality *= cell_ratio ** scalar("counterterrorism.cell_exposure")
        lethality *= 1 - scalar("counterterrorism.unity_weight") * (1 - unity)
        abroad = scalar("counterterrorism.neighbour_lethality") * cell_ratio ** scalar(
            "counterterrorism.cell_exposure"
        )
        raid = [
            float(min(c * lethality, 0.5)) if h else float(abroad)
            for c, h in zip(capacity, host_territory, strict=True)
        ]

        # operations
        self.capability = cell_ratio ** scalar("operations.cell_capability") * (
            1 - scalar("operations.cohesion_weight") * (1 - cohesion)
        )
        self.attack_rate = scalar("operations.attack_rate")
        self.attack_share = [float(x) for x in model.attack_share]
        self.attack_cost = [float(x) for x in model.attack_cost]
        self.budget_share = scalar("operations.budget_share")
        self.unfunded_share = scalar("operations.unfunded_share")
        self.dispersion = scalar("operations.dispersion")
        self.no_attack = 1.0

        # recruitment: the mean recruits of each region, and reconciliation exits
        appeal = (
            scalar("recruitment.base_rate")
            * visibility ** scalar("recruitment.visibility_elasticity")
            * (1 + scalar("recruitment.propaganda_effect") * propaganda)
        )
        pool, recon = v["recruitment.pool"], v["recruitment.reconciliation"]
        backlash = capacity * (1 - intel) * host_territory
        rate = (
            appeal
            * (1 + scalar("recruitment.backlash") * backlash)
            * (1 - scalar("recruitment.integration_effect") * v["recruitment.salafi_integration"])
            * (1 - scalar("recruitment.reconciliation_effect") * recon)
        )
        self.regions = [Region(self, k, raid[k], float(rate[k])) for k in range(len(model.regions))]
        for region, size in zip(self.regions, pool, strict=True):
            region.pool0 = region.pool = float(size)
        self.pool_renewal = scalar("recruitment.pool_renewal")
        self.presence_half = scalar("recruitment.presence_half")
        exits = recon * scalar("recruitment.reconciliation_exit")
        for region, exit_rate in zip(self.regions, exits, strict=True):
            region.reconciliation_exit = float(exit_rate)
        self.reconciling = bool((exits > 0).any())

        # defection: each route's probability, cumulative by source
        units = model.units
        entity = {u: model.entities.index(u) for u in units}
        parent = {u: model.entities.index(u.split(".")[0]) for u in units}
        host = model.host_entity
        rates: dict[int, list[tuple[int, float]]] = {}
        for src, dst, name in model.routes:
            source, target = units[src], units[dst]
            restriction = 0.0
            if src != FOCAL:
                restriction = max(
                    -relation[host, entity[source]], -relation[host, parent[source]], 0.0
                )
            affinity = max(relation[entity[source], entity[target]], 0.0)
            r = (
                scalar(name)
                * (1 + scalar("defection.restriction_weight") * restriction)
                * (1 + scalar("defection.affinity_weight") * affinity)
            )
            if src != FOCAL:  # estrangement from the protector: its group, or the host
                w = scalar("defection.estrangement_weight")
                protector = parent[source] if "." in source else host
                estrangement = (1 - relation[entity[source], protector]) / 2
                r *= (1 + w * estrangement) / (1 + w / 2)
            if parent[source] == host and "." in source:
                r *= 1 + scalar("defection.disunity_weight") * (1 - unity)
            if dst == FOCAL:
                r *= visibility ** scalar("defection.visibility_elasticity")
            rates.setdefault(src, []).append((dst, float(r)))
        self.route_rates = rates
        self.routes_from: dict[tuple[int, int], list[tuple[int, float]]] = {}
        self.joined = [0] * len(units)

        # the members, one agent each
        for u in range(len(units)):
            for k, region in enumerate(self.regions):
                for _ in range(int(s["members"][u, k])):
                    Member(self, u, region)

        self.datacollector = mesa.DataCollector(
            model_reporters={
                "members": lambda m: len(m.focal()),
                "losses": lambda m: sum(r.losses for r in m.regions),
                "attrition": lambda m: sum(r.attrition for r in m.regions),
                "recruits": lambda m: sum(r.recruits for r in m.regions),
                "attacks": lambda m: sum(sum(r.attacks) for r in m.regions),
                "defections": lambda m: sum(m.joined),
            }
        )

    def focal(self) -> mesa.AgentSet:
        """The focal group's members."""
        return self.agents_by_type[Member].select(lambda a: a.unit == FOCAL)

    def update_presence(self) -> None:
        """The focal group's reach in each region, m / (m + presence_half)."""
        counts = [0] * len(self.regions)
        for member in self.focal():
            counts[member.region.index] += 1
        for region, m in zip(self.regions, counts, strict=True):
            region.presence = m / (m + self.presence_half)

    def update_routes(self) -> None:
        """Each (unit, region)'s routes as cumulative probabilities: a route into the focal
        group goes through its presence there; a source's routes are scaled so that at
        most all of its members leave."""
        for src, routes in self.route_rates.items():
            for region in self.regions:
                rates = [
                    (dst, min(r * (region.presence if dst == FOCAL else 1.0), 0.5))
                    for dst, r in routes
                ]
                scale = max(sum(r for _, r in rates), 1.0)
                cumulative, table = 0.0, []
                for dst, r in rates:
                    cumulative += r / scale
                    table.append((dst, cumulative))
                self.routes_from[(src, region.index)] = table

    def attack_type(self) -> int:
        u, cumulative = self.random.random(), 0.0
        for j, share in enumerate(self.attack_share[:-1]):
            cumulative += share
            if u < cumulative:
                return j
        return len(self.attack_share) - 1

    def step(self) -> None:
        regions = self.agents_by_type[Region]
        regions.do("reset")
        self.joined = [0] * len(self.joined)

        # payroll: the group pays what it can; unpaid salaries drive attrition
        members = len(self.focal())
        bill = members * (self.salary + self.logistics)
        paid = min(max(self.treasury, 0.0) * self.max_share, bill)
        paid_fraction = paid / bill if bill > 0 else 1.0
        self.arrears = self.arrears * self.memory + (1 - paid_fraction)
        strain = self.arrears * (1 - self.memory)
        self.leave = self.attrition_base * (2 - self.cohesion) + self.unpaid_attrition * strain
        self.focal().shuffle_do("pay")

        # counter-terrorism
        self.focal().shuffle_do("face_raids")

        # operations: the month's tempo and funding, then each member's attacks
        focal = self.focal()
        unit_cost = sum(a * c for a, c in zip(self.attack_share, self.attack_cost, strict=True))
        want = self.attack_rate * self.capability * len(focal) * unit_cost
        budget = self.budget_share * max(self.treasury, 0.0)
        affordable = min(1.0, budget / want) if want > 0 else 1.0
        funded = self.unfunded_share + (1 - self.unfunded_share) * affordable
        tempo = self.random.gammavariate(self.dispersion, 1.0 / self.dispersion)
        self.no_attack = math.exp(-self.attack_rate * self.capability * funded * tempo)
        focal.shuffle_do("attack")

        # defection, then recruitment (reconciliation exits first), both through the
        # group's presence in each region
        self.update_presence()
        self.update_routes()
        self.agents_by_type[Member].shuffle_do("defect")
        if self.reconciling:
            self.focal().shuffle_do("reconcile")
        self.update_presence()
        regions.shuffle_do("recruit")
        self.datacollector.collect(self)


def mesa_run(model: Model, replicas: int, seed: int) -> dict[str, np.ndarray]:
    """Run the reduced model in Mesa; replica i is seeded with `seed + i`. Returns each
    output as (replicas, months)."""
    out = {name: np.empty((replicas, model.n_months), dtype=np.int64) for name in OUTPUTS}
    for i in range(replicas):
        peer = PeerModel(model, seed=seed + i)
        for _ in range(model.n_months):
            peer.step()
        frame = peer.datacollector.get_model_vars_dataframe()
        for name in OUTPUTS:
            out[name][i] = frame[name].to_numpy()
    return out
