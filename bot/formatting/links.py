"""Where a post leads and whose name it carries.

Rules: the posted link is the article's address as the source wrote it, minus the parameters
that only say how a reader arrived: the identity's list (jobs.ingest.urls, which decides what
counts as the same article and therefore stays as it is) plus a few more that are tracking on
the sites that use them but would change identities already stored (`pgtype`, and `module`,
`action` and `region` beside it). A link to a video host (YouTube, Vimeo, Dailymotion) is a
video. The source label is the provider's name, unless the provider's domain is not the
linked site's: then it is the linked host (a Benzinga link is not labelled "TMCnet"); a video on
a video host keeps its provider's name, which is the channel that made it.
"""

from __future__ import annotations

from urllib.parse import unquote_plus, urlsplit, urlunsplit

from jobs.ingest.urls import TRACKING_PARAMETERS, TRACKING_PREFIXES

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

VIDEO_HOSTS = ("youtube.com", "youtu.be", "vimeo.com", "dailymotion.com", "dai.ly")


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


def link_host(link: str) -> str | None:
    """The linked site as a reader names it: the host without "www."."""
    try:
        host = urlsplit(link.strip()).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def is_video_link(link: str) -> bool:
    host = link_host(link)
    return host is not None and any(_on_site(host, video) for video in VIDEO_HOSTS)


def source_label(name: str | None, domain: str | None, link: str) -> str:
    """The footer's source: the provider's name, or the linked host when the provider's domain
    is another site's. Empty when nothing names a source."""
    label = name or domain or ""
    host = link_host(link)
    if not domain or host is None or is_video_link(link):
        return label
    domain = domain.strip().lower().removeprefix("www.")
    if _on_site(host, domain) or _on_site(domain, host):
        return label
    return host


def _on_site(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)
