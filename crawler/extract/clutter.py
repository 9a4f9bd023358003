"""What sits inside an article block but is not article text, and the bylines in it.

Built for classes of line, not for one page: any Sina page (and most Chinese news
pages) mixes these into the block that holds the text:

* the 原标题 line (原标题：…, （原题为《…》）): kept as ``original_title``;
* video captions (视频-…, 视频：…): kept in ``video_captions``;
* link lines (此前报道：…, 相关报道：…, 相关新闻：…) and promotions (点击进入专题,
  进入【…股吧】讨论, 立刻注册…), disclaimers (免责声明：…), page lists (【1】【2】,
  [上一篇] [下一篇]);
* photo credits, whole lines (图/pixabay, 新华社发（刘满仓摄）) or the end of a caption
  (…（刘通摄）, … 蔡雪婧/摄, … 图片来源：天水融媒, …山东女子学院供图, … 视觉中国):
  kept in ``photo_credits``, the caption stays;
* lines that only credit people (（总台央视记者 奚丹霓 张赛）, □ 本报记者 葛灵丹, 文/栗思,
  编辑/倪家宁, 监 制：…, a print-edition line 《 人民日报 》（ 2024年05月10日 04 版））:
  the writers among them become ``author``;
* at the top of old pages: the headline repeated (also over several lines, and a
  document number under it), the channel URL, and the dateline (date, time and outlet
  on one line): kept as ``dateline_time`` / ``dateline_source``;
* a closing （来源：…） at the end of the text: ``trailing_source``; a 来源：… line
  closing the text: ``declared_source`` (one opening the text is read as the declared
  source too but stays: it is part of the text a repost carries over).

``remove_link_blocks`` does the part that needs the page's markup: a 相关新闻： /
点击进入专题： label and the link-only paragraphs that follow it.

Bylines that stay in the text are read by ``leading_byline`` (（记者 张三）, 本报讯（记者
叶婉）, 新华社北京5月19日电（刘艺、杨吉） at the start) and ``closing_byline`` (a name in
parentheses closing the text: (李楠), (信报记者 蔡雪婧)).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from newsmon.crawler.extract import common

HAN = r"\u4e00-\u9fff"
#: a personal name: two to four Han characters (a padded "方 敏" is joined by names())
NAME_RE = re.compile(rf"^[{HAN}·]{{2,4}}$")
#: a parenthesised credit ending like these is an organisation, not a person
ORG_ENDINGS = (
    "局 委 办 部 厅 社 报 网 台 会 院 所 处 站 中心 公司 集团 政府 协会 新闻 评论员 频道 "
    "客户端 日报 晚报 编辑部 供图 摄 完 图 记者"
).split()

#: words that end a run of names (the next label of an info line)
LABEL_WORDS = frozenset(
    "责任编辑 编辑 责编 记者 来源 作者 摄影 摄 审核 校对 排版 监制 发布 时间 日期 通讯员".split()
)

# --- line classes ---------------------------------------------------------------------------

ORIGINAL_TITLE_RES = (
    re.compile(r"^[（(]\s*原标题\s*[：:]\s*(?P<t>[^（）()]+?)\s*[）)]$"),
    re.compile(r"^原标题\s*[：:]\s*(?P<t>.+?)\s*$"),
    re.compile(r"^[（(]\s*原题(?:为|是)?\s*[：:]?\s*《(?P<t>.+)》\s*[）)]$"),
    re.compile(r"^原题\s*[：:]\s*(?P<t>.+?)\s*$"),
)
VIDEO_CAPTION_RE = re.compile(r"^视频\s*[-－—:：|｜丨]\s*\S")
#: a video caption longer than this is text that starts with the word 视频
MAX_VIDEO_CAPTION_CHARS = 80
LINK_LABEL_RE = re.compile(
    r"^[【\[]?(?:此前报道|相关报道|相关新闻|相关阅读|相关链接|延伸阅读|推荐阅读|往期回顾|往期推荐|"
    r"更多报道|专题)[】\]]?\s*[：:>》]"
)
PROMOTION_RE = re.compile(
    r"^(?:点击进入|点击查看|点击阅读|进入【|立刻注册|安装新浪财经客户端|下载.{0,12}(?:APP|客户端)|"
    r"扫描下方二维码|扫码关注|关注.{0,16}(?:公众号|微信号)|欢迎关注)"
)
#: a promotion line longer than this is text
MAX_PROMOTION_CHARS = 60
DISCLAIMER_RE = re.compile(r"^(?:免责声明|特别声明|版权声明|郑重声明)\s*[：:]")
BREADCRUMB_RE = re.compile(r"^(?:您(?:所在|现在)的位置|当前位置|所在位置|现在位置)\s*[：:]")
FURNITURE_LINE_RES = (
    BREADCRUMB_RE,
    re.compile(r"^[\[\]【】()（）<>《》\s|｜·•…—\-_=*#]+$"),  # brackets left of a removed line
    re.compile(r"^(?:【\d+】)+$"),
    re.compile(r"^(?:【[^【】]{1,10}】\s*){2,}$"),  # 【发表评论】【关闭窗口】, 【评论】【推荐】…
    re.compile(r"^\[?\s*上一(?:篇|页)\s*\]?\s*\[?\s*下一(?:篇|页)\s*\]?$"),
    re.compile(r"^\|?\s*<<.*下一页.*$"),
    re.compile(r"^(?:\[\d+\]\s*)+$"),
    re.compile(r"^首页\s*\|?\s*上一页.*尾页$"),
    re.compile(r"^Trackback\s*:", re.I),
    re.compile(
        r"^(?:图集|组图|视频|音频|播放|收听|点击播放|Play Video|\d{1,2}:\d{2}\s*/\s*\d{1,2}:\d{2})$"
    ),
)
#: a whole line that is a photo credit
PHOTO_CREDIT_LINE_RES = (
    re.compile(r"^(?:图|图片|摄影|供图|配图)\s*[/／:：|｜丨]\s*\S.{0,30}$"),
    re.compile(r"^新华社(?:记者\s*\S{2,8}\s*摄|发\s*(?:[（(][^（）()]{1,20}摄[）)])?)$"),
    re.compile(r"^图片来源\s*[：:].{1,40}$"),
    re.compile(r"^[（(]?\s*(?:本报|本刊)?记者\s*[^（）()]{2,12}\s*摄\s*[）)]?$"),
)
#: a photo credit closing a caption (the caption stays)
PHOTO_CREDIT_TAIL_RES = (
    re.compile(r"\s*[（(][^（）()]{1,20}摄[）)]$"),
    re.compile(r"\s+\S{1,12}\s*/\s*摄$"),
    re.compile(r"\s*(?:本报|本刊|新华社)?记者\s*\S{2,8}\s*摄$"),
    re.compile(r"\s*图片来源\s*[：:]\s*\S+$"),
    re.compile(r"(?<=[。！？”\s])[^\s。！？，]{2,15}供图$"),
    re.compile(r"\s*(?:视觉中国|东方IC|IC\s*photo)(?:\s*资料)?(?:图片?)?$", re.I),
    re.compile(r"\s+资料图片?$"),
)
#: a caption longer than this does not end in a credit (it is a paragraph)
MAX_CAPTION_CHARS = 120
#: lines that only credit people; group "who" holds the writers when there are any
CREDIT_LINE_RES = (
    re.compile(r"^[（(]\s*(?P<who>[^（）()]*记者[^（）()]*)[）)]$"),
    re.compile(r"^[□■●]?\s*(?:本报|本刊|本台)?(?:特约|实习|首席)?记者\s+(?P<who>[^\s：:].*)$"),
    re.compile(r"^(?P<who>.{0,16}?记者\s*[" + HAN + r"·、 ]{2,20}?)\s*来源\s*[：:]\s*\S+$"),
    re.compile(r"^.{0,14}?频道\s*(?P<who>记者\s*[" + HAN + r"·、 ]{2,20})$"),
    re.compile(
        r"^(?:文|撰文|作者|文字|执笔)\s*[/／丨|｜:：\s]\s*"
        r"(?:\S{0,12}(?:评论员|记者|通讯员|研究员|作者)\s*)?"
        r"(?P<who>[" + HAN + r"·、&＆ ]{2,30})$"
    ),
    re.compile(
        r"^(?:编辑|责编|审读|审校|监制|总监制|制作|策划|统筹|设计|排版|校对|编审|主编|出品|摄影|"
        r"摄像|视频|海报|剪辑|翻译|编译)\s*[/／丨|｜:：]\s*\S.{0,30}$"
    ),
    re.compile(r"^(?:编辑|审读|排版|校对|监制)\s+\S{2,4}(?:\s*[|｜]\s*\S{2,4}\s+\S{2,4})*$"),
    re.compile(
        r"^《\s*\S+?\s*》\s*[（(]\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:第?\s*\d+\s*版)?\s*[）)]$"
    ),
)
#: a credit line longer than this is text
MAX_CREDIT_CHARS = 40
#: how many lines from the top the old-page header (headline, channel URL, dateline) is
TOP_LINES = 6
CHANNEL_URL_RE = re.compile(r"^(?:https?://)?(?:[\w-]+\.)+(?:com|cn|net|org)(?:\.cn)?/?$", re.I)
DATELINE_RE = re.compile(
    r"^(?:(?:https?://)?(?:[\w-]+\.)+(?:com|cn|net|org)(?:\.cn)?/?\s+)?"
    r"(?P<dt>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*\d{1,2}\s*[:：]\s*\d{2})"
    r"\s*(?P<src>[^\d\s].{0,24})?$"
)
DECLARED_SOURCE_LINE_RE = re.compile(
    r"^[（(]?\s*(?:来源|信息来源|文章来源|稿件来源|本文来源)\s*[：:]\s*(?P<s>[^（）()]{1,30}?)\s*[）)]?$"
)
#: a 来源 line is metadata only within this many lines of either end of the text
SOURCE_EDGE_LINES = 2
TRAILING_SOURCE_RE = re.compile(
    r"[（(]\s*(?:来源|稿件来源|文章来源)\s*[：:]\s*(?P<s>[^（）()]{1,30})[）)]$"
)
#: a kicker (引题) over a repeated headline is a short line without sentence punctuation
MAX_KICKER_CHARS = 16
PUNCT_END_RE = re.compile(r"[。！？；，,.!?;]")
#: a headline repeated at the top is compared without these
TITLE_NOISE_RE = re.compile(r"[\s\u3000\xa0]+|[（(]\s*(?:图|组图|附图|视频)\s*[）)]$")


@dataclass
class Cleaned:
    """An article's lines without clutter, and what the clutter said."""

    lines: list[str]
    original_title: str | None = None
    video_captions: list[str] = field(default_factory=list)
    photo_credits: list[str] = field(default_factory=list)
    author: str | None = None
    dateline_time: str | None = None
    dateline_source: str | None = None
    trailing_source: str | None = None
    declared_source: str | None = None  # a 来源：… line at either end of the text
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (why, line)
    edge: str = field(default="", repr=False)  # "start" / "end": the line read is near one

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _flat(text: str) -> str:
    return TITLE_NOISE_RE.sub("", text or "")


