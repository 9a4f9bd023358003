"""Which stocks and which sectors an article is about.

Texts are display texts (``analysis.normalize.display_text``: one paragraph a line).
Positions: the ``title``; the ``lead``, the first ``LEAD_PARAGRAPHS`` paragraphs of the
text cut at ``LEAD_MAX_CHARS`` characters (a text without line breaks: its first
``LEAD_MAX_CHARS`` characters); the ``body``, the rest.

Stock tags (``stock_tags``)
---------------------------
Evidence comes from company short names found in the text, six-digit codes, and the
stock tags the site put on words (Sina links ``sz300024`` on 机器人). Each mention of a
name is read in its context:

- company usage: followed by its code in brackets, by a word of the market or the
  company (``COMPANY_AFTER``: 涨停, 跟涨, 股份, 公告, ...), or standing in a list of
  other companies (separated by 、，/和/及 from another name);
- generic usage: followed by a word that makes it an industry (``GENERIC_AFTER``:
  产业, 产业链, 行业, 领域, 技术, ...), or, for a name that is also a common word
  (``GENERIC_WORDS``, configurable: 机器人, 新产业, 太阳能, ...), preceded by a Chinese
  character (智能机器人, 工业机器人: part of a longer word) or used with no company
  context at all.

Confidence (0-100): a name in the title ``CONF_TITLE``, in the lead ``CONF_LEAD``, only
in the body ``CONF_BODY`` + ``CONF_BODY_REPEAT`` per further mention up to
``CONF_BODY_MAX``; ``CONF_COMPANY_CONTEXT`` more when a mention is company usage;
``CONF_SITE_TAG`` more when the site tagged it on a word used as the company. A name
whose every mention is generic gets ``CONF_GENERIC`` whatever its position, with the
reason. Codes: ``CONF_CODE_MARKED`` (with exchange or in brackets), ``CONF_CODE_BARE``.
A site tag whose anchor is missing from the text gets ``CONF_SITE_TAG_ONLY``.

Sector tags (``sector_tags``)
-----------------------------
Keywords of each sector (``config/sectors.toml``; a parent sector also counts its
sub-sectors' keywords) are counted in the title, the lead and the body, the longest
keyword first and without overlaps (智能机器人 is not also 机器人). ASCII keywords (VR,
AR) match whole words only, ignoring case. Then::

    score     = sum over keywords k and positions p of  WEIGHT[p] * sqrt(hits[k, p])
    relevance = round(100 * (1 - exp(-score / RELEVANCE_SCALE)))

with ``WEIGHT = {title: TITLE_WEIGHT 3, lead: LEAD_WEIGHT 2, body: BODY_WEIGHT 1}`` and
``RELEVANCE_SCALE`` 4: one title hit gives 53, a title and a lead hit 71, nine body hits
of one keyword 53; the square root keeps a long text repeating one word from
outweighing a short one naming the sector up front, and rewards several keywords.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from newsmon.analysis.prices import canonical_ticker

LEAD_PARAGRAPHS = 2
LEAD_MAX_CHARS = 300

CONF_TITLE = 90
CONF_LEAD = 85
CONF_BODY = 60
CONF_BODY_REPEAT = 5
CONF_BODY_MAX = 75
CONF_COMPANY_CONTEXT = 10
CONF_SITE_TAG = 5
CONF_GENERIC = 10
CONF_CODE_MARKED = 70
CONF_CODE_BARE = 40
CONF_SITE_TAG_ONLY = 30
#: at most this many mentions are kept as evidence per company
MAX_EVIDENCE = 5
#: characters of context either side of a mention in the evidence
CONTEXT_CHARS = 8

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
POSITION_WEIGHTS = {"title": TITLE_WEIGHT, "lead": LEAD_WEIGHT, "body": BODY_WEIGHT}
RELEVANCE_SCALE = 4.0

#: company short names that are also common words: a mention is the company only in
#: company context (followed by its code, 涨停, 股份, ... or in a list of companies)
GENERIC_WORDS = frozenset(
    {
        "机器人",
        "新产业",
        "太阳能",
        "农产品",
        "金融街",
        "中关村",
        "数据港",
        "人民网",
        "新华网",
        "太平洋",
        "新世界",
        "新天地",
        "大智慧",
        "指南针",
        "向日葵",
        "新动力",
        "创世纪",
        "值得买",
        "数字人",
        "驱动力",
        "动力源",
        "电子城",
        "新城市",
        "三人行",
        "老百姓",
        "好想你",
        "火星人",
        "孩子王",
        "智动力",
        "新经典",
        "长白山",
        "张家界",
        "陆家嘴",
        "外高桥",
        "王府井",
        "连云港",
        "天津港",
        "青岛港",
        "日照港",
        "重庆港",
        "广州港",
        "宁波港",
        "唐山港",
        "南京港",
        "珠海港",
        "盐田港",
        "大西洋",
        "两面针",
        "新里程",
        "生物谷",
        "建科院",
        "设研院",
        "电科院",
        "同仁堂",
        "百合花",
        "葫芦娃",
        "新希望",
        "新大陆",
        "新开源",
        "创新医疗",
        "国际医学",
        "中国医药",
        "东方财富",
        "中国建筑",
        "中国银行",
        "中国电影",
        "中国化学",
        "中国能建",
        "中国中免",
        "海量数据",
        "鄂尔多斯",
        "视觉中国",
        "同花顺",
    }
)
#: what follows any name used as an industry word (机器人产业, 新产业链)
GENERIC_AFTER = ("产业链", "产业", "行业", "领域", "板块", "概念", "赛道")
#: what precedes any name used as an industry word (智能机器人, 工业机器人)
GENERIC_BEFORE = ("智能", "工业", "服务", "人形", "特种", "协作", "医疗", "新型", "各类")
#: what follows a common-word name used as a common word (机器人技术, 新产业高质量发展)
GENERIC_WORD_AFTER = (
    "技术",
    "设备",
    "装备",
    "应用",
    "企业",
    "系统",
    "终端",
    "产品",
    "基地",
    "园区",
    "园",
    "高质量",
    "新赛道",
    "发展",
)
#: what follows a name used as a company
COMPANY_AFTER = (
    "涨停",
    "跌停",
    "跟涨",
    "跟跌",
    "大涨",
    "大跌",
    "领涨",
    "领跌",
    "收涨",
    "收跌",
    "涨",
    "跌",
    "封板",
    "股价",
    "股份",
    "公司",
    "集团",
    "公告",
    "发布公告",
    "董事",
    "董秘",
    "市值",
    "回应",
    "表示",
)
#: separators of a list of companies
LIST_SEPARATORS = ("、", "，", ",", "/", "和", "及", "与")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CODE_RE = re.compile(
    r"(?P<pre>(?:sz|sh|bj)\.?)?(?<![\d.])(?P<code>\d{6})(?!\d)(?P<suf>\.(?:sz|sh|ss|bj))?",
    re.I,
)
_SITE_CODE_RE = re.compile(r"^(sz|sh|bj)\.?(\d{6})$", re.I)


# ---------------------------------------------------------------- companies


def company_table(listing: pd.DataFrame) -> pd.DataFrame:
    """Company short names for matching: columns ``code`` (six digits), ``name``
    (width-folded, no spaces: 万  科Ａ -> 万科A), ``ticker`` (``000002.SZ``).

    ``listing``: columns ``code`` and ``name`` (e.g. the Eastmoney all-A-share list);
    rows without a usable name (shorter than two characters) or code are dropped.
    """
    codes = listing["code"].astype(str).str.strip().str.zfill(6)
    names = listing["name"].astype(str).map(_clean_name)
    out = pd.DataFrame({"code": codes.to_numpy(), "name": names.to_numpy()})
    out = out[out["code"].str.fullmatch(r"\d{6}") & (out["name"].str.len() >= 2)]
    tickers = []
    for code in out["code"]:
        try:
            tickers.append(canonical_ticker(code))
        except ValueError:
            tickers.append(None)
    out = out.assign(ticker=tickers)
    out = out[out["ticker"].notna()].drop_duplicates(subset=["code"], keep="first")
    return out.reset_index(drop=True).astype({"code": "str", "name": "str", "ticker": "str"})


def _clean_name(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))


@dataclass(frozen=True)
class CompanyMatcher:
    """Names and codes of a company table, indexed for scanning texts."""

    by_bigram: dict[str, list[tuple[str, str]]]  # first two chars -> [(alias, code)]
    names: dict[str, str]  # code -> short name
    tickers: dict[str, str]  # code -> canonical ticker


def company_matcher(companies: pd.DataFrame) -> CompanyMatcher:
    """Index a ``company_table`` (columns ``code``, ``name``, ``ticker``) for ``stock_tags``.

    Aliases: the name itself, the name without an ST prefix (*ST, ST, S), and a name
    ending in A without it (万科A -> 万科), when no other company has that alias.
    """
    names = dict(zip(companies["code"], companies["name"], strict=True))
    tickers = dict(zip(companies["code"], companies["ticker"], strict=True))
    aliases: dict[str, set[str]] = {}
    for code, name in names.items():
        forms = {name}
        bare = re.sub(r"^(\*?S?ST|S)(?=[\u4e00-\u9fff])", "", name)
        if len(bare) >= 3:
            forms.add(bare)
        if name.endswith("A") and len(name) >= 3:
            forms.add(name[:-1])
        for form in forms:
            aliases.setdefault(form, set()).add(code)
    by_bigram: dict[str, list[tuple[str, str]]] = {}
    for alias, codes in aliases.items():
        if len(codes) != 1 and alias not in names.values():
            continue
        code = sorted(codes)[0] if len(codes) == 1 else _owner(alias, names)
        by_bigram.setdefault(alias[:2], []).append((alias, code))
    for entries in by_bigram.values():
        entries.sort(key=lambda e: -len(e[0]))
    return CompanyMatcher(by_bigram, names, tickers)


def _owner(alias: str, names: Mapping[str, str]) -> str:
    return sorted(code for code, name in names.items() if name == alias)[0]


# ---------------------------------------------------------------- positions


def lead_end(text: str) -> int:
    """Offset where the lead of ``text`` ends (see the module doc)."""
    end = 0
    for _ in range(LEAD_PARAGRAPHS):
        nl = text.find("\n", end)
        if nl < 0:
            end = len(text)
            break
        end = nl + 1
    return min(end, LEAD_MAX_CHARS)


def _position(offset: int, lead: int) -> str:
    return "lead" if offset < lead else "body"


# ---------------------------------------------------------------- stock tags


@dataclass
class _Mention:
    code: str
    alias: str
    where: str  # title | lead | body
    start: int  # offset in its own string (title or text)
    end: int
    usage: str = "plain"  # company | generic | plain
    why: str = ""


def _scan_names(string: str, matcher: CompanyMatcher) -> list[tuple[int, int, str, str]]:
    """Non-overlapping (start, end, alias, code), longest first at each offset."""
    found = []
    i = 0
    n = len(string)
    while i < n - 1:
        entries = matcher.by_bigram.get(string[i : i + 2])
        hit = None
        if entries:
            for alias, code in entries:
                if string.startswith(alias, i):
                    hit = (i, i + len(alias), alias, code)
                    break
        if hit:
            found.append(hit)
            i = hit[1]
        else:
            i += 1
    return found


def _usage(
    string: str, start: int, end: int, name: str, code: str, generic_words: frozenset[str]
) -> tuple[str, str]:
    """How one mention of a name is used: (company | generic | plain, why)."""
    after = string[end : end + 12].lstrip(" \u3000")
    before = string[max(0, start - 2) : start]
    if re.match(rf"[（(]\s*(?:(?:sz|sh)\.?)?{code}", after, re.I):
        return "company", f"followed by its code {code}"
    for word in COMPANY_AFTER:
        if after.startswith(word) and not name.endswith(word):
            return "company", f"followed by {word}"
    for word in GENERIC_AFTER:
        if after.startswith(word):
            return "generic", f"'{name}{word}'"
    for word in GENERIC_BEFORE:
        if before.endswith(word):
            return "generic", f"'{word}{name}'"
    if name in generic_words:
        for word in GENERIC_WORD_AFTER:
            if after.startswith(word):
                return "generic", f"'{name}{word}'"
        if before and _CJK.match(before[-1]):
            return "generic", f"'{before[-1]}{name}'"
        return "generic", f"'{name}' on its own"
    return "plain", ""


def _context(string: str, start: int, end: int) -> str:
    return string[max(0, start - CONTEXT_CHARS) : end + CONTEXT_CHARS].replace("\n", " ")


def _mark_lists(mentions: list[_Mention], strings: dict[str, str]) -> None:
    """Mentions separated from another non-generic company mention by a list separator
    are company usage (国光电器涨停，长信科技、宝鹰股份、蓝思科技跟涨)."""
    by_string: dict[str, list[_Mention]] = {}
    for m in mentions:
        by_string.setdefault("title" if m.where == "title" else "text", []).append(m)
    for key, group in by_string.items():
        string = strings[key]
        group.sort(key=lambda m: m.start)
        for a, b in zip(group, group[1:], strict=False):
            gap = string[a.end : b.start].strip(" \u3000")
            if gap not in LIST_SEPARATORS:
                continue
            if a.usage == "generic" and b.usage == "generic":
                continue
            for m, other in ((a, b), (b, a)):
                if m.usage != "company" and other.usage != "generic":
                    m.usage, m.why = "company", f"listed with {other.alias}"


def _site_code(code: str) -> str | None:
    m = _SITE_CODE_RE.match(code.strip())
    if m:
        return m.group(2)
    m = re.fullmatch(r"(\d{6})(?:\.(?:SZ|SH|SS|BJ))?", code.strip(), re.I)
    return m.group(1) if m else None


def stock_tags(
    title: str,
    text: str,
    site_tags: Sequence[Mapping[str, Any]] | None,
    companies: pd.DataFrame | CompanyMatcher,
    *,
    generic_words: Iterable[str] = GENERIC_WORDS,
) -> list[dict[str, Any]]:
    """Stocks the article is about: dicts ``code`` (canonical ticker, ``002045.SZ``),
    ``name``, ``confidence`` (0-100), ``evidence`` (dict: ``mentions`` with position,
    offset, context and usage; ``codes``; ``site_tag``), ``reason`` (a sentence);
    highest confidence first.

    ``site_tags``: dicts ``code`` (as the site wrote it, ``sz300024``), ``anchor`` (the
    word it sat on, "" if only listed), ``source``. ``companies``: a ``company_table``
    (or its ``company_matcher``). A site tag of a code not in the table is kept with the
    anchor as its name.
    """
    matcher = companies if isinstance(companies, CompanyMatcher) else company_matcher(companies)
    generic = frozenset(generic_words)
    title = title or ""
    text = text or ""
    lead = lead_end(text)
    strings = {"title": title, "text": text}
    mentions: list[_Mention] = []
    for key, string in strings.items():
        for start, end, alias, code in _scan_names(string, matcher):
            where = "title" if key == "title" else _position(start, lead)
            usage, why = _usage(string, start, end, alias, code, generic)
            mentions.append(_Mention(code, alias, where, start, end, usage, why))
    _mark_lists(mentions, strings)

    codes_found: dict[str, list[dict[str, Any]]] = {}
    for key, string in strings.items():
        for m in _CODE_RE.finditer(string):
            code = m.group("code")
            if code not in matcher.names:
                continue
            start = m.start("code")
            marked = bool(m.group("pre") or m.group("suf")) or string[
                max(0, start - 1) : start
            ] in ("(", "（")
            codes_found.setdefault(code, []).append(
                {
                    "text": m.group(0),
                    "position": "title" if key == "title" else _position(start, lead),
                    "offset": start,
                    "marked": marked,
                }
            )

    site_by_code: dict[str, Mapping[str, Any]] = {}
    foreign: list[Mapping[str, Any]] = []
    for tag in site_tags or []:
        code = _site_code(str(tag.get("code", "")))
        if code and code in matcher.names:
            site_by_code.setdefault(code, tag)
        else:
            foreign.append(tag)

    out = []
    for code in sorted({m.code for m in mentions} | set(codes_found) | set(site_by_code)):
        own = [m for m in mentions if m.code == code]
        tag = site_by_code.get(code)
        out.append(_stock_tag(code, own, codes_found.get(code, []), tag, matcher, strings, generic))
    for tag in foreign:
        anchor = str(tag.get("anchor") or "")
        found = bool(anchor) and (anchor in title or anchor in text)
        out.append(
            {
                "code": str(tag.get("code")),
                "name": anchor,
                "confidence": CONF_SITE_TAG_ONLY if found else CONF_GENERIC,
                "evidence": {"mentions": [], "codes": [], "site_tag": dict(tag)},
                "reason": f"site tag {tag.get('code')} is not an A-share in the company table",
            }
        )
    out.sort(key=lambda t: (-t["confidence"], t["code"]))
    return out


def _stock_tag(
    code: str,
    mentions: list[_Mention],
    codes: list[dict[str, Any]],
    tag: Mapping[str, Any] | None,
    matcher: CompanyMatcher,
    strings: dict[str, str],
    generic: frozenset[str],
) -> dict[str, Any]:
    name = matcher.names[code]
    reasons: list[str] = []
    confidence = 0
    usable = [m for m in mentions if m.usage != "generic"]
    if usable:
        positions = {m.where for m in usable}
        if "title" in positions:
            confidence, where = CONF_TITLE, "in the title"
        elif "lead" in positions:
            confidence, where = CONF_LEAD, "in the lead"
        else:
            n = len(usable)
            confidence = min(CONF_BODY + CONF_BODY_REPEAT * (n - 1), CONF_BODY_MAX)
            where = f"{n} time{'s' if n > 1 else ''} in the body"
        company = [m for m in usable if m.usage == "company"]
        if company:
            confidence += CONF_COMPANY_CONTEXT
            reasons.append(f"named {where}, {company[0].why}")
        else:
            reasons.append(f"named {where}")
    elif mentions:
        confidence = CONF_GENERIC
        shown = ", ".join(dict.fromkeys(m.why for m in mentions))
        reasons.append(f"'{name}' is a common word here, not the company ({shown})")
    if codes:
        marked = any(c["marked"] for c in codes)
        best = CONF_CODE_MARKED if marked else CONF_CODE_BARE
        if marked and any(c["position"] in ("title", "lead") for c in codes):
            best += CONF_COMPANY_CONTEXT
        if usable:  # its name and its code: they confirm each other
            confidence = max(confidence, best) + CONF_COMPANY_CONTEXT
        else:
            confidence = max(confidence, best)
        kind = "code" if marked else "six-digit number"
        reasons.append(f"its {kind} {code} appears in the text")
    site: dict[str, Any] | None = None
    if tag is not None:
        site = dict(tag)
        anchor = str(tag.get("anchor") or "")
        anchor_mentions = [m for m in mentions if m.alias == anchor] if anchor else []
        if not anchor:
            if usable or codes:
                confidence += CONF_SITE_TAG
                reasons.append(f"the site listed {tag.get('code')}")
            else:
                confidence = max(confidence, CONF_SITE_TAG_ONLY)
                reasons.append(f"the site listed {tag.get('code')}; the name is not in the text")
        elif anchor_mentions and all(m.usage == "generic" for m in anchor_mentions):
            shown = ", ".join(dict.fromkeys(m.why for m in anchor_mentions))
            reasons = [
                f"site tag {tag.get('code')}: anchor '{anchor}' is a common word here, "
                f"not the company ({shown})"
            ] + [r for r in reasons if "common word" not in r]
            confidence = max(CONF_GENERIC, confidence if usable or codes else CONF_GENERIC)
        elif anchor_mentions or anchor in strings["title"] or anchor in strings["text"]:
            if anchor not in (name, *[m.alias for m in mentions]) and anchor in generic:
                confidence = max(confidence, CONF_GENERIC)
                reasons.append(f"site tag {tag.get('code')}: anchor '{anchor}' is a common word")
            else:
                confidence = max(confidence, CONF_BODY) + CONF_SITE_TAG
                reasons.append(f"the site tagged it on '{anchor}'")
        else:
            confidence = max(confidence, CONF_SITE_TAG_ONLY)
            reasons.append(f"site tag {tag.get('code')}: anchor '{anchor}' not found in the text")
    evidence = {
        "mentions": [
            {
                "text": m.alias,
                "position": m.where,
                "offset": m.start,
                "context": _context(
                    strings["title" if m.where == "title" else "text"], m.start, m.end
                ),
                "usage": m.usage,
            }
            for m in mentions[:MAX_EVIDENCE]
        ],
        "n_mentions": len(mentions),
        "codes": codes[:MAX_EVIDENCE],
        "site_tag": site,
    }
    return {
        "code": matcher.tickers[code],
        "name": name,
        "confidence": int(max(0, min(100, confidence))),
        "evidence": evidence,
        "reason": "; ".join(reasons),
    }


# ---------------------------------------------------------------- sectors


def sector_taxonomy(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The sector tables of ``config/sectors.toml`` (as loaded, ``config["sectors"]``),
    checked and normalised: id -> ``name``, ``name_zh``, ``keywords`` (list),
    ``members`` (list of ``{ticker, name, weight}``), ``benchmark``, ``parent`` (id or
    None), ``children`` (ids), ``note``. Tables without ``keywords`` are not sectors and
    are skipped; a bad value is a ValueError naming the sector and the key."""
    out: dict[str, dict[str, Any]] = {}
    for sector_id, table in raw.items():
        if not isinstance(table, Mapping) or "keywords" not in table:
            continue
        where = f"sectors.{sector_id}"
        keywords = table["keywords"]
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
            raise ValueError(f"{where}.keywords must be a list of non-empty strings")
        members = []
        for m in table.get("members", []):
            item = {"ticker": m} if isinstance(m, str) else dict(m)
            try:
                item["ticker"] = canonical_ticker(item["ticker"])
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{where}.members: {m!r} is not a ticker like 002045.SZ") from exc
            weight = item.get("weight", table.get("weights", {}).get(item["ticker"], 1.0))
            if not isinstance(weight, int | float) or weight < 0:
                raise ValueError(f"{where}.members: weight of {item['ticker']} must be >= 0")
            members.append(
                {"ticker": item["ticker"], "name": item.get("name", ""), "weight": float(weight)}
            )
        out[str(sector_id)] = {
            "name": str(table.get("name", sector_id)),
            "name_zh": str(table.get("name_zh", "")),
            "keywords": list(keywords),
            "members": members,
            "benchmark": str(table.get("benchmark", "000300.SS")),
            "parent": table.get("parent"),
            "children": [],
            "note": str(table.get("note", "")),
        }
    for sector_id, sector in out.items():
        parent = sector["parent"]
        if parent is None:
            continue
        if parent not in out:
            raise ValueError(f"sectors.{sector_id}.parent = {parent!r} is not a sector")
        out[parent]["children"].append(sector_id)
    return out


