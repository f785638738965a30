"""Derived status of a rollout: what is ready, what waits on what, what is late, what is stuck.

A :class:`Rollout` is a snapshot (plan graph, municipalities, recorded task states); every answer
is computed from it and a date passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import TypeVar, cast

from rollout.graph import Deadline, PlanGraph
from rollout.model import FINISHED, SYSTEM_WIDE, Municipality, Status, TaskKey, TaskState
from rollout.plan import WAVE_SCOPES, TaskDef
from rollout.shared_boxes import Derived, SharedBoxes

__all__ = [
    "DUE_SOON_WORKING_DAYS",
    "Counts",
    "Derived",
    "Part",
    "Rollout",
    "StuckRoot",
    "TaskTally",
    "TaskView",
    "tally_by_task",
]

DUE_SOON_WORKING_DAYS = 5
_A = TypeVar("_A")


@dataclass(frozen=True, slots=True)
class TaskView:
    """One task instance with everything a reply shows about it.

    What every answer asks of many views (ready, finished, late, ...) is worked out once, when
    the view is made: a wave-wide answer reads it tens of thousands of times.
    """

    key: TaskKey
    task: TaskDef
    municipality: Municipality | None
    state: TaskState
    deadline: Deadline | None
    waits_on: tuple[TaskKey, ...]
    working_days_left: int | None
    via: Derived | None = None  # the state follows another task (joint box, alternative)
    alternatives: tuple[TaskKey, ...] = ()  # instances of which one suffices instead of this
    opens: Deadline | None = None  # a gate still ahead that the task may not start before
    # open, nothing it waits on is open, and no gate ahead keeps it from starting
    ready: bool = field(init=False, repr=False, compare=False)
    # done or not applicable
    finished: bool = field(init=False, repr=False, compare=False)
    # the deadline has passed and the task is not finished (it may still wait on others)
    past_due: bool = field(init=False, repr=False, compare=False)
    # open, but some task it waits on is not finished yet
    waiting: bool = field(init=False, repr=False, compare=False)
    # late: past its deadline though nothing it waits on is open. A task that still waits is
    # never late itself; the open task it waits on is (its deadline is earlier).
    overdue: bool = field(init=False, repr=False, compare=False)
    due_soon: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        status = self.state.status
        finished = status in FINISHED
        left = self.working_days_left
        past_due = not finished and left is not None and self.deadline is not None and left < 0
        overdue = past_due and not self.waits_on
        ready = status in (Status.TODO, Status.IN_PROGRESS) and not self.waits_on and self.opens is None
        due_soon = not finished and not overdue and left is not None and left <= DUE_SOON_WORKING_DAYS
        set_ = object.__setattr__
        set_(self, "ready", ready)
        set_(self, "finished", finished)
        set_(self, "past_due", past_due)
        set_(self, "waiting", not finished and bool(self.waits_on))
        set_(self, "overdue", overdue)
        set_(self, "due_soon", due_soon)

    def urgency(self) -> tuple[int, date, str, int]:
        """Sort key: overdue first, then by deadline, then by code and municipality."""
        day = self.deadline.day if self.deadline else date.max
        return (0 if self.overdue else 1, day, self.key.ref, self.key.municipality)


@dataclass(frozen=True)
class Counts:
    """How far a set of task instances has come: the one counting rule for every view."""

    total: int = 0
    done: int = 0  # finished: done or not applicable
    ready: int = 0
    late: int = 0  # could be done, and past its deadline
    blocked: int = 0

    @classmethod
    def of(cls, views: Iterable[TaskView]) -> Counts:
        """Alternatives (one of them suffices) count once, as their most advanced member."""
        total = done = ready = late = blocked = 0
        for v in _one_per_alternative_group(views):
            total += 1
            done += v.finished
            ready += v.ready
            late += v.overdue
            blocked += v.state.status == Status.BLOCKED
        return cls(total, done, ready, late, blocked)

    def __add__(self, other: Counts) -> Counts:
        """Two disjoint sets of instances counted together."""
        return Counts(
            self.total + other.total,
            self.done + other.done,
            self.ready + other.ready,
            self.late + other.late,
            self.blocked + other.blocked,
        )


def _progress(view: TaskView) -> tuple[bool, bool, bool, bool]:
    """Which member stands for a group of alternatives: a done one, else an open one (the
    readiest), else one not applicable. One marked not applicable does not settle the group:
    it only says that way is not taken."""
    return (view.state.status == Status.DONE, not view.finished, view.ready, not view.overdue)


def _one_per_alternative_group(views: Iterable[TaskView]) -> list[TaskView]:
    """The views with each group of alternatives replaced by its most advanced member."""
    best: dict[frozenset[TaskKey], TaskView] = {}
    out: list[TaskView | frozenset[TaskKey]] = []
    for view in views:
        if not view.alternatives:
            out.append(view)
            continue
        group = frozenset((view.key, *view.alternatives))
        if group not in best:
            out.append(group)
            best[group] = view
        elif _progress(view) > _progress(best[group]):
            best[group] = view
    return [best[item] if isinstance(item, frozenset) else item for item in out]


@dataclass(frozen=True, slots=True)
class TaskTally:
    """One plan task's instances among those of an answer: how far they are (:class:`Counts`),
    the late ones and the first, both in the order the instances come in."""

    first: TaskView
    counts: Counts
    late: tuple[TaskKey, ...]  # every overdue instance (alternatives not merged, as listed)


def tally_by_task(views: Iterable[TaskView]) -> dict[str, TaskTally]:
    """:class:`TaskTally` of each task among ``views``, in the order the tasks first come."""
    by_ref: dict[str, list[TaskView]] = {}
    for view in views:
        group = by_ref.get(view.key.ref)
        if group is None:
            by_ref[view.key.ref] = [view]
        else:
            group.append(view)
    return {
        ref: TaskTally(group[0], Counts.of(group), tuple(v.key for v in group if v.overdue))
        for ref, group in by_ref.items()
    }


def _merged_tallies(parts: Sequence[Mapping[str, TaskTally]]) -> dict[str, TaskTally]:
    """The tallies of disjoint sets of instances, taken in order, as one: alternatives are
    always of one municipality and connection, so a task's counts over several are the sum."""
    if len(parts) == 1:
        return dict(parts[0])
    # plain lists while summing: one Counts per task at the end, not one per part and task
    sums: dict[str, list[int]] = {}
    late: dict[str, list[TaskKey]] = {}
    first: dict[str, TaskView] = {}
    for part in parts:
        for ref, tally in part.items():
            c = tally.counts
            found = sums.get(ref)
            if found is None:
                sums[ref] = [c.total, c.done, c.ready, c.late, c.blocked]
                late[ref] = list(tally.late)
                first[ref] = tally.first
            else:
                found[0] += c.total
                found[1] += c.done
                found[2] += c.ready
                found[3] += c.late
                found[4] += c.blocked
                if tally.late:
                    late[ref].extend(tally.late)
    return {ref: TaskTally(first[ref], Counts(*n), tuple(late[ref])) for ref, n in sums.items()}


