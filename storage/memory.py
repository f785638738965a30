"""An in-memory :class:`storage.ports.RolloutStore` with the SQL store's semantics.

For fast tests of the command core (cosmicpython's FakeRepository); the shared contract test
(tests/storage/test_store_contract.py) holds it to the same behaviour as SQLite and PostgreSQL.
A command's writes are checked first and applied after, so they are all or nothing here too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from rollout.graph import PlanGraph
from rollout.model import SYSTEM_WIDE, Municipality, TaskKey, TaskState
from rollout.status import Rollout
from storage.ports import (
    Change,
    ChangeOutcome,
    ChangeResult,
    CommandRecord,
    Conflict,
    DecisionRequest,
    GateDecision,
    MoveRequest,
    RecordedCommand,
    RecordOutcome,
    RecordResult,
    RosterChange,
    TaskChange,
    TaskEvent,
    UndoOutcome,
    UndoResult,
    WaveMove,
)
from storage.recording import DecidedMeanwhile, check_standing
from storage.snapshots import fresh_rollout
from storage.undoing import UNDO_REASON, WITHDRAWN, Later, latest_standing

__all__ = ["MemoryRolloutStore"]


class MemoryRolloutStore:
    """Rollout storage in plain lists and dicts; nothing survives the process."""

    def __init__(self) -> None:
        self._municipalities: dict[int, Municipality] = {}
        self._states: dict[TaskKey, TaskState] = {}
        self._events: list[TaskEvent] = []
        self._moves: list[WaveMove] = []
        self._roster: list[RosterChange] = []
        self._decisions: list[GateDecision] = []
        self._commands: list[tuple[CommandRecord, str | None]] = []  # with what each undoes

    # -- reads -------------------------------------------------------------------------------

    def snapshot(self, graph: PlanGraph) -> Rollout:
        """The rollout as recorded now (built afresh: nothing here is costly to read)."""
        return fresh_rollout(self, graph)

    def municipalities(self) -> dict[int, Municipality]:
        return dict(self._municipalities)

    def task_states(self, municipalities: Iterable[int] | None = None) -> dict[TaskKey, TaskState]:
        if municipalities is None:
            return dict(self._states)
        codes = {*municipalities, SYSTEM_WIDE}
        return {k: v for k, v in self._states.items() if k.municipality in codes}

    def events(
        self, *, municipality: int | None = None, wave: str | None = None, limit: int = 20
    ) -> list[TaskEvent]:
        found = [
            e
            for e in reversed(self._events)
            if municipality is None
            or e.key.municipality == municipality
            or (e.key.municipality == SYSTEM_WIDE and e.key.connection in ("", wave or ""))
        ]
        return found[:limit]

    def states_on(
        self, end: datetime, municipalities: Collection[int] | None = None
    ) -> dict[TaskKey, TaskState]:
        codes = None if municipalities is None else {*municipalities, SYSTEM_WIDE}
        states: dict[TaskKey, TaskState] = {}
        for event in self._events:  # oldest first
            if event.at < end and (codes is None or event.key.municipality in codes):
                states[event.key] = event.new
        return states

    def wave_moves(self, municipality: int | None = None) -> list[WaveMove]:
        return [m for m in self._moves if municipality in (None, m.municipality)]

    def roster_changes(self, municipality: int) -> list[RosterChange]:
        return [r for r in self._roster if r.municipality == municipality]

    def gate_decisions(self, *, wave: str | None = None, gate: str | None = None) -> list[GateDecision]:
        return [d for d in self._decisions if wave in (None, d.wave) and gate in (None, d.gate)]

    # -- roster --------------------------------------------------------------------------------

    def save_municipalities(self, municipalities: Iterable[Municipality], *, change: Change) -> int:
        changed = 0
        for m in municipalities:
            old = self._municipalities.get(m.code)
            if old == m:
                continue
            if old is not None:
                for name in (
                    "name",
                    "slug",
                    "region",
                    "bookkeeping_supplier",
                    "debtor_supplier",
                    "connections",
                ):
                    before, after = getattr(old, name), getattr(m, name)
                    if before != after:
                        if name == "connections":
                            before, after = ",".join(before), ",".join(after)
                        self._roster.append(
                            RosterChange(m.code, name, before, after, change.actor, change.source, change.at)
                        )
            if old is None or old.wave != m.wave:
                self._moves.append(
                    WaveMove(
                        m.code,
                        old.wave if old else None,
                        m.wave,
                        "roster import",
                        change.actor,
                        change.source,
                        change.at,
                        None,
                        len(self._moves) + 1,
                    )
                )
            self._municipalities[m.code] = m
            changed += 1
        return changed

    # -- one command ---------------------------------------------------------------------------

    def record(
        self,
        command: CommandRecord,
        *,
        tasks: Sequence[TaskChange] = (),
        moves: Sequence[MoveRequest] = (),
        decisions: Sequence[DecisionRequest] = (),
    ) -> RecordResult:
        keys = [task.key for task in tasks]
        if len(set(keys)) != len(keys):
            raise ValueError("a command changes each task once")
        for code in [*(m.municipality for m in moves), *(d.municipality for d in decisions)]:
            if code not in self._municipalities:
                raise KeyError(code)
        for code, wave in [
            *((d.municipality, d.wave) for d in decisions),
            *((m.municipality, m.expected_wave) for m in moves),
        ]:
            if self._municipalities[code].wave != wave:
                last = self.wave_moves(code)[-1]
                return RecordResult(
                    RecordOutcome.CONFLICT,
                    conflict=Conflict(last.actor, last.source, last.at, municipality=code),
                )
        for d in decisions:
            try:
                check_standing(
                    [
                        x
                        for x in self._decisions
                        if (x.gate, x.wave, x.municipality) == (d.gate, d.wave, d.municipality)
                    ],
                    d,
                )
            except DecidedMeanwhile as meanwhile:
                latest = meanwhile.latest
                return RecordResult(
                    RecordOutcome.CONFLICT,
                    conflict=Conflict(
                        latest.actor, latest.source, latest.at, municipality=d.municipality, gate=d.gate
                    ),
                )
        befores = [self._states.get(task.key, task.default) for task in tasks]
        for before, task in zip(befores, tasks, strict=True):
            if task.expected is not None and before != task.expected:
                event = next(e for e in reversed(self._events) if e.key == task.key)
                return RecordResult(
                    RecordOutcome.CONFLICT,
                    conflict=Conflict(event.actor, event.source, event.at, key=task.key),
                )
        wanted = [m for m in moves if self._municipalities[m.municipality].wave != m.to_wave]
        if (
            not wanted
            and not decisions
            and all(b == task.new for b, task in zip(befores, tasks, strict=True))
        ):
            return RecordResult(
                RecordOutcome.NOTHING, tuple(ChangeResult(ChangeOutcome.UNCHANGED, b) for b in befores)
            )
        results = []
        for before, task in zip(befores, tasks, strict=True):
            if before == task.new:
                results.append(ChangeResult(ChangeOutcome.UNCHANGED, before))
            else:
                event = self._set(task.key, before, task.new, command)
                results.append(ChangeResult(ChangeOutcome.CHANGED, before, event))
        moved = [self._move(m.municipality, m.to_wave, m.reason, command) for m in wanted]
        decided = [self._decide(d, command) for d in decisions]
        self._commands.append((command, None))
        return RecordResult(RecordOutcome.RECORDED, tuple(results), tuple(moved), tuple(decided))

    def _set(
        self,
        key: TaskKey,
        old: TaskState,
        new: TaskState,
        command: CommandRecord,
        compensates: int | None = None,
    ) -> TaskEvent:
        change = command.change
        event = TaskEvent(
            len(self._events) + 1,
            key,
            old,
            new,
            change.actor,
            change.source,
            change.at,
            compensates,
            command.id,
        )
        self._states[key] = new
        self._events.append(event)
        return event

    def _move(self, code: int, to_wave: str, reason: str, command: CommandRecord) -> WaveMove:
        change = command.change
        move = WaveMove(
            code,
            self._municipalities[code].wave,
            to_wave,
            reason,
            change.actor,
            change.source,
            change.at,
            command.id,
            len(self._moves) + 1,
        )
        self._municipalities[code] = replace(self._municipalities[code], wave=to_wave)
        self._moves.append(move)
        return move

    def _decide(self, d: DecisionRequest, command: CommandRecord) -> GateDecision:
        change = command.change
        decision = GateDecision(
            d.gate,
            d.wave,
            d.municipality,
            d.decision,
            d.note,
            change.actor,
            change.source,
            change.at,
            command.id,
            len(self._decisions) + 1,
            d.supersedes,
            d.missing,
        )
        self._decisions.append(decision)
        return decision

    # -- undo ----------------------------------------------------------------------------------

    def command_recorded(self, command_id: str) -> bool:
        return any(command.id == command_id for command, _ in self._commands)

    def last_command(self, actor: str) -> RecordedCommand | None:
        undone = {undoes for _, undoes in self._commands if undoes}
        for command, undoes in reversed(self._commands):
            if command.change.actor == actor and undoes is None and command.id not in undone:
                return self._recorded(command)
        return None

    def _recorded(self, command: CommandRecord) -> RecordedCommand:
        change = command.change
        return RecordedCommand(
            command.id,
            command.verb,
            change.actor,
            change.source,
            change.at,
            tuple(e for e in self._events if e.command_id == command.id),
            tuple(m for m in self._moves if m.command_id == command.id),
            tuple(d for d in self._decisions if d.command_id == command.id),
        )

    def _later(self, target: RecordedCommand) -> list[Later]:
        by_key = {e.key: e.id for e in target.events}
        by_code = {m.municipality: m.id for m in target.moves}
        by_gate = {(d.gate, d.wave, d.municipality): d.id for d in target.decisions}
        return [
            *(
                (Conflict(e.actor, e.source, e.at, key=e.key), e.command_id)
                for e in self._events
                if e.key in by_key and e.id > by_key[e.key]
            ),
            *(
                (Conflict(m.actor, m.source, m.at, municipality=m.municipality), m.command_id)
                for m in self._moves
                if m.municipality in by_code and m.id > by_code[m.municipality]
            ),
            *(
                (Conflict(d.actor, d.source, d.at, municipality=d.municipality, gate=d.gate), d.command_id)
                for d in self._decisions
                if by_gate.get((d.gate, d.wave, d.municipality), d.id) < d.id
            ),
        ]

    def undo(self, target: RecordedCommand, command: CommandRecord) -> UndoResult:
        if any(undoes == target.id for _, undoes in self._commands):
            return UndoResult(UndoOutcome.ALREADY_UNDONE)
        void = {c.id for c, undoes in self._commands if undoes} | {
            undoes for _, undoes in self._commands if undoes
        }
        conflict = latest_standing(self._later(target), void)
        if conflict is not None:
            return UndoResult(UndoOutcome.CONFLICT, conflict=conflict)
        for e in reversed(target.events):
            self._set(e.key, e.new, e.old, command, compensates=e.id)
        for d in reversed(target.decisions):
            self._decide(
                DecisionRequest(d.gate, d.wave, d.municipality, WITHDRAWN, UNDO_REASON, d.id), command
            )
        for m in reversed(target.moves):
            self._move(m.municipality, m.from_wave or m.to_wave, UNDO_REASON, command)
        self._commands.append((command, target.id))
        return UndoResult(UndoOutcome.UNDONE, undo=self._recorded(command))
