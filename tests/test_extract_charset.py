"""decode_html: a wrong declared charset is survived."""

from __future__ import annotations

from conftest import DATA
from newsmon.crawler.extract.charset import declared_charset, decode_html, ensure_text

GB_PAGE = (DATA / "real/labeled/cwced_sina_chanye_2005_gb2312.html").read_bytes()
TEXT, ENCODING = decode_html(GB_PAGE, "utf-8")


def test_gb2312_bytes_with_utf8_header_read_as_chinese():
    assert "四年前中500万现穷困潦倒" in TEXT


def test_no_replacement_characters():
    assert "\ufffd" not in TEXT


def test_encoding_reported_is_a_gb_family_name():
    assert ENCODING.replace("-", "").lower() in ("gb2312", "gbk", "gb18030")


def test_declared_charset_used_when_right():
    assert decode_html("中文".encode("gbk"), "gbk") == ("中文", "gbk")


def test_undeclared_utf8():
    assert decode_html("<p>中文</p>".encode(), None) == ("<p>中文</p>", "utf-8")


def test_bom_wins():
    assert decode_html("\ufeff<p>中文</p>".encode("utf-8"), "gbk")[1] == "utf-8-sig"


def test_latin1_default_does_not_mangle_utf8():
    assert decode_html("<p>中文</p>".encode(), "ISO-8859-1")[0] == "<p>中文</p>"


def test_unknown_declared_name_is_skipped():
    assert decode_html("中文".encode(), "no-such-charset")[0] == "中文"


def test_declared_charset_from_headers():
    assert declared_charset({"content-type": "text/html; charset=GB2312"}) == "GB2312"


def test_ensure_text_decodes_bytes():
    assert "彩票" in ensure_text(GB_PAGE, {"Content-Type": "text/html; charset=utf-8"})