@dataclass(eq=False, slots=True)
class _Own:
    """What wave-wide answers derive from one municipality's own instances on one day, each
    worked out when first asked (see :meth:`Rollout.next_in`, :meth:`Rollout.stuck_in`)."""

    ready: tuple[tuple[tuple[int, date, str, int], TaskView], ...] | None = None  # most urgent first
    roots: tuple[tuple[TaskKey, TaskView], ...] | None = None


def _ranked(views: Iterable[TaskView]) -> list[tuple[tuple[int, date, str, int], TaskView]]:
    """The views most urgent first (a stable sort), each with its :meth:`TaskView.urgency`."""
    ranked = [(v.urgency(), v) for v in views]
    ranked.sort(key=itemgetter(0))
    return ranked


# The instances of an answer, in order: a municipality stands for its own instances
# (``task_keys([m], include_system=False)``), whose derived answers the snapshot keeps.
Part = Municipality | Sequence[TaskKey]


@dataclass(frozen=True)
class StuckRoot:
    """A blocked or overdue task that holds up others."""

    view: TaskView
    holds: tuple[TaskKey, ...]  # unfinished instances that wait on it, directly or further down


@dataclass(eq=False)
class _RosterMemo:
    """What a snapshot derives from the plan and the roster alone: the same for every snapshot
    of one roster, so snapshots that differ only in task states share it (and it grows as
    instances are asked about)."""

    predecessors: dict[TaskKey, list[TaskKey]] = field(default_factory=dict)
    successors: dict[TaskKey, list[TaskKey]] = field(default_factory=dict)
    deadlines: dict[TaskKey, Deadline | None] = field(default_factory=dict)
    keys: dict[Municipality, tuple[TaskKey, ...]] = field(default_factory=dict)
    system_keys: tuple[TaskKey, ...] | None = None
    waves: frozenset[str] | None = None