def names(raw: str | None) -> str | None:
    """Names as written, padding spaces inside a name removed ("王乐文 方 敏" -> "王乐文 方敏");
    "、" kept as the separator when the page used it. None when nothing looks like a name."""
    if not raw:
        return None
    raw = common.squash(raw)
    separator = "、" if "、" in raw else " "
    parts: list[str] = []
    for token in re.split(r"[\s、，,&＆]+", raw):
        token = token.strip("：:·")
        if not token:
            continue
        if parts and len(token) == 1 and len(parts[-1]) == 1:
            parts[-1] += token  # 方 + 敏
        else:
            parts.append(token)
    kept = []
    for part in parts:
        if part in LABEL_WORDS:
            break  # "刘满仓 责任编辑 …": the names end at the next label
        if NAME_RE.match(part):
            kept.append(part)
    return separator.join(kept) or None


def _writers(who: str) -> str | None:
    """The names in a credit ("总台央视记者 奚丹霓 张赛", "实习记者 樊亮 张明超 记者惠禾")."""
    segments = re.split(r"(?:本报|本刊|总台央视|央视|特约|实习|首席)?记者|通讯员|评论员", who)
    found = [names(seg) for seg in segments[1:]] if len(segments) > 1 else [names(who)]
    joined = [f for f in found if f]
    return " ".join(joined) or None


