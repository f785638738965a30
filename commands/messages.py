"""Every user-facing string of the frame, in one catalogue, so a Danish one can follow.

Plan text (task titles, gate names) comes from the plan in Danish; this is the text around it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from commands.messages_da import DA

__all__ = ["CATALOGUES", "LANGUAGES", "has_text", "speaking", "t"]

EN: dict[str, str] = {
    # statuses, scopes, decisions, labels
    "status.todo": "to do",
    "status.in_progress": "in progress",
    "status.done": "done",
    "status.blocked": "blocked",
    "status.not_applicable": "not applicable",
    "status.ready": "ready",
    "scope.system": "once for the whole system",
    "scope.municipality": "once per municipality",
    "scope.connection": "per connection of a line-of-business system",
    "decision.go": "GO",
    "decision.no_go": "NO-GO",
    "label.all_municipalities": "all municipalities",
    "label.all_waves": "all waves",
    "label.wave": "wave {wave}",
    "label.you": "you",
    "label.reason": "reason",
    "label.note": "note",
    # buttons
    "button.done": "Done",
    "button.start": "Start",
    "button.block": "Block…",
    "button.undo": "Undo",
    "button.more": "Show {count} more",
    # deadlines
    "deadline.none": "no deadline in the plan",
    "deadline.plain": "due {day} ({milestone})",
    "deadline.left": "due {day} ({milestone}), {days} working days left",
    "deadline.late": "due {day} ({milestone}), {days} days late",
    "deadline.fallback": " [no date on {diagram}'s own page for this wave]",
    "detail.waits_on": "waits on {refs}",
    # next
    "next.headline": "{target}: {count} task(s) can start now",
    "next.late_suffix": ", {late} of them late",
    "next.none": "{target}: nothing can start right now.",
    "next.all_done": "Every task is done or not applicable.",
    "next.waiting": "{count} open task(s) wait on others: try `blocked` to see on what.",
    # blocked
    "blocked.headline": "{target}: {count} stuck task(s) holding up {held} other(s)",
    "blocked.none": "{target}: nothing is blocked or late.",
    "blocked.reason": "blocked: {reason}",
    "blocked.overdue": "late and ready to do",
    "blocked.holds": "holds up {count}: {refs}",
    # status
    "status.headline": "Status: {target}",
    "status.wave_line": "{wave}: {municipalities} municipalities, {done}/{total} tasks done, {late} late, {blocked} blocked; {gate}",
    "status.gate": "next gate {gate} on {day} ({days} working days)",
    "status.no_gate": "no gate ahead",
    "status.members_title": "Municipalities (most late first)",
    "status.member_line": "{name}: {done}/{total} done, {late} late, {blocked} blocked",
    "status.counts": "{done}/{total} tasks done, {ready} ready to start, {late} late, {blocked} blocked",
    "status.gate_readiness": "Next gate {gate} on {day} ({days} working days): {missing} task(s) missing, longest remaining chain {chain} working days{risk}",
    "status.at_risk": " — AT RISK",
    "status.open_by_diagram": "Open per diagram: {parts}",
    # show
    "show.headline_many": "{code} is in {count} diagrams",
    "show.title_en": "In English: {title}",
    "show.title_lost": "(title lost in the source)",
    "show.meta": "{integration} · owner: {owner} ({confidence}) · {scope} · {phase}",
    "show.optional": "optional",
    "show.klik": "[KLIK]",
    "show.control": "part of KSD's per-wave control",
    "show.not_applicable": "not in the diagram: {reason}",
    "show.state": "{where}: {state}{reason}; {deadline}",
    "show.deadlines": "Deadlines: {parts}",
    "show.waits_on": "Waits on: {parts} ({done} other predecessor(s) finished)",
    "show.all_finished": "Everything it waits on is finished ({count}).",
    "show.plan_waits_on": "Waits on: {parts}",
    "show.no_predecessors": "Waits on nothing.",
    "show.needed_by": "Needed by: {refs}",
    "show.notes": "Notes: {notes}",
    # gate
    "gate.headline": "{gate} for {wave} is on {day}: {days} days left ({working} working days)",
    "gate.passed": "{gate} for {wave} was on {day}, {days} days ago",
    "gate.no_date": "The plan gives no date for {gate} in wave {wave}.",
    "gate.summary": "{ready}/{total} municipalities ready, {not_ready} not ready, {at_risk} at risk",
    "gate.conflict": "The diagrams disagree on the date: {parts} (counting to the earliest)",
    "gate.not_ready_title": "Not ready (at risk first)",
    "gate.not_ready_line": "{name}: {count} missing ({missing}){risk}",
    "gate.risk": " — AT RISK: {chain} working days of work left in the longest chain",
    "gate.decisions_title": "Decisions recorded",
    "gate.controls_title": "Per-wave control (Kontrol per bølge)",
    "gate.control_line": "{mark} {id} {question} {done}/{total} done",
    "gate.decision_line": "{name}: {decision} by {actor} at {at}",
    # wave
    "wave.headline": "{count} wave(s)",
    "wave.gates": "Gates: {parts}",
    "wave.next_gate": "Next: {gate} on {day} ({days} working days)",
    "wave.members": "{count} municipalities: {names}",
    "wave.next_wave": "Not approved moves to: {wave}",
    "wave.reports": "Reports: {parts}",
    "wave.none": "no next wave",
    # history
    "history.headline": "History: {target}",
    "history.line": "{when} {actor} ({source}): {task} {old} → {new}{reason}{undo}",
    "history.undo": " (undo)",
    "history.none": "No changes recorded yet.",
    "history.roster_title": "Roster changes",
    "history.roster_line": "{when}: {field} {old} → {new} (by {actor}, {source})",
    "history.waves_title": "Waves",
    "history.move_line": "{when}: {old} → {new} ({reason}, by {actor})",
    # changes
    "change.headline": "{code} {title}: {count} change(s) recorded",
    "change.nothing": "{code}: nothing to change",
    "change.done": "{task}: {old} → {new}",
    "change.unchanged": "{task} is already {status}; nothing changed.",
    "change.out_of_order": "Note: it still waited on {refs}.",
    "change.unblocked": "Now ready ({count}):",
    "change.nothing_unblocked": "Nothing new became ready.",
    "undo.nothing": "You have no change to undo.",
    "undo.done": "Undone: {task} is back from {new} to {old}.",
    "undo.conflict": "Cannot undo {task}: it has changed since (now {now}). Nothing changed.",
    "move.same": "{name} is already in {wave}; nothing changed.",
    "move.done": "{name} moved from {old} to {new}.",
    "move.kept": "Its completed tasks and history are kept; the new wave's dates apply now.",
    "move.no_reason": "moved by an admin",
    "decide.recorded": "{gate} {wave}: {decision} recorded for {name}.",
    "decide.moved": "{name} is not approved and moves from {old} to {new}; completed tasks are kept.",
    "decide.move_reason": "no-go at {gate}: {note}",
    # help
    "help.headline": "SF1590 rollout bot: what you can ask",
    "help.footer": "Municipalities by name (Århus = Aarhus = aarhus) or code; task codes as TS213 or A/TS213.",
    "usage.help": "help [command]",
    "usage.next": "next [municipality|wave|role|me]",
    "usage.blocked": "blocked [municipality|wave|me]",
    "usage.status": "status [municipality|wave] [public]",
    "usage.show": "show CODE [municipality]",
    "usage.gate": "gate GATE [wave]",
    "usage.wave": "wave [name]",
    "usage.history": "history [municipality]",
    "usage.done": "done CODE [municipality…]",
    "usage.start": "start CODE [municipality…]",
    "usage.block": "block CODE [municipality] reason",
    "usage.skip": "skip CODE [municipality] reason",
    "usage.undo": "undo",
    "usage.move": "move MUNICIPALITY WAVE [reason]",
    "usage.decide": "decide GATE WAVE MUNICIPALITY go|no-go [note]",
    # console adapter
    "console.no_button": "There is no button {word}.",
    "console.buttons": "Buttons 1–{count} are shown in the last reply.",
    "console.no_buttons": "The last reply had no buttons.",
    "console.needs_reason": "{label} needs a reason: click {number} <reason>",
    "console.more": "… and {count} more",
    # reminders (the scheduler's messages)
    "notice.deadline": "{wave}: {count} task(s) due soon ({day})",
    "notice.deadline_footer": "Press Done when a task is finished; `next {wave}` shows what can start.",
    "notice.due_today": "Due today",
    "notice.due_in_one": "Due in 1 working day",
    "notice.due_in": "Due in {days} working days",
    "notice.overdue": "{wave}: {count} task(s) are late",
    "notice.overdue_footer": "`blocked {wave}` shows what holds them up. Reminded again in a week.",
    "notice.today": "today",
    "notice.in_days": "in {days} working day(s)",
    "notice.days_left": "{days} working day(s) left",
    "notice.report": "{wave}: {name} is due {when} ({day})",
    "notice.nothing": "Nothing to say about {item}.",
    "notice.lacks": "{name}: lacks {refs} (remaining chain {chain} working days){risk}",
    "notice.none": "none",
    "notice.ready": "Ready ({count})",
    "notice.not_ready": "Not ready ({count})",
    "notice.at_risk": "At risk ({count}): the remaining work does not fit",
    "notice.countdown": "{gate} for {wave} on {day}: {when}",
    "notice.countdown_footer": "`gate {gate} {wave}` for the full picture.",
    "notice.next_gate": "Next gate {gate} on {day} ({days} working days)",
    "notice.no_gate": "No gate ahead",
    "notice.digest_counts": "{open} open task(s) in {municipalities} municipalities: {late} late, {soon} due within 5 working days, {blocked} blocked",
    "notice.can_start": "Can start now (most urgent first)",
    "notice.digest": "Good morning, {wave}: {weekday} {day}",
    "notice.digest_footer": "`next {wave}` for the full list.",
    "notice.late_note": "Sent late: planned for {planned}, when the reminder service was not running.",
    "notice.late_prefix": "(late) ",
    "weekday.0": "Monday",
    "weekday.1": "Tuesday",
    "weekday.2": "Wednesday",
    "weekday.3": "Thursday",
    "weekday.4": "Friday",
    "weekday.5": "Saturday",
    "weekday.6": "Sunday",
    # errors and hints
    "error.unknown_command": "I don't know the command `{verb}`. Commands: {valid}.",
    "error.unknown_code": "There is no task `{word}` in the tracked diagrams ({diagrams}).",
    "error.unknown_municipality": "I don't know the municipality `{word}`.",
    "error.unknown_wave": "There is no wave `{word}`. Waves: {valid}.",
    "error.unknown_gate": "There is no gate `{word}`. Gates: {valid}.",
    "error.unknown_target": "`{word}` is not a municipality or a wave ({waves}){extra}.",
    "error.ambiguous_code": "{word} means different tasks in different diagrams: {options}. Say which, e.g. `A/{word}`.",
    "error.missing_code": "Which task? `{verb}` needs a task code.",
    "error.missing_reason": "`{verb}` needs a reason after the task (and municipality).",
    "error.missing_gate": "Which gate?",
    "error.missing_wave": "Which wave? {gate} has a date per wave.",
    "error.which_municipality": "For which municipality?",
    "error.not_allowed": "You may not change {task}: it belongs to {owner}.",
    "error.no_scope": "You are not registered for any municipality or role, so `me` is empty.",
    "error.admin_only": "Only an admin can do that.",
    "error.control_chars": "The {what} contains control characters; please type plain text.",
    "error.too_long": "The {what} is too long ({length} characters; at most {limit}).",
    "error.undo_args": "`undo` takes no arguments: it undoes your own last change.",
    "error.bad_page": "`{word}` is not a page number.",
    "error.pause_range": "`{word}` is too long or too short a pause: at least 1 hour, at most {days} days (e.g. `remind pause 3d`). Nothing was changed.",
    "error.move_usage": "`move` needs a municipality and a wave.",
    "error.decide_usage": "`decide` needs a gate, a wave, a municipality and go or no-go.",
    "error.bad_decision": "`{word}` is not a decision: use go or no-go.",
    "error.not_in_wave": "{name} is in {actual}, not {wave}.",
    "error.no_next_wave": "{wave} has no next wave, so {name} cannot be moved on. Nothing was recorded.",
    "error.internal": "Sorry, something went wrong on our side (reference {ref}). Nothing was changed by the failed step; please try again.",
    "hint.did_you_mean": "Did you mean {options}?",
    "hint.help": "Type `help` to see what I can do.",
    "hint.municipality_forms": "Use the name (Aarhus, Århus, Koebenhavn) or the municipality code (751).",
    "hint.code_forms": "Task codes look like TS213 or A/TS213; `show CODE` explains one.",
    "hint.target_role": ", or a role",
    "hint.which_municipality": "Add it after the code, e.g. `done TS213 aarhus`.",
    "hint.not_allowed": "Ask an admin to register you for that municipality or role.",
    "hint.no_scope": "Ask an admin to register you, or name a municipality or wave.",
    "hint.admin_only": "Ask an admin of the rollout.",
    "hint.no_next_wave": "Decide with the steering group what happens, then use `move`.",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "da": DA}
LANGUAGES = tuple(CATALOGUES)

_language: ContextVar[str] = ContextVar("language", default="en")


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Answer in ``language`` (en or da) inside this block; unknown languages fall back to en."""
    token = _language.set(language if language in CATALOGUES else "en")
    try:
        yield
    finally:
        _language.reset(token)


def has_text(key: str) -> bool:
    """True when the current language's catalogue has ``key``."""
    return key in CATALOGUES[_language.get()]


def t(key: str, /, **values: object) -> str:
    """The text for ``key`` in the current language with ``values`` filled in.

    A key missing from a catalogue falls back to English; an unknown key shows itself.
    """
    template = CATALOGUES[_language.get()].get(key) or EN.get(key) or key
    return template.format(**values) if values else template
