"""Verbs that manage who is who: `register` a chat user with roles, link a `channel` to a wave.

They need the people store, which the runtime puts in ``CommandContext.people``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from commands.context import Actor, CommandContext, Invocation
from commands.grammar import CLOSING_QUOTES, DASHES, OPENING_QUOTES
from commands.messages import t
from commands.parse import UserError, fold, match_municipality, match_role, match_wave
from commands.reply import Reply, Section, Tone
from rollout.model import Municipality
from storage.people import PeopleStore, Person

LINKED_WAVE = "linked_wave"  # Reply.extra: this channel was just linked to that wave

__all__ = [
    "CONSOLE",
    "LINKED_WAVE",
    "actor_for",
    "channel",
    "describe",
    "people_store",
    "register",
    "rights",
    "unknown_actor",
]

# <@U0ABC> (Slack) or <@8f2c…-…> (the AAD object id the Teams adapter puts for a mention)
_USER = re.compile(r"^<@([A-Za-z0-9][A-Za-z0-9-]*)(?:\|[^>]*)?>$|^@?([UW][A-Z0-9]{2,})$")
_CONSOLE_USER = re.compile(r"^@([A-Za-z0-9][A-Za-z0-9._-]{0,63})$")  # `sf1590 console --as anna`
CONSOLE = "console"
_EVERYWHERE = ("all", "alle", "*")  # a plan role not limited to some municipalities


def people_store(ctx: CommandContext) -> PeopleStore:
    if ctx.people is None:
        raise UserError(t("admin.no_people"))
    return ctx.people


def actor_for(person: Person) -> Actor:
    return Actor(
        person.handle,
        person.name,
        person.is_admin,
        person.roles,
        person.municipalities,
        person.coordinates,
        person.manages,
    )


def unknown_actor(platform: str, external_id: str, name: str = "") -> Actor:
    """Someone the bot does not know: may read, may change nothing."""
    return Actor(f"{platform}:{external_id}", name or external_id)


def _user_id(word: str, source: str) -> str | None:
    found = _USER.match(word.strip())
    if found:
        return found.group(1) or found.group(2)
    console = _CONSOLE_USER.match(word.strip()) if source == CONSOLE else None
    return console.group(1).lower() if console else None  # @anna: who types `sf1590 console --as anna`


def _is_scoped_role(word: str) -> bool:
    """A role in ``role:scope`` form (``coordinator:aarhus``, ``ksd:all``); names have no colon."""
    head, colon, _ = word.partition(":")
    return bool(colon and head)


def _name_and_roles(words: list[str]) -> tuple[str, list[str]]:
    """Split ``Full Name role:scope… [admin]``: roles are read from the end only, so a name word
    (Ada Admin) is never a role. A quoted name, or a name before ``--``, ends where it says."""
    if words and words[0][:1] in OPENING_QUOTES:  # "Ada Admin" admin coordinator:aarhus
        body = " ".join(words)[1:]
        end = min((body.find(q) for q in CLOSING_QUOTES if q in body), default=len(body))
        return body[:end], body[end + 1 :].split()
    dashes = [i for i, word in enumerate(words) if word in DASHES]
    if dashes:  # Ada Admin -- admin coordinator:aarhus
        return " ".join(words[: dashes[0]]), words[dashes[0] + 1 :]
    roles: list[str] = []
    rest = list(words)
    if rest and fold(rest[-1]) == "admin":  # the bare word admin counts only as the last word
        roles.append(rest.pop())
    while rest and _is_scoped_role(rest[-1]):
        roles.insert(0, rest.pop())
    return " ".join(rest), roles


def _refuse_bare_role(ctx: CommandContext, name: str, role_words: list[str]) -> None:
    """A name ending in a role without its scope (`Bo ksd`) was probably meant as a role: ask."""
    last = name.split()[-1]
    if role_words or not (
        fold(last) in ("manager", "coordinator") or match_role(last, ctx.graph.plan) is not None
    ):
        return
    raise UserError(
        t("admin.register_bare_role", word=last, role=last.lower(), name=name), hint=t("admin.register_usage")
    )


def _municipality_codes(text: str, municipalities: Mapping[int, Municipality]) -> set[int]:
    return {
        match_municipality(part.split(), municipalities).code
        for part in text.replace("_", " ").split(",")
        if part
    }


def rights(ctx: CommandContext, handle: str, name: str, role_words: list[str]) -> Person:
    """A person with the rights ``role_words`` give (``coordinator:aarhus``, ``manager:P2``,
    ``ksd:all``, ``admin``), as `register` reads them; UserError for a word that gives none."""
    return _person(ctx, handle, name, role_words)


def _person(ctx: CommandContext, handle: str, name: str, role_words: list[str]) -> Person:
    municipalities = ctx.store.municipalities()
    is_admin = False
    roles: set[str] = set()
    limits: set[int] = set()
    coordinates: set[int] = set()
    manages: set[str] = set()
    for word in role_words:
        head, _, scope = word.partition(":")
        kind = fold(head)
        if kind == "admin" and not scope:
            is_admin = True
        elif kind == "manager":
            for part in filter(None, scope.split(",")):
                wave = match_wave(part, ctx.graph.plan)
                if wave is None:
                    raise UserError(t("admin.not_a_wave", word=part, valid=", ".join(ctx.graph.plan.waves)))
                manages.add(wave)
            if not scope:
                raise UserError(t("admin.manager_needs_wave"))
        elif kind == "coordinator":
            if not scope:
                raise UserError(t("admin.coordinator_needs_municipality"))
            coordinates |= _municipality_codes(scope, municipalities)
        else:
            role = match_role(head, ctx.graph.plan)
            if role is None:
                raise UserError(t("admin.not_a_role", word=word))
            roles.add(role)
            if not scope:
                raise UserError(t("admin.role_needs_scope", word=word, role=head))
            if fold(scope) not in _EVERYWHERE:
                limits |= _municipality_codes(scope, municipalities)
    return Person(
        handle,
        name,
        is_admin,
        frozenset(roles),
        frozenset(limits),
        frozenset(coordinates),
        frozenset(manages),
    )


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "person"


def describe(person: Person, municipalities: Mapping[int, Municipality]) -> str:
    def names(codes: frozenset[int]) -> str:
        return ", ".join(sorted(municipalities[c].name if c in municipalities else str(c) for c in codes))

    parts = [t("admin.rights_admin")] if person.is_admin else []
    parts += [t("admin.rights_manager", wave=w) for w in sorted(person.manages)]
    if person.coordinates:
        parts.append(t("admin.rights_coordinator", names=names(person.coordinates)))
    for role in sorted(person.roles):
        parts.append(
            t("admin.rights_role_for", role=role, names=names(person.municipalities))
            if person.municipalities
            else role
        )
    return "; ".join(parts) or t("admin.rights_none")


def register(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Admin: register someone, roles after the name: `register @anna Anna Holm coordinator:aarhus`.

    Roles are read from the end only (role:scope words, then `admin` as the last word), so a word
    of the name (Ada Admin) is never a role; a name can also go in quotes or before `--`.
    """
    if not inv.actor.is_admin:
        raise UserError(t("admin.register_admin_only"), hint=t("hint.admin_only"))
    people = people_store(ctx)
    if not args or _user_id(args[0], inv.source) is None:
        raise UserError(t("admin.register_whom"), hint=t("admin.register_usage"))
    user_id = _user_id(args[0], inv.source)
    assert user_id is not None
    name, role_words = _name_and_roles(args[1:])
    name = name.strip()
    if not name:
        raise UserError(t("admin.register_name"), hint=t("admin.register_usage"))
    _refuse_bare_role(ctx, name, role_words)
    person = people.register(
        inv.source, user_id, _person(ctx, _slug(name), name, role_words), change=ctx.change(inv)
    )
    rights = describe(person, ctx.store.municipalities())
    return Reply(
        t(
            "admin.registered_console" if inv.source == CONSOLE else "admin.registered",
            name=person.name,
            user=user_id,
            handle=person.handle,
        ),
        (Section(lines=(t("admin.rights", rights=rights),)),),
        tone=Tone.SUCCESS,
        changed=True,
    )


