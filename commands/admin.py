"""Verbs that manage who is who: `register` a chat user with roles, link a `channel` to a wave.

They need the people store, which the runtime puts in ``CommandContext.people``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from commands.context import Actor, CommandContext, Invocation
from commands.messages import t
from commands.parse import UserError, fold, match_municipality, match_role, match_wave
from commands.reply import Reply, Section, Tone
from rollout.model import Municipality
from storage.people import PeopleStore, Person

__all__ = ["actor_for", "channel", "people_store", "register", "unknown_actor"]

# <@U0ABC> (Slack) or <@8f2c…-…> (the AAD object id the Teams adapter puts for a mention)
_USER = re.compile(r"^<@([A-Za-z0-9][A-Za-z0-9-]*)(?:\|[^>]*)?>$|^@?([UW][A-Z0-9]{2,})$")
_SCOPED = ("manager", "coordinator")



def people_store(ctx: CommandContext) -> PeopleStore:
    if ctx.people is None:
        raise UserError(t("admin.no_people"))
    return ctx.people


def actor_for(person: Person) -> Actor:
    return Actor(person.handle, person.name, person.is_admin, person.roles, person.municipalities,
                 person.coordinates, person.manages)


def unknown_actor(platform: str, external_id: str, name: str = "") -> Actor:
    """Someone the bot does not know: may read, may change nothing."""
    return Actor(f"{platform}:{external_id}", name or external_id)


def _user_id(word: str) -> str | None:
    found = _USER.match(word.strip())
    return (found.group(1) or found.group(2)) if found else None


def _is_role_word(word: str, ctx: CommandContext) -> bool:
    head = word.split(":", 1)[0]
    return (fold(word) == "admin" or fold(head) in _SCOPED
            or ((":" in word or head == head.lower()) and match_role(head, ctx.graph.plan) is not None))


def _municipality_codes(text: str, municipalities: Mapping[int, Municipality]) -> set[int]:
    return {match_municipality(part.split(), municipalities).code
            for part in text.replace("_", " ").split(",") if part}


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
        if kind == "admin":
            is_admin = True
        elif kind == "manager":
            for part in filter(None, scope.split(",")):
                wave = match_wave(part, ctx.graph.plan)
                if wave is None:
                    raise UserError(t("admin.not_a_wave", word=part,
                                      valid=", ".join(ctx.graph.plan.waves)))
                manages.add(wave)
            if not scope:
                raise UserError(t("admin.manager_needs_wave"))
        elif kind == "coordinator":
            if not scope:
                raise UserError(t("admin.coordinator_needs_municipality"))
            coordinates |= _municipality_codes(scope, municipalities)
        else:
            role = match_role(head, ctx.graph.plan)
            if role is None:  # _is_role_word let it through only when it is a role
                raise UserError(t("admin.not_a_role", word=head))
            roles.add(role)
            limits |= _municipality_codes(scope, municipalities)
    return Person(handle, name, is_admin, frozenset(roles), frozenset(limits),
                  frozenset(coordinates), frozenset(manages))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "person"


def describe(person: Person, municipalities: Mapping[int, Municipality]) -> str:
    def names(codes: frozenset[int]) -> str:
        return ", ".join(sorted(municipalities[c].name if c in municipalities else str(c)
                                for c in codes))
    parts = [t("admin.rights_admin")] if person.is_admin else []
    parts += [t("admin.rights_manager", wave=w) for w in sorted(person.manages)]
    if person.coordinates:
        parts.append(t("admin.rights_coordinator", names=names(person.coordinates)))
    for role in sorted(person.roles):
        parts.append(t("admin.rights_role_for", role=role, names=names(person.municipalities))
                     if person.municipalities else role)
    return "; ".join(parts) or t("admin.rights_none")


def register(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Register a chat user and their roles (admin): `register @anna Anna Holm coordinator:aarhus`."""
    if not inv.actor.is_admin:
        raise UserError(t("admin.register_admin_only"), hint=t("hint.admin_only"))
    people = people_store(ctx)
    if not args or _user_id(args[0]) is None:
        raise UserError(t("admin.register_whom"), hint=t("admin.register_usage"))
    user_id = _user_id(args[0])
    assert user_id is not None
    words = args[1:]
    role_words = [w for w in words if _is_role_word(w, ctx)]
    name = " ".join(w for w in words if w not in role_words).strip()
    if not name:
        raise UserError(t("admin.register_name"), hint=t("admin.register_usage"))
    person = people.register(inv.source, user_id, _person(ctx, _slug(name), name, role_words),
                             change=ctx.change(inv))
    rights = describe(person, ctx.store.municipalities())
    return Reply(t("admin.registered", name=person.name, user=user_id, handle=person.handle),
                 (Section(lines=(t("admin.rights", rights=rights),)),), tone=Tone.SUCCESS,
                 changed=True)


def channel(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Link this channel to a wave, so commands here default to it: `channel P2` (`channel off`)."""
    people = people_store(ctx)
    if inv.channel is None:
        raise UserError(t("admin.channel_in_chat"))
    current = people.channel_wave(inv.source, inv.channel)
    if not args:
        if current is None:
            return Reply(t("admin.channel_unlinked"), footer=t("admin.channel_link_hint"))
        return Reply(t("admin.channel_linked", wave=current), footer=t("admin.channel_unlink_hint"))
    word = args[0]
    wave = None if fold(word) in ("off", "none") else match_wave(word, ctx.graph.plan)
    if wave is None and fold(word) not in ("off", "none"):
        raise UserError(t("admin.not_a_wave", word=word, valid=", ".join(ctx.graph.plan.waves)))
    allowed = inv.actor.is_admin or (wave or current) in inv.actor.manages
    if not allowed:
        raise UserError(t("admin.channel_not_allowed"), hint=t("hint.admin_only"))
    people.link_channel(inv.source, inv.channel, wave, change=ctx.change(inv))
    if wave is None:
        return Reply(t("admin.channel_removed"), tone=Tone.SUCCESS, changed=True)
    return Reply(t("admin.channel_follows", wave=wave), tone=Tone.SUCCESS, changed=True)
