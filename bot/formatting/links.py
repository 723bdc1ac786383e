"""Where a post leads and whose name it carries.

Rules: the posted link is jobs.ingest.urls.clean_link (it lives beside the identity's rule, which
an admin's link is looked up by too). A link to a video host (YouTube, Vimeo, Dailymotion) is a
video. The source label is the provider's name, unless the provider's domain is not the
linked site's: then it is the linked host (a Benzinga link is not labelled "TMCnet"); a video on
a video host keeps its provider's name, which is the channel that made it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

VIDEO_HOSTS = ("youtube.com", "youtu.be", "vimeo.com", "dailymotion.com", "dai.ly")


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
