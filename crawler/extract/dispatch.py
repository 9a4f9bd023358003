"""Which parser reads a page: chosen by the page's URL.

sina.com.cn / sina.cn -> sina; ithome.com -> ithome; www.gov.cn -> gov_cn;
shanghai.gov.cn -> shanghai_gov; any other *.gov.cn -> government (the gov_cn parser's
generic government path); a media outlet of the registry (config/outlets.toml:
eastmoney, netease, ...) -> its outlet id, read by trafilatura; anything else ->
unknown (trafilatura).

When a site parser finds no body, the generic extractor reads the text and the record
keeps every field the site parser did read (record.parser "<site>+generic", and
meta["fallback"] says why). Every page is then checked for holding several items
(listing.py): such a record has kind "listing" and missing["not_article"].
"""

from __future__ import annotations

from collections.abc import Callable

from newsmon.crawler.extract import common, listing
from newsmon.crawler.extract.charset import ensure_text
from newsmon.crawler.extract.generic import parse_generic
from newsmon.crawler.extract.gov_cn import parse_gov_cn, parse_government
from newsmon.crawler.extract.ithome import parse_ithome
from newsmon.crawler.extract.record import ArticleRecord
from newsmon.crawler.extract.shanghai_gov import parse_shanghai_gov
from newsmon.crawler.extract.sina import parse_sina

#: host suffix -> site, most specific first
SITE_HOSTS = (
    ("sina.com.cn", "sina"),
    ("sina.cn", "sina"),
    ("ithome.com", "ithome"),
    ("shanghai.gov.cn", "shanghai_gov"),
)
PARSERS: dict[str, Callable[..., ArticleRecord]] = {
    "sina": parse_sina,
    "ithome": parse_ithome,
    "gov_cn": parse_gov_cn,
    "shanghai_gov": parse_shanghai_gov,
    "government": parse_government,
}
#: fields the generic extractor supplies when the site parser found no body
BODY_FIELDS = ("text", "body_html", "images", "cited_titles", "attachments", "origin_links")
#: fields taken from the generic extractor only when the site parser left them empty
FILL_FIELDS = ("title", "author", "source", "editor", "canonical_url", "tags")


def site_for_url(url: str | None) -> str:
    host = common.host_of(url)
    if not host:
        return "unknown"
    if host in ("www.gov.cn", "gov.cn"):
        return "gov_cn"
    for suffix, site in SITE_HOSTS:
        if host == suffix or host.endswith("." + suffix):
            return site
    if common.is_government_host(host):
        return "government"
    # a media outlet of the registry (config/outlets.toml) is its own site, not "unknown"
    from newsmon.config.outlets import registry

    outlet = registry().outlet_for_host(host)
    return outlet.id if outlet is not None and not outlet.is_government else "unknown"


def _merge(site_record: ArticleRecord, generic: ArticleRecord) -> ArticleRecord:
    for name in BODY_FIELDS:
        value = getattr(generic, name)
        if value and not getattr(site_record, name):
            setattr(site_record, name, value)
    for name in FILL_FIELDS:
        if not getattr(site_record, name) and getattr(generic, name):
            setattr(site_record, name, getattr(generic, name))
    if not site_record.published_at and generic.published_at:
        site_record.published_at = generic.published_at
        site_record.published_at_candidates.update(generic.published_at_candidates)
        site_record.meta["published_at_from"] = generic.meta.get("published_at_from")
        site_record.meta["published_at_precision"] = generic.meta.get("published_at_precision")
    if not site_record.source:
        site_record.source = common.declared_source(site_record.text)
    if not site_record.cited_titles:
        site_record.cited_titles = common.cited_titles(site_record.text)
    for name in list(site_record.missing):
        if getattr(site_record, name, None):
            site_record.missing.pop(name)
    if not site_record.text:
        site_record.missing["text"] = "neither the site parser nor trafilatura found a body"
    return site_record


def parse_page(body: bytes | str, url: str | None, headers: dict | None = None) -> ArticleRecord:
    """The page read by its site's parser (generic for unknown sites and as a fallback);
    a page that holds several items comes back with kind "listing" (see listing.py)."""
    text = ensure_text(body, headers)
    record = _read(text, url, headers)
    reason = listing.listing_reason(common.parse_document(text), record)
    if reason:
        listing.mark_listing(record, reason)
    return record


def _read(text: str, url: str | None, headers: dict | None) -> ArticleRecord:
    site = site_for_url(url)
    parser = PARSERS.get(site)
    if parser is None:
        return parse_generic(text, url, headers, site=site)
    record = parser(text, url, headers)
    if record.text.strip():
        return record
    reason = record.missing.get("text", "the site parser found no body")
    generic = parse_generic(text, url, headers, site=site)
    record = _merge(record, generic)
    record.meta["fallback"] = (
        f"{record.parser}: {reason}; text by the generic path ({generic.meta.get('body_from')})"
    )
    record.parser = f"{record.parser}+generic"
    return record
