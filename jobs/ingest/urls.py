"""Article identity: one canonical spelling per article address.

The same story reaches the feed under several spellings (a newsletter adds `utm_*`, a share button
adds `fbclid`, a CMS appends a slash), and the source rewrites its files every hour or two, so
the normalised URL, not the file or its content, is what says "this article was seen before".

Beside it, the link a post shows (clean_link): the address as the source wrote it, minus the
identity's tracking parameters plus a few more that are tracking on the sites that use them but
would change identities already stored (`ocid`, `smid`, `pgtype` with `module`, `action` and
`region` beside it, …).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# One regex search instead of a Python loop over characters: this runs for every article.
_WHITESPACE = re.compile(r"\s")

# Far beyond any real article address, and it keeps identities inside the 2048-character column.
MAX_URL_CHARS = 2000

# Parameters that say how a reader arrived, never which page they see: dropping them merges the
# copies of one article without merging two different articles. Matched case-insensitively.
# Anything else (`id`, `p`, `v`, a site's own `module=`) may select content and is kept.
TRACKING_PARAMETERS: frozenset[str] = frozenset(
    {
        # ad and social click ids
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "gclsrc",
        "gbraid",
        "wbraid",
        "dclid",  # Google Display (DoubleClick)
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "twclid",  # X/Twitter
        "ttclid",  # TikTok
        "li_fat_id",  # LinkedIn
        "igshid",  # Instagram share
        "rb_clickid",
        # analytics cross-domain linkers
        "_ga",
        "_gl",
        "_openstat",
        # e-mail campaign tools
        "mc_cid",  # Mailchimp
        "mc_eid",
        "_hsenc",  # HubSpot
        "_hsmi",
        "mkt_tok",  # Marketo
        "vero_id",
        "vero_conv",
        "oly_anon_id",  # Omeda
        "oly_enc_id",
        "elqtrackid",  # Oracle Eloqua
        "elqtrack",
        "elqaid",
        "elqat",
        "elqcampaignid",
        "elq_mid",
        "elq_cid",
    }
)
TRACKING_PREFIXES: tuple[str, ...] = ("utm_",)  # Google Analytics campaign tags, any suffix

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(raw: str) -> str | None:
    """The canonical form of an absolute http(s) URL, or None when `raw` is not one.

    Lower-cased scheme and host, no default port, no fragment, no tracking parameters (the rest
    keep their order and spelling), no trailing slash except the root's; the path keeps its case
    because servers treat it as case-sensitive.
    """
    candidate = raw.strip()
    if not candidate or len(candidate) > MAX_URL_CHARS or not candidate.isprintable():
        return None
    if _WHITESPACE.search(candidate):
        return None
    try:
        parts = urlsplit(candidate)
        port = parts.port  # raises on a non-numeric or out-of-range port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    host = parts.hostname  # already lower-cased, IPv6 brackets removed
    if not host or any(char in host for char in "\\<>\"'`{}|^"):
        return None
    if ":" in host:
        host = f"[{host}]"
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = f"{userinfo}{at}{host}"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/") or "/"
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _is_tracking_parameter(pair)
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_tracking_parameter(pair: str) -> bool:
    name = unquote_plus(pair.partition("=")[0]).strip().lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


# Tracking for the posted link only: NYT and SCMP append "module=…&pgtype=…" (with "action"
# and "region") to every internal link. Elsewhere "module" may choose the page, so it goes only
# beside "pgtype".
_PAGE_TYPE = "pgtype"
_BESIDE_PAGE_TYPE = frozenset({"module", "action", "region"})
_LINK_ONLY_TRACKING = frozenset(
    {
        "ocid",  # Microsoft (MSN)
        "cmpid",  # campaign ids (Washington Post, Adobe)
        "ncid",  # Yahoo, Engadget
        "smid",  # NYT share
        "sr_share",  # Facebook share
        "guccounter",  # Yahoo consent redirect
        "guce_referrer",
        "guce_referrer_sig",
        "ref_src",  # X/Twitter widgets
    }
)


def clean_link(link: str) -> str:
    """`link` as written, without tracking parameters; anything unparsable comes back as is."""
    link = link.strip()
    try:
        parts = urlsplit(link)
    except ValueError:
        return link
    if not parts.query:
        return link
    pairs = [pair for pair in parts.query.split("&") if pair]
    names = [unquote_plus(pair.partition("=")[0]).strip().lower() for pair in pairs]
    paged = _PAGE_TYPE in names
    kept = [
        pair
        for pair, name in zip(pairs, names, strict=True)
        if not (
            name in TRACKING_PARAMETERS
            or name.startswith(TRACKING_PREFIXES)
            or name in _LINK_ONLY_TRACKING
            or name == _PAGE_TYPE
            or (paged and name in _BESIDE_PAGE_TYPE)
        )
    ]
    if len(kept) == len(pairs):
        return link
    return urlunsplit(parts._replace(query="&".join(kept)))
