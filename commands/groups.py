"""Wave-wide answers that fit one chat message: items grouped by task and by municipality,
most urgent first, a page at a time, each group opened by a button or a command."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from commands.context import CommandContext
from commands.messages import t
from commands.parse import UserError, find_municipality, match_tasks
from commands.present import LIST_LIMIT, deadline_note, key_label, owner_name
from commands.reply import Action, Section, TaskLine
from rollout.model import Municipality, TaskKey
from rollout.plan import Plan
from rollout.status import Part, Rollout, TaskView

__all__ = [
    "MUNICIPALITY_LIMIT",
    "Grouped",
    "beyond",
    "blocked_summary",
    "done_of_all",
    "grouped_sections",
    "names_text",
    "next_summary",
    "page_of",
    "split_codes",
    "split_municipalities",
    "split_page",
    "wants_groups",
]

MUNICIPALITY_LIMIT = 10  # municipality lines a page
NAMES_SHOWN = 3
_T = TypeVar("_T")


def split_page(args: list[str]) -> tuple[list[str], int]:
    """Strip the page asked for: ``page:2`` (what a "Show more" button sends), or ``page 2``."""
    rest: list[str] = []
    page_word = ""
    words = list(args)
    while words:
        word = words.pop(0)
        lowered = word.lower()
        if lowered.startswith(("page:", "side:")):
            page_word = lowered.split(":", 1)[1] or (words.pop(0) if words else "")
        elif lowered in ("page", "side") and words and words[0].isascii() and words[0].isdigit():
            page_word = words.pop(0)
        else:
            rest.append(word)
    if not page_word:
        return rest, 1
    # ASCII digits only ("²" is a digit to str.isdigit but not to int), and a sane length.
    if not (page_word.isascii() and page_word.isdigit()) or len(page_word) > 6:
        raise UserError(t("error.bad_page", word=page_word[:24]))
    return rest, max(1, int(page_word))


def beyond(page: int, last: int, command: str) -> Section:
    """A page past the end of a list: where it ends, and the command for that page."""
    return Section(lines=(t("page.beyond", page=page, last=last, command=command),))


def page_of(items: Sequence[_T], page: int, limit: int) -> tuple[Sequence[_T], int]:
    """The items on ``page`` and how many come after it."""
    start = (page - 1) * limit
    shown = items[start : start + limit]
    return shown, max(0, len(items) - start - len(shown))


def _is_code(word: str, plan: Plan) -> bool:
    if "/" in word:
        diagram = word.split("/", 1)[0].upper()
        return any(d.upper() == diagram for d in plan.tracked)
    return bool(plan.tasks_with_code(word.upper()))


def split_codes(words: list[str], plan: Plan) -> tuple[list[str], frozenset[str]]:
    """The words that name tasks (``A/TS201``, ``TS201``) as refs, and the other words."""
    rest = [w for w in words if not _is_code(w, plan)]
    codes = [w for w in words if _is_code(w, plan)]
    refs: set[str] = set()
    for word in codes:
        refs.update(task.ref for task in match_tasks(word, plan))
    return rest, frozenset(refs)


def split_municipalities(
    words: list[str],
    municipalities: Mapping[int, Municipality],
) -> list[Municipality]:
    """Several municipalities, one a word (``aarhus randers``), or [] when the words are not
    exactly that (then they are read as one target, with its "did you mean")."""
    if len(words) < 2 or find_municipality(words, municipalities) is not None:
        return []
    found = [find_municipality([word], municipalities) for word in words]
    chosen = [m for m in found if m is not None]
    if len(chosen) != len(words):
        return []
    return list(dict.fromkeys(chosen))


def names_text(rollout: Rollout, keys: Sequence[TaskKey]) -> str:
    """``Ballerup, Brøndby, +1``: where the first few items are, and how many more."""
    names = [key_label(rollout, k).split(" ", 1)[1] for k in keys[:NAMES_SHOWN]]
    more = f", +{len(keys) - NAMES_SHOWN}" if len(keys) > NAMES_SHOWN else ""
    return ", ".join(names) + more


@dataclass(frozen=True)
class Grouped:
    """How one answer groups its items: the verb (for the commands its buttons run), the
    words that name its target, and the texts of a task group and a municipality line."""

    verb: str
    target_words: Sequence[str]
    task_summary: Callable[[Sequence[TaskView]], str]
    municipality_key: str  # plural text key: "{name}: {count} … {late}"


def _municipality_rows(views: Sequence[TaskView]) -> list[tuple[int, int, str]]:
    """Per municipality among ``views``: (late, count, name), most late first, then most items."""
    by_code: dict[int, list[TaskView]] = {}
    for view in views:
        if view.municipality is not None:
            by_code.setdefault(view.municipality.code, []).append(view)
    rows = []
    for members in by_code.values():
        municipality = members[0].municipality
        rows.append(
            (sum(v.overdue for v in members), len(members), municipality.name if municipality else "")
        )
    rows.sort(key=lambda r: (-r[0], -r[1], r[2]))
    return rows


def _municipality_line(row: tuple[int, int, str], key: str) -> str:
    late, count, name = row
    return t(key, count=count, name=name, late=t("group.late", count=late) if late else "")


def _group_line(
    ctx: CommandContext, rollout: Rollout, members: Sequence[TaskView], grouped: Grouped
) -> TaskLine:
    first = members[0]
    command = " ".join([grouped.verb, *grouped.target_words, first.key.ref])
    return TaskLine(
        key="",
        code=first.key.ref,
        title=first.task.title_da or t("show.title_lost"),
        municipality=names_text(rollout, [v.key for v in members]),
        owner=owner_name(ctx, first.task.role),
        deadline=first.deadline.day if first.deadline else None,
        deadline_note=deadline_note(first, ctx.today),
        state=grouped.task_summary(members),
        urgent=any(v.overdue for v in members),
        actions=(Action(t("group.open", count=len(members)), command),),
    )


def grouped_sections(
    ctx: CommandContext,
    rollout: Rollout,
    views: Sequence[TaskView],
    grouped: Grouped,
    page: int,
    single: Callable[[TaskView], TaskLine],
) -> tuple[Section, ...]:
    """Page ``page`` of ``views`` (most urgent first) grouped by task, and by municipality.

    A group of one is that task's own line (``single``), with its buttons."""
    by_ref: dict[str, list[TaskView]] = {}
    for view in views:
        by_ref.setdefault(view.key.ref, []).append(view)
    groups, hidden_groups = page_of(list(by_ref.values()), page, LIST_LIMIT)
    # every municipality's line is ranked, only the page's are written out
    lines = _municipality_rows(views)
    shown_rows, hidden_lines = page_of(lines, page, MUNICIPALITY_LIMIT)
    shown_lines = [_municipality_line(row, grouped.municipality_key) for row in shown_rows]
    command = " ".join([grouped.verb, *grouped.target_words, f"page:{page + 1}"])
    if not groups and not shown_lines and page > 1:
        last = max(-(-len(by_ref) // LIST_LIMIT), -(-len(lines) // MUNICIPALITY_LIMIT), 1)
        return (beyond(page, last, " ".join([grouped.verb, *grouped.target_words, f"page:{last}"])),)
    sections = []
    if groups:
        tasks = tuple(single(g[0]) if len(g) == 1 else _group_line(ctx, rollout, g, grouped) for g in groups)
        sections.append(
            Section(
                title=t("group.by_task_title"),
                tasks=tasks,
                hidden=hidden_groups,
                more=Action(t("button.more", count=hidden_groups), command) if hidden_groups else None,
            )
        )
    if shown_lines:
        sections.append(
            Section(
                title=t("group.by_municipality_title", verb=grouped.verb),
                lines=tuple(shown_lines),
                hidden=hidden_lines,
                more=Action(t("button.more", count=hidden_lines), command) if hidden_lines else None,
            )
        )
    return tuple(sections)


def wants_groups(views: list[TaskView], refs: frozenset[str]) -> bool:
    """Group when the list is long and spans municipalities, unless one task is asked for."""
    return not refs and len(views) > LIST_LIMIT and len({v.key.municipality for v in views}) > 1


def done_of_all(
    rollout: Rollout,
    parts: Sequence[Part],
    ctx: CommandContext,
    wanted: Callable[[str], bool] | None = None,
) -> dict[str, tuple[int, int]]:
    """Per task (those ``wanted`` when given): (finished, all) of its instances among those of
    ``parts``, counted as every view counts (:class:`Counts`). A municipality's counts are kept
    by the snapshot, so a wave's answer adds up one entry per municipality and task."""
    return {
        ref: (tally.counts.done, tally.counts.total)
        for ref, tally in rollout.tallies_in(parts, ctx.today).items()
        if wanted is None or wanted(ref)
    }


def next_summary(views: Sequence[TaskView], totals: dict[str, tuple[int, int]]) -> str:
    """A task group of `next`: how many can start, how many late, how far the task is."""
    late = sum(v.overdue for v in views)
    done, total = totals.get(views[0].key.ref, (0, len(views)))
    return t(
        "group.next",
        count=len(views),
        done=done,
        total=total,
        late=t("group.late", count=late) if late else "",
    )


def blocked_summary(
    views: Sequence[TaskView],
    holds: dict[TaskKey, tuple[TaskKey, ...]],
) -> str:
    """A task group of `blocked`: how many are stuck, how many late, how many they hold up."""
    late = sum(v.overdue for v in views)
    held = len({k for v in views for k in holds.get(v.key, ())})
    return t(
        "group.blocked",
        count=len(views),
        held=t("blocked.held", count=held),
        late=t("group.late", count=late) if late else "",
    )
