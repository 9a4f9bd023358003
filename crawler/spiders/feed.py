"""Any RSS/Atom feed named in config (sources.feed.feeds); pages read by the generic parser."""

from __future__ import annotations

from newsmon.crawler.discovery import parse_feed
from newsmon.crawler.spiders.base import NewsSpider
from newsmon.crawler.urls import host_of


class FeedSpider(NewsSpider):
    name = "feed"

    def default_domains(self) -> list[str]:
        """Without allowed_domains in config: the feeds' own hosts (and their subdomains)."""
        hosts = {host_of(u) for u in self.source.get("feeds") or []}
        return sorted(h.removeprefix("www.") for h in hosts if h)

    def discovery_requests(self):
        for url in self.source.get("feeds") or []:
            yield self.discovery_request(url, self.parse_feed)

    def parse_feed(self, response):
        live = self.live_url_of(response)
        yield from self.read_discovery(response, lambda: parse_feed(response.body, live))
