"""Verbs that manage who is who: `register` a chat user with roles, link a `channel` to a wave.

They need the people store, which the adapter puts in ``CommandContext.extras["people"]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from commands.context import Actor, CommandContext, Invocation
from commands.grammar import CLOSING_QUOTES, DASHES, OPENING_QUOTES
from commands.messages import EN
from commands.parse import UserError, fold, match_municipality, match_role, match_wave
from commands.reply import Reply, Section, Tone
from rollout.model import Municipality
from storage.people import PeopleStore, Person

__all__ = ["PEOPLE", "actor_for", "channel", "people_store", "register", "unknown_actor"]

PEOPLE = "people"  # the key of the people store in CommandContext.extras

# <@U0ABC> (Slack) or <@8f2c…-…> (the AAD object id the Teams adapter puts for a mention)
_USER = re.compile(r"^<@([A-Za-z0-9][A-Za-z0-9-]*)(?:\|[^>]*)?>$|^@?([UW][A-Z0-9]{2,})$")
_EVERYWHERE = ("all", "alle", "*")  # a plan role not limited to some municipalities

REGISTER_USAGE = ("register @user Full Name role:scope… [admin] — roles: manager:WAVE, "
                  "coordinator:MUNICIPALITY[,MUNICIPALITY], PLAN_ROLE:MUNICIPALITY[,…] or "
                  "PLAN_ROLE:all, and admin as the last word; a name with a role word in it "
                  "goes in quotes or before `--`: register @ada \"Ada Admin\" admin")

# Usage lines for `help` (the catalogue in commands.messages is the lead's file; add them here).
EN.setdefault("usage.register", "register @user Full Name role:scope… [admin]")
EN.setdefault("usage.channel", "channel WAVE")
EN.setdefault("summary.register", "Admin: register a chat user; roles as role:scope after the name, "
              "`admin` last: `register @anna Anna Holm coordinator:aarhus admin`. A name with a "
              "role word in it goes in quotes: `register @ada \"Ada Admin\" admin`.")


def people_store(ctx: CommandContext) -> PeopleStore:
    store = ctx.extras.get(PEOPLE)
    if store is None:
        raise UserError("Registering people and linking channels works in chat (Slack), not here.")
    return store  # type: ignore[return-value]


def actor_for(person: Person) -> Actor:
    return Actor(person.handle, person.name, person.is_admin, person.roles, person.municipalities,
                 person.coordinates, person.manages)


def unknown_actor(platform: str, external_id: str, name: str = "") -> Actor:
    """Someone the bot does not know: may read, may change nothing."""
    return Actor(f"{platform}:{external_id}", name or external_id)


def _user_id(word: str) -> str | None:
    found = _USER.match(word.strip())
    return (found.group(1) or found.group(2)) if found else None


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
        return body[:end], body[end + 1:].split()
    dashes = [i for i, word in enumerate(words) if word in DASHES]
    if dashes:  # Ada Admin -- admin coordinator:aarhus
        return " ".join(words[:dashes[0]]), words[dashes[0] + 1:]
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
    if role_words or not (fold(last) in ("manager", "coordinator")
                          or match_role(last, ctx.graph.plan) is not None):
        return
    raise UserError(f"Is `{last}` part of the name or a role? Nothing was registered. A role "
                    f"needs its scope (`{last.lower()}:aarhus`, `{last.lower()}:all`); a name "
                    f"with a role word in it goes in quotes: `\"{name}\"`.",
                    hint=f"`{REGISTER_USAGE}`")


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
        if kind == "admin" and not scope:
            is_admin = True
        elif kind == "manager":
            for part in filter(None, scope.split(",")):
                wave = match_wave(part, ctx.graph.plan)
                if wave is None:
                    raise UserError(f"`{part}` is not a wave: use one of "
                                    f"{', '.join(ctx.graph.plan.waves)}.")
                manages.add(wave)
            if not scope:
                raise UserError("`manager` needs a wave, e.g. `manager:P2`.")
        elif kind == "coordinator":
            if not scope:
                raise UserError("`coordinator` needs a municipality, e.g. `coordinator:aarhus`.")
            coordinates |= _municipality_codes(scope, municipalities)
        else:
            role = match_role(head, ctx.graph.plan)
            if role is None:
                raise UserError(f"`{word}` is not a role: use admin, manager:WAVE, "
                                f"coordinator:MUNICIPALITY or PLAN_ROLE:MUNICIPALITY|all.")
            roles.add(role)
            if not scope:
                raise UserError(f"`{word}` needs municipalities or all, e.g. `{head}:aarhus` "
                                f"or `{head}:all`.")
            if fold(scope) not in _EVERYWHERE:
                limits |= _municipality_codes(scope, municipalities)
    return Person(handle, name, is_admin, frozenset(roles), frozenset(limits),
                  frozenset(coordinates), frozenset(manages))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "person"


def describe(person: Person, municipalities: Mapping[int, Municipality]) -> str:
    def names(codes: frozenset[int]) -> str:
        return ", ".join(sorted(municipalities[c].name if c in municipalities else str(c)
                                for c in codes))
    parts = ["admin"] if person.is_admin else []
    parts += [f"manager of {w}" for w in sorted(person.manages)]
    if person.coordinates:
        parts.append(f"coordinator for {names(person.coordinates)}")
    for role in sorted(person.roles):
        parts.append(f"{role}" + (f" for {names(person.municipalities)}" if person.municipalities
                                  else ""))
    return "; ".join(parts) or "no rights (can read only)"


def register(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Register a chat user and their roles (admin): `register @anna Anna Holm coordinator:aarhus`.

    Roles are read from the end only (role:scope words, then `admin` as the last word), so a word
    of the name (Ada Admin) is never a role; a name can also go in quotes or before `--`.
    """
    if not inv.actor.is_admin:
        raise UserError("Only an admin can register people.", hint="Ask an admin of the rollout.")
    people = people_store(ctx)
    if not args or _user_id(args[0]) is None:
        raise UserError("Whom? Start with the user, e.g. `register @anna Anna Holm admin`.",
                        hint=f"`{REGISTER_USAGE}`")
    user_id = _user_id(args[0])
    assert user_id is not None
    name, role_words = _name_and_roles(args[1:])
    name = name.strip()
    if not name:
        raise UserError("What is their name? e.g. `register @anna Anna Holm admin`.",
                        hint=f"`{REGISTER_USAGE}`")
    _refuse_bare_role(ctx, name, role_words)
    person = people.register(inv.source, user_id, _person(ctx, _slug(name), name, role_words),
                             change=ctx.change(inv))
    rights = describe(person, ctx.store.municipalities())
    return Reply(f"Registered {person.name} (<@{user_id}>) as `{person.handle}`.",
                 (Section(lines=(f"Rights: {rights}.",)),), tone=Tone.SUCCESS, changed=True)


