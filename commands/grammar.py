"""Where targets end and free text begins: reasons, notes and names are never read as targets.

A reason follows a marker: the word ``--`` (or a dash ``—``/``–`` that chat apps make of it), the
word ``because``/``fordi``, or an opening quote (``"…"``, ``“…”``, ``„…“``, ``«…»``). The words
before the marker are targets and must all resolve; the text after it is kept as typed (words
joined by single spaces, as the command arrives split into words). Where a command without a
marker reads more than one way, the refusal shows each reading as the command to type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from commands.messages import t
from commands.parse import UserError, empty_roster, find_municipality, suggest
from rollout.model import Municipality

__all__ = [
    "CLOSING_QUOTES",
    "DASHES",
    "MARKER_WORDS",
    "OPENING_QUOTES",
    "Reasoned",
    "ambiguous_reading",
    "has_marker",
    "leading_municipalities",
    "not_a_target",
    "split_reason",
    "unique",
]

DASHES = frozenset({"--", "—", "–"})  # chat apps turn a typed -- into a dash
MARKER_WORDS = DASHES | {"because", "fordi"}
OPENING_QUOTES = '"“”„«»'
CLOSING_QUOTES = '"“”»«'
_LONGEST_NAME = 3  # words a municipality name may be typed as ("Høje Taastrup Kommune")


@dataclass(frozen=True)
class Reasoned:
    """A command's words split at the reason marker (``reason`` is None without a marker)."""

    words: tuple[str, ...]
    reason: str | None

    @property
    def marked(self) -> bool:
        return self.reason is not None


def _marker_at(word: str) -> bool:
    return word.lower() in MARKER_WORDS or word.startswith("--") or (word[:1] in OPENING_QUOTES)


def has_marker(words: Sequence[str]) -> bool:
    """True when the words carry a reason marker (then the last word belongs to the reason)."""
    return any(_marker_at(word) for word in words)


def split_reason(words: Sequence[str]) -> Reasoned:
    """Split at the first marker; the text after it is the reason, verbatim."""
    for index, word in enumerate(words):
        if not _marker_at(word):
            continue
        before = tuple(words[:index])
        if word[:1] in OPENING_QUOTES:
            return Reasoned(before, _quoted(" ".join(words[index:])[1:]))
        head = word[2:] if word.startswith("--") and word.lower() not in MARKER_WORDS else ""
        return Reasoned(before, " ".join([head, *words[index + 1 :]]).strip())
    return Reasoned(tuple(words), None)


def _quoted(body: str) -> str:
    """The text inside quotes: a closing quote must end the command (a reason comes last)."""
    if body[-1:] in CLOSING_QUOTES:
        body = body[:-1]
    if any(ch in CLOSING_QUOTES for ch in body):
        raise UserError(t("error.text_after_quote"), hint=t("hint.reason_forms"))
    return body.strip()


def unique(municipalities: Iterable[Municipality]) -> list[Municipality]:
    """Each municipality once, in the order first named (Århus, aarhus and 751 are one)."""
    first: dict[int, Municipality] = {}
    for municipality in municipalities:
        first.setdefault(municipality.code, municipality)
    return list(first.values())


def _pieces(words: Sequence[str]) -> list[str]:
    """Words with commas as separators too: ``aarhus,vejen`` and ``aarhus, vejen``."""
    return [part for word in words for part in word.split(",") if part]


def _one_at(
    words: Sequence[str], index: int, municipalities: Mapping[int, Municipality]
) -> tuple[Municipality, int] | None:
    """The municipality whose name starts at ``index`` (longest spelling first), and its length."""
    for length in range(min(_LONGEST_NAME, len(words) - index), 0, -1):
        found = find_municipality(words[index : index + length], municipalities)
        if found is not None:
            return found, length
    return None


def leading_municipalities(
    words: Sequence[str],
    municipalities: Mapping[int, Municipality],
) -> tuple[list[tuple[Municipality, str]], list[str]]:
    """The municipalities named at the start (each with the words naming it), and the rest."""
    pieces = _pieces(words)
    found: list[tuple[Municipality, str]] = []
    index = 0
    while index < len(pieces):
        hit = _one_at(pieces, index, municipalities)
        if hit is None:
            break
        found.append((hit[0], " ".join(pieces[index : index + hit[1]])))
        index += hit[1]
    return found, pieces[index:]


def ambiguous_reading(
    verb: str, code: str, named: list[tuple[Municipality, str]], rest: list[str]
) -> UserError:
    """Refuse a reason that could start at several words, showing each reading to type."""
    readings = []
    for cut in range(1, len(named) + 1):
        targets = " ".join(words for _, words in named[:cut])
        reason = " ".join([*(words for _, words in named[cut:]), *rest])
        readings.append(f"`{verb} {code} {targets} -- {reason}`")
    return UserError(
        t("error.ambiguous_reason", verb=verb, readings=" · ".join(readings)), hint=t("hint.reason_forms")
    )


def not_a_target(
    verb: str,
    code: str,
    named: list[tuple[Municipality, str]],
    rest: list[str],
    after: Sequence[str],
    municipalities: Mapping[int, Municipality],
) -> UserError:
    """A word among the targets names no municipality: suggest a name, or the reason after it."""
    if not municipalities:
        return empty_roster(rest[0])
    names = [m.name for m in municipalities.values()]
    close = suggest(rest[0], names)
    targets = " ".join([code, *(words for _, words in named)])
    if after and after[0] in DASHES:  # one `--` is enough; `because` reads on as text
        after = after[1:]
    command = f"{verb} {targets} -- {' '.join([*rest, *after])}"
    hint = t("hint.did_you_mean", options=" / ".join(f"`{n}`" for n in close)) if close else ""
    return UserError(
        t("error.not_a_target", word=rest[0], command=command), hint=hint or t("hint.reason_forms")
    )
