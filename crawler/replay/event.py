"""THE 2022-07-08 EVENT as the sites served it: seed documents put into real page templates.

Built deterministically from newsmon/data/seeds at server start (nothing generated is
committed): seeds 000 and 001 in Sina's article template, seed 004 in IT之家's, the
official Shanghai notice page from seed 003's text with a link to its PDF, the PDF
itself (reportlab, CID font STSong-Light), and seed 002 as a commission page.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

SHANGHAI = timedelta(hours=8)


@dataclass
class Seed:
    """An archived post: front matter (title, date, author) and the HTML body as served."""

    name: str
    title: str
    published: datetime | None  # UTC
    author: str
    body_html: str


def read_seed(path: Path) -> Seed:
    text = path.read_text(encoding="utf-8")
    front: dict[str, str] = {}
    body = text
    m = re.match(r"\s*---\s*\n(.*?)\n---\s*\n(.*)$", text, re.S)
    if m:
        for line in m.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and not line.startswith((" ", "-")):
                front[key.strip()] = value.strip().strip("'\"")
        body = m.group(2)
    published = None
    if front.get("date"):
        published = parsedate_to_datetime(front["date"]).astimezone(UTC)
    return Seed(path.name, front.get("title", ""), published, front.get("author", ""), body)


def seed_file(seeds_dir: Path, prefix: str) -> Path:
    found = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    if not found:
        raise FileNotFoundError(f"no seed {prefix}_*.txt in {seeds_dir}")
    return found[0]


# --- editing a real template ---------------------------------------------------------------


def _sub1(pattern: str, repl: str, text: str, flags: int = 0) -> str:
    """Replace exactly the first match; a template without it is an error, not a silent skip."""
    new, n = re.subn(pattern, lambda _m: repl, text, count=1, flags=flags)
    if n != 1:
        raise ValueError(f"template has no match for {pattern!r}")
    return new


def _element_span(page: str, start_pattern: str) -> tuple[int, int]:
    """Where the inner HTML of the first element whose start tag matches starts and ends.

    The closing tag is found by counting nested tags of the same name.
    """
    m = re.search(start_pattern, page, re.S)
    if not m:
        raise ValueError(f"template has no element {start_pattern!r}")
    tag = re.match(r"<\s*([a-zA-Z0-9]+)", m.group(0)).group(1).lower()
    opener = re.compile(rf"<{tag}\b|</{tag}\s*>", re.I)
    depth, pos = 1, m.end()
    while depth:
        t = opener.search(page, pos)
        if t is None:
            raise ValueError(f"unclosed <{tag}> in template")
        depth += -1 if t.group(0).startswith("</") else 1
        pos = t.end()
    return m.end(), t.start()


def element_inner(page: str, start_pattern: str) -> str:
    start, end = _element_span(page, start_pattern)
    return page[start:end]


def replace_element_content(page: str, start_pattern: str, new_inner: str) -> str:
    """Replace the inner HTML of the first element whose start tag matches start_pattern."""
    start, end = _element_span(page, start_pattern)
    return page[:start] + new_inner + page[end:]


def seed_body_inner(body_html: str) -> str:
    """The seed's body without its outer <div> wrapper (the template supplies the container)."""
    body = body_html.strip()
    m = re.match(r"<div>\s*(.*)</div>\s*$", body, re.S)
    return m.group(1) if m else body


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _first_paragraph_text(body_html: str, limit: int = 120) -> str:
    text = re.sub(r"<[^>]+>", "", body_html)
    text = " ".join(html.unescape(text).split())
    return text[:limit]


# --- Sina ----------------------------------------------------------------------------------

SINA_TEMPLATE = "real/sina/sina_finance_roll_2018-12-28_doc-ihqfskcn2160999.html"
SINA_TEMPLATE_URL = "https://finance.sina.com.cn/roll/2018-12-28/doc-ihqfskcn2160999.shtml"