def channel(ctx: CommandContext, inv: Invocation, args: list[str]) -> Reply:
    """Link this channel to a wave, so commands here default to it: `channel P2` (`channel off`)."""
    people = people_store(ctx)
    if inv.channel is None:
        raise UserError("`channel` works in a chat channel.")
    current = people.channel_wave(inv.source, inv.channel)
    if not args:
        if current is None:
            return Reply("This channel is not linked to a wave.", footer="Link it: `channel P2`.")
        return Reply(f"This channel is linked to wave {current}.", footer="Unlink: `channel off`.")
    word = args[0]
    wave = None if fold(word) in ("off", "none") else match_wave(word, ctx.graph.plan)
    if wave is None and fold(word) not in ("off", "none"):
        raise UserError(f"`{word}` is not a wave: use one of {', '.join(ctx.graph.plan.waves)}.")
    if wave is None and current is None:
        return Reply("This channel is not linked to a wave.", footer="Link it: `channel P2`.")
    # Rights over the wave it follows now (relinking takes it from there) and over the new one.
    concerned = {w for w in (current, wave) if w is not None}
    allowed = inv.actor.is_admin or concerned <= inv.actor.manages
    if not allowed:
        raise UserError("Only an admin or the wave's manager can link a channel to a wave.",
                        hint="Ask an admin of the rollout.")
    people.link_channel(inv.source, inv.channel, wave, change=ctx.change(inv))
    if wave is None:
        return Reply("This channel is no longer linked to a wave.", tone=Tone.SUCCESS, changed=True)
    return Reply(f"This channel now follows wave {wave}: `next`, `status` and `gate` here "
                 f"default to {wave}.", tone=Tone.SUCCESS, changed=True)
