"""IT之家: the RSS feed (whose items carry the article HTML) and list pages."""

from __future__ import annotations

import re

from newsmon.crawler.discovery import parse_feed
from newsmon.crawler.spiders.base import NewsSpider


class IthomeSpider(NewsSpider):
    name = "ithome"
    article_pattern = re.compile(r"^https?://www\.ithome\.com/0/\d+/\d+\.htm$")

    def discovery_requests(self):
        for url in self.source.get("feeds") or []:
            yield self.discovery_request(url, self.parse_feed)
        yield from super().discovery_requests()

    def parse_feed(self, response):
        live = self.live_url_of(response)
        yield from self.read_discovery(response, lambda: parse_feed(response.body, live))