def sina_page(seed: Seed, template: str, live_url: str, media: str = "新浪财经") -> str:
    """Seed 000/001 in Sina's doc-i article template (finance roll, 2018 layout)."""
    local = seed.published + SHANGHAI
    title = seed.title
    page = template
    old_id = re.search(r"doc-(i[a-z0-9]+)\.shtml", SINA_TEMPLATE_URL).group(1)
    new_id = re.search(r"doc-(i[a-z0-9]+)\.shtml", live_url).group(1)
    old_path = SINA_TEMPLATE_URL.split("//", 1)[1].split("/", 1)[1]
    new_path = live_url.split("//", 1)[1].split("/", 1)[1]
    page = page.replace(old_path, new_path).replace(old_id, new_id)
    page = page.replace("2018-12-28", local.strftime("%Y-%m-%d"))
    # the template story's own title also sits in the top bar and the share links
    old_title = html.unescape(
        re.search(r'<meta property="og:title" content="([^"]*)"', page).group(1)
    )
    for old, new in (
        (old_title, title),
        (html.escape(old_title), html.escape(title)),
        (quote(old_title, safe=""), quote(title, safe="")),
        (quote(old_title), quote(title)),
    ):
        page = page.replace(old, new)
    page = _sub1(
        r"<title>.*?</title>", f"<title>{html.escape(title)}_新浪财经_新浪网</title>", page, re.S
    )
    description = _first_paragraph_text(seed.body_html)
    page = _sub1(
        r'<meta name="keywords" content="[^"]*">', '<meta name="keywords" content="">', page
    )
    # the seed gives no keywords: none are shown
    page = _sub1(r'<meta name="tags" content="[^"]*">', '<meta name="tags" content="">', page)
    page = replace_element_content(
        page,
        r'<div class="keywords" data-sudaclick="content_keywords_p">',
        "<label>文章关键词：</label>",
    )
    page = _sub1(
        r'<meta name="description" content="[^"]*">',
        f'<meta name="description" content="{_attr(description)}">',
        page,
    )
    page = _sub1(
        r'<meta property="og:title" content="[^"]*">',
        f'<meta property="og:title" content="{_attr(title)}">',
        page,
    )
    page = _sub1(
        r'<meta property="og:description" content="[^"]*">',
        f'<meta property="og:description" content="{_attr(title)}">',
        page,
    )
    page = _sub1(
        r'<meta name="weibo: article:create_at" content="[^"]*">',
        f'<meta name="weibo: article:create_at" content="{local:%Y-%m-%d %H:%M:%S}">',
        page,
    )
    page = _sub1(
        r'<meta property="article:published_time" content="[^"]*">',
        f'<meta property="article:published_time" content="{local:%Y-%m-%dT%H:%M:%S}+08:00">',
        page,
    )
    page = _sub1(
        r'<meta name="mediaid" content="[^"]*">',
        f'<meta name="mediaid" content="{_attr(media)}">',
        page,
    )
    page = _sub1(
        r'<meta property="article:author" content="[^"]*">',
        f'<meta property="article:author" content="{_attr(media)}">',
        page,
    )
    page = _sub1(
        r'(<h1 class="main-title">).*?(</h1>)',
        f'<h1 class="main-title">{html.escape(title)}</h1>',
        page,
        re.S,
    )
    page = _sub1(
        r'<span class="date">[^<]*</span>',
        f'<span class="date">{local.year}年{local:%m}月{local:%d}日 {local:%H:%M}</span>',
        page,
    )
    page = _sub1(
        r'<a href="[^"]*" target="_blank" class="source ent-source"([^>]*)>[^<]*</a>',
        f'<a href="https://finance.sina.com.cn/" target="_blank" class="source ent-source" data-sudaclick="content_media_p" rel="nofollow">{html.escape(media)}</a>',
        page,
    )
    return replace_element_content(
        page,
        r'<div class="article" id="artibody"[^>]*>',
        "\n" + seed_body_inner(seed.body_html) + "\n",
    )


# --- IT之家 --------------------------------------------------------------------------------

ITHOME_TEMPLATE = "real/ithome/ithome_article_2025-07-08_0-866-661.html"


