"""One normalisation for every text newsmon stores or compares.

Two outputs:

- ``display_text``: what a reader sees. NFKC width folding (２０２２ -> 2022) that
  keeps Chinese punctuation full-width, ASCII punctuation that PDF extraction put
  between Chinese characters turned back into Chinese punctuation, quote and
  bracket forms unified (« » -> 《 》), letter-spaced headings repaired
  (上 海 市 -> 上海市), lines broken inside sentences joined, site boilerplate
  lines removed. Paragraphs stay separated by a newline.
- ``matching_text``: what dedupe and search compare. The display text with
  Traditional characters folded to Simplified (OpenCC's t2s: 辦公廳關於印發 ->
  办公厅关于印发, so a Hong Kong or Taiwan reprint matches its mainland origin),
  all white space removed, ASCII letters lower-cased and dash forms unified, so a
  reprint with other spacing (IT之家 writes "到 2025 年") matches its origin. The
  display text stays as published.

Both are pure functions of the input string.
"""

from __future__ import annotations

import functools
import re
import statistics
import unicodedata

import opencc

#: Chinese punctuation NFKC would fold to ASCII; kept full-width.
_KEEP_FULLWIDTH = set("，：；！？（）")

#: ASCII punctuation that stands for Chinese punctuation after a Chinese character.
_ASCII_TO_CJK_PUNCT = {",": "，", ".": "。", ";": "；", ":": "：", "!": "！", "?": "？"}

_QUOTE_FORMS = {
    "«": "《",
    "»": "》",
    "‹": "〈",
    "›": "〉",
    "「": "“",
    "」": "”",
    "『": "‘",
    "』": "’",
    "〝": "“",
    "〞": "”",
    "＂": '"',
}

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: a character after which ASCII punctuation is read as Chinese punctuation
_CJK_LEFT = f"[{_CJK}”’》）】〕]"
#: what may follow such punctuation: Chinese text, an opening quote or bracket, or the line end
_CJK_RIGHT = f"(?=[{_CJK}“‘《（【〔]|\\s*$)"
_ASCII_PUNCT_AFTER_CJK = re.compile(f"(?<={_CJK_LEFT})([,.;:!?])" + _CJK_RIGHT, re.M)
#: a comma, semicolon or colon between Chinese text and a number: "中心,5家"
_ASCII_PUNCT_BEFORE_DIGIT = re.compile(f"(?<={_CJK_LEFT})([,;:])(?=\\d)")
#: a comma or semicolon after a number and before Chinese text: "3.5%,达到"
_ASCII_PUNCT_AFTER_NUMBER = re.compile(f"(?<=[\\d%])([,;])(?=[{_CJK}])")
#: "(2022—2025年)" -> "（2022—2025年）" when the parenthesis holds Chinese text
_ASCII_PARENS_CJK = re.compile(f"\\(([^()\\n]*[{_CJK}][^()\\n]*)\\)")
#: three or more single Chinese characters separated by single spaces: 上 海 市 人 民
_LETTER_SPACED = re.compile(f"(?<![{_CJK}])((?:[{_CJK}][ \\t\u3000]){{2,}}[{_CJK}])(?![{_CJK}])")
_DASHES = re.compile("[‐‑‒–—―－﹣⸺⸻]+|(?<=\\d)-(?=\\d)")
_WS = re.compile(r"\s+")

#: lines that are site furniture, not article text (matched after stripping)
BOILERPLATE_LINES = [
    re.compile(r"^(责任编辑|编辑|校对|审核)\s*[：:].{0,30}$"),
    re.compile(r"^海量资讯、精准解读，尽在新浪财经APP$"),
    re.compile(r".*(扫描|扫码|长按).{0,12}二维码.*"),
    re.compile(r"^(分享到|分享至)\s*[：:]?.{0,40}$"),
    re.compile(r"^(新浪财经|新浪)?(APP|客户端)(下载|打开)?$", re.I),
    re.compile(r"^\.[A-Za-z_][\w-]*\s*[{&].*"),  # CSS rules left over from a <style> block
    re.compile(r"^\(此件公开发布\)$|^（此件公开发布）$"),
]

#: sentence-final punctuation: a line ending in one of these ends a paragraph
_PARAGRAPH_END = tuple("。！？；：”》）…")
#: a line starting with one of these starts a paragraph (headings and list items)
_PARAGRAPH_START = re.compile(
    r"^(第[一二三四五六七八九十百]+[章节条]|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[．.、])"
)
#: a line at least this share of the page's full line width is taken as wrapped (PDF text);
#: calibrated on the official PDF of 沪府办发〔2022〕12号, whose full lines are 29-31 characters
WRAPPED_LINE_SHARE = 0.85
#: the share of lines that must sit at the page's full width for a text to count as wrapped
WRAPPED_TEXT_MIN_SHARE = 0.3


