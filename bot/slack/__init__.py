"""The Slack adapter: a Bolt app over the command core, its Block Kit renderer and its server."""

__all__: list[str] = []
