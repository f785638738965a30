"""The platform-neutral command core: text in, a :class:`commands.reply.Reply` out."""
