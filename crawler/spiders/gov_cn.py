"""www.gov.cn: static JSON lists and HTML list pages; documents with PDF/Word attachments."""

from __future__ import annotations

from newsmon.crawler.discovery import parse_gov_cn_json, parse_gov_cn_list_page
from newsmon.crawler.spiders.base import NewsSpider


class GovCnSpider(NewsSpider):
    name = "gov_cn"

    def discovery_requests(self):
        for url in self.source.get("json_feeds") or []:
            yield self.discovery_request(url, self.parse_json_list)
        for url in self.source.get("list_pages") or []:
            yield self.discovery_request(url, self.parse_list_page)

    def parse_json_list(self, response):
        live = self.live_url_of(response)
        yield from self.read_discovery(response, lambda: parse_gov_cn_json(response.body, live))

    def parse_list_page(self, response):
        live = self.live_url_of(response)
        text = self.decode(response)[0]
        yield from self.read_discovery(response, lambda: parse_gov_cn_list_page(text, live))
