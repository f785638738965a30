"""Turning the words a user typed into waves, municipalities, task codes and gates.

Every failure is a :class:`UserError` that says what would be valid, with a suggestion for a typo.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from commands.messages import t
from rollout.model import Municipality
from rollout.plan import Plan, Role, TaskDef

__all__ = [
    "MAX_REASON",
    "MAX_TEXT",
    "UserError",
    "check_text",
    "find_municipality",
    "fold",
    "loose",
    "match_gate",
    "match_municipality",
    "match_role",
    "match_tasks",
    "match_wave",
    "role_names",
    "split_command",
    "suggest",
    "untracked_tasks",
]

MAX_TEXT = 1000
MAX_REASON = 300
_PREFIX = re.compile(r"^\s*/?sf1590\b", re.IGNORECASE)


class UserError(Exception):
    """Input we cannot act on; the message tells the user what would work."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def check_text(text: str, *, limit: int = MAX_TEXT, what: str = "command") -> str:
    """Reject control characters and over-long input; return the text stripped."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t" for ch in text):
        raise UserError(t("error.control_chars", what=what))
    if len(text) > limit:
        raise UserError(t("error.too_long", what=what, limit=limit, length=len(text)))
    return text.strip()


def split_command(text: str) -> tuple[str, list[str]]:
    """``'/sf1590 done TS213 aarhus'`` -> ``('done', ['TS213', 'aarhus'])``."""
    body = _PREFIX.sub("", check_text(text), count=1).strip()
    words = body.split()
    if not words:
        return "", []
    return words[0].lower(), words[1:]


@lru_cache(maxsize=8192)  # every command folds the roster's names to match a word against them
def fold(text: str) -> str:
    """Lower-case, with æ/ø/å spelled ae/oe/aa and other accents dropped: Århus -> aarhus."""
    lowered = text.strip().lower()
    for danish, ascii_form in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        lowered = lowered.replace(danish, ascii_form)
    decomposed = unicodedata.normalize("NFKD", lowered)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace(" kommune", "").replace("_", "-")
    return re.sub(r"[\s]+", "-", plain)


def suggest(word: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Close matches for a typo, best first."""
    pool = list(dict.fromkeys(candidates))
    by_fold = {fold(c): c for c in pool}
    found = difflib.get_close_matches(fold(word), list(by_fold), n=limit, cutoff=0.6)
    return [by_fold[f] for f in found]


def _did_you_mean(options: Sequence[str]) -> str:
    return t("hint.did_you_mean", options=" / ".join(f"`{o}`" for o in options)) if options else ""


def match_wave(word: str, plan: Plan) -> str | None:
    for wave in plan.waves:
        if wave.lower() == word.lower():
            return wave
    return None


def match_gate(word: str, plan: Plan) -> str:
    """A gate id (``KP-3``) from ``kp3``, ``KP-3``, ``gate``; UserError otherwise."""
    ids = list(dict.fromkeys(g for d in plan.tracked for g in plan.diagrams[d].gates))
    wanted = re.sub(r"[^a-z0-9]", "", word.lower())
    for gate in ids:
        if re.sub(r"[^a-z0-9]", "", gate.lower()) == wanted:
            return gate
    raise UserError(
        t("error.unknown_gate", word=word, valid=", ".join(ids)), hint=_did_you_mean(suggest(word, ids))
    )


def loose(folded: str) -> str:
    """A folded name with ø and å as people type them without a Danish keyboard: ``oe`` and ``o``
    alike, ``aa`` and ``a`` alike (helsingor = helsingoer, arhus = aarhus)."""
    return folded.replace("aa", "a").replace("oe", "o")


def _role_words(role: Role) -> set[str]:
    return {
        part
        for text in (role.id, role.name_en, role.name_da)
        for part in re.split(r"[^a-z0-9]+", loose(fold(text)))
        if part
    }


def roles_named(word: str, plan: Plan) -> list[Role]:
    """Roles whose id or name (English or Danish) contains ``word`` as a whole word: ``supplier``
    names both suppliers, ``bookkeeping`` one."""
    wanted = loose(fold(word))
    if len(wanted) < 4:  # "af", "by", "the": words of names, not of a role
        return []
    return [role for role in plan.roles.values() if wanted in _role_words(role)]


def match_role(word: str, plan: Plan) -> str | None:
    """A plan role by id, by its English or Danish name, or by a word only its name has."""
    folded = fold(word)
    for role in plan.roles.values():
        if folded in (fold(role.id), fold(role.name_en), fold(role.name_da)):
            return role.id
    named = roles_named(word, plan)
    return named[0].id if len(named) == 1 else None


def role_names(word: str, plan: Plan) -> list[str]:
    """What to suggest for a word meant as a role: the names people see (never an internal id)."""
    named = roles_named(word, plan)
    if named:
        return [role.name_da for role in named]
    by_id = {fold(role.id): role.name_da for role in plan.roles.values()}
    names = [role.name_da for role in plan.roles.values()]
    return [by_id.get(fold(found), found) for found in suggest(word, [*by_id, *names])]


