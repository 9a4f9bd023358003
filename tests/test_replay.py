"""The replay site: routes at their real paths, robots.txt, the event pages, every fault."""

from __future__ import annotations

import http.client
import io
import json
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from newsmon.crawler.replay import Fault, replay_server, serve_replay
from newsmon.crawler.replay.routes import DATA_DIR, read_manifest
from newsmon.crawler.urls import to_fetch_url, to_live_url

NOTICE = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"
NOTICE_PDF = "https://www.shanghai.gov.cn/cmsres/20220708/ab632a9b29b04ed2adce2dbcb789412c.pdf"
SINA_000 = "https://finance.sina.com.cn/roll/2022-07-08/doc-imizirav2742611.shtml"
ITHOME_004 = "https://www.ithome.com/0/628/383.htm"
GB2312 = "http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml"
ROLL = "https://feed.mix.sina.com.cn/api/roll/get?pageid=153&lid=2516&k=&num=50&page=1"


@pytest.fixture(scope="module")
def server():
    with replay_server() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_faults(server):
    server.clear_faults()
    yield
    server.clear_faults()


def get(server, live_url, timeout=10):
    url = to_fetch_url(live_url, server.base_url)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_url_mapping_round_trip():
    base = "http://127.0.0.1:8765"
    live = "https://finance.sina.com.cn/roll/x.shtml?a=1"
    fetch = to_fetch_url(live, base)
    assert fetch == "http://127.0.0.1:8765/finance.sina.com.cn/roll/x.shtml?a=1"
    assert to_live_url(fetch, base) == live
    assert to_fetch_url(live, "") == live


def test_every_manifest_row_is_served(server):
    rows = read_manifest()
    assert len(rows) >= 25
    for row in rows:
        status, headers, body = get(server, row["live_url"])
        assert status == 200, row["live_url"]
        assert body, row["live_url"]
        assert headers["Content-Type"] == row["content_type"]


def test_recorded_pages_served_byte_for_byte(server):
    for row in read_manifest():
        if row["file"].startswith("real/"):
            assert get(server, row["live_url"])[2] == (DATA_DIR / row["file"]).read_bytes()


def test_robots_txt_allows_everything(server):
    with urllib.request.urlopen(server.base_url + "/robots.txt") as r:
        assert r.read().decode() == "User-agent: *\nAllow: /\n"


def test_unrecorded_url_is_404(server):
    assert get(server, "https://www.gov.cn/not/recorded.htm")[0] == 404


def test_sina_event_page_in_the_real_template(server):
    _, _, body = get(server, SINA_000)
    page = body.decode("utf-8")
    assert '<h1 class="main-title">上海：重点打造10款以上爆款智能网联汽车</h1>' in page
    assert '<span class="date">2022年07月08日 10:37</span>' in page
    assert 'content="2022-07-08T10:37:56+08:00"' in page
    assert 'id="artibody"' in page and "stock_sz300024" in page
    assert "12306" not in page  # nothing of the template's own story is left


def test_ithome_event_page_time_is_shanghai_time(server):
    page = get(server, ITHOME_004)[2].decode()
    assert '<span id="pubtime_baidu">2022/7/8 10:06:12</span>' in page
    assert NOTICE in page  # 官方原文 link to the official page
    assert "蔚来" not in page


def test_notice_page_links_a_real_pdf(server):
    page = get(server, NOTICE)[2].decode()
    assert NOTICE_PDF in page and "沪府办发〔2022〕12号" in page
    status, headers, pdf = get(server, NOTICE_PDF)
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "沪府办发" in text and "智能终端" in text


def test_discovery_responses_list_the_event(server):
    roll = json.loads(get(server, ROLL)[2])
    urls = [d["url"] for d in roll["result"]["data"]]
    assert SINA_000 in urls and roll["result"]["status"]["code"] == 0
    rss = get(server, "https://www.ithome.com/rss/")[2].decode()
    assert ITHOME_004 in rss
    assert NOTICE in get(server, "https://www.shanghai.gov.cn/nw12344/index.html")[2].decode()


def test_gb2312_page_is_served_with_a_wrong_utf8_header(server):
    status, headers, body = get(server, GB2312)
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "彩票" in body.decode("gb18030")


# --- faults -----------------------------------------------------------------------------


def test_500_fault_then_recovers(server):
    server.set_fault(SINA_000, "500", times=1)
    assert get(server, SINA_000)[0] == 500
    assert get(server, SINA_000)[0] == 200


def test_404_fault(server):
    server.set_fault(SINA_000, "404")
    assert get(server, SINA_000)[0] == 404


@pytest.mark.parametrize("kind", ["429", "503"])
def test_retry_after_faults(server, kind):
    server.set_fault(SINA_000, kind, times=1, retry_after=7)
    status, headers, _ = get(server, SINA_000)
    assert status == int(kind) and headers["Retry-After"] == "7"


def test_slow_fault(server):
    server.set_fault(SINA_000, "slow", delay=0.5, times=1)
    t = time.monotonic()
    assert get(server, SINA_000)[0] == 200
    assert time.monotonic() - t >= 0.5


def test_truncated_body_fault(server):
    server.set_fault(SINA_000, "truncate")
    parts = urlsplit(server.base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/finance.sina.com.cn" + urlsplit(SINA_000).path)
    response = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        response.read()


def test_charset_fault_declares_utf8(server):
    server.set_fault(NOTICE, "charset")
    assert get(server, NOTICE)[1]["Content-Type"].endswith("charset=utf-8")


def test_malformed_fault_breaks_json(server):
    server.set_fault(ROLL, "malformed")
    with pytest.raises(json.JSONDecodeError):
        json.loads(get(server, ROLL)[2])


def test_redirect_loop_fault(server):
    server.set_fault(SINA_000, "redirect-loop")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(to_fetch_url(SINA_000, server.base_url), timeout=10)
    assert e.value.code == 302  # urllib gives up on the loop


def test_fault_by_query_string(server):
    assert get(server, SINA_000 + "?_fault=500")[0] == 500


def test_unknown_fault_kind_is_refused():
    with pytest.raises(ValueError, match="unknown fault"):
        Fault("explode")


def test_serve_replay_picks_a_free_port():
    with serve_replay() as base:
        port = urlsplit(base).port
        assert base.startswith("http://127.0.0.1:") and port
        with urllib.request.urlopen(base + "/robots.txt") as r:
            assert r.status == 200
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