def _descendants(sectors: Mapping[str, Mapping[str, Any]], sector_id: str) -> list[str]:
    out = []
    stack = list(sectors[sector_id].get("children", []))
    while stack:
        child = stack.pop()
        if child in out:
            continue
        out.append(child)
        stack.extend(sectors[child].get("children", []))
    return out


@functools.cache
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    if keyword.isascii():
        return re.compile(rf"(?<![A-Za-z0-9]){re.escape(keyword)}(?![A-Za-z0-9])", re.I)
    return re.compile(re.escape(keyword))


def _count_keywords(string: str, keywords: Sequence[str]) -> list[tuple[str, int]]:
    """(keyword, offset) hits, longest keyword first, no overlaps."""
    taken = bytearray(len(string))
    hits = []
    for kw in sorted(set(keywords), key=lambda k: (-len(k), k)):
        if not kw.isascii() and kw not in string:
            continue  # a literal pattern: a substring test says it has no match
        for m in _keyword_pattern(kw).finditer(string):
            if any(taken[m.start() : m.end()]):
                continue
            taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
            hits.append((kw, m.start()))
    return hits


def sector_tags(
    title: str, text: str, sectors: Mapping[str, Mapping[str, Any]], *, min_relevance: int = 1
) -> list[dict[str, Any]]:
    """Sectors the article is about: dicts ``sector`` (id), ``name``, ``relevance``
    (0-100, formula in the module doc), ``evidence`` (list of ``keyword``, ``title``,
    ``lead``, ``body`` counts and ``first_offset``), highest relevance first; sectors
    under ``min_relevance`` are left out.

    ``sectors``: id -> table with ``keywords`` (and optionally ``children`` or
    ``parent``, as ``sector_taxonomy`` gives them).
    """
    title = title or ""
    text = text or ""
    lead = lead_end(text)
    children: dict[str, list[str]] = {
        sid: list(s.get("children", [])) for sid, s in sectors.items()
    }
    for sid, s in sectors.items():
        parent = s.get("parent")
        if parent in children and sid not in children[parent]:
            children[parent].append(sid)
    tree = {sid: {**s, "children": children[sid]} for sid, s in sectors.items()}
    out = []
    for sector_id, sector in sectors.items():
        keywords = list(sector.get("keywords", []))
        for child in _descendants(tree, sector_id):
            keywords.extend(sectors[child].get("keywords", []))
        counts: dict[str, dict[str, Any]] = {}
        for kw, _offset in _count_keywords(title, keywords):
            entry = counts.setdefault(kw, {"title": 0, "lead": 0, "body": 0, "first_offset": None})
            entry["title"] += 1
        for kw, offset in _count_keywords(text, keywords):
            entry = counts.setdefault(kw, {"title": 0, "lead": 0, "body": 0, "first_offset": None})
            entry[_position(offset, lead)] += 1
            if entry["first_offset"] is None or offset < entry["first_offset"]:
                entry["first_offset"] = offset
        score = sum(
            POSITION_WEIGHTS[p] * math.sqrt(entry[p])
            for entry in counts.values()
            for p in POSITION_WEIGHTS
        )
        relevance = int(round(100 * (1 - math.exp(-score / RELEVANCE_SCALE))))
        if relevance < min_relevance:
            continue
        evidence = [
            {"keyword": kw, **entry}
            for kw, entry in sorted(
                counts.items(),
                key=lambda item: (-(item[1]["title"] + item[1]["lead"] + item[1]["body"]), item[0]),
            )
        ]
        out.append(
            {
                "sector": sector_id,
                "name": sector.get("name_zh") or sector.get("name") or sector_id,
                "relevance": relevance,
                "evidence": evidence,
            }
        )
    out.sort(key=lambda t: (-t["relevance"], t["sector"]))
    return out


