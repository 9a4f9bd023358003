"""Live URLs and the URLs actually fetched.

With [crawl] base_url set (the local replay site), every live URL is fetched at
``{base_url}/{host}{path}``: the live host becomes the first path segment. Records are
always stored with the live URL; spiders resolve links against the live URL of the
page they read, so only the request layer ever sees the replay address.
"""

from __future__ import annotations

import functools
from urllib.parse import urljoin, urlparse, urlsplit, urlunsplit

from scrapy.utils.url import url_is_from_any_domain


def _base(base_url: str | None) -> str:
    return (base_url or "").rstrip("/")


def to_fetch_url(live_url: str, base_url: str | None) -> str:
    """The URL to request for a live URL: unchanged without a base URL."""
    base = _base(base_url)
    if not base:
        return live_url
    parts = urlsplit(live_url)
    if not parts.hostname:
        raise ValueError(f"not an absolute URL: {live_url!r}")
    host = parts.netloc.split("@")[-1].lower()
    path = parts.path or "/"
    return urlunsplit(urlsplit(f"{base}/{host}{path}")._replace(query=parts.query, fragment=""))


def to_live_url(fetch_url: str, base_url: str | None, scheme: str = "https") -> str:
    """The live URL a fetched URL stands for (inverse of to_fetch_url).

    The replay path does not keep the live scheme: ``scheme`` (https unless told) is used.
    """
    base = _base(base_url)
    if not base or not fetch_url.startswith(base + "/"):
        return fetch_url
    parts = urlsplit(fetch_url)
    base_path = urlsplit(base).path.rstrip("/")
    rest = parts.path[len(base_path) :].lstrip("/")
    host, _, path = rest.partition("/")
    return urlunsplit((scheme, host, "/" + path, parts.query, ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def url_allowed(url: str, allowed_domains: list[str] | tuple[str, ...]) -> bool:
    """An http(s) URL on one of the allowed domains or a subdomain of one; an empty list
    allows nothing. The host is compared without port or user name (Scrapy's
    url_is_from_any_domain compares the whole network location)."""
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    domains = [d.strip(".") for d in allowed_domains if d.strip(".")]
    return url_is_from_any_domain(parts._replace(netloc=parts.hostname.rstrip(".")), domains)


def absolute(href: str, page_url: str) -> str:
    """A link as written on a page, resolved against the page's live URL, fragment dropped."""
    joined = urljoin(page_url, href.strip())
    return urlunsplit(urlsplit(joined)._replace(fragment=""))


@functools.lru_cache(maxsize=1)
def _extractor():
    import tldextract

    # the public suffix list bundled with tldextract: never fetched over the network
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=4096)
def registrable_domain(host_or_url: str | None) -> str:
    """The registrable domain of a host or URL ("finance.sina.com.cn" -> "sina.com.cn",
    "www.shanghai.gov.cn" -> "shanghai.gov.cn"), by the public suffix list; an IP address
    or a host without a public suffix is its own domain; "" for none."""
    value = (host_or_url or "").strip()
    host = host_of(value) if "//" in value else value.lower().split(":")[0]
    host = host.rstrip(".")
    if not host:
        return ""
    found = _extractor()(host)
    return found.top_domain_under_public_suffix or host


def same_site(url: str | None, other: str | None) -> bool:
    """Whether two URLs are on the same registrable domain."""
    a, b = registrable_domain(url), registrable_domain(other)
    return bool(a) and a == b


def canonical_counts(canonical: str | None, page_url: str, allowed_domains) -> bool:
    """Whether a page's canonical URL may name the document: only when it is on the
    page's own site (registrable domain) or on the allowed domains. A page elsewhere
    claiming a stored article's URL must not take that article's place."""
    if not canonical or canonical == page_url:
        return True
    return same_site(canonical, page_url) or url_allowed(canonical, allowed_domains)
