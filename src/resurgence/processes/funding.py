"""Funding channels: source -> hub -> recipient (docs/background.md §1 and §3).

Each channel carries a share of the sponsor's transfers through a hub country. A
crackdown at the hub interdicts part of the flow; above a threshold the group moves its
finance to the channel's next alternative hub, which takes a random time (geometric, mean
the channel's `relocation_lag`, by default `funding.relocation_lag`) during which most of
the flow is lost. A crackdown can follow the money: the authorities of the old hub share
what they learnt, and the crackdown at the channel's new hub rises toward the highest one
the channel met before (`funding.crackdown_follow`), which may push the finance on again.
Interdiction makes the group split its transfers into many small ones that pass as
ordinary remittances: fragmentation evades part of the host's monitoring of informal
transfers (not the hub's crackdown, which goes after the financiers), at a cost in volume;
what passes as ordinary remittances passes superficial checks, so the evasion shrinks as
the checks deepen (the share evaded is `fragmentation_evasion` x (1 - depth)).
The host's monitoring, like its raids, loses effect when the host is divided
(`counterterrorism.coordination`).
Money follows visibility: the sponsor and outside donors read inactivity as decline, and
do not fund a group that has dropped off the radar.
"""

import numpy as np

from resurgence.core.draws import clip01
from resurgence.core.model import Model
from resurgence.core.parameters import Parameter, Params
from resurgence.core.process import Process
from resurgence.core.state import State
from resurgence.processes.counterterrorism import coordination

PARAMETERS = (
    Parameter(
        "funding.base_transfer",
        600.0,
        50.0,
        1500.0,
        "USD thousand per month",
        "Assumption: in 2021 the parent paid for most of a payroll of about 3,000 members.",
    ),
    Parameter(
        "funding.transfer_scale",
        1.0,
        0.0,
        2.0,
        "relative to 2021",
        "Share of its budget the sponsor chooses to send; the timeline changes it.",
    ),
    Parameter(
        "funding.visibility_elasticity",
        0.5,
        0.0,
        3.0,
        "elasticity",
        "Outside donors are unlikely to fund a group that has dropped off the radar.",
    ),
    Parameter(
        "funding.hub_interdiction",
        0.9,
        0.3,
        1.0,
        "share of the flow at full crackdown",
        "A sustained crackdown at the hub seriously disrupted the group's finance.",
    ),
    Parameter(
        "funding.relocation_threshold",
        0.5,
        0.1,
        1.0,
        "crackdown level",
        "The group moves its finance once the hub's crackdown is serious.",
    ),
    Parameter(
        "funding.relocation_lag",
        5.0,
        1.0,
        24.0,
        "months (mean)",
        "Flows were re-established in the second half of 2023 after the early-2023 stop.",
    ),
    Parameter(
        "funding.relocation_loss",
        0.8,
        0.0,
        1.0,
        "share of the flow lost while relocating",
        "Funding almost completely stopped while the finance moved.",
    ),
    Parameter(
        "funding.fragmentation_rate",
        0.15,
        0.0,
        0.6,
        "per month at full interdiction",
        "The group replaced large transfers with many small ones within months.",
    ),
    Parameter(
        "funding.fragmentation_evasion",
        0.6,
        0.0,
        1.0,
        "share of the host's superficial checks evaded at full fragmentation",
        "Small transfers that pass as ordinary remittances blunted the host's monitoring; "
        "deeper checks (counterterrorism.monitoring_depth) see through more of them.",
    ),
    Parameter(
        "funding.crackdown_follow",
        0.03,
        0.0,
        0.3,
        "per month toward the crackdown the channel met at its earlier hubs",
        "Assumption: investigators of the old hub share leads with the new one, slowly; "
        "0 leaves the new hub untouched.",
    ),
    Parameter(
        "funding.fragmentation_cost",
        0.3,
        0.0,
        0.8,
        "share of volume lost at full fragmentation",
        "Many small transfers cost fees and delay; funding stayed low after 2023.",
    ),
)


def step(state: State, p: Params, rng: np.random.Generator, model: Model) -> None:
    n = state.n
    if not model.channel_names:
        state.income[:] = 0.0
        return
    rows = np.arange(n)[:, None]
    cols = np.arange(len(model.channel_names))[None, :]
    hub = model.channel_hubs[cols, state.channel_hub]  # (n, C) index into hubs
    crackdown = state.hub_crackdown[rows, hub]
    frag = state.fragmentation
    depth = p["counterterrorism.monitoring_depth"]
    evade = 1.0 - (p["funding.fragmentation_evasion"] * (1.0 - depth))[:, None] * frag
    hub_loss = p["funding.hub_interdiction"][:, None] * crackdown
    host_check = (
        state.monitoring * p["counterterrorism.monitoring_depth"] * coordination(state, p)
    )[:, None] * evade
    sent = (
        p["funding.base_transfer"]
        * p["funding.transfer_scale"]
        * state.sponsor_resources
        * state.visibility ** p["funding.visibility_elasticity"]
    )[:, None] * model.channel_share[None, :]
    arrived = (
        sent
        * (1.0 - hub_loss)
        * (1.0 - host_check)
        * (1.0 - p["funding.fragmentation_cost"][:, None] * frag)
        * (1.0 - p["funding.relocation_loss"][:, None] * state.relocating)
    )
    state.income[:] = arrived.sum(axis=1)
    state.treasury += state.income

    # Relocation: finish with probability 1/lag a month, start once the hub is too hot.
    default_lag = p["funding.relocation_lag"][:, None]
    lag = np.where(np.isnan(model.channel_lag), default_lag, model.channel_lag)
    done = state.relocating & (rng.random(arrived.shape) < 1.0 / lag)
    state.channel_hub += done
    state.relocating &= ~done
    can_move = state.channel_hub + 1 < model.channel_n_hubs[None, :]
    start = (
        ~state.relocating
        & ~done
        & can_move
        & (crackdown > p["funding.relocation_threshold"][:, None])
    )
    state.relocating |= start

    pressure = np.minimum(hub_loss + host_check, 1.0)
    frag += p["funding.fragmentation_rate"][:, None] * pressure * (1.0 - frag)
    clip01(frag)
    _follow_the_money(state, p, model, rows, cols)


def _follow_the_money(state, p, model, rows, cols) -> None:
    """The crackdown at each channel's current hub rises toward the highest crackdown at
    the hubs the channel has left."""
    hub = model.channel_hubs[cols, state.channel_hub]
    crackdown = state.hub_crackdown[rows, hub]
    earlier = np.arange(model.channel_hubs.shape[1]) < state.channel_hub[:, :, None]
    met = np.where(earlier, state.hub_crackdown[:, model.channel_hubs], 0.0).max(axis=2)
    gap = np.maximum(met - crackdown, 0.0)
    state.hub_crackdown[rows, hub] = crackdown + p["funding.crackdown_follow"][:, None] * gap


PROCESS = Process(
    "funding",
    "Sponsor transfers through hubs: crackdowns, relocation, fragmentation.",
    PARAMETERS,
    step,
)
