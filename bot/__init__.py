"""The only package that knows python-telegram-bot: composition root, handlers, sender, CLI."""
