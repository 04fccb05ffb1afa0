"""The state of a chunk of replicas: plain arrays whose first axis is the replica."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class State:
    """Latent state of `n` replicas at the end of a month.

    Axes after the replica: U population units (groups and their factions, the focal group
    first), K regions, J attack types, C funding channels, H hubs, E entities (actors and
    factions, for relations). Money is in USD thousand.
    """

    members: np.ndarray  # (n, U, K) int64: members of each unit in each region
    treasury: np.ndarray  # (n,) focal group's cash
    arrears: np.ndarray  # (n,) decaying sum of unpaid salary shares
    paid_fraction: np.ndarray  # (n,) share of last month's payroll paid
    cohesion: np.ndarray  # (n,) organisational cohesion in [0, 1]
    posture: np.ndarray  # (n,) 0 = overt, 1 = fully underground
    visibility: np.ndarray  # (n,) how active the group looks, in [0, 1]
    propaganda: np.ndarray  # (n,) propaganda output relative to a normal month
    sponsor_resources: np.ndarray  # (n,) sponsor's resources relative to the start
    recruit_boost: np.ndarray  # (n,) windfall boost to recruitment, relative
    channel_hub: np.ndarray  # (n, C) int: position in the channel's list of hubs
    relocating: np.ndarray  # (n, C) bool: finance being moved to the next hub
    fragmentation: np.ndarray  # (n, C) share of the flow sent as small transfers
    hub_crackdown: np.ndarray  # (n, H) crackdown intensity at each hub, in [0, 1]
    monitoring: np.ndarray  # (n,) host's financial monitoring level, in [0, 1]
    intel_share: np.ndarray  # (n,) share of intelligence-led (vs indiscriminate) raids
    capacity: np.ndarray  # (n, K) host counter-terrorism capacity per region
    equipment: np.ndarray  # (n,) host equipment (airlift, drones), in [0, 1]
    recognition: np.ndarray  # (n,) diplomatic recognition of the host, in [0, 1]
    host_unity: np.ndarray  # (n,) host's unity, in [0, 1]
    relation: np.ndarray  # (n, E, E) signed relation from row entity to column entity
    relation_anchor: np.ndarray  # (n, E, E) relation set by the timeline, drift returns here
    neighbour_pressure: np.ndarray  # (n,) neighbour's strikes and killings, relative
    ally_distrust: np.ndarray  # (n,) the sheltered ally's distrust of the host, in [0, 1]
    expulsions: np.ndarray  # (n,) neighbour's expulsions of refugees, relative
    pool: np.ndarray  # (n, K) potential recruits left in each region; NaN before the first
    #   month (the scenario's pool sizes, per replica)
    alliance: np.ndarray  # (n,) 1.0 while the sheltered ally and the focal group are allied
    bloc_done: np.ndarray  # (n, routes) bool: the route's bloc defection has happened
    excitation: np.ndarray  # (n, K) expected attacks carried into the month by earlier
    #   attacks (self-excitation); NaN before the first month
    experience: np.ndarray  # (n,) focal group's cumulative attacks; NaN before the first month
    clock: np.ndarray  # (n,) int64 months simulated so far (the month offset being run)
    below_floor: np.ndarray  # (n,) int64 consecutive months with members below the floor
    barren: np.ndarray  # (n,) int64 consecutive months a fragile group attracted nobody
    host_collapsed: np.ndarray  # (n,) int64 consecutive months with the host's unity below
    #   the victory level
    end_flows: np.ndarray  # (n, 5) decaying sums of members lost, by cause of ending
    ended: np.ndarray  # (n,) int64 month in which the group ended, counted from 1 (the
    #   scenario's first month); 0 while it is active
    end_cause: np.ndarray  # (n,) int8 cause of the end (processes.ending.CAUSES); 0 active
    # Flows of the month (reset each step), recorded for the output.
    income: np.ndarray  # (n,) money arrived through funding channels
    revenue: np.ndarray  # (n,) local revenue
    attacks: np.ndarray  # (n, K, J) int64 latent attacks
    losses: np.ndarray  # (n, K) int64 members lost to the host's raids
    attrition: np.ndarray  # (n, K) int64 members who left (pay, cohesion, reconciliation)
    recruits: np.ndarray  # (n, K) int64 recruits from local pools
    defections: np.ndarray  # (n, U) int64 members who joined the focal group, by origin
    deaths: np.ndarray  # (n, K) int64 deaths caused by the month's attacks
    raid_intel: np.ndarray  # (n,) share of the month's raid losses due to intelligence-led raids
    reconciled: np.ndarray  # (n,) int64 focal members who left under reconciliation deals
    splintered: np.ndarray  # (n,) int64 focal members who left for other groups

    @property
    def n(self) -> int:
        return self.treasury.shape[0]
