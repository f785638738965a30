"""Messages and card clicks in Teams, over real HTTP: the same command core, rendered as cards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.runtime import Runtime
from bot.slack.render import render_blocks
from bot.teams.app import TeamsBot
from bot.teams.server import TeamsService
from commands.context import BoardLink
from rollout.model import Status, TaskKey
from storage.people import SqlPeopleStore
from tests.bot.teams.cards import assert_valid_card, validate_cards
from tests.bot.teams.conftest import (
    AARHUS,
    ADMIN,
    BOT_ID,
    CHANNEL,
    COORDINATOR,
    STRANGER,
    SUPPLIER,
    TeamsClient,
    card_actions,
    card_text,
)

TS213 = TaskKey("A/TS213", AARHUS)


def _events(runtime: Runtime) -> list[object]:
    return [e for e in runtime.store.events(limit=10_000) if e.key == TS213]


def _button(card: dict[str, Any], command: str) -> dict[str, Any]:
    found = [
        a
        for a in card_actions(card)
        if a["type"] == "Action.Execute" and a.get("data", {}).get("command") == command
    ]
    assert found, f"no button {command!r} in {[a.get('data') for a in card_actions(card)]}"
    return found[0]


def _invoke_card(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = body["value"]
    return card


def test_next_in_a_channel_is_a_valid_card_with_the_same_content_as_slack(
    teams: TeamsClient, service: TeamsService, people: SqlPeopleStore
) -> None:
    assert teams.message("next aarhus", SUPPLIER).status_code == 202
    card = teams.card(1)
    assert_valid_card(card)
    call = teams.connector.wait_for(1)[0]
    assert call.method == "POST"
    assert call.path.startswith(f"/v3/conversations/{CHANNEL};messageid=")  # a reply in the thread

    reply = service.bot.runtime.answer("teams", SUPPLIER, CHANNEL, "next aarhus").reply
    tasks = [t for s in reply.sections for t in s.tasks]
    assert [t.code for t in tasks] == ["A/TS213", "C/NOCODE-1", "C/TS103", "C/TS104"]
    text = card_text(card)
    slack = str(render_blocks(reply))
    assert reply.headline in text
    for task in tasks:
        assert f"{task.code} {task.title}" in text
        assert task.code in slack
        assert task.title.replace("&", "&amp;") in slack
        for action in task.actions:
            assert any(a.get("data", {}).get("command") == action.command for a in card_actions(card)), action
    titles = {a["title"] for a in card_actions(card)}
    assert {"Done", "Start", "Block…"} <= titles


def test_with_or_without_a_mention_in_channel_group_and_personal_chat(teams: TeamsClient) -> None:
    teams.message("next aarhus", SUPPLIER, mention=False, conversation_type="personal")
    teams.message("sf1590 next aarhus", SUPPLIER, mention=False, conversation_type="groupChat")
    teams.message("next aarhus", SUPPLIER, mention=True, conversation_type="groupChat")
    cards = [teams.card(n) for n in (1, 2, 3)]
    assert all(r["errors"] == [] for r in validate_cards(cards))
    for card in cards:
        assert "A/TS213" in card_text(card) and "Aarhus" in card_text(card)
    paths = [c.path for c in teams.connector.messages()]
    assert paths[0].startswith(f"/v3/conversations/a:personal-{SUPPLIER}/activities")
    assert paths[1].startswith("/v3/conversations/19:group-chat-1@thread.v2/activities")


def test_clicking_done_records_exactly_one_event_and_updates_the_card(
    teams: TeamsClient, demo_runtime: Runtime
) -> None:
    teams.message("next aarhus", SUPPLIER)
    done = _button(teams.card(1), "done A/TS213@751")
    updated = _invoke_card(teams.execute(done, SUPPLIER))
    assert_valid_card(updated)
    assert "A/TS213 Aarhus: to do → done" in card_text(updated)
    assert len(_events(demo_runtime)) == 1
    assert demo_runtime.store.task_states([AARHUS])[TS213].status == Status.DONE
    assert len(teams.connector.messages()) == 1  # the invoke answer replaced the card; no new post

    again = _invoke_card(teams.execute(done, SUPPLIER))  # the old card's button, clicked again
    assert "A/TS213 Aarhus is already done; nothing changed." in card_text(again)
    assert len(_events(demo_runtime)) == 1

    undo = (
        _button(updated, "undo A/TS213@751")
        if any(a.get("data", {}).get("command") == "undo A/TS213@751" for a in card_actions(updated))
        else next(a for a in card_actions(updated) if a.get("title") == "Undo")
    )
    undone = _invoke_card(teams.execute(undo, SUPPLIER))
    assert_valid_card(undone)
    assert demo_runtime.store.task_states([AARHUS])[TS213].status != Status.DONE


def test_block_asks_for_a_reason_and_the_reason_reaches_the_command(
    teams: TeamsClient, demo_runtime: Runtime
) -> None:
    teams.message("next aarhus", SUPPLIER)
    card = teams.card(1)
    show = next(a for a in card_actions(card) if a["type"] == "Action.ShowCard")
    (reason_input,) = show["card"]["body"]
    assert reason_input["type"] == "Input.Text" and reason_input["isRequired"] is True
    (block,) = show["card"]["actions"]
    assert block["data"]["command"] == "block A/TS213@751 --"
    updated = _invoke_card(
        teams.execute(block, SUPPLIER, inputs={reason_input["id"]: "  vejen for\nthe supplier's\tcontract  "})
    )
    assert_valid_card(updated)
    state = demo_runtime.store.task_states([AARHUS])[TS213]
    assert state.status == Status.BLOCKED
    assert state.reason == "vejen for the supplier's contract"  # a reason, never a municipality

    # An empty reason is refused by the core, like a typed `block` without one.
    teams.message("next aarhus", SUPPLIER)
    refused = _invoke_card(teams.execute(block, SUPPLIER, inputs={reason_input["id"]: " "}))
    assert "needs a reason" in card_text(refused)


def test_action_submit_updates_the_clicked_card_through_the_connector(
    teams: TeamsClient, demo_runtime: Runtime
) -> None:
    teams.message("next aarhus", SUPPLIER)
    done = _button(teams.card(1), "done A/TS213@751")
    assert teams.submit(done["data"], SUPPLIER, reply_to="act-1").status_code == 202
    update = teams.connector.wait_for(2)[1]
    assert update.method == "PUT"
    assert update.path.endswith("/activities/act-1")
    assert "to do → done" in card_text(teams.card(2))
    assert len(_events(demo_runtime)) == 1


def test_permission_checks_are_the_cores(teams: TeamsClient, demo_runtime: Runtime) -> None:
    teams.message("next aarhus", SUPPLIER)
    done = _button(teams.card(1), "done A/TS213@751")
    refused = card_text(_invoke_card(teams.execute(done, COORDINATOR)))
    assert "You may not change A/TS213 Aarhus" in refused
    stranger = card_text(_invoke_card(teams.execute(done, STRANGER)))
    assert "You are not registered with the rollout bot yet" in stranger
    assert f"your AAD object id is {STRANGER}" in stranger
    assert _events(demo_runtime) == []


def test_forged_or_malformed_button_data_runs_nothing(teams: TeamsClient, demo_runtime: Runtime) -> None:
    forged = [
        {"verb": "sf1590", "data": {"command": 42}},
        {"verb": "sf1590", "data": {"command": "x" * 600}},
        {"verb": "sf1590", "data": {"command": "block A/TS213@751", "reason_input": "other", "other": "why"}},
    ]
    for action in forged:
        text = card_text(_invoke_card(teams.execute(action, ADMIN)))
        assert "did not carry a command" in text
    assert _events(demo_runtime) == []
    # Text smuggled into the command is just command text: the core parses and refuses it.
    smuggled = {"verb": "sf1590", "data": {"command": "done A/TS213@751 ; register <@U1> X admin"}}
    card_text(_invoke_card(teams.execute(smuggled, COORDINATOR)))
    assert _events(demo_runtime) == []


def test_linking_the_channel_stores_the_conversation_reference(
    teams: TeamsClient, service: TeamsService, people: SqlPeopleStore
) -> None:
    teams.message("channel P2", COORDINATOR)
    assert "Only an admin or the wave's manager" in card_text(teams.card(1))
    assert service.bot.refs.get("teams", CHANNEL) is None

    teams.message("channel P2", ADMIN)
    assert "This channel now follows wave P2" in card_text(teams.card(2))
    assert people.channel_wave("teams", CHANNEL) == "P2"
    stored = service.bot.refs.get("teams", CHANNEL)
    assert stored is not None and stored.service_url == teams.connector.url
    assert f'"id":"{CHANNEL}"' in stored.reference  # the channel, not the thread it was said in

    teams.message("status", SUPPLIER)  # the channel's wave is the default now
    assert "P2" in card_text(teams.card(3))


def test_installing_the_bot_says_hello_and_remembers_the_conversation(
    teams: TeamsClient, service: TeamsService
) -> None:
    bot = {"id": "28:11111111-2222-3333-4444-555555555555", "name": "sf1590"}
    response = teams.post(teams.activity("conversationUpdate", ADMIN, membersAdded=[bot]))
    assert response.status_code == 202
    welcome = teams.card(1)
    assert_valid_card(welcome)
    assert "@sf1590 channel P2" in card_text(welcome)
    assert service.bot.refs.get("teams", CHANNEL) is not None
    # Someone else joining is not the bot's business.
    teams.post(teams.activity("conversationUpdate", ADMIN, membersAdded=[{"id": "29:someone"}]))
    assert len(teams.connector.messages()) == 1


def test_command_text_strips_the_mention_and_markup() -> None:
    from microsoft_agents.activity import Activity

    from bot.teams.app import command_text

    def text_of(text: str, entities: list[dict[str, Any]] | None = None) -> str:
        return command_text(
            Activity.model_validate(
                {"type": "message", "text": text, "recipient": {"id": "28:bot"}, "entities": entities or []}
            )
        )

    mention = [{"type": "mention", "text": "<at>sf1590</at>", "mentioned": {"id": "28:bot"}}]
    assert text_of("<at>sf1590</at> next aarhus", mention) == "next aarhus"
    assert text_of("<at>sf1590</at>&nbsp;next <b>aarhus</b>\n", mention) == "next aarhus"
    assert text_of("sf1590 next aarhus") == "next aarhus"
    assert text_of("/sf1590 next aarhus") == "next aarhus"
    assert text_of("next aarhus") == "next aarhus"
    assert TeamsBot.__name__ == "TeamsBot"


def test_an_admin_registers_a_mentioned_teams_user_by_aad_object_id(
    teams: TeamsClient, people: SqlPeopleStore
) -> None:
    teams.connector.members["29:nina"] = {"id": "29:nina", "name": "Nina Nobody", "aadObjectId": STRANGER}
    nina = {
        "type": "mention",
        "text": "<at>Nina Nobody</at>",
        "mentioned": {"id": "29:nina", "name": "Nina Nobody"},
    }
    activity = teams.activity(
        "message",
        ADMIN,
        text="<at>sf1590</at> register <at>Nina Nobody</at> Nina Nobody coordinator:aarhus",
        entities=[
            {"type": "mention", "text": "<at>sf1590</at>", "mentioned": {"id": BOT_ID, "name": "sf1590"}},
            nina,
        ],
    )
    assert teams.post(activity).status_code == 202
    assert "Registered Nina Nobody" in card_text(teams.card(1))
    person = people.person_for("teams", STRANGER)
    assert person is not None and person.name == "Nina Nobody"
    assert person.coordinates == frozenset({AARHUS})

    # Only an admin may: the same from a coordinator changes nothing.
    teams.post({**activity, "from": {"id": "29:cia", "aadObjectId": COORDINATOR}})
    assert "Only an admin can register people" in card_text(teams.card(2))


def test_a_board_link_is_given_only_in_a_personal_chat(teams: TeamsClient, service: TeamsService) -> None:
    """Teams shows every answer to the whole conversation: a link bound to one person is not
    posted in a channel or a group chat, and the refusal says where to ask."""
    service.bot.runtime.board_link = lambda handle, name, page, language: BoardLink(
        f"https://board.example/board/open?token=for-{handle}&to={page}", datetime(2020, 1, 22, tzinfo=UTC)
    )
    teams.message("board K91", SUPPLIER)
    teams.message("board K91", SUPPLIER, conversation_type="groupChat")
    teams.message("board K91", SUPPLIER, mention=False, conversation_type="personal")
    shared, group, personal = (card_text(teams.card(n)) for n in (1, 2, 3))
    for text in (shared, group):
        assert "token=" not in text
        assert "everyone in this conversation would see it" in text and "personal chat" in text
    assert "https://board.example/board/open?token=for-" in personal