def ithome_page(seed: Seed, template: str, live_url: str) -> str:
    """Seed 004 in IT之家's article template; span#pubtime_baidu in Asia/Shanghai time."""
    local = seed.published + SHANGHAI
    title = seed.title
    page = template.replace("https://www.ithome.com/0/866/661.htm", live_url)
    page = _sub1(r"<title>.*?</title>", f"<title>{html.escape(title)} - IT之家</title>", page, re.S)
    page = _sub1(
        r'<meta name="description" content="[^"]*" />',
        f'<meta name="description" content="{_attr(_first_paragraph_text(seed.body_html))}" />',
        page,
    )
    page = _sub1(
        r'<meta name="keywords" content="[^"]*" />', '<meta name="keywords" content="" />', page
    )
    page = _sub1(r"<h1>.*?</h1>", f"<h1>{html.escape(title)}</h1>", page, re.S)
    page = _sub1(
        r'<span id="pubtime_baidu">[^<]*</span>',
        f'<span id="pubtime_baidu">{local.year}/{local.month}/{local.day} {local:%H:%M:%S}</span>',
        page,
    )
    author = seed.author.replace(" ", "") or "IT之家"
    page = _sub1(
        r'<span id="author_baidu">.*?</span>',
        f'<span id="author_baidu">作者：<strong>{html.escape(author)}</strong></span>',
        page,
        re.S,
    )
    page = _sub1(
        r'<span id="editor_baidu">.*?</span>', '<span id="editor_baidu"></span>', page, re.S
    )
    # the template story's related posts and keyword tags are not this story's
    page = replace_element_content(page, r'<div class="related_post">', "")
    return replace_element_content(
        page,
        r'<div class="post_content " id="paragraph"[^>]*>',
        "\n" + seed_body_inner(seed.body_html) + "\n",
    )


# --- government pages ----------------------------------------------------------------------

NOTICE_TITLE = (
    "上海市人民政府办公厅关于印发促进绿色低碳产业发展、培育“元宇宙”新赛道、"
    "促进智能终端产业高质量发展等行动方案的通知"
)


def _paragraphs(text: str) -> list[str]:
    """Display paragraphs of a plain or PDF-extracted text (the project's own normaliser)."""
    from newsmon.analysis.normalize import display_text

    return [line.strip() for line in display_text(text).split("\n") if line.strip()]


def gov_page(
    *,
    title: str,
    paragraphs: list[str],
    live_url: str,
    site_name: str,
    column: str,
    pub_date: str | None = None,
    source: str | None = None,
    info: dict[str, str] | None = None,
    attachments: list[tuple[str, str]] | None = None,
) -> str:
    """A government article page in the common 政府网站 layout (SiteName/ArticleTitle/PubDate
    meta set, title block, info table, div#ivs_content body, attachment list)."""
    meta = [
        '<meta charset="utf-8">',
        f'<meta name="SiteName" content="{_attr(site_name)}">',
        f'<meta name="ColumnName" content="{_attr(column)}">',
        f'<meta name="ArticleTitle" content="{_attr(title)}">',
        f'<meta name="Url" content="{_attr(live_url)}">',
    ]
    if pub_date:
        meta.append(f'<meta name="PubDate" content="{_attr(pub_date)}">')
    if source:
        meta.append(f'<meta name="ContentSource" content="{_attr(source)}">')
    rows = "".join(
        f'<tr><td class="label">{html.escape(k)}：</td><td>{html.escape(v)}</td></tr>'
        for k, v in (info or {}).items()
    )
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    files = "".join(
        f'<li><a href="{_attr(href)}" target="_blank">{html.escape(anchor)}</a></li>'
        for href, anchor in (attachments or [])
    )
    date_line = f'<span class="PBtime">{html.escape(pub_date)}</span>' if pub_date else ""
    source_line = f'<span class="source">来源：{html.escape(source)}</span>' if source else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{chr(10).join(meta)}
