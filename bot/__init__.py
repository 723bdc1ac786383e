"""The only package that knows python-telegram-bot: composition root, handlers, sender, CLI."""

import os

# Opt in to python-telegram-bot's coming behaviour (durations as timedelta, e.g. RetryAfter):
# without it PTB 22 warns on every 429. bot.sender handles both shapes.
os.environ.setdefault("PTB_TIMEDELTA", "1")
