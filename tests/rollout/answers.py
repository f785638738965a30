"""Every derived answer a user reads from a snapshot, in one comparable value.

The incremental snapshot (kept and advanced) and a snapshot from scratch must give the same
value after every change: ready, waits-on, late, the longest remaining chain, gate readiness
per municipality and wave, counts, what is stuck.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rollout.gates import gate_date, gate_ids, readiness, wave_controls
from rollout.status import Part, Rollout

__all__ = ["answers", "wave_parts"]


def answers(rollout: Rollout, today: date) -> dict[str, Any]:
    """What the commands and the countdown show on ``today``, from ``rollout``."""
    keys = rollout.task_keys() + rollout.wave_keys()
    members = sorted(rollout.municipalities.values(), key=lambda m: m.code)
    out: dict[str, Any] = {
        "views": {k: rollout.view(k, today) for k in keys},
        "next": [v.key for v in rollout.next_tasks(keys, today)],
        "late": sorted(v.key for v in rollout.views(keys, today) if v.overdue),
        "stuck": [(r.view, r.holds) for r in rollout.stuck(keys, today)],
        "counts": {m.code: rollout.counts([m], today) for m in members},
        "shared": rollout.shared_counts(today),
        "waves": {w: rollout.wave_counts(w, today) for w in rollout.graph.plan.waves},
        "moved_out": dict(rollout.moved_out),
        "stopped": rollout.stopped,
    }
    gates: dict[tuple[str, str, int], Any] = {}
    controls: dict[tuple[str, str], Any] = {}
    for wave in rollout.graph.plan.waves:
        in_wave = [m for m in members if m.wave == wave]
        for gate_id in gate_ids(rollout):
            gate = gate_date(rollout, gate_id, wave)
            if gate is None:
                continue
            controls[(gate_id, wave)] = wave_controls(rollout, in_wave, gate=gate_id)
            for m in in_wave:
                found = readiness(rollout, m, gate, today)
                gates[(gate_id, wave, m.code)] = (
                    found.missing,
                    found.chain,
                    found.chain_days,
                    found.ready,
                    found.at_risk,
                )
    out["gates"] = gates
    out["controls"] = controls
    # every question at once, over every municipality, in the other language
    out["all controls"] = wave_controls(rollout, members, language="en")
    # the wave-wide answers, each municipality standing for its own instances (kept per
    # municipality by the snapshot), and each municipality's own
    out["wave parts"] = {
        wave: (
            [v.key for v in rollout.next_in(parts, today)],
            [(r.view, r.holds) for r in rollout.stuck_in(parts, today)],
            rollout.tallies_in(parts, today),
        )
        for wave, parts in wave_parts(rollout).items()
    }
    out["own tallies"] = {m.code: rollout.tallies_in([m], today) for m in members}
    out["all tallies"] = rollout.tallies_in(members, today)
    return out


def wave_parts(rollout: Rollout) -> dict[str, list[Part]]:
    """Per wave, its instances as `next WAVE` reads them: those done once for everyone, each
    member's own, the wave's runbook."""
    return {
        wave: [
            rollout.task_keys([]),
            *(m for m in rollout.municipalities.values() if m.wave == wave),
            rollout.wave_keys([wave]),
        ]
        for wave in rollout.graph.plan.waves
    }
