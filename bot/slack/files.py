"""Files into a Slack conversation with ``files_upload_v2`` (scope ``files:write``)."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient

from commands.reply import Attachment

__all__ = ["upload_files"]


def upload_files(client: WebClient, channel: str, files: Sequence[Attachment]) -> None:
    """Upload and share ``files`` into ``channel`` in one files_upload_v2 call (its three steps:
    files.getUploadURLExternal, the upload, files.completeUploadExternal). Raises Slack's
    errors (SlackApiError, SlackRequestError) for the caller to report or retry."""
    client.files_upload_v2(
        channel=channel,
        file_uploads=[
            {
                "file": f.content,
                "filename": f.filename,
                "title": f.title or f.filename,
                **({"alt_txt": f.alt_text} if f.alt_text else {}),
            }
            for f in files
        ],
    )
