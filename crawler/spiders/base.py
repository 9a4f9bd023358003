"""What every newsmon spider shares: configuration, the live/replay URL mapping, the
allowed-domain check, article, attachment and origin handling, and turning every failure
into an item the pipelines count.

Spiders stay thin: they name their discovery responses and how to read them; pages
are read by the pure parsers in crawler.extract. A spider never touches the database:
whether an article is stored already, gone or not due is asked by a downloader
middleware (crawler.middlewares.StoredArticleMiddleware, which reads the frontier), and
every document request is written to the frontier by a spider middleware
(FrontierSpiderMiddleware), which also starts each run with the spider's due URLs
(request_from_frontier).

Each request carries its scope (meta "scope"): the spider's domains, and for an origin
or attachment its own domain too; crawler.middlewares.ScopeMiddleware refuses a redirect
that leaves it. A page's canonical URL counts only on the page's own site or the
spider's domains (check_canonical). A copy that is not the whole document (cut short,
ending mid-markup, no body where the site's template has one) is stored marked
incomplete and fetched again (crawler.completeness).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import asdict
from typing import Any
from urllib.parse import unquote, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import JsonRequest
from scrapy.spidermiddlewares.httperror import HttpError

from newsmon.crawler import completeness
from newsmon.crawler.discovery import DiscoveryError, Entry
from newsmon.crawler.extract.charset import declared_charset
from newsmon.crawler.extract.record import ArticleRecord
from newsmon.crawler.items import ArticleItem, FailureItem, RawResponse
from newsmon.crawler.middlewares import NotWanted, OffsiteRedirect, StoredURL
from newsmon.crawler.urls import (
    absolute,
    canonical_counts,
    host_of,
    registrable_domain,
    to_fetch_url,
    to_live_url,
    url_allowed,
)

#: attachments fetched and read (PDF, Word)
ATTACHMENT_RE = re.compile(r"\.(pdf|docx?|wps)(\?|$)", re.I)
#: priorities: articles before more discovery, attachments and origins after their page
PRIORITY = {"discovery": 0, "article": 10, "origin": 5, "attachment": 5}


def plain_headers(response) -> dict[str, str]:
    return {
        k.decode("latin-1"): b", ".join(v).decode("latin-1", errors="replace")
        for k, v in response.headers.items()
    }


def body_links(body_html: str | None, page_url: str) -> list[str]:
    """Links to pages (not files) in an article body, resolved against the page URL."""
    if not body_html:
        return []
    from lxml import html as lxml_html

    try:
        doc = lxml_html.fromstring(body_html)
    except (ValueError, TypeError):
        return []
    out = []
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("javascript:", "mailto:", "#")):
            url = absolute(href, page_url)
            if not ATTACHMENT_RE.search(url) and url not in out:
                out.append(url)
    return out


# --- attachments -------------------------------------------------------------------------


def attachment_kind(data: bytes, url: str) -> str:
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    m = ATTACHMENT_RE.search(url)
    return m.group(1).lower() if m else "unknown"


def pdf_text(data: bytes) -> tuple[str, str | None]:
    """A PDF's plain text by pypdf, within the archive parser's page and character caps,
    and a note when it was cut."""
    from newsmon.crawler.extract.archive import pdf_pages_text

    text, note = pdf_pages_text(io.BytesIO(data))
    return text.strip(), note


def docx_text(data: bytes) -> str:
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml")
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    root = etree.fromstring(xml)
    paragraphs = []
    for p in root.iter(f"{ns}p"):
        paragraphs.append("".join(t.text or "" for t in p.iter(f"{ns}t")))
    return "\n".join(x for x in paragraphs if x.strip())


def attachment_record(data: bytes, url: str, parent: dict[str, Any]) -> ArticleRecord:
    """An attachment as a document of its own, linked to its page (meta parent_id).

    PDFs are read by the archive parser (document number and date as for imported
    files), falling back to pypdf's plain text; .docx is read from its XML; legacy .doc
    and anything else is kept with the reason its text is missing.
    """
    kind = attachment_kind(data, url)
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "attachment"
    record: ArticleRecord | None = None
    missing: dict[str, str] = {}
    if kind == "pdf":
        try:
            from newsmon.crawler.extract.archive import parse_archive

            record = parse_archive(data, filename)
        except Exception:  # the archive parser's view failed: plain text still helps
            record = None
        if record is None or not record.text.strip():
            try:
                text, capped = pdf_text(data)
                record = ArticleRecord(url=url, site="", text=text, parser="pypdf")
                if capped:
                    record.meta["text_capped"] = capped
            except Exception as exc:
                missing["text"] = f"PDF could not be read: {type(exc).__name__}: {exc}"
    elif kind == "docx":
        try:
            record = ArticleRecord(url=url, site="", text=docx_text(data), parser="docx")
        except Exception as exc:
            missing["text"] = f"Word .docx could not be read: {type(exc).__name__}: {exc}"
    elif kind in ("doc", "wps"):
        missing["text"] = f"legacy Word .{kind} (binary) text is not read"
    else:
        missing["text"] = f"unrecognised attachment format ({data[:8]!r})"
    if record is None:
        record = ArticleRecord(url=url, site="", parser=f"attachment-{kind}")
    record.url = url
    record.canonical_url = None
    record.site = parent.get("site") or "unknown"
    record.kind = "attachment"
    anchor = (parent.get("anchor") or "").strip()
    if not record.title:
        base = parent.get("title") or ""
        label = anchor or filename
        record.title = f"{base}（附件：{label}）" if base else label
    if not record.parser:
        record.parser = f"attachment-{kind}"
    record.missing.update(missing)
    record.meta.update(
        {
            "parent_id": parent.get("id"),
            "parent_url": parent.get("url"),
            "anchor": anchor,
            "format": kind,
        }
    )
    return record


# --- the spider --------------------------------------------------------------------------


class NewsSpider(scrapy.Spider):
    """Base of the newsmon spiders; a subclass defines discovery (start, parse_* lists)."""

    name = ""
    #: live URLs of article pages, for links found on HTML list pages
    article_pattern: re.Pattern[str] | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler)
        return spider

    def configure(self, crawler) -> None:
        s = crawler.settings
        sources = s.getdict("NEWSMON_SOURCES")
        self.source: dict[str, Any] = dict(sources.get(self.name) or {})
        self.base_url: str = s.get("NEWSMON_BASE_URL") or ""
        self.live_domains: list[str] = list(self.source.get("allowed_domains") or [])
        if not self.live_domains:
            self.live_domains = self.default_domains()
        # origins: a declared origin is followed onto any source's domains (government sites)
        origin_domains: list[str] = []
        for name, table in sources.items():
            if isinstance(table, dict) and name != "feed":
                origin_domains.extend(table.get("allowed_domains") or [])
        self.origin_domains = sorted(set(origin_domains) | set(self.live_domains))
        names = sources.get("origin_sites") or {}
        self.origin_names: dict[str, str] = dict(names) if isinstance(names, dict) else {}
        self.follow_origin = s.getbool("NEWSMON_FOLLOW_ORIGIN")
        # Scrapy's offsite check sees fetch URLs: with a replay site, its host is allowed
        # too; the live host of every link is checked here before a request is made.
        self.allowed_domains = list(self.live_domains)
        if self.base_url:
            self.allowed_domains.append(host_of(self.base_url))

    def default_domains(self) -> list[str]:
        return []

    def inc(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"newsmon/{key}", n)

    # --- requests -----------------------------------------------------------------------

    def make_request(
        self,
        live_url: str,
        callback,
        *,
        role: str,
        domains: list[str] | None = None,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        dont_filter: bool = False,
        json_body: Any = None,
    ) -> scrapy.Request | None:
        """A request for a live URL, or None (logged) when its host is not allowed.

        With json_body, a JSON API request: a POST of that body (Scrapy's JsonRequest).
        """
        domains = self.live_domains if domains is None else domains
        if not url_allowed(live_url, domains):
            self.logger.info("offsite link dropped (%s): %s", role, live_url)
            self.inc("offsite_dropped")
            return None
        m = {"live_url": live_url, "role": role}
        m.update(meta or {})
        m.setdefault("scope", self.scope_for(live_url, role))
        m["frontier_url"] = m.get("document_url") or live_url
        if domains is not self.live_domains:
            m["allow_offsite"] = True  # the scope middleware still holds its redirects
        options: dict[str, Any] = {
            "callback": callback,
            "errback": self.on_error,
            "meta": m,
            "headers": headers,
            "priority": PRIORITY.get(role, 0),
            "dont_filter": dont_filter,
        }
        url = to_fetch_url(live_url, self.base_url)
        if json_body is not None:
            # the body as the site's own pages send it: keys in order, text unescaped
            dumps = {"ensure_ascii": False, "sort_keys": False}
            return JsonRequest(url, data=json_body, dumps_kwargs=dumps, **options)
        return scrapy.Request(url, **options)

    def scope_for(self, live_url: str, role: str) -> list[str]:
        """The domains a request (and its redirects) may visit: the spider's, and an
        origin's or attachment's own domain for that request only."""
        scope = list(self.live_domains)
        if role in ("origin", "attachment"):
            own = registrable_domain(live_url)
            if own and not url_allowed(live_url, scope):
                scope.append(own)
        return scope

    def request_from_frontier(self, row: dict[str, Any]) -> scrapy.Request | None:
        """The request for a frontier row that is due (see crawler.middlewares)."""
        recipe = row.get("request") or {}
        role = row.get("role") or "article"
        default = "parse_attachment" if role == "attachment" else "parse_article"
        callback = getattr(self, recipe.get("callback") or default, None)
        if callback is None:
            return None
        meta = dict(recipe.get("meta") or {})
        meta["from_frontier"] = True
        scope = meta.get("scope") or self.scope_for(row["url"], role)
        live = recipe.get("live_url") or row["url"]
        meta.pop("live_url", None)
        return self.make_request(
            live,
            callback,
            role=role,
            domains=scope,
            meta=meta,
            headers=recipe.get("headers"),
            dont_filter=False,
            json_body=recipe.get("json_body"),
        )

    def discovery_request(self, live_url: str, callback, **kwargs) -> scrapy.Request | None:
        """Lists and feeds are read on every run."""
        return self.make_request(live_url, callback, role="discovery", dont_filter=True, **kwargs)

    async def start(self) -> AsyncIterator[Any]:
        for request in self.discovery_requests():
            if request is not None:
                yield request

    def discovery_requests(self) -> Iterable[scrapy.Request | None]:
        for url in self.source.get("list_pages") or []:
            yield self.discovery_request(url, self.parse_list_page)

    def normalize_url(self, url: str) -> str:
        """The form of a live URL that is requested and stored (a spider may upgrade http)."""
        return url

    def article_requests(
        self, entries: Iterable[Entry], *, role: str = "article", domains: list[str] | None = None
    ) -> Iterator[scrapy.Request]:
        """Requests for the entries' pages (each URL once; stored ones are skipped downstream)."""
        wanted: dict[str, Entry] = {}
        for e in entries:
            e.url = self.normalize_url(e.url)
            wanted.setdefault(e.url, e)
        for url, entry in wanted.items():
            request = self.make_request(
                url, self.parse_article, role=role, domains=domains, meta={"entry": asdict(entry)}
            )
            if request is not None:
                yield request

    # --- responses ----------------------------------------------------------------------

    def live_url_of(self, response) -> str:
        live = response.meta.get("live_url", response.url)
        if response.meta.get("redirect_urls"):
            scheme = urlsplit(live).scheme or "https"
            live = to_live_url(response.url, self.base_url, scheme=scheme)
        return live

    def raw_of(self, response, live_url: str, encoding: str | None = None) -> RawResponse:
        return RawResponse(
            url=live_url,
            status=response.status,
            headers=plain_headers(response),
            body=response.body,
            encoding=encoding,
            truncated="dataloss" in (response.flags or []),
        )

    def discovery_failure(self, response, exc: Exception) -> FailureItem:
        live = self.live_url_of(response)
        self.logger.error("discovery failed: %s: %s", live, exc)
        return FailureItem(
            live,
            f"discovery: {exc}",
            stage="discovery",
            raw=self.raw_of(response, live),
            frontier_url=response.meta.get("frontier_url") or live,
            role="discovery",
        )

    def discovery_cut_short(self, response) -> str | None:
        """Why a list or feed response is not whole (its entries are still read), or None."""
        headers = plain_headers(response)
        dataloss = "dataloss" in (response.flags or [])
        reason = completeness.cut_short_reason(response.body, headers, dataloss)
        if reason:
            return reason
        ctype = headers.get("Content-Type", "")
        if "html" in ctype.lower():
            text = self.decode(response)[0]
            if completeness.ends_mid_markup(text):
                return "the list page ends in the middle of its markup (no closing </html>)"
        return None

    def read_discovery(self, response, parse) -> Iterator[Any]:
        """Run a discovery parser; a broken response is one failure, recovered entries go on."""
        self.inc("discovery_pages")
        short = self.discovery_cut_short(response)
        if short:
            yield self.discovery_failure(response, DiscoveryError(short))
        try:
            entries = parse()
        except DiscoveryError as exc:
            yield self.discovery_failure(response, exc)
            entries = exc.entries
        except Exception as exc:  # a parser bug must not end the crawl
            yield self.discovery_failure(response, DiscoveryError(f"{type(exc).__name__}: {exc}"))
            entries = []
        self.logger.info("%s lists %d entries", self.live_url_of(response), len(entries))
        yield from self.entries_found(entries, response)

    def entries_found(self, entries: list[Entry], response) -> Iterator[Any]:
        yield from self.article_requests(entries)

    def parse_list_page(self, response) -> Iterator[Any]:
        from newsmon.crawler.discovery import parse_list_links

        if self.article_pattern is None:
            return
        live = self.live_url_of(response)
        text = self.decode(response)[0]
        yield from self.read_discovery(
            response, lambda: parse_list_links(text, live, self.article_pattern)
        )

    def decode(self, response) -> tuple[str, str | None]:
        from newsmon.crawler.extract.charset import decode_html

        headers = plain_headers(response)
        return decode_html(response.body, declared_charset(headers))

    def parse_article(self, response) -> Iterator[Any]:
        """An article page (or a declared origin): parse, check, store, follow attachments
        and origins.

        The page's links (attachments, origins) are yielded before its item, so they are
        in the frontier before the page is stored: a crawl stopped in between still
        fetches them next time.
        """
        from newsmon.crawler.extract.dispatch import parse_page

        live = self.live_url_of(response)
        role = response.meta.get("role", "article")
        wanted = response.meta.get("frontier_url") or live
        self.inc("article_pages" if role == "article" else "origins")
        headers = plain_headers(response)
        encoding = None
        text = None
        nuls = 0
        try:
            text, encoding = self.decode(response)
            nuls = text.count("\x00")
            if nuls:  # libxml2 would stop reading at the first one
                text = text.replace("\x00", "")
            record = parse_page(text, live, headers)
        except Exception as exc:
            raw = self.raw_of(response, live, encoding)
            reason = f"parse: {self.parse_failure(exc, text)}"
            yield FailureItem(live, reason, stage="parse", raw=raw, frontier_url=wanted, role=role)
            fallback = self.fallback_record(response.meta.get("entry"), live, reason)
            if fallback is not None:
                yield ArticleItem(
                    fallback, via="feed-fallback", frontier_url=wanted, role=role, retry=reason
                )
            return
        record.url = record.url or live
        self.check_canonical(record, live)
        self.complete_from_entry(record, response.meta.get("entry"))
        note = completeness.decode_note(encoding)
        if note:
            record.meta["encoding_note"] = note
        note = completeness.title_script_note(text)
        if note:
            record.meta["title_markup"] = note
        if nuls:
            record.meta["nul_bytes"] = f"{nuls} NUL bytes in the page were left out"
        incomplete = completeness.page_incomplete(
            record,
            text,
            body=response.body,
            headers=headers,
            dataloss="dataloss" in (response.flags or []),
        )
        if incomplete:
            completeness.mark_incomplete(record, incomplete)
            self.inc("incomplete_copies")
            self.logger.warning("incomplete copy of %s: %s", live, incomplete)
        domains = self.origin_domains if role == "origin" else self.live_domains
        yield from self.attachment_requests(record, domains)
        if role != "origin":
            yield from self.origin_requests(record)
        yield ArticleItem(
            record,
            raw=self.raw_of(response, live, encoding),
            via=role,
            refetched=bool(response.meta.get("refetched")),
            frontier_url=wanted,
            role=role,
            incomplete=incomplete,
        )

    def parse_failure(self, exc: Exception, text: str | None) -> str:
        """What a parse failure says, with the cause when the page is hostile."""
        said = f"{type(exc).__name__}: {exc}"
        if text and completeness.markup_too_deep(text):
            limit = completeness.MARKUP_DEPTH_LIMIT
            return f"the document nests elements deeper than {limit} levels ({said})"
        return said

    def check_canonical(self, record: ArticleRecord, page_url: str) -> None:
        """A canonical URL counts only on the page's own site (registrable domain) or the
        spider's domains: another one is dropped (the page is stored at its own URL) and
        noted in meta["canonical_ignored"] and missing["canonical_url"]."""
        canonical = record.canonical_url
        if canonical_counts(canonical, page_url, self.live_domains):
            return
        record.canonical_url = None
        record.meta["canonical_ignored"] = canonical
        record.missing["canonical_url"] = (
            f"the page names {canonical} as its canonical URL, on another site than "
            f"{host_of(page_url)} and outside the spider's domains: ignored"
        )
        self.inc("canonical_ignored")
        self.logger.warning("%s: canonical URL %s ignored (another site)", page_url, canonical)

    def complete_from_entry(self, record: ArticleRecord, entry: dict[str, Any] | None) -> None:
        """Fill what the page did not give from what its list said (and say so)."""
        if not entry:
            return
        if not record.published_at and entry.get("published_at"):
            record.published_at = entry["published_at"]
            record.published_at_candidates.setdefault("discovery", entry["published_at"])
            record.meta.setdefault("published_at_from", "discovery")
        if not record.title and entry.get("title"):
            record.title = entry["title"]
            record.meta.setdefault("title_from", "discovery")

    def fallback_record(self, entry: dict[str, Any] | None, url: str, reason: str):
        """A record from the feed's own copy of the article, when the page is not readable."""
        if not entry or not (entry.get("summary_html") or "").strip():
            return None
        return self.record_from_feed_html(entry, url, reason)

    def record_from_feed_html(self, entry: dict[str, Any], url: str, reason: str):
        from lxml import html as lxml_html

        from newsmon.crawler.extract.dispatch import site_for_url

        body = entry.get("summary_html") or ""
        try:
            doc = lxml_html.fromstring(f"<div>{body}</div>")
            paragraphs = [" ".join(p.text_content().split()) for p in doc.iter("p")]
            text = "\n".join(p for p in paragraphs if p) or " ".join(doc.text_content().split())
        except Exception:
            text = ""
        record = ArticleRecord(
            url=url,
            site=site_for_url(url),
            title=entry.get("title") or "",
            published_at=entry.get("published_at"),
            body_html=body,
            text=text,
            parser="feed-description",
            missing={"page": reason},
            meta={"from_feed": True},
        )
        if entry.get("published_at"):
            record.published_at_candidates["feed"] = entry["published_at"]
        self.inc("feed_fallback")
        return record

    # --- attachments and origins ---------------------------------------------------------

    def attachment_requests(self, record: ArticleRecord, domains: list[str]) -> Iterator[Any]:
        from newsmon.db.articles import article_id

        if not record.attachments or not record.url:
            return
        parent = {
            "id": article_id(record.canonical_url or record.url),
            "url": record.url,
            "site": record.site,
            "title": record.title,
        }
        links = {}
        for link in record.attachments:
            url = absolute(link.url, record.url)
            if ATTACHMENT_RE.search(url):
                links.setdefault(url, link.anchor)
        for url, anchor in links.items():
            request = self.make_request(
                url,
                self.parse_attachment,
                role="attachment",
                domains=domains,
                meta={"parent": {**parent, "anchor": anchor}},
            )
            if request is not None:
                yield request

    def parse_attachment(self, response) -> Iterator[Any]:
        live = self.live_url_of(response)
        self.inc("attachments")
        record = attachment_record(response.body, live, response.meta.get("parent") or {})
        incomplete = completeness.attachment_incomplete(
            response.body,
            record.meta.get("format") or "",
            headers=plain_headers(response),
            dataloss="dataloss" in (response.flags or []),
        )
        if incomplete:
            completeness.mark_incomplete(record, incomplete)
            self.inc("incomplete_copies")
            self.logger.warning("incomplete copy of %s: %s", live, incomplete)
        yield ArticleItem(
            record,
            raw=self.raw_of(response, live),
            via="attachment",
            refetched=bool(response.meta.get("refetched")),
            frontier_url=response.meta.get("frontier_url") or live,
            role="attachment",
            incomplete=incomplete,
        )

    def origin_requests(self, record: ArticleRecord) -> Iterator[Any]:
        """官方原文 links, and links to the government site a 来源 names, within config."""
        if not self.follow_origin or not record.url:
            return
        urls = [absolute(link.url, record.url) for link in record.origin_links]
        named = self.named_origin_domain(record.source)
        if named and not any(url_allowed(u, [named]) for u in urls):
            # 来源 names a government site: its documents linked in the body are the origin
            linked = [
                u for u in body_links(record.body_html, record.url) if url_allowed(u, [named])
            ]
            if linked:
                urls.extend(linked)
            else:
                self.logger.info(
                    "%s: 来源 %s names %s but the page links no document there",
                    record.url,
                    record.source,
                    named,
                )
        entries = [Entry(url=u) for u in urls if u != record.url]
        yield from self.article_requests(entries, role="origin", domains=self.origin_domains)

    def named_origin_domain(self, source: str | None) -> str | None:
        if not source:
            return None
        for name, domain in self.origin_names.items():
            if name in source:
                return domain
        return None

    # --- failures -----------------------------------------------------------------------

    def on_error(self, failure) -> Iterator[Any]:
        request = failure.request
        live = request.meta.get("live_url", request.url)
        role = request.meta.get("role", "")
        wanted = request.meta.get("frontier_url") or live
        status = None
        if failure.check(StoredURL, NotWanted):  # stored, gone or not due: counted already
            return
        permanent = False
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = f"HTTP {status}"
        elif failure.check(OffsiteRedirect):
            reason = str(failure.value)
            permanent = True
            self.inc("offsite_redirects")
            self.logger.warning("%s", reason)
        elif failure.check(IgnoreRequest):
            message = str(failure.value)
            if "robots.txt" in message or "offsite" in message.lower():
                self.logger.info("skipped %s: %s", live, message)
                self.inc("skipped_" + ("robots" if "robots" in message else "offsite"))
                return
            reason = message or "request ignored"
        else:
            said = failure.getErrorMessage()
            if not said and failure.type.__name__ == "DownloadCancelledError":
                cap = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
                said = f"larger than the response cap of {cap:,} bytes (crawl.max_response_bytes)"
            reason = f"{failure.type.__name__}: {said}"
        if role == "attachment" and status in (404, 410):
            # a dead attachment link is a fact about the page: kept, with the reason, and
            # asked for again until it has answered 404/410 often enough to be gone
            parent = request.meta.get("parent") or {}
            record = attachment_record(b"", live, parent)
            record.missing = {"text": f"the attachment answered HTTP {status}"}
            record.parser = "attachment-missing"
            self.inc("attachments_missing")
            self.logger.warning("attachment missing: %s (HTTP %s)", live, status)
            yield ArticleItem(
                record,
                via="attachment",
                frontier_url=wanted,
                role=role,
                retry=f"HTTP {status}",
                status=status,
            )
            return
        stage = "discovery" if role == "discovery" else "fetch"
        yield FailureItem(
            live,
            reason,
            stage=stage,
            frontier_url=wanted,
            role=role or None,
            status=status,
            permanent=permanent,
        )
        if role == "article":
            fallback = self.fallback_record(
                request.meta.get("entry"), live, f"page not fetched: {reason}"
            )
            if fallback is not None:
                yield ArticleItem(
                    fallback,
                    via="feed-fallback",
                    frontier_url=wanted,
                    role=role,
                    retry=f"page not fetched: {reason}",
                    status=status,
                )
