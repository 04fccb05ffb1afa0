"""The fixed order in which a month runs the model's mechanisms, and the catalogue of every
parameter they and the observation model declare.

Order of a month (after the month's scheduled events):

1. sponsor           the sponsor's resources decline, with ups and downs
2. shocks            exogenous windfalls of money and recruits
3. funding           transfers through hubs: crackdowns, relocation, fragmentation
4. revenue           local revenue
5. payroll           salaries and logistics are paid; unpaid members leave
6. cohesion          organisational decay and recovery
7. posture           the move underground, from last month's raid losses
8. counterterrorism  the host's raids, capacity, equipment, financial monitoring
9. operations        attacks by type, limited by members, cells and money
10. propaganda       propaganda output, expanded when the group looks inactive
11. perception       visibility from this month's attacks amplified by propaganda
12. host             host unity
13. ally             the sheltered ally, the neighbour's pressure, relations
14. alliance         an alliance regime between the ally and the group begins or ends
15. defection        members moving between groups and factions, one by one or in blocs
16. recruitment      recruits from local pools, through the group's presence;
                     reconciliation exits
17. ending           the group ends (below a floor of members for long enough, or a
                     founding group losing its leadership) or wins; the cause is recorded;
                     the month counter advances

Money moves first (what arrives can be spent), then the organisation reacts to what it
could pay, then the host acts on the organisation as it stands, then the group acts with
what survived; flows of people close the month. `ending` comes last and reads the whole
month's flows. A process's random stream is keyed by its name (`core/streams.py`), not by
its place in this list.
"""

from resurgence import observe
from resurgence.core.parameters import Parameter
from resurgence.core.process import Process
from resurgence.processes import (
    alliance,
    ally,
    cohesion,
    counterterrorism,
    defection,
    ending,
    funding,
    host,
    operations,
    payroll,
    perception,
    posture,
    propaganda,
    recruitment,
    revenue,
    shocks,
    sponsor,
)

PROCESSES: tuple[Process, ...] = (
    sponsor.PROCESS,
    shocks.PROCESS,
    funding.PROCESS,
    revenue.PROCESS,
    payroll.PROCESS,
    cohesion.PROCESS,
    posture.PROCESS,
    counterterrorism.PROCESS,
    operations.PROCESS,
    propaganda.PROCESS,
    perception.PROCESS,
    host.PROCESS,
    ally.PROCESS,
    alliance.PROCESS,
    defection.PROCESS,
    recruitment.PROCESS,
    ending.PROCESS,
)


def parameter_catalogue() -> dict[str, Parameter]:
    """Every parameter a process or the observation model declares, by name."""
    catalogue: dict[str, Parameter] = {}
    for process in PROCESSES:
        for parameter in process.parameters:
            catalogue[parameter.name] = parameter
    for parameter in observe.PARAMETERS:
        catalogue[parameter.name] = parameter
    return catalogue