def find_municipality(
    words: Sequence[str], municipalities: Mapping[int, Municipality]
) -> Municipality | None:
    """The municipality named by ``words``, or None: its name in any spelling (København,
    koebenhavn, kobenhavn), slug, code (751), or one part of a compound name (lyngby for
    Lyngby-Taarbæk). A part that several names share is a UserError listing them."""
    folded = fold(" ".join(words))
    if not folded:
        return None
    if folded.isdigit():
        return municipalities.get(int(folded))
    for municipality in municipalities.values():
        if folded in (municipality.slug, fold(municipality.name)):
            return municipality
    typed = loose(folded)
    same = [m for m in municipalities.values() if typed in (loose(m.slug), loose(fold(m.name)))]
    if len(same) == 1:
        return same[0]
    parts = [
        m
        for m in municipalities.values()
        if "-" in fold(m.name) and typed in {loose(part) for part in fold(m.name).split("-")}
    ]
    if len(same) > 1 or len(parts) > 1:
        names = sorted(m.name for m in (same or parts))
        raise UserError(
            t("error.ambiguous_municipality", word=" ".join(words), names=", ".join(names)),
            hint=t("hint.ambiguous_municipality", example=names[0]),
        )
    return parts[0] if parts else None


def empty_roster(word: str) -> UserError:
    """No municipality is in the roster yet: say how an admin puts them in, not "unknown"."""
    return UserError(t("error.empty_roster", word=word), hint=t("hint.empty_roster"))


def match_municipality(words: Sequence[str], municipalities: Mapping[int, Municipality]) -> Municipality:
    """Like :func:`find_municipality`, but a UserError with suggestions when there is none."""
    found = find_municipality(words, municipalities)
    if found is not None:
        return found
    text = " ".join(words)
    if not municipalities:
        raise empty_roster(text)
    names = [m.name for m in municipalities.values()]
    raise UserError(
        t("error.unknown_municipality", word=text),
        hint=_did_you_mean(suggest(text, names)) or t("hint.municipality_forms"),
    )


def _code_parts(word: str) -> tuple[str | None, str]:
    cleaned = word.strip().upper()
    for sep in ("/", ":"):
        if sep in cleaned:
            diagram, _, code = cleaned.partition(sep)
            return diagram, code
    return None, cleaned


def untracked_tasks(word: str, plan: Plan) -> list[TaskDef]:
    """Tasks of a diagram the rollout does not track (the generic AG page) that ``word`` names:
    ``AG/TB204``, or a bare code no tracked diagram has."""
    diagram, code = _code_parts(word)
    if diagram is None and plan.tasks_with_code(code):
        return []
    return [
        task
        for diagram_id, found in plan.diagrams.items()
        if diagram_id not in plan.tracked and diagram in (None, diagram_id.upper())
        for task in found.tasks.values()
        if task.code.upper() == code
    ]


def match_tasks(word: str, plan: Plan) -> list[TaskDef]:
    """Tracked tasks that ``word`` names: ``A/TS213`` (one) or the bare ``TS213`` (one or more)."""
    template = untracked_tasks(word, plan)
    if template:
        raise UserError(
            t("error.untracked", ref=template[0].ref, diagrams=", ".join(plan.tracked)),
            hint=t("hint.untracked", ref=template[0].ref),
        )
    diagram, code = _code_parts(word)
    if diagram is not None:
        for diagram_id in plan.tracked:
            if diagram_id.upper() == diagram:
                for task in plan.diagrams[diagram_id].tasks.values():
                    if task.code.upper() == code:
                        return [task]
    else:
        found = plan.tasks_with_code(code)
        if found:
            return found
    refs = [task.ref for task in plan.tracked_tasks()]
    codes = list(dict.fromkeys(task.code for task in plan.tracked_tasks()))
    options = suggest(word, refs if diagram is not None else codes)
    raise UserError(
        t("error.unknown_code", word=word, diagrams=", ".join(plan.tracked)),
        hint=_did_you_mean(options) or t("hint.code_forms"),
    )


@dataclass(frozen=True)
class Target:
    """What a query is about: one municipality, one wave, one plan role, or the asker."""

    kind: str  # municipality | wave | role | me | all
    municipality: Municipality | None = None
    wave: str | None = None
    role: str | None = None


def parse_target(
    words: Sequence[str],
    plan: Plan,
    municipalities: Mapping[int, Municipality],
    *,
    allowed: Sequence[str],
    default_wave: str | None,
) -> Target:
    """Read an optional target; with none, the channel's wave or everything."""
    if not words:
        return Target("wave", wave=default_wave) if default_wave else Target("all")
    word = " ".join(words)
    if "me" in allowed and fold(word) in ("me", "mig", "mine"):
        return Target("me")
    if "wave" in allowed and (wave := match_wave(word, plan)) is not None:
        return Target("wave", wave=wave)
    if "role" in allowed and (role := match_role(word, plan)) is not None:
        return Target("role", role=role)
    municipality = find_municipality(words, municipalities)
    if municipality is not None:
        return Target("municipality", municipality=municipality)
    if not municipalities:
        raise empty_roster(word)
    names = [m.name for m in municipalities.values()]
    options = suggest(word, names + list(plan.waves))
    if "role" in allowed:  # the names people see, never an internal id (lob_supplier)
        options = list(dict.fromkeys([*role_names(word, plan), *options]))[:3]
    raise UserError(
        t(
            "error.unknown_target",
            word=word,
            waves=", ".join(plan.waves),
            extra=t("hint.target_role") if "role" in allowed else "",
        ),
        hint=_did_you_mean(options),
    )
