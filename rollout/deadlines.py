"""Working deadlines that respect the dependency graph (a backward pass over the plan).

The source prints dates on milestones; some of them contradict the arrows (a task due after the
task that waits on it). A task's *working* deadline is the earliest of its own printed date and,
for every task that waits on it, that task's working deadline less that task's duration in
Danish working days. The printed date stays visible on the deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from rollout.calendar import WorkingCalendar
from rollout.plan import Confidence, Edge

__all__ = ["Deadline", "Inversion", "backward_pass", "inversions", "weakest"]

_RANK = {Confidence.STATED: 0, Confidence.LIKELY: 1, Confidence.GUESS: 2}


def weakest(*values: Confidence) -> Confidence:
    """The least certain of some confidences (a chain is as sure as its weakest link)."""
    return max(values, key=lambda c: _RANK[c])


@dataclass(frozen=True)
class Deadline:
    """When a task must be finished, where that date comes from, and how sure the plan is of it.

    ``milestone``/``label``/``diagram`` name the task's own dated item of the plan. When a task
    that waits on this one needs it earlier, ``needed_by`` names that task and ``needed_by_day``
    its deadline; ``printed`` then keeps the plan's own date for this task.
    """

    day: date
    milestone: str  # gate or milestone id, e.g. "KP-3"
    diagram: str  # the diagram whose date it is
    label: str  # human label, e.g. "KP-3 Go/no-go"
    fallback: bool = False  # True when the task's own diagram has no date for the wave
    confidence: Confidence = Confidence.STATED
    needed_by: str | None = None  # the ref of the waiting task that pulls this date earlier
    needed_by_day: date | None = None
    printed: date | None = None  # the plan's own date, kept when the graph moved it

    @property
    def moved(self) -> bool:
        """True when the graph moved the date away from the plan's own date."""
        return self.printed is not None and self.printed != self.day


@dataclass(frozen=True)
class Inversion:
    """An edge whose predecessor the plan dates after the task that waits on it."""

    wave: str
    edge: Edge
    before: Deadline  # the predecessor's printed deadline
    after: Deadline  # the successor's printed deadline


def backward_pass(
    order: Sequence[str],
    printed: Mapping[str, Deadline | None],
    successors: Callable[[str], Sequence[str]],
    edge: Callable[[str, str], Edge | None],
    duration: Callable[[str], int],
    calendar: WorkingCalendar,
) -> dict[str, Deadline | None]:
    """Working deadlines of one wave: ``order`` is topological, ``printed`` the plan's dates."""
    out: dict[str, Deadline | None] = {}
    for ref in reversed(order):
        best = printed.get(ref)
        for succ in successors(ref):
            needed = out.get(succ)
            if needed is None:
                continue
            # a date printed on a weekend (B's 2019-11-16) means the working day before it
            last = calendar.working_day_on_or_before(needed.day)
            day = calendar.add_working_days(last, -duration(succ))
            if best is not None and best.day <= day:
                continue
            link = edge(ref, succ)
            sure = weakest(needed.confidence, link.confidence if link else Confidence.GUESS)
            own = printed.get(ref)
            base = own if own is not None else needed
            best = replace(
                base,
                day=day,
                confidence=sure,
                needed_by=succ,
                needed_by_day=needed.day,
                printed=own.day if own else None,
            )
        out[ref] = best
    return out


def inversions(wave: str, edges: Sequence[Edge], printed: Mapping[str, Deadline | None]) -> list[Inversion]:
    """Edges of one wave whose predecessor is printed as due after its successor."""
    found = []
    for edge in edges:
        before, after = printed.get(edge.before), printed.get(edge.after)
        if before is not None and after is not None and before.day > after.day:
            found.append(Inversion(wave, edge, before, after))
    return found
