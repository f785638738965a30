"""Tasks whose state follows another task: joint boxes and alternatives.

* A **joint box** (``joint_with``) is one box in the source printed with two codes, such as
  "(TS104/TS202) Gennemførelse af Produktionsverifikationstest": one tick marks both. The state
  of the pair is the state of whichever code is furthest along; the event stays on the code that
  was ticked, so history keeps exactly what was recorded.
* **Alternatives** (``alternative_to``) are ways of doing the same thing, such as subscribing to
  the sortiment or loading it by hand: once one of them is done, the others are not needed.
  Marking one not applicable only says that way is not used; the other is then required.

Nothing here writes: the states are derived from the recorded ones every time they are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from rollout.model import FINISHED, Status, TaskKey, TaskState
from rollout.plan import Plan

__all__ = ["Derived", "SharedBoxes"]

# How far along a state is: the state of a joint box is its most advanced code's.
_RANK = {Status.TODO: 0, Status.IN_PROGRESS: 1, Status.BLOCKED: 2, Status.NOT_APPLICABLE: 3, Status.DONE: 4}

Recorded = Callable[[TaskKey], TaskState]


@dataclass(frozen=True)
class Derived:
    """The state of an instance follows ``source``: its joint twin, or an alternative done."""

    kind: str  # "joint" | "alternative"
    source: TaskKey


def _closure(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Each ref with the other refs of its group (pairs joined transitively, both ways)."""
    groups: dict[str, set[str]] = {}
    for a, b in pairs:
        merged = groups.get(a, {a}) | groups.get(b, {b})
        for ref in merged:
            groups[ref] = merged
    return {ref: tuple(sorted(group - {ref})) for ref, group in groups.items()}


@dataclass(frozen=True)
class SharedBoxes:
    """The joint boxes and alternative groups of a plan, by namespaced ref."""

    twins: dict[str, tuple[str, ...]]
    alternative_refs: dict[str, tuple[str, ...]]
    shared: frozenset[str] = field(init=False)  # the refs whose state may follow another's

    def __post_init__(self) -> None:
        object.__setattr__(self, "shared", frozenset(self.twins) | frozenset(self.alternative_refs))

    @classmethod
    def of(cls, plan: Plan) -> SharedBoxes:
        joint, alternative = [], []
        for task in plan.tracked_tasks():
            if task.joint_with:
                joint.append((task.ref, f"{task.diagram}/{task.joint_with}"))
            if task.alternative_to:
                alternative.append((task.ref, f"{task.diagram}/{task.alternative_to}"))
        return cls(_closure(joint), _closure(alternative))

    def alternatives(self, key: TaskKey) -> tuple[TaskKey, ...]:
        """The instances of which one, done, makes ``key`` not needed."""
        return tuple(replace(key, ref=ref) for ref in self.alternative_refs.get(key.ref, ()))

    def related(self, key: TaskKey) -> tuple[TaskKey, ...]:
        """``key`` and every instance whose derived state may read its recorded state: the
        joint boxes and alternatives joined with it, transitively (a superset, never less)."""
        if key.ref not in self.shared:
            return (key,)
        seen = {key.ref}
        frontier = [key.ref]
        while frontier:
            ref = frontier.pop()
            for other in (*self.twins.get(ref, ()), *self.alternative_refs.get(ref, ())):
                if other not in seen:
                    seen.add(other)
                    frontier.append(other)
        return tuple(replace(key, ref=ref) for ref in sorted(seen))

    def followers(self, key: TaskKey) -> tuple[TaskKey, ...]:
        """The instances whose state may follow ``key``'s."""
        return tuple(replace(key, ref=ref) for ref in self.twins.get(key.ref, ())) + self.alternatives(key)

    def _joint(self, key: TaskKey, recorded: Recorded) -> tuple[TaskState, TaskKey]:
        best, source = recorded(key), key
        for ref in self.twins.get(key.ref, ()):
            twin = replace(key, ref=ref)
            other = recorded(twin)
            if _RANK[other.status] > _RANK[best.status]:
                best, source = other, twin
        return best, source

    def _alternative_done(self, key: TaskKey, recorded: Recorded) -> TaskKey | None:
        for other in self.alternatives(key):
            if self._joint(other, recorded)[0].status == Status.DONE:
                return other
        return None

    def state(self, key: TaskKey, recorded: Recorded) -> TaskState:
        """The state that counts for ``key``, given how to read a recorded state."""
        if key.ref not in self.shared:
            return recorded(key)
        joint, _ = self._joint(key, recorded)
        if joint.status not in FINISHED and self._alternative_done(key, recorded) is not None:
            return TaskState(Status.NOT_APPLICABLE)
        return joint

    def derived(self, key: TaskKey, recorded: Recorded) -> Derived | None:
        """Why the state of ``key`` is another task's, or None when it is its own."""
        if key.ref not in self.shared:
            return None
        joint, source = self._joint(key, recorded)
        if joint.status not in FINISHED:
            done = self._alternative_done(key, recorded)
            if done is not None:
                return Derived("alternative", done)
        return Derived("joint", source) if source != key else None