def fold_width(text: str) -> str:
    """NFKC, except for the Chinese punctuation NFKC would turn into ASCII."""
    out = []
    for ch in text:
        if ch in _KEEP_FULLWIDTH:
            out.append(ch)
        else:
            out.append(unicodedata.normalize("NFKC", ch))
    return "".join(out)


def unify_quotes(text: str) -> str:
    """« » -> 《 》, 「 」 -> “ ” and the other quote and bracket variants."""
    return "".join(_QUOTE_FORMS.get(ch, ch) for ch in text)


def restore_cjk_punctuation(text: str) -> str:
    """ASCII , . ; : ! ? ( ) that stand between Chinese characters become Chinese punctuation."""
    text = _ASCII_PUNCT_AFTER_CJK.sub(lambda m: _ASCII_TO_CJK_PUNCT[m.group(1)], text)
    text = _ASCII_PUNCT_BEFORE_DIGIT.sub(lambda m: _ASCII_TO_CJK_PUNCT[m.group(1)], text)
    text = _ASCII_PUNCT_AFTER_NUMBER.sub(lambda m: _ASCII_TO_CJK_PUNCT[m.group(1)], text)
    return _ASCII_PARENS_CJK.sub(lambda m: f"（{m.group(1)}）", text)


def repair_letter_spacing(text: str) -> str:
    """上 海 市 人 民 政 府 -> 上海市人民政府 (headings spaced out in PDFs)."""
    return _LETTER_SPACED.sub(lambda m: re.sub(r"[ \t\u3000]", "", m.group(1)), text)


def remove_boilerplate(lines: list[str]) -> list[str]:
    return [ln for ln in lines if not any(p.match(ln) for p in BOILERPLATE_LINES)]


def _is_wrapped(lines: list[str]) -> int:
    """The full line width if the text was hard-wrapped (PDF extraction), else 0."""
    lengths = [len(ln) for ln in lines if len(ln) >= 8]
    if len(lengths) < 8:
        return 0
    width = int(statistics.quantiles(lengths, n=10)[7])  # 80th percentile: a full line
    near_full = sum(1 for n in lengths if abs(n - width) <= 2)
    if near_full / len(lengths) < WRAPPED_TEXT_MIN_SHARE:
        return 0
    return width


def join_wrapped_lines(lines: list[str]) -> list[str]:
    """Join lines a PDF broke inside a sentence; keep real paragraph breaks."""
    width = _is_wrapped(lines)
    if not width:
        return lines
    paragraphs: list[str] = []
    current = ""
    for ln in lines:
        if not ln:
            continue  # blank lines in PDF text fall between wrapped lines, not paragraphs
        if current and _PARAGRAPH_START.match(ln):
            paragraphs.append(current)
            current = ""
        current += ln
        if ln.endswith(_PARAGRAPH_END) or len(ln) < width * WRAPPED_LINE_SHARE:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def display_text(text: str) -> str:
    """The cleaned text a reader sees: one paragraph a line, no blank lines."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = unify_quotes(fold_width(text))
    text = repair_letter_spacing(text)
    lines = [ln.strip(" \t\u3000") for ln in text.split("\n")]
    lines = [restore_cjk_punctuation(ln) for ln in lines]
    lines = remove_boilerplate(lines)
    lines = join_wrapped_lines(lines)
    return "\n".join(ln for ln in lines if ln)


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold_traditional(text: str) -> str:
    """Traditional characters as Simplified (OpenCC t2s); Simplified text is unchanged."""
    return _t2s().convert(text) if text else text


def matching_text(text: str, *, already_display: bool = False) -> str:
    """The text dedupe and search compare: display text folded to Simplified
    characters, without white space, lower case."""
    shown = text if already_display else display_text(text)
    shown = _DASHES.sub("—", fold_traditional(shown))
    return _WS.sub("", shown).lower()


def normalize_title(title: str) -> str:
    """A document title as a key: 《上海市…方案(2022-2025年)》 and «上海市…方案（2022—2025年）» agree."""
    t = matching_text(title)
    t = t.strip("《》〈〉“”\"'")
    return t.replace("(", "（").replace(")", "）")