# ---------------------------------------------------------------- stories


def rollup_story_tags(
    article_tags: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[dict[str, Any]]:
    """A story's tags from its articles' tags.

    ``article_tags``: article id -> that article's tags (``stock_tags`` and/or
    ``sector_tags`` output; an article without tags still counts for ``coverage``).
    Returns dicts ``kind`` (stock | sector), ``code`` (ticker or sector id), ``name``,
    ``relevance`` (the highest of the articles' confidence/relevance), ``evidence``
    (``max``, ``mean`` over the articles carrying the tag, ``coverage`` = share of the
    story's articles carrying it, ``articles`` id -> score); by kind, highest first.
    """
    n_articles = len(article_tags)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for article_id, tags in article_tags.items():
        for tag in tags:
            if "sector" in tag:
                kind, code, score = "sector", str(tag["sector"]), float(tag["relevance"])
            else:
                kind, code, score = "stock", str(tag["code"]), float(tag["confidence"])
            entry = found.setdefault(
                (kind, code),
                {"kind": kind, "code": code, "name": tag.get("name", ""), "scores": {}},
            )
            entry["scores"][article_id] = max(score, entry["scores"].get(article_id, 0.0))
    out = []
    for entry in found.values():
        scores = entry.pop("scores")
        values = list(scores.values())
        entry["relevance"] = max(values)
        entry["evidence"] = {
            "max": max(values),
            "mean": sum(values) / len(values),
            "coverage": len(values) / n_articles if n_articles else 0.0,
            "articles": dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))),
        }
        out.append(entry)
    out.sort(key=lambda t: (t["kind"], -t["relevance"], t["code"]))
    return out