def leading_byline(text: str | None) -> str | None:
    """Reporters credited in parentheses at the start of a text: 新京报快讯（记者 裴剑飞）…,
    本报讯（记者叶婉）…, 新华社巴黎12月9日电（记者唐霁）…, 新华社北京5月19日电（刘艺、杨吉）…"""
    first = (text or "").lstrip().split("\n", 1)[0]
    m = re.match(r"^(?P<pre>.{0,30}?)[（(]\s*(?P<inner>[^（）()]{2,40}?)\s*[）)]", first)
    if not m:
        return None
    inner, pre = m.group("inner"), m.group("pre")
    if "记者" in inner:
        return _writers(inner)
    if re.search(r"(?:电|讯|消息)\s*$", pre):
        return names(inner)
    return None


def closing_byline(text: str | None) -> str | None:
    """A name in parentheses closing a text: …(李楠), …（钟才文）, …(信报记者 蔡雪婧)."""
    last = (text or "").rstrip().rsplit("\n", 1)[-1]
    m = re.search(r"[（(]\s*(?P<inner>[^（）()]{2,24})\s*[）)]$", last)
    if not m:
        return None
    inner = m.group("inner").strip()
    if "记者" in inner:
        return _writers(inner)
    if inner.endswith(tuple(ORG_ENDINGS)) or not re.fullmatch(rf"[{HAN}·、 ]+", inner):
        return None
    return names(inner)


