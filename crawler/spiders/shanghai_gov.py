"""www.shanghai.gov.cn: list pages, /nw12344/YYYYMMDD/<hex>.html documents, and the policy
platform's JSON API (POST list -> POST detail per document) when configured; attachments
as for gov.cn."""

from __future__ import annotations

import re

from newsmon.crawler.items import ArticleItem
from newsmon.crawler.spiders.base import NewsSpider


class ShanghaiGovSpider(NewsSpider):
    name = "shanghai_gov"
    article_pattern = re.compile(
        r"^https?://[a-z0-9.-]*(shanghai|sh)\.gov\.cn/.*/\d{8}/[0-9a-f]{32}\.html$"
    )

    def discovery_requests(self):
        yield from super().discovery_requests()
        api = self.source.get("policy_page_api")
        if api:
            body = {
                "siteIdList": list(self.source.get("policy_site_ids") or []),
                "pageNo": 1,
                "pageSize": int(self.source.get("policy_page_size") or 20),
            }
            yield self.post_json(api, body, self.parse_policy_page, role="discovery")

    def post_json(self, live_url: str, body: dict, callback, *, role: str, meta=None):
        """A POST to the platform's API; each answer is read whatever else was asked."""
        return self.make_request(
            live_url,
            callback,
            role=role,
            meta=meta,
            headers={"Content-Type": "application/json;charset=UTF-8"},
            dont_filter=True,
            json_body=body,
        )

    def policy_records(self, response):
        """Records of a platform answer; a broken answer is one logged failure."""
        from newsmon.crawler.extract.shanghai_gov import parse_shanghai_gov_policy_json

        live = self.live_url_of(response)
        try:
            return parse_shanghai_gov_policy_json(response.body, live), None
        except ValueError as exc:
            return [], self.discovery_failure(response, exc)

    def parse_policy_page(self, response):
        """A list answer: each document is asked for in full (detail); one stored already is
        skipped by the stored-article middleware, which checks the document's own URL.

        Without a detail API the list's fields are all there is: each record is stored
        as it stands (new, updated or unchanged)."""
        self.inc("discovery_pages")
        records, failure = self.policy_records(response)
        if failure is not None:
            yield failure
            return
        detail_api = self.source.get("policy_detail_api")
        wanted = {r.canonical_url or r.url: r for r in records if r.meta.get("business_id")}
        for url, record in wanted.items():
            if not detail_api:
                yield ArticleItem(record, via="policy-json")
                continue
            body = {"siteId": record.meta.get("site_id"), "businessId": record.meta["business_id"]}
            request = self.post_json(
                detail_api,
                body,
                self.parse_policy_detail,
                role="article",
                meta={"document_url": url, "entry": {"title": record.title}},
            )
            if request is not None:
                yield request

    def parse_policy_detail(self, response):
        self.inc("article_pages")
        records, failure = self.policy_records(response)
        if failure is not None:
            failure.stage = "parse"
            failure.frontier_url = response.meta.get("frontier_url") or failure.url
            failure.role = "article"
            yield failure
            return
        live = self.live_url_of(response)
        wanted = response.meta.get("frontier_url") or live
        for record in records:
            # the files first: in the frontier before the document is stored
            yield from self.attachment_requests(record, self.live_domains)
            yield ArticleItem(
                record,
                raw=self.raw_of(response, live),
                via="policy-json",
                refetched=bool(response.meta.get("refetched")),
                frontier_url=wanted,
                role="article",
            )