<title>{html.escape(title)}_{html.escape(site_name)}</title>
<link rel="canonical" href="{_attr(live_url)}">
</head>
<body>
<div class="container">
<div class="crumbs"><a href="/">首页</a> &gt; <span>{html.escape(column)}</span></div>
<div class="Article">
<h2 id="ivs_title" class="Article-title">{html.escape(title)}</h2>
<div class="Article-time">{date_line} {source_line}</div>
<table class="xxgk-info">{rows}</table>
<div id="ivs_content" class="Article_content">
{body}
</div>
<div class="Article-attachments"><ul>{files}</ul></div>
</div>
</div>
</body>
</html>
"""


def notice_page(seed003_text: str, live_url: str, pdf_url: str) -> str:
    paragraphs = _paragraphs(seed003_text)
    # the letter-spaced masthead is the PDF's furniture, not the page's text
    paragraphs = [p for p in paragraphs if "人民政府办公厅文件" not in p.replace(" ", "")]
    return gov_page(
        title=NOTICE_TITLE,
        paragraphs=paragraphs,
        live_url=live_url,
        site_name="上海市人民政府",
        column="最新文件",
        pub_date="2022-07-08",
        source="上海市人民政府办公厅",
        info={
            "发文机关": "上海市人民政府办公厅",
            "发文字号": "沪府办发〔2022〕12号",
            "成文日期": "2022-06-24",
            "发布日期": "2022-07-08",
        },
        attachments=[(pdf_url, "沪府办发〔2022〕12号.pdf")],
    )


def note_page(seed002_text: str, live_url: str) -> str:
    lines = [line.strip() for line in seed002_text.splitlines() if line.strip()]
    title, issuer = lines[0], lines[1] if len(lines) > 1 else ""
    return gov_page(
        title=title,
        paragraphs=_paragraphs("\n".join(lines[2:])),
        live_url=live_url,
        site_name="上海市经济和信息化委员会",
        column="产业发展",
        source=issuer or None,
    )


def notice_pdf(seed003_text: str) -> bytes:
    """A real PDF of seed 003's text (the text as extracted from the official PDF)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(NOTICE_TITLE)
    c.setAuthor("上海市人民政府办公厅")
    width, height = A4
    size, leading, margin = 12, 20, 60
    per_line = int((width - 2 * margin) // size)
    y = height - margin
    c.setFont(font, size)
    for raw in seed003_text.splitlines():
        chunks = [raw[i : i + per_line] for i in range(0, len(raw), per_line)] or [""]
        for chunk in chunks:
            if y < margin:
                c.showPage()
                c.setFont(font, size)
                y = height - margin
            c.drawString(margin, y, chunk)
            y -= leading
    c.showPage()
    c.save()
    return buf.getvalue()


def build_event(data_dir: Path, urls: dict[str, str]) -> dict[str, bytes]:
    """Every built page of the event: "built:..." MANIFEST names -> body bytes."""
    seeds = data_dir / "seeds"
    out: dict[str, bytes] = {}
    sina_template = (data_dir / SINA_TEMPLATE).read_text(encoding="utf-8")
    for key in ("000", "001"):
        name = f"built:sina:{key}"
        if name in urls:
            seed = read_seed(seed_file(seeds, key))
            out[name] = sina_page(seed, sina_template, urls[name]).encode("utf-8")
    if "built:ithome:004" in urls:
        template = (data_dir / ITHOME_TEMPLATE).read_text(encoding="utf-8")
        seed = read_seed(seed_file(seeds, "004"))
        out["built:ithome:004"] = ithome_page(seed, template, urls["built:ithome:004"]).encode()
    text003 = seed_file(seeds, "003").read_text(encoding="utf-8")
    if "built:shanghai:003" in urls:
        pdf_url = urls.get("built:pdf:003", "")
        out["built:shanghai:003"] = notice_page(
            text003, urls["built:shanghai:003"], pdf_url
        ).encode()
    if "built:pdf:003" in urls:
        out["built:pdf:003"] = notice_pdf(text003)
    if "built:shanghai:002" in urls:
        text002 = seed_file(seeds, "002").read_text(encoding="utf-8")
        out["built:shanghai:002"] = note_page(text002, urls["built:shanghai:002"]).encode()
    return out