# --- cleaning -------------------------------------------------------------------------------


def _strip_photo_credit(line: str) -> tuple[str, str | None]:
    if len(line) > MAX_CAPTION_CHARS:
        return line, None
    for pattern in PHOTO_CREDIT_TAIL_RES:
        m = pattern.search(line)
        if m and m.start() > 0:
            return line[: m.start()].rstrip(), m.group(0).strip()
    return line, None


def _top_headline(lines: list[str], title: str) -> int:
    """How many lines at the top repeat the headline (over up to four lines, under a short
    kicker line such as 15家企业), 0 if none."""
    target = _flat(title)
    if len(target) < 4:
        return 0
    for start in (0, 1):
        kicker = lines[0] if lines else ""
        if start and (
            len(kicker) > MAX_KICKER_CHARS
            or PUNCT_END_RE.search(kicker)
            or common.doc_numbers(kicker)  # a document number is no kicker: the text starts there
        ):
            break
        joined = ""
        for i, line in enumerate(lines[start : start + 4], start=start):
            joined += _flat(line)
            if joined == target:
                return i + 1
            if not target.startswith(joined):
                break
    return 0


def clean_lines(lines: Iterable[str], title: str = "") -> Cleaned:
    """The lines of an article text (one paragraph each) without the clutter above."""
    result = Cleaned(lines=[])
    lines = [common.normalize_labels(line).strip() for line in lines if line and line.strip()]
    # the top of old pages: the headline repeated, then the channel URL and the dateline
    skip = _top_headline(lines, title) if title else 0
    for line in lines[:skip]:
        result.dropped.append(("headline", line))
    head_end = min(len(lines), skip + TOP_LINES)
    i = skip
    while i < head_end:
        line = lines[i]
        if skip and common.doc_numbers(line) and len(line) <= len(common.doc_numbers(line)[0]) + 4:
            result.dropped.append(("doc number", line))
        elif CHANNEL_URL_RE.match(line):
            result.dropped.append(("channel url", line))
        elif m := DATELINE_RE.match(line):
            result.dateline_time = m.group("dt").strip()
            source = (m.group("src") or "").strip().strip("《》")
            result.dateline_source = common.clean_source(source) if source else None
            result.dropped.append(("dateline", line))
        else:
            break
        i += 1
    body = lines[i:]
    for n, line in enumerate(body):
        result.edge = (
            "end"
            if n >= len(body) - SOURCE_EDGE_LINES
            else ("start" if n < SOURCE_EDGE_LINES else "")
        )
        why = _line_class(line, result)
        if why:
            result.dropped.append((why, line))
            continue
        if n == len(body) - 1 and (m := TRAILING_SOURCE_RE.search(line)):
            result.trailing_source = common.clean_source(m.group("s"))
            line = line[: m.start()].rstrip()
            if not line:
                continue
        line, credit = _strip_photo_credit(line)
        if credit:
            result.photo_credits.append(credit)
        if line:
            result.lines.append(line)
    return result