_KEPT_DAYS = 3  # views of this many most recent days survive a change of state
_TALLY_RUN = 32  # municipalities named in a row whose tallies are kept summed (tallies_in)


@dataclass
class Rollout:
    """A snapshot of the rollout at one moment."""

    graph: PlanGraph
    municipalities: Mapping[int, Municipality]
    states: Mapping[TaskKey, TaskState]
    # per wave, the municipalities a KP-3 no-go moved out of it (they owe its roll-back tasks)
    moved_out: Mapping[str, frozenset[int]] = field(default_factory=dict)
    stopped: frozenset[int] = frozenset()  # under "Stop aktivitet" (KP-4): no reminders
    _views: dict[date, dict[TaskKey, TaskView]] = field(default_factory=dict, repr=False)
    _waits: dict[TaskKey, tuple[TaskKey, ...]] = field(default_factory=dict, repr=False)
    # per day, each municipality's own counts (:meth:`counts` of it alone)
    _counts: dict[date, dict[int, Counts]] = field(default_factory=dict, repr=False)
    # answers about one municipality (e.g. its readiness for a gate), by municipality code: they
    # read its own instances and those done once for everyone (see :meth:`kept`)
    _answers: dict[int, dict[Hashable, object]] = field(default_factory=dict, repr=False)
    # per day, what wave-wide answers derive from each municipality's own instances (ready,
    # stuck): kept as ``_answers`` is, so an answer over a wave reads one entry per
    # municipality instead of every instance again
    _own: dict[date, dict[int, _Own]] = field(default_factory=dict, repr=False)
    # per day, the summed tallies of stretches of municipalities, by their codes (tallies_in)
    _runs: dict[date, dict[tuple[int, ...], dict[str, TaskTally]]] = field(default_factory=dict, repr=False)
    _held: dict[TaskKey, tuple[TaskKey, ...]] = field(default_factory=dict, repr=False)  # see held_by
    _roster: _RosterMemo = field(default_factory=_RosterMemo, repr=False)
    _boxes: SharedBoxes | None = field(default=None, repr=False)

    def advanced(
        self,
        states: Mapping[TaskKey, TaskState],
        changed: Iterable[TaskKey],
        *,
        moved_out: Mapping[str, frozenset[int]] | None = None,
        stopped: frozenset[int] | None = None,
    ) -> Rollout:
        """The same roster with new recorded ``states``, where only the instances in ``changed``
        may have a recorded state other than in this snapshot. What follows from the plan and
        the roster is shared, and every view the changes cannot touch is kept; the answers are
        those of a new snapshot of the same data. Decisions (``moved_out``, ``stopped``) change
        no view; they are replaced when given."""
        stale = self.affected(changed)
        views: dict[date, dict[TaskKey, TaskView]] = {}
        for day in sorted(self._views)[-_KEPT_DAYS:]:
            kept = dict(self._views[day])
            for key in stale:
                kept.pop(key, None)
            views[day] = kept
        waits = dict(self._waits)
        for key in stale:
            waits.pop(key, None)
        touched = {key.municipality for key in stale}
        # (each dict is copied whole first: other threads may be adding to it meanwhile)
        counts = {
            day: {code: c for code, c in dict(self._counts[day]).items() if code not in touched}
            for day in sorted(self._counts)[-_KEPT_DAYS:]
        }
        # a task done once for everyone (or once per wave) reaches every municipality's answers
        answers = {} if SYSTEM_WIDE in touched else dict(self._answers)
        for code in touched:
            answers.pop(code, None)
        # the same rule: what is stuck walks up into the tasks done once for everyone
        own: dict[date, dict[int, _Own]] = {}
        runs: dict[date, dict[tuple[int, ...], dict[str, TaskTally]]] = {}
        if SYSTEM_WIDE not in touched:
            for day in sorted(self._own)[-_KEPT_DAYS:]:
                own[day] = {code: o for code, o in dict(self._own[day]).items() if code not in touched}
            for day in sorted(self._runs)[-_KEPT_DAYS:]:
                runs[day] = {
                    codes: sums for codes, sums in dict(self._runs[day]).items() if touched.isdisjoint(codes)
                }
        return Rollout(
            self.graph,
            self.municipalities,
            states,
            self.moved_out if moved_out is None else moved_out,
            self.stopped if stopped is None else stopped,
            _views=views,
            _waits=waits,
            _counts=counts,
            _answers=answers,
            _own=own,
            _runs=runs,
            _roster=self._roster,
            _boxes=self._boxes,
        )

    def affected(self, changed: Iterable[TaskKey]) -> set[TaskKey]:
        """The instances whose view may differ when the recorded states of ``changed`` do: each
        of them, the instances whose state follows them (joint boxes, alternatives), and the
        instances that wait on any of those."""
        readers: set[TaskKey] = set()
        for key in changed:
            readers.update(self.boxes.related(key))
        stale = set(readers)
        # Who waits on a reader, from the plan: no inverse index is kept (at 10x it was 7 MB
        # of every process's snapshot for a look-up made only when something changed). The
        # plan's successors are a superset: a task done once for everyone that follows a
        # municipality's task does not wait on it (it would drop every municipality's kept
        # answers), so it is stale only if it does.
        for key in readers:
            mine = key.municipality != SYSTEM_WIDE
            stale.update(
                s
                for s in self.successors(key)
                if not mine or s.municipality != SYSTEM_WIDE or key in self.predecessors(s)
            )
        return stale

    @property
    def boxes(self) -> SharedBoxes:
        """Joint boxes and alternatives of the plan (built once per snapshot)."""
        if self._boxes is None:
            self._boxes = SharedBoxes.of(self.graph.plan)
        return self._boxes

    def kept(self, municipality: Municipality, question: Hashable, work: Callable[[], _A]) -> _A:
        """The answer to ``question`` about ``municipality``, worked out by ``work`` once per
        snapshot and kept by :meth:`advanced` until a change reaches one of the municipality's
        instances or one done once for everyone. ``work`` may read only those instances (and
        plan and roster); ``question`` names everything else it depends on (gate, day, ...)."""
        if self.municipalities.get(municipality.code) is not municipality:
            return work()  # another roster's copy: not this snapshot's to keep
        mine = self._answers.get(municipality.code)
        if mine is None:
            mine = self._answers.setdefault(municipality.code, {})
        if question in mine:
            return cast(_A, mine[question])
        found = mine[question] = work()
        return found

    def checked(
        self, municipality: Municipality, checks: tuple[frozenset[str], ...]
    ) -> tuple[tuple[int, tuple[TaskKey, ...]], ...]:
        """For each set of task refs in ``checks`` (a control question's tasks), how many of the
        municipality's own instances it names and which of them are unfinished, in instance
        order. Kept as :meth:`kept` keeps answers: a wave's control answers then add up one
        entry per municipality instead of reading every instance's state again."""
        return self.kept(municipality, ("checked", checks), lambda: self._checked(municipality, checks))

    def _checked(
        self, municipality: Municipality, checks: tuple[frozenset[str], ...]
    ) -> tuple[tuple[int, tuple[TaskKey, ...]], ...]:
        # one pass over the instances for every question, not one per question
        by_ref: dict[str, list[int]] = {}
        for index, refs in enumerate(checks):
            for ref in refs:
                by_ref.setdefault(ref, []).append(index)
        totals = [0] * len(checks)
        unfinished: list[list[TaskKey]] = [[] for _ in checks]
        for key in self.task_keys([municipality], include_system=False):
            indices = by_ref.get(key.ref)
            if indices is None:
                continue
            finished = self.state(key).status in FINISHED
            for index in indices:
                totals[index] += 1
                if not finished:
                    unfinished[index].append(key)
        return tuple((total, tuple(keys)) for total, keys in zip(totals, unfinished, strict=True))

    def state(self, key: TaskKey) -> TaskState:
        """The state that counts: the recorded one (or the plan's starting state), as derived
        for a joint box (one tick marks both codes) and alternatives (one done suffices)."""
        boxes = self.boxes
        if key.ref in boxes.shared:
            return boxes.state(key, self.recorded_state)
        return self.recorded_state(key)  # the common case, kept short: it is called a lot

    def derived(self, key: TaskKey) -> Derived | None:
        """Why the state of ``key`` follows another task, if it does."""
        return self.boxes.derived(key, self.recorded_state)

    def recorded_state(self, key: TaskKey) -> TaskState:
        """The state recorded for this very instance, or the plan's starting state."""
        stored = self.states.get(key)
        return stored if stored is not None else self.initial_state(key)

    def initial_state(self, key: TaskKey) -> TaskState:
        """The state a task has before anything is recorded for it."""
        reason = self.graph.task(key.ref).not_applicable
        return TaskState(Status.NOT_APPLICABLE, reason) if reason else TaskState(Status.TODO)

    def wave_of(self, key: TaskKey) -> str | None:
        """The wave whose dates apply: a runbook task's own wave, else the municipality's."""
        if self.graph.task(key.ref).scope in WAVE_SCOPES:
            return key.connection
        municipality = self.municipalities.get(key.municipality)
        return municipality.wave if municipality else None

    def deadline(self, key: TaskKey) -> Deadline | None:
        """The working deadline of the instance (memoised: it follows from plan and roster)."""
        deadlines = self._roster.deadlines
        if key in deadlines:
            return deadlines[key]
        if key.municipality == SYSTEM_WIDE and not key.connection:
            found = self._system_deadline(key)
        else:
            wave = self.wave_of(key)
            found = self.graph.deadline(key.ref, wave) if wave else None
        deadlines[key] = found
        return found

    def _system_deadline(self, key: TaskKey) -> Deadline | None:
        # A task done once for everyone is due by the earliest wave that needs it.
        waves = self._roster.waves
        if waves is None:
            waves = self._roster.waves = frozenset(m.wave for m in self.municipalities.values())
        found = [d for w in sorted(waves) if (d := self.graph.deadline(key.ref, w)) is not None]
        return min(found, key=lambda d: d.day) if found else None

    def predecessors(self, key: TaskKey) -> list[TaskKey]:
        """The instances ``key`` waits on (memoised: the roster of a snapshot never changes)."""
        memo = self._roster.predecessors
        found = memo.get(key)
        if found is None:
            found = memo[key] = self.graph.predecessors(key, self.municipalities)
        return found

    def waits_on(self, key: TaskKey) -> tuple[TaskKey, ...]:
        """The unfinished instances ``key`` waits on (memoised: a snapshot never changes)."""
        found = self._waits.get(key)
        if found is None:
            found = self._waits[key] = tuple(
                p for p in self.predecessors(key) if self.state(p).status not in FINISHED
            )
        return found

    def successors(self, key: TaskKey) -> list[TaskKey]:
        """The instances that wait on ``key`` (memoised: they follow from plan and roster)."""
        memo = self._roster.successors
        found = memo.get(key)
        if found is None:
            found = memo[key] = self.graph.successors(key, self.municipalities)
        return found

    def view(self, key: TaskKey, today: date) -> TaskView:
        """Everything about one instance on ``today`` (memoised: a snapshot never changes)."""
        on_day = self._views.get(today)
        if on_day is None:
            on_day = self._new_day(today)
        cached = on_day.get(key)
        if cached is None:
            cached = on_day[key] = self._view(key, today)
        return cached

    def _new_day(self, today: date) -> dict[TaskKey, TaskView]:
        """The views of a day not asked about before; a long-lived snapshot forgets old days."""
        on_day = self._views.setdefault(today, {})
        for day in sorted(self._views)[:-_KEPT_DAYS]:
            self._views.pop(day, None)
        return on_day

    def _view(self, key: TaskKey, today: date) -> TaskView:
        deadline = self.deadline(key)
        left = self.graph.calendar.working_days_between(today, deadline.day) if deadline else None
        wave = self.wave_of(key)
        opens = self.graph.opens(key.ref, wave) if wave else None
        return TaskView(
            key,
            self.graph.task(key.ref),
            self.municipalities.get(key.municipality),
            self.state(key),
            deadline,
            self.waits_on(key),
            left,
            self.derived(key),
            self.boxes.alternatives(key),
            opens if opens is not None and opens.day > today else None,
        )

    def task_keys(
        self, municipalities: Iterable[Municipality] | None = None, *, include_system: bool = True
    ) -> list[TaskKey]:
        chosen = self.municipalities.values() if municipalities is None else municipalities
        memo = self._roster.keys
        keys: list[TaskKey] = []
        if include_system:
            system = self._roster.system_keys
            if system is None:
                system = self._roster.system_keys = tuple(self.graph.system_instances())
            keys.extend(system)
        for m in chosen:
            own = memo.get(m)
            if own is None:
                own = memo[m] = tuple(self.graph.instances(m))
            keys.extend(own)
        return keys

    def wave_keys(self, waves: Iterable[str] | None = None) -> list[TaskKey]:
        """The runbook's instances of these waves (every wave when None): done once per wave,
        never counted as a municipality's own; with the roll-back tasks of the municipalities
        a no-go moved out of the wave."""
        chosen = list(self.graph.plan.waves) if waves is None else list(waves)
        return [
            k
            for w in chosen
            for k in (
                *self.graph.wave_instances(w),
                *self.graph.rollback_instances(w, self.moved_out.get(w, ())),
            )
        ]

    def wave_counts(self, wave: str, today: date) -> Counts:
        """The runbook's progress in one wave."""
        return Counts.of(self.views(self.wave_keys([wave]), today))

    def views(self, keys: Iterable[TaskKey], today: date) -> list[TaskView]:
        """:meth:`view` of each key (inlined: a wave-wide answer asks for tens of thousands)."""
        on_day = self._views.get(today)
        if on_day is None:
            on_day = self._new_day(today)
        found = on_day.get
        out = []
        for key in keys:
            view = found(key)
            if view is None:
                view = on_day[key] = self._view(key, today)
            out.append(view)
        return out

    def counts(self, municipalities: Iterable[Municipality], today: date) -> Counts:
        """The municipalities' own tasks (once per municipality and connection); a task done
        once for everyone is not theirs and is counted once, by :meth:`shared_counts`.

        Alternatives are always of one municipality, so the counts of several are the sum of
        each one's, which is kept per day until a change reaches the municipality."""
        chosen = list(municipalities)
        if len({m.code for m in chosen}) != len(chosen):
            return Counts.of(self.views(self.task_keys(chosen, include_system=False), today))
        on_day = self._counts.get(today)
        if on_day is None:
            on_day = self._counts.setdefault(today, {})
        if len(chosen) == 1:
            return self._own_counts(chosen[0], on_day, today)
        # plain sums: one Counts at the end, not one per municipality of a wave
        total = done = ready = late = blocked = 0
        for m in chosen:
            found = self._own_counts(m, on_day, today)
            total += found.total
            done += found.done
            ready += found.ready
            late += found.late
            blocked += found.blocked
        return Counts(total, done, ready, late, blocked)

    def _own_counts(self, municipality: Municipality, on_day: dict[int, Counts], today: date) -> Counts:
        found = on_day.get(municipality.code)
        if found is None:
            found = Counts.of(self.views(self.task_keys([municipality], include_system=False), today))
            if self.municipalities.get(municipality.code) is municipality:  # not another roster's copy
                on_day[municipality.code] = found
        return found

    def shared_counts(self, today: date) -> Counts:
        """The tasks done once for the whole system, each counted once."""
        return Counts.of(self.views(self.graph.system_instances(), today))

    # -- questions ------------------------------------------------------------------------

    def next_tasks(self, keys: Iterable[TaskKey], today: date) -> list[TaskView]:
        """Instances that can be worked on now (every predecessor finished), most urgent first."""
        return self.next_in([list(keys)], today)

    def next_in(self, parts: Sequence[Part], today: date) -> list[TaskView]:
        """:meth:`next_tasks` of the instances of ``parts``; a municipality's ready instances
        are kept between answers, sorted, until a change reaches them."""
        ranked: list[tuple[tuple[int, date, str, int], TaskView]] = []
        for part in self._parts(parts):
            if isinstance(part, Municipality):
                ranked += self._ready_of(part, today)
            else:
                ranked += _ranked(v for v in self.views(part, today) if v.ready)
        # A stable sort of runs sorted already (Timsort merges them) equals that of every
        # ready instance in the parts' order: ties stay in that order either way.
        ranked.sort(key=itemgetter(0))
        return [view for _, view in ranked]

    def stuck(self, keys: Iterable[TaskKey], today: date) -> list[StuckRoot]:
        """What holds the rollout up: blocked tasks, late tasks that could be done, and the
        open tasks that a late task is still waiting for (its root causes)."""
        return self.stuck_in([list(keys)], today)

    def stuck_in(self, parts: Sequence[Part], today: date) -> list[StuckRoot]:
        """:meth:`stuck` of the instances of ``parts``; a municipality's roots are kept between
        answers until a change reaches it or a task done once for everyone (its root causes
        may lie there)."""
        roots: dict[TaskKey, TaskView] = {}
        for part in self._parts(parts):
            found = (
                self._roots_of(part, today) if isinstance(part, Municipality) else self._roots(part, today)
            )
            for key, view in found:
                roots.setdefault(key, view)
        found_roots = [StuckRoot(view, self.held_by(view.key)) for view in roots.values()]
        return sorted(
            found_roots,
            key=lambda r: (r.view.state.status != Status.BLOCKED, -len(r.holds), r.view.urgency()),
        )

    def tallies_in(self, parts: Sequence[Part], today: date) -> dict[str, TaskTally]:
        """:func:`tally_by_task` of the instances of ``parts``, as of all of them at once. Where
        :data:`_TALLY_RUN` or more municipalities are named in a row (a wave), the sum of each
        stretch of that many is kept between answers until a change reaches one of them."""
        pieces: list[Mapping[str, TaskTally]] = []
        run: list[Municipality] = []
        for part in self._parts(parts):
            if isinstance(part, Municipality):
                run.append(part)
                continue
            pieces += self._run_tallies(run, today)
            run = []
            pieces.append(tally_by_task(self.views(part, today)))
        pieces += self._run_tallies(run, today)
        return _merged_tallies(pieces)

    def _run_tallies(self, run: list[Municipality], today: date) -> list[Mapping[str, TaskTally]]:
        """The tallies of municipalities named in a row: a short run's one by one, a long one's
        as kept sums of :data:`_TALLY_RUN` (a wave's answer adds up a few dozen, not one per
        municipality). Sums only: a tally per municipality and task would cost more memory
        than recounting the one stretch a change reaches."""
        if len(run) < _TALLY_RUN:
            return [tally_by_task(self._own_views(m, today)) for m in run]
        on_day = self._runs.get(today)
        if on_day is None:
            on_day = self._runs.setdefault(today, {})
            for day in sorted(self._runs)[:-_KEPT_DAYS]:
                self._runs.pop(day, None)
        out: list[Mapping[str, TaskTally]] = []
        for start in range(0, len(run), _TALLY_RUN):
            stretch = run[start : start + _TALLY_RUN]
            codes = tuple(m.code for m in stretch)
            found = on_day.get(codes)
            if found is None:
                found = on_day[codes] = _merged_tallies(
                    [tally_by_task(self._own_views(m, today)) for m in stretch]
                )
            out.append(found)
        return out

    def _parts(self, parts: Sequence[Part]) -> Sequence[Part]:
        """``parts`` as they can be kept: a municipality named twice (its instances twice) or
        of another roster is read as its keys."""
        named = [p.code for p in parts if isinstance(p, Municipality)]
        if len(set(named)) == len(named) and all(
            self.municipalities.get(p.code) is p for p in parts if isinstance(p, Municipality)
        ):
            return parts
        return [
            self.task_keys([p], include_system=False) if isinstance(p, Municipality) else p for p in parts
        ]

    def _own_of(self, municipality: Municipality, today: date) -> _Own:
        on_day = self._own.get(today)
        if on_day is None:
            on_day = self._own.setdefault(today, {})
            for day in sorted(self._own)[:-_KEPT_DAYS]:  # a long-lived snapshot forgets old days
                self._own.pop(day, None)
        found = on_day.get(municipality.code)
        if found is None:
            found = on_day.setdefault(municipality.code, _Own())
        return found

    def _own_views(self, municipality: Municipality, today: date) -> list[TaskView]:
        return self.views(self.task_keys([municipality], include_system=False), today)

    def _ready_of(
        self, municipality: Municipality, today: date
    ) -> tuple[tuple[tuple[int, date, str, int], TaskView], ...]:
        own = self._own_of(municipality, today)
        if own.ready is None:
            own.ready = tuple(_ranked(v for v in self._own_views(municipality, today) if v.ready))
        return own.ready

    def _roots_of(self, municipality: Municipality, today: date) -> tuple[tuple[TaskKey, TaskView], ...]:
        own = self._own_of(municipality, today)
        if own.roots is None:
            own.roots = self._roots(self.task_keys([municipality], include_system=False), today)
        return own.roots

    def _roots(self, keys: Iterable[TaskKey], today: date) -> tuple[tuple[TaskKey, TaskView], ...]:
        """The roots of what is stuck among ``keys``, in the order they are first found."""
        views = {v.key: v for v in self.views(keys, today)}
        roots: dict[TaskKey, TaskView] = {}
        for view in views.values():
            if view.finished:
                continue
            if view.state.status == Status.BLOCKED or (view.overdue and view.ready):
                roots[view.key] = view
            elif view.past_due:
                for cause in self._root_causes(view.key):
                    roots.setdefault(cause, views.get(cause) or self.view(cause, today))
        return tuple(roots.items())

    def _root_causes(self, key: TaskKey) -> set[TaskKey]:
        """The unfinished tasks upstream of ``key`` that wait on nothing unfinished themselves."""
        causes: set[TaskKey] = set()
        frontier, seen = list(self.waits_on(key)), set()
        while frontier:
            current = frontier.pop()
            if current in seen:
                continue
            seen.add(current)
            upstream = self.waits_on(current)
            if upstream and self.state(current).status != Status.BLOCKED:
                frontier.extend(upstream)
            else:
                causes.add(current)
        return causes

    def held_by(self, key: TaskKey) -> tuple[TaskKey, ...]:
        """Unfinished instances downstream of ``key`` (memoised for this snapshot only: any
        change downstream changes it, so :meth:`advanced` starts afresh)."""
        found = self._held.get(key)
        if found is None:
            found = self._held[key] = self._held_by(key)
        return found

    def _held_by(self, key: TaskKey) -> tuple[TaskKey, ...]:
        seen: set[TaskKey] = set()
        frontier = [key]
        while frontier:
            current = frontier.pop()
            for succ in self.successors(current):
                if succ not in seen and self.state(succ).status not in FINISHED:
                    seen.add(succ)
                    frontier.append(succ)
        return tuple(sorted(seen))

    def unblocked_by(self, key: TaskKey) -> list[TaskKey]:
        """Successors of ``key`` (and of the tasks whose state follows it) that are ready now
        that ``key`` is finished."""
        found: list[TaskKey] = []
        for source in (key, *self.boxes.followers(key)):
            found.extend(
                s
                for s in self.successors(source)
                if s not in found
                and self.state(s).status in (Status.TODO, Status.IN_PROGRESS)
                and not self.waits_on(s)
            )
        return found
