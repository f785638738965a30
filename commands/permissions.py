"""Who may change which task: checked in the core, so every platform and button obeys it."""

from __future__ import annotations

from collections.abc import Mapping

from commands.context import Actor
from rollout.model import SYSTEM_WIDE, Municipality, TaskKey
from rollout.plan import WAVE_SCOPES, Scope, TaskDef

__all__ = ["can_change", "covers_all", "in_scope"]

MUNICIPALITY_ROLE = "municipality"


def in_scope(actor: Actor, task: TaskDef, key: TaskKey, municipalities: Mapping[int, Municipality]) -> bool:
    """True when the task is one the actor works on (their ``next me`` list).

    A task done once for the whole system is listed for a role limited to some municipalities
    (they wait on it), but only :func:`can_change` decides whether they may change it.
    """
    municipality = municipalities.get(key.municipality)
    if municipality is not None and municipality.wave in actor.manages:
        return True
    if task.scope in WAVE_SCOPES and key.connection in actor.manages:
        return True  # a runbook task of a wave they manage (the wave sits in the key)
    if task.role == MUNICIPALITY_ROLE and key.municipality in actor.coordinates:
        return True
    if task.role in actor.roles:
        return (
            not actor.municipalities
            or key.municipality == SYSTEM_WIDE
            or key.municipality in actor.municipalities
        )
    return False


def covers_all(actor: Actor, task: TaskDef, municipalities: Mapping[int, Municipality]) -> bool:
    """True when the actor's rights cover every municipality a system-wide task is done for:
    the task's role not limited to some municipalities, or a manager of every wave."""
    if task.role in actor.roles and (not actor.municipalities or set(municipalities) <= actor.municipalities):
        return True
    waves = {m.wave for m in municipalities.values()}
    return bool(waves) and waves <= actor.manages


def can_change(actor: Actor, task: TaskDef, key: TaskKey, municipalities: Mapping[int, Municipality]) -> bool:
    """Admins change anything; others the tasks in their scope, and a task done once for the
    whole system only when their rights cover every municipality it is done for."""
    if actor.is_admin:
        return True
    if task.scope == Scope.WAVE:  # once for a wave: rights over every municipality of that wave
        wave = {code: m for code, m in municipalities.items() if m.wave == key.connection}
        return key.connection in actor.manages or covers_all(actor, task, wave)
    if key.municipality == SYSTEM_WIDE:
        return covers_all(actor, task, municipalities)
    return in_scope(actor, task, key, municipalities)
