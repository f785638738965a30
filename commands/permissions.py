"""Who may change which task: checked in the core, so every platform and button obeys it."""

from __future__ import annotations

from collections.abc import Mapping

from commands.context import Actor
from rollout.model import SYSTEM_WIDE, Municipality, TaskKey
from rollout.plan import WAVE_SCOPES, TaskDef

__all__ = ["can_change", "in_scope"]

MUNICIPALITY_ROLE = "municipality"


def in_scope(actor: Actor, task: TaskDef, key: TaskKey,
             municipalities: Mapping[int, Municipality]) -> bool:
    """True when the task is one the actor works on (their ``next me`` list)."""
    municipality = municipalities.get(key.municipality)
    if municipality is not None and municipality.wave in actor.manages:
        return True
    if task.scope in WAVE_SCOPES and key.connection in actor.manages:
        return True  # a runbook task of a wave they manage (the wave sits in the key)
    if task.role == MUNICIPALITY_ROLE and key.municipality in actor.coordinates:
        return True
    if task.role in actor.roles:
        return (not actor.municipalities or key.municipality == SYSTEM_WIDE
                or key.municipality in actor.municipalities)
    return False


def can_change(actor: Actor, task: TaskDef, key: TaskKey,
               municipalities: Mapping[int, Municipality]) -> bool:
    """Admins change anything; others the tasks in their scope."""
    return actor.is_admin or in_scope(actor, task, key, municipalities)