def channel(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Link this channel to a wave, so commands here default to it: `channel P2` (`channel off`)."""
    people = people_store(ctx)
    if inv.channel is None:
        raise UserError(
            t("admin.channel_in_chat"), hint=t("console.channel_hint") if inv.source == CONSOLE else ""
        )
    current = people.channel_wave(inv.source, inv.channel)
    if not args:
        if current is None:
            return Reply(t("admin.channel_unlinked"), footer=t("admin.channel_link_hint"))
        return Reply(t("admin.channel_linked", wave=current), footer=t("admin.channel_unlink_hint"))
    word = args[0]
    wave = None if fold(word) in ("off", "none") else match_wave(word, ctx.graph.plan)
    if wave is None and fold(word) not in ("off", "none"):
        raise UserError(t("admin.not_a_wave", word=word, valid=", ".join(ctx.graph.plan.waves)))
    if wave is None and current is None:
        return Reply(t("admin.channel_unlinked"), footer=t("admin.channel_link_hint"))
    # Rights over the wave it follows now (relinking takes it from there) and over the new one.
    concerned = {w for w in (current, wave) if w is not None}
    allowed = inv.actor.is_admin or concerned <= inv.actor.manages
    if not allowed:
        raise UserError(t("admin.channel_not_allowed"), hint=t("hint.admin_only"))
    people.link_channel(inv.source, inv.channel, wave, change=ctx.change(inv))
    if wave is None:
        return Reply(t("admin.channel_removed"), tone=Tone.SUCCESS, changed=True)
    # the adapter checks that the bot can post here (commands/ knows no platform)
    return Reply(
        t("admin.channel_follows", wave=wave), tone=Tone.SUCCESS, changed=True, extra={LINKED_WAVE: wave}
    )
