"""What of a feed URL is a secret: the password of its user part and the values of query
parameters named like credentials (?api_key=…, ?token=…). A feed that needs a key carries it in
its URL, and the URL is shown in /stats, in alerts and in log lines: `shown_url` is the URL as
they show it, `url_secrets` what the log formatter blanks out of every line. Pure."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A parameter whose name holds one of these is taken as a credential.
# Shorter values are blanked out of replies but not of log lines: replacing every "1" of every
# line would say nothing and garble the rest (bot.config_errors.secrets_given's bound).
MIN_LOGGED_SECRET = 4
_SECRET_NAME = re.compile(r"key|token|secret|pass|pwd|auth|sig|credential", re.IGNORECASE)
_QUERY_VALUE = re.compile(r"([?&;])([^=&;#\s]+)=([^&;#\s]*)")  # up to a space: a URL in a sentence
HIDDEN = "***"


def redact_url(url: str) -> str:
    """The URL with its password replaced by ***: "postgresql://feedbot:***@db/feedbot". By hand
    rather than SQLAlchemy's URL, which cannot parse the malformed URLs this is for: everything
    before the last "@" is taken as the user part (a password with "/" or "@" in it, not
    percent-encoded, is still hidden). Without "://", only a "user:password@" is hidden: an
    "@name" (a channel, an admin) is no URL."""
    if "@" not in url:
        return url
    before, _, host = url.rpartition("@")
    scheme, separator, userinfo = before.partition("://")
    if not separator:
        return f"***@{host}" if ":" in before else url
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}:***@{host}" if colon else url


def url_secrets(url: str) -> tuple[str, ...]:
    """The secret parts of `url`, as they stand in it (percent-encoded as written), for the log
    formatter to blank out. A folder's path has none."""
    if "://" not in url:
        return ()
    found = [value for name, value in _query_pairs(url) if _SECRET_NAME.search(name)]
    try:
        password = urlsplit(url).password
    except ValueError:  # a URL urlsplit refuses: only the query's secrets are known
        password = None
    if password:
        found.append(password)
    return tuple(value for value in found if len(value) >= MIN_LOGGED_SECRET)


def shown_url(url: str) -> str:
    """`url` with its password and credential values replaced by ***; anything else (a
    folder's path, an @name) as redact_url leaves it."""
    if "://" not in url:
        return redact_url(url)

    def hide(match: re.Match[str]) -> str:
        separator, name, value = match.groups()
        shown = HIDDEN if _SECRET_NAME.search(name) and value else value
        return f"{separator}{name}={shown}"

    return _QUERY_VALUE.sub(hide, redact_url(url))


def _query_pairs(url: str) -> list[tuple[str, str]]:
    query = url.partition("?")[2].partition("#")[0]
    return [(m.group(2), m.group(3)) for m in _QUERY_VALUE.finditer("?" + query)]


def hide_secrets(text: str, url: str) -> str:
    """`text` (an error about the feed at `url`, which may quote it or a page of it) with the
    URL's credentials replaced by ***."""
    for secret in url_secrets(url):
        text = text.replace(secret, HIDDEN)
    return text