# ---------------------------------------------------------------- stored rows


def taxonomy_rows(
    taxonomy: Mapping[str, Mapping[str, Any]], default_benchmark: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``sectors`` and ``sector_members`` rows of a ``sector_taxonomy``.

    Sector rows: ``id``, ``name``, ``name_zh``, ``keywords``, ``benchmark`` (the
    sector's, else ``default_benchmark``), ``note``. Member rows: ``sector_id``,
    ``ticker``, ``name``, ``weight`` (1.0 when not given). Both in taxonomy order.
    """
    sectors = [
        {
            "id": sid,
            "name": t["name"],
            "name_zh": t.get("name_zh"),
            "keywords": t["keywords"],
            "benchmark": t.get("benchmark") or default_benchmark,
            "note": t.get("note"),
        }
        for sid, t in taxonomy.items()
    ]
    members = [
        {
            "sector_id": sid,
            "ticker": m["ticker"],
            "name": m.get("name"),
            "weight": m.get("weight", 1.0),
        }
        for sid, t in taxonomy.items()
        for m in t["members"]
    ]
    return sectors, members


def taxonomy_tickers(
    taxonomy: Mapping[str, Mapping[str, Any]], default_benchmark: str
) -> list[str]:
    """Every ticker a taxonomy needs prices of, sorted: its members, each sector's
    benchmark (else ``default_benchmark``), and ``default_benchmark`` itself."""
    tickers = {m["ticker"] for t in taxonomy.values() for m in t["members"]}
    tickers |= {t.get("benchmark") or default_benchmark for t in taxonomy.values()}
    tickers.add(default_benchmark)
    return sorted(tickers)


def article_tag_rows(
    stocks: Sequence[Mapping[str, Any]], sectors: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One article's stored tag rows from its ``stock_tags`` and ``sector_tags``.

    Returns dicts ``kind`` (stock | sector), ``code`` (ticker or sector id), ``name``,
    ``confidence`` (a stock's confidence, a sector's relevance), ``evidence`` and
    ``reason`` (None for sectors): the stocks first, then the sectors, each in the
    order given.
    """
    return [
        {
            "kind": "stock",
            "code": t["code"],
            "name": t.get("name"),
            "confidence": t["confidence"],
            "evidence": t.get("evidence"),
            "reason": t.get("reason"),
        }
        for t in stocks
    ] + [
        {
            "kind": "sector",
            "code": t["sector"],
            "name": t.get("name"),
            "confidence": t["relevance"],
            "evidence": t.get("evidence"),
            "reason": None,
        }
        for t in sectors
    ]


def tags_by_story(
    memberships: Iterable[Mapping[str, Any]],
    article_tags: Mapping[str, Sequence[Mapping[str, Any]]],
) -> dict[str, dict[str, list[Mapping[str, Any]]]]:
    """Each story's articles and their tags, as ``rollup_story_tags`` takes them.

    ``memberships``: rows ``story_id``, ``article_id``; ``article_tags``: article id ->
    that article's tags (an article missing from it has none). Returns story id ->
    {article id -> tags}, stories and articles in the order of ``memberships``.
    """
    out: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    for r in memberships:
        out.setdefault(r["story_id"], {})[r["article_id"]] = list(
            article_tags.get(r["article_id"], [])
        )
    return out


def story_tag_rows(rolled: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A story's stored tag rows from ``rollup_story_tags``: ``kind``, ``code``, ``name``,
    ``relevance``, ``evidence``, in the order given."""
    return [
        {
            "kind": t["kind"],
            "code": t["code"],
            "name": t.get("name"),
            "relevance": t["relevance"],
            "evidence": t.get("evidence"),
        }
        for t in rolled
    ]
