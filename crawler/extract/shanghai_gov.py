"""www.shanghai.gov.cn: article pages and the policy platform's JSON.

(a) Article pages such as /nw12344/20220708/<32 hex>.html use the common 政府网站 layout
    (see gov_cn.parse_gov_page) with Shanghai's selectors: the title in h2#ivs_title
    (div.Article h2) or meta ArticleTitle, the date in meta PubDate or #ivs_date / .PBtime,
    labelled lines in .Article-title-zw, the body in #ivs_content / .Article_content /
    div.TRS_Editor, attachments as links. When the page gives no date at all, the day in
    the URL (YYYYMMDD) is used (precision "day", 00:00 Asia/Shanghai).

(b) The policy platform (www.shanghai.gov.cn/zhengce/) is a single-page app fed by JSON:
    POST /gwk/policy/page answers {"code": 0, "data": {"records": [...], "totalPage"}}
    and POST /gwk/policy/detail answers {"code": 0, "data": {...}} with title,
    publishDate "YYYY-MM-DD HH:MM:SS", docType/docYear/docNo (or docNum), indexNo, the
    HTML text in txt (or txt1), attrs.agency, attrs.zwPDFUrl (the official PDF), and
    attaches [{name, path}]. parse_shanghai_gov_policy_json reads either answer (or a bare
    list of such records) into one record per document; its canonical URL is the
    platform's /zhengce/detail?businessId=...&siteId=... page. No recording of either
    exists: newsmon/data/real/shanghai_gov/MANIFEST.tsv says where these shapes come from.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from newsmon.crawler.extract import common
from newsmon.crawler.extract.charset import ensure_text
from newsmon.crawler.extract.gov_cn import GovProfile, parse_gov_page
from newsmon.crawler.extract.record import ArticleRecord, Link

PARSER = "shanghai_gov"
POLICY_PARSER = "shanghai_gov_policy_json"
SITE_ROOT = "https://www.shanghai.gov.cn"
DETAIL_PAGE = SITE_ROOT + "/zhengce/detail?"
#: /nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html -> 20220708
URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/[0-9a-zA-Z_-]+\.s?html?$")

SHANGHAI = GovProfile(
    parser=PARSER,
    title_selectors=(
        "#ivs_title",
        "div.Article h2",
        ".Article-title",
        ".trout-region-header h2",
        "h1",
        "h2",
    ),
    body_selectors=(
        "#ivs_content",
        ".Article_content",
        ".trout-region-content",
        "div.TRS_Editor",
        "div.TRS_UEDITOR",
        ".Article-content",
        "#UCAP-CONTENT",
        ".pages_content",
        "#zoom",
    ),
    visible_time_selectors=("#ivs_date", ".PBtime", "h2.no-margin-top", ".Article-time"),
    source_selectors=(".Article-time", ".Article-title-zw", "h2.no-margin-top"),
)


def url_date(url: str | None) -> str | None:
    m = URL_DATE_RE.search(url or "")
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


def parse_shanghai_gov(body: bytes | str, url: str, headers: dict | None = None) -> ArticleRecord:
    """A www.shanghai.gov.cn article page (see (a) in the module docstring)."""
    day = url_date(url)
    profile = replace(SHANGHAI, extra={"time_candidates": {"url": day}}) if day else SHANGHAI
    return parse_gov_page(ensure_text(body, headers), url, "shanghai_gov", profile)


# --- the policy platform ------------------------------------------------------------------


def _str(value: Any) -> str:
    return common.squash(str(value)) if value not in (None, "") else ""


def policy_doc_number(row: dict[str, Any]) -> str | None:
    """docNo as written when it is whole ("沪府办发〔2022〕12号"), else docType〔docYear〕docNo号,
    else docNum."""
    doc_no = _str(row.get("docNo"))
    if doc_no and common.doc_numbers(doc_no):
        return common.doc_numbers(doc_no)[0]
    doc_type, year = _str(row.get("docType")), _str(row.get("docYear"))
    if doc_type and year and doc_no:
        return common.doc_number_of(f"{doc_type}〔{year}〕{doc_no}号")
    doc_num = _str(row.get("docNum"))
    return common.doc_number_of(doc_num) if doc_num else (doc_no or None)


def _records_of(payload: Any, url: str) -> list[dict[str, Any]]:
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        raise ValueError(
            f"policy JSON {url}: expected an object or an array, got {type(payload).__name__}"
        )
    code = payload.get("code")
    if code not in (None, 0, "0", 200, "200"):
        raise ValueError(
            f"policy JSON {url}: the platform answered code {code!r} ({payload.get('msg') or 'no message'})"
        )
    data = payload.get("data", payload)
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if isinstance(data.get("records"), list):
            return data["records"]
        if data.get("title") or data.get("businessId"):
            return [data]
        if data == {} or data.get("records") == []:
            return []
    raise ValueError(f"policy JSON {url}: no records and no document in the answer")


def policy_record(row: dict[str, Any], url: str) -> ArticleRecord:
    """One platform document (a detail answer's data, or a list record) as a record."""
    attrs = row.get("attrs") if isinstance(row.get("attrs"), dict) else {}
    business_id, site_id = _str(row.get("businessId")), _str(row.get("siteId"))
    page = (
        DETAIL_PAGE + urlencode({"businessId": business_id, "siteId": site_id})
        if business_id
        else None
    )
    record = ArticleRecord(
        url=page or url, site="shanghai_gov", kind="document", parser=POLICY_PARSER
    )
    record.canonical_url = page
    record.title = common.strip_tags(_str(row.get("title")))
    for key in ("publishDate", "displayDate"):
        common.set_time(record, key, _str(row.get(key)) or None)
    common.choose_time(record, ("publishDate", "displayDate"), "publishDate, then displayDate")
    record.doc_number = policy_doc_number(row)
    record.issuer = _str(attrs.get("agency")) or _str(row.get("agency")) or None
    html = row.get("txt") or row.get("txt1") or ""
    if html:
        fragment = common.as_element(html)
        record.body_html = html
        record.text = common.html_to_text(fragment)
        record.images = common.image_urls(fragment, SITE_ROOT + "/")
        record.origin_links = common.origin_links(fragment, SITE_ROOT + "/", True)
        body_files = common.attachment_links(fragment, SITE_ROOT + "/")
    else:
        body_files = []
    files: dict[str, Link] = {}
    pdf = common.absolute_url(_str(attrs.get("zwPDFUrl")), SITE_ROOT + "/")
    if pdf:
        files[pdf] = Link(url=pdf, anchor=_str(attrs.get("zwPDFName")) or "正式文件PDF")
    for item in row.get("attaches") or []:
        if isinstance(item, dict):
            link = common.absolute_url(_str(item.get("path") or item.get("url")), SITE_ROOT + "/")
            if link:
                files.setdefault(link, Link(url=link, anchor=_str(item.get("name"))))
    for link in body_files:
        files.setdefault(link.url, link)
    record.attachments = list(files.values())
    record.cited_titles = common.cited_titles(record.text)
    if record.doc_number and record.text:
        record.document_date = common.signature_date(record.text)
        if record.document_date:
            record.meta["document_date_from"] = "the date line under the notice"
    for key, name in (
        ("businessId", "business_id"),
        ("siteId", "site_id"),
        ("indexNo", "index_number"),
        ("genre", "genre"),
        ("effectiveFlag", "validity"),
        ("summary", "summary"),
    ):
        value = _str(row.get(key))
        if value:
            record.meta[name] = value
    for key in ("theme", "openType", "draftUnit"):
        value = _str(attrs.get(key))
        if value:
            record.meta[key] = value
    if pdf:
        record.meta["official_pdf"] = pdf
    common.note_missing(
        record,
        {
            "title": "the record has no title",
            "text": "the record has no txt (a list record: the detail answer carries the text)",
            "doc_number": "no docNo / docType+docYear / docNum in the record",
            "issuer": "no attrs.agency in the record",
        },
    )
    return record


def parse_shanghai_gov_policy_json(data: bytes | str, url: str) -> list[ArticleRecord]:
    """The policy platform's JSON (list or detail answer) -> one record per document.

    ValueError with the reason for malformed JSON, an error code from the platform, or an
    answer of another shape.
    """
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"policy JSON {url}: malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    rows = _records_of(payload, url)
    out = []
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError(f"policy JSON {url}: a record is {type(row).__name__}, not an object")
        out.append(policy_record(row, url))
    return out
