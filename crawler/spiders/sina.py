"""Sina Finance: the roll-news JSON API and channel roll pages; doc-i*.shtml article pages."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsmon.crawler.discovery import parse_sina_roll
from newsmon.crawler.spiders.base import NewsSpider


def roll_page_url(api_url: str, page: int) -> str:
    parts = urlsplit(api_url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query["page"] = str(page)
    return urlunsplit(parts._replace(query=urlencode(query)))


class SinaSpider(NewsSpider):
    name = "sina"
    article_pattern = re.compile(r"^https?://[a-z0-9.-]+\.sina\.com\.cn/.*doc-i[a-z0-9]+\.shtml$")

    def normalize_url(self, url: str) -> str:
        """Sina serves every page over https; links and the API still say http."""
        return "https://" + url[len("http://") :] if url.startswith("http://") else url

    def discovery_requests(self):
        api = self.source.get("roll_api")
        if api:
            headers = {"Referer": self.source.get("roll_referer") or "https://news.sina.com.cn/"}
            for page in range(1, int(self.source.get("roll_pages") or 1) + 1):
                yield self.discovery_request(
                    roll_page_url(api, page), self.parse_roll, headers=headers
                )
        yield from super().discovery_requests()

    def parse_roll(self, response):
        yield from self.read_discovery(response, lambda: parse_sina_roll(response.body))