def _line_class(line: str, result: Cleaned) -> str | None:
    """Why a line is clutter ("" / None when it is text); records what it says on result."""
    for pattern in ORIGINAL_TITLE_RES:
        m = pattern.match(line)
        if m:
            result.original_title = result.original_title or m.group("t").strip()
            return "original title"
    if VIDEO_CAPTION_RE.match(line) and len(line) <= MAX_VIDEO_CAPTION_CHARS:
        result.video_captions.append(line)
        return "video caption"
    if LINK_LABEL_RE.match(line):
        return "links"
    if len(line) <= MAX_PROMOTION_CHARS and PROMOTION_RE.match(line):
        return "promotion"
    if DISCLAIMER_RE.match(line):
        return "disclaimer"
    if any(p.match(line) for p in FURNITURE_LINE_RES):
        return "page furniture"
    if len(line) <= MAX_CAPTION_CHARS and any(p.match(line) for p in PHOTO_CREDIT_LINE_RES):
        result.photo_credits.append(line)
        return "photo credit"
    if len(line) <= MAX_CREDIT_CHARS:
        # a credit may stand in brackets: 【文/观察者网专栏作者 王文】
        bare = re.sub(r"^[【\[]\s*(.*?)\s*[】\]]$", r"\1", line)
        for pattern in CREDIT_LINE_RES:
            m = pattern.match(bare)
            if not m:
                continue
            if "who" not in pattern.groupindex:
                return "credit"
            writers = _writers(m.group("who"))
            if writers:  # a line that names nobody is text that happens to start like one
                result.author = result.author or writers
                return "credit"
    m = DECLARED_SOURCE_LINE_RE.match(line)
    if m and len(line) <= MAX_CREDIT_CHARS and result.edge:
        result.declared_source = result.declared_source or common.clean_source(m.group("s"))
        # a 来源 line closing the text is metadata; one opening it is part of the text a
        # repost carries over (and stays, as it always has)
        return "source line" if result.edge == "end" else None
    return None


def clean_text(text: str, title: str = "") -> Cleaned:
    return clean_lines((text or "").split("\n"), title=title)


# --- markup ----------------------------------------------------------------------------------

#: how many link-only paragraphs after a 相关新闻： label are taken for its links
MAX_LINKED_AFTER_LABEL = 8
BLOCKS = ("p", "div", "li", "section", "h2", "h3", "h4", "h5", "h6", "span")


def _link_only(element: etree._Element) -> bool:
    if not isinstance(element.tag, str):
        return False
    text = common.text_of(element)
    if not text:
        return False
    linked = "".join(common.text_of(a) for a in element.iter("a"))
    return len(common.squash(linked)) >= len(text) * 0.9


def remove_link_blocks(root: etree._Element) -> int:
    """Drop, in place, each paragraph that is a 相关新闻： / 此前报道： / 点击进入专题： label
    with nothing after the colon, and the link-only paragraphs that follow it; a
    container that holds only such a label and links goes whole. Returns how many
    elements were dropped (call it on a copy)."""
    dropped = 0
    for element in list(root.iter(*BLOCKS)):
        if element.getparent() is None:
            continue
        text = common.text_of(element)
        label_only = re.fullmatch(
            r"[【\[]?(?:此前报道|相关报道|相关新闻|相关阅读|相关链接|延伸阅读|推荐阅读|点击进入专题|专题)"
            r"[】\]]?\s*[：:>》]?",
            text,
        )
        if not label_only:
            continue
        parent = element.getparent()
        siblings = []
        nxt = element.getnext()
        while nxt is not None and len(siblings) < MAX_LINKED_AFTER_LABEL and _link_only(nxt):
            siblings.append(nxt)
            nxt = nxt.getnext()
        if not siblings and parent is not None and parent is not root:
            # the label and its links wrapped together (div.wap_special)
            rest = [c for c in parent if c is not element and isinstance(c.tag, str)]
            if rest and all(_link_only(c) for c in rest):
                element, siblings = parent, []
        for victim in [element, *siblings]:
            common._drop(victim)
            dropped += 1
    return dropped


# --- for the parsers ------------------------------------------------------------------------


def article_text(element: etree._Element, title: str = "") -> Cleaned:
    """The text of an article element as a reader reads it: boilerplate blocks, link
    blocks and clutter lines out (works on a copy; element is not changed)."""
    root = common.clean_copy(element)
    remove_link_blocks(root)
    return clean_text(common.html_to_text(root), title=title)


def note_clutter(record, cleaned: Cleaned) -> None:
    """Keep on the record what the clutter said: the original title (record field and
    meta, which the store keeps), video captions and photo credits (meta)."""
    if cleaned.original_title:
        record.original_title = cleaned.original_title
        record.meta["original_title"] = cleaned.original_title
    if cleaned.video_captions:
        record.meta["video_captions"] = list(cleaned.video_captions)
    if cleaned.photo_credits:
        record.meta["photo_credits"] = list(cleaned.photo_credits)


def body_author(cleaned: Cleaned, editor: str | None = None) -> str | None:
    """The writer the text itself credits: a credit line, a byline at the start, or a
    name closing the text (not when that name is the editor's)."""
    closing = closing_byline(cleaned.text)
    if closing and editor and common.squash(closing) == common.squash(editor):
        closing = None
    return cleaned.author or leading_byline(cleaned.text) or closing
