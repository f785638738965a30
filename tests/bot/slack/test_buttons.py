"""Clicking buttons: Done records exactly one event and updates the message; Block… asks why."""

from __future__ import annotations

import json

from bot.runtime import Runtime
from rollout.model import Status, TaskKey
from tests.bot.slack.blockkit import assert_valid_message
from tests.bot.slack.conftest import AARHUS, COORDINATOR, SUPPLIER, SlackUser, buttons

TS213 = TaskKey("A/TS213", AARHUS)


def _events(runtime: Runtime) -> list[object]:
    return [e for e in runtime.store.events(limit=10_000) if e.key == TS213]


def _button(message: dict[str, object], value: str) -> dict[str, object]:
    found = [b for b in buttons(message) if b["value"] == value]
    assert found, f"no button {value!r} in {buttons(message)}"
    return found[0]


def test_done_click_records_one_event_and_updates_the_message(
    slack: SlackUser, demo_runtime: Runtime
) -> None:
    slack.command("next aarhus", SUPPLIER)
    done = _button(slack.answer(1), "done A/TS213@751")
    assert slack.click(done, SUPPLIER).status_code == 200
    updated = slack.answer(2)
    assert updated["replace_original"] is True
    assert_valid_message(updated)
    assert "A/TS213 Aarhus: ready → done" in str(updated["blocks"]) or "to do → done" in str(
        updated["blocks"]
    )
    assert len(_events(demo_runtime)) == 1
    assert demo_runtime.store.task_states([AARHUS])[TS213].status == Status.DONE

    slack.click(done, SUPPLIER)  # the same (old) button again
    again = slack.answer(3)
    assert "A/TS213 Aarhus is already done; nothing changed." in str(again["blocks"])
    assert len(_events(demo_runtime)) == 1


def test_user_without_the_role_is_refused_and_nothing_changes(
    slack: SlackUser, demo_runtime: Runtime
) -> None:
    slack.command("next aarhus", SUPPLIER)
    done = _button(slack.answer(1), "done A/TS213@751")
    slack.click(done, COORDINATOR)  # a coordinator of Aarhus, but TS213 is the supplier's
    refused = slack.answer(2)
    assert_valid_message(refused)
    text = str(refused["blocks"])
    assert "You may not change A/TS213 Aarhus: it belongs to Leverandør af bogføringssystemet" in text
    assert _events(demo_runtime) == []


def test_block_opens_a_modal_and_its_submission_blocks_the_task(
    slack: SlackUser, demo_runtime: Runtime
) -> None:
    slack.command("next aarhus", SUPPLIER)
    block = _button(slack.answer(1), "block A/TS213@751 --")
    assert str(block["action_id"]).startswith("sf1590-ask:block:")
    slack.click(block, SUPPLIER)
    (opened,) = slack.fake.wait_for("views.open")
    assert opened.body["trigger_id"] == "13345.TRIGGER"
    view = opened.body["view"]
    assert view["type"] == "modal"
    assert _events(demo_runtime) == []  # nothing happens until the reason is given
    submission = {
        "type": "view_submission",
        "team": {"id": "T0FAKE"},
        "user": {"id": SUPPLIER, "username": "bo", "team_id": "T0FAKE"},
        "api_app_id": "A0APP",
        "token": "legacy",
        "trigger_id": "2.3.4",
        "view": {
            **view,
            "id": "V0FAKE",
            "state": {
                "values": {
                    "reason": {
                        "reason": {"type": "plain_text_input", "value": "vejen <!channel> & the KMD test"}
                    }
                }
            },
        },
    }
    assert slack.interactive(submission).status_code == 200
    updated = slack.answer(2)
    assert updated["replace_original"] is True
    assert_valid_message(updated)
    state = demo_runtime.store.task_states([AARHUS])[TS213]
    assert state.status == Status.BLOCKED
    # The button's command ends with `--`: a reason starting with a municipality stays a reason.
    assert state.reason == "vejen <!channel> & the KMD test"
    assert "<!channel>" not in json.dumps(updated)


def test_a_slack_api_failure_is_logged_and_the_user_gets_a_short_apology(
    slack: SlackUser, caplog: object
) -> None:
    slack.fake.fail("views.open", "expired_trigger_id")
    slack.command("next aarhus", SUPPLIER)
    slack.click(_button(slack.answer(1), "block A/TS213@751 --"), SUPPLIER)
    apology = slack.answer(2)
    assert apology["text"].startswith("Sorry, that did not work on our side (reference ")
    assert "Traceback" not in str(apology) and "expired_trigger_id" not in str(apology)
    assert "expired_trigger_id" in caplog.text  # type: ignore[attr-defined]
