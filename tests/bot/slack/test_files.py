"""Files reach Slack through files_upload_v2, over real HTTP, from the real Bolt app."""

from __future__ import annotations

import csv
import io

from icalendar import Calendar

from tests.bot.slack.blockkit import assert_valid_message
from tests.bot.slack.conftest import ADMIN, SUPPLIER, SlackUser


def test_a_private_export_is_uploaded_to_the_askers_direct_messages(slack: SlackUser) -> None:
    slack.command("export csv aarhus", SUPPLIER)
    message = slack.answer()
    assert_valid_message(message)
    assert message["response_type"] == "ephemeral"
    assert "Exported the tasks of Aarhus (P2) as CSV" in message["text"]
    assert "The file is in your direct messages with the bot" in str(message["blocks"])
    slack.fake.wait_for("files.completeUploadExternal")
    # the three steps of files_upload_v2, in order
    methods = [
        c.method
        for c in slack.fake.calls
        if c.method in ("files.getUploadURLExternal", "upload", "files.completeUploadExternal")
    ]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert slack.fake.of("conversations.open")[0].body["users"] == SUPPLIER
    [(channel, title, content)] = slack.fake.uploaded()
    assert channel == "D0SUPPLIER"  # not the channel: nobody else sees a private answer's file
    assert title.startswith("Tasks of Aarhus (P2)")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows and {r["Municipality"] for r in rows} >= {"Aarhus"}
    request = slack.fake.of("files.getUploadURLExternal")[0].body
    assert request["filename"] == "sf1590-tasks-aarhus-2020-01-21.csv"
    assert int(request["length"]) == len(content)


def test_a_public_export_is_uploaded_into_the_channel(slack: SlackUser) -> None:
    slack.command("export ics P2 public", ADMIN, channel="C0ROLLOUT")
    message = slack.answer()
    assert message["response_type"] == "in_channel"
    assert "direct messages" not in str(message["blocks"])
    slack.fake.wait_for("files.completeUploadExternal")
    [(channel, _title, content)] = slack.fake.uploaded()
    assert channel == "C0ROLLOUT"
    assert not slack.fake.of("conversations.open")
    uids = {str(e["UID"]) for e in Calendar.from_ical(content).walk("VEVENT")}
    assert "gate-KP-3-P2@sf1590" in uids


def test_a_refused_upload_is_told_to_the_asker(slack: SlackUser) -> None:
    slack.fake.fail("files.completeUploadExternal", "not_in_channel")
    slack.command("export csv P2 public", ADMIN)
    slack.answer()
    apology = slack.answer(2)
    assert apology["response_type"] == "ephemeral"
    assert "not_in_channel" in apology["text"] and "/invite @sf1590" in apology["text"]


def test_an_answer_without_files_uploads_nothing(slack: SlackUser) -> None:
    slack.command("status P2", ADMIN)
    slack.answer()
    slack.command("export history P2", ADMIN)  # runs after the status answer was delivered
    slack.fake.wait_for("files.completeUploadExternal")
    assert len(slack.fake.of("files.getUploadURLExternal")) == 1
    assert slack.fake.uploaded()[0][1].startswith("History of wave P2")
