"""A scheduled message with a file (the Udrulningsrapport on its day): the outbox keeps the file
and the Slack notifier uploads it into the channel before the message that announces it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.notify import DeliveryError
from bot.scheduler.payload import reply_from_json, reply_to_json
from bot.slack.notifier import SlackNotifier
from commands.reply import Attachment, Reply
from tests.bot.slack.fake_slack import FakeSlack

REPORT = Attachment(
    "udrulningsrapport-v2-P2.docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    bytes(range(256)) * 4,
    title="Udrulningsrapport v2, P2",
)
REPLY = Reply("Udrulningsrapport v2 for P2 is attached", files=(REPORT,))


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


def notifier(fake: FakeSlack) -> SlackNotifier:
    return SlackNotifier(WebClient(token="xoxb-test", base_url=f"{fake.url}/api/", retry_handlers=[]))


def test_the_outbox_payload_keeps_the_files_byte_for_byte() -> None:
    again = reply_from_json(reply_to_json(REPLY))
    assert again == REPLY and again.files[0].content == REPORT.content


def test_the_notifier_uploads_the_file_into_the_channel_then_posts(fake: FakeSlack) -> None:
    notifier(fake).post("C0P2", REPLY, key="report|P2|v2")
    assert fake.uploaded() == [("C0P2", "Udrulningsrapport v2, P2", REPORT.content)]
    order = [c.method for c in fake.calls if c.method in ("files.completeUploadExternal", "chat.postMessage")]
    assert order == ["files.completeUploadExternal", "chat.postMessage"]


def test_a_refused_upload_is_a_delivery_error_and_nothing_is_posted(fake: FakeSlack) -> None:
    fake.fail("files.completeUploadExternal", "not_in_channel")
    with pytest.raises(DeliveryError) as refused:
        notifier(fake).post("C0P2", REPLY, key="report|P2|v2")
    assert refused.value.unreachable and "not_in_channel" in str(refused.value)  # kept: /invite fixes it
    assert not fake.of("chat.postMessage")
