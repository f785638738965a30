"""Defuse broadcast mentions in text we did not write (task reasons, names, plan text).

A reason like "@here@here" or "<!everyone>" must never notify a whole channel. A zero-width
space after the "@" (or between "<" and "!") keeps the text readable and makes it inert, in
Slack's mrkdwn and wherever the text is copied to.
"""

from __future__ import annotations

import re

__all__ = ["defuse"]

ZWSP = "\u200b"
_AT = re.compile(r"@(?=channel|here|everyone)", re.IGNORECASE)  # whatever follows: @heres too
_BANG = re.compile(r"<(?=!(?:channel|here|everyone|subteam\^))", re.IGNORECASE)


def defuse(text: str) -> str:
    """``text`` with every @here/@channel/@everyone and <!here>-style token made inert."""
    return _BANG.sub("<" + ZWSP, _AT.sub("@" + ZWSP, text))
