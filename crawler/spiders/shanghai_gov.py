"""www.shanghai.gov.cn: list pages, /nw12344/YYYYMMDD/<hex>.html documents, and the policy
platform's JSON API (POST list -> POST detail per document) when configured; attachments
as for gov.cn."""

from __future__ import annotations

import json
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
        request = self.make_request(
            live_url, callback, role=role, meta=meta, dont_filter=role == "discovery"
        )
        if request is None:
            return None
        return request.replace(
            method="POST",
            body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json;charset=UTF-8"},
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
        """A list answer: each document not stored yet is asked for in full (detail)."""
        self.inc("discovery_pages")
        records, failure = self.policy_records(response)
        if failure is not None:
            yield failure
            return
        detail_api = self.source.get("policy_detail_api")
        wanted = {r.canonical_url or r.url: r for r in records if r.meta.get("business_id")}
        known = self.known(wanted)
        for url, record in wanted.items():
            if url in known and not self.refresh:
                self.inc("skipped_known")
                continue
            if not detail_api:  # the list's own fields are all there is
                yield ArticleItem(record, via="policy-json", refetched=url in known)
                continue
            body = {"siteId": record.meta.get("site_id"), "businessId": record.meta["business_id"]}
            request = self.post_json(
                detail_api,
                body,
                self.parse_policy_detail,
                role="article",
                meta={"refetched": url in known, "entry": {"title": record.title}},
            )
            if request is not None:
                yield request.replace(dont_filter=True)

    def parse_policy_detail(self, response):
        self.inc("article_pages")
        records, failure = self.policy_records(response)
        if failure is not None:
            failure.stage = "parse"
            yield failure
            return
        live = self.live_url_of(response)
        for record in records:
            yield ArticleItem(
                record,
                raw=self.raw_of(response, live),
                via="policy-json",
                refetched=bool(response.meta.get("refetched")),
            )
            yield from self.attachment_requests(record, self.live_domains)
