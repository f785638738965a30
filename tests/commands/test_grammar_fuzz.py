"""Random commands built from the grammar's own pieces: no crash, and a refusal changes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import Runtime
from commands.admin import _name_and_roles
from commands.context import Actor, Invocation
from commands.core import dispatch
from commands.messages import EN
from commands.reply import Tone

VERBS = [
    "done",
    "start",
    "block",
    "skip",
    "reopen",
    "undo",
    "move",
    "decide",
    "register",
    "channel",
    "next",
    "show",
    "status",
    "gate",
    "history",
    "wave",
    "blocked",
    "help",
]
CHANGES = ["done", "start", "block", "skip", "reopen"]
CODES = [
    "TS213",
    "a/ts213",
    "B/TS101",
    "A/TS100",
    "A/TS110",
    "A/TS213@751",
    "A/TS213@0",
    "A/TS101@751:KSD",
    "A/TS100@0",
    "A/TS100@0:KSD",
    "B/TS101@151",
    "TS999",
    "A/",
    "@751",
    "A/TS213@-1",
    "A/TS213@٧٥١",
    "KP-3",
    "C/TS103",
]
PLACES = [
    "aarhus",
    "Århus",
    "751",
    "vejen",
    "Vejen,",
    "ballerup",
    "høje",
    "taastrup",
    "Høje-Taastrup",
    "vallensbaek",
    "0",
    "999",
    "aarhsu",
    "P2",
    "K91",
    "me",
    "alle",
]
MARKERS = ["--", "—", "–", "because", "fordi", "BECAUSE", "--reason"]
WORDS = [
    "til",
    "leverandøren",
    "public",
    "admin",
    "Admin",
    "coordinator:aarhus",
    "manager:P2",
    "ksd:all",
    "ksd:",
    ":",
    "go",
    "no-go",
    "off",
    "page:2",
    "<@U0X>",
    "<!channel>",
    "*",
    "`",
]

QUOTES = ['"', "“", "”", "„", "«", "»"]

word = st.one_of(
    st.sampled_from(CODES + PLACES + MARKERS + WORDS + QUOTES),
    st.text(min_size=1, max_size=12).filter(lambda s: not s.isspace()),
    st.text(alphabet="abcæøå", min_size=300, max_size=1200),
)


@st.composite
def commands(draw: st.DrawFn) -> str:
    """Mostly shaped like a command (verb, code, places, a marker, free text), some word salad."""
    verb = draw(st.sampled_from(VERBS))
    if draw(st.booleans()):
        verb = draw(st.sampled_from(CHANGES))
        words = [draw(st.sampled_from(CODES)), *draw(st.lists(st.sampled_from(PLACES), max_size=3))]
        if draw(st.booleans()):
            words.append(draw(st.sampled_from(MARKERS + QUOTES)))
        words += draw(st.lists(word, max_size=4))
    else:
        words = draw(st.lists(word, max_size=9))
    if words and draw(st.booleans()):  # a quote stuck to a word, as people type them
        index = draw(st.integers(0, len(words) - 1))
        quote = draw(st.sampled_from(QUOTES))
        words[index] = quote + words[index] if draw(st.booleans()) else words[index] + quote
    return " ".join([draw(st.sampled_from(["", "/sf1590", "sf1590"])), verb, *words]).strip()


INTERNAL = EN["error.internal"].split("{ref}")[0]
ACTORS = [
    Actor("anna", "Anna", is_admin=True),
    Actor("k", "K", roles=frozenset({"ksd"}), municipalities=frozenset({751})),
    Actor("m", "M", manages=frozenset({"P2"})),
    Actor("c", "C", coordinates=frozenset({751})),
    Actor("guest", "Guest"),
]


def snapshot(runtime: Runtime) -> tuple[int, int, int]:
    """The newest event's id (ids only grow), and the counts of wave moves and gate decisions."""
    store = runtime.store
    return (store.events(limit=1)[0].id, len(store.wave_moves()), len(store.gate_decisions()))


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=commands(), actor=st.sampled_from(ACTORS))
def test_random_commands_never_crash_and_a_refusal_changes_nothing(
    demo_runtime: Runtime, text: str, actor: Actor
) -> None:
    before = snapshot(demo_runtime)
    reply = dispatch(demo_runtime.context(), Invocation(text, actor, "console"))
    assert not reply.headline.startswith(INTERNAL), text
    if reply.tone == Tone.ERROR or not reply.changed:
        assert snapshot(demo_runtime) == before, (text, reply.headline)


@given(
    st.lists(
        st.sampled_from(
            ["Ada", "Admin", "admin", "Holm", "coordinator:aarhus", "manager:P2", "ksd:all", "Bo"]
        ),
        max_size=8,
    )
)
def test_register_loses_no_word_between_name_and_roles(words: list[str]) -> None:
    name, roles = _name_and_roles(words)
    assert (name.split() + roles) == words
    assert roles.count("admin") + roles.count("Admin") <= 1
