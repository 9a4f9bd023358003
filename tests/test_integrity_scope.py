"""Every request, redirects included, stays on the allowed domains; an origin link's own
domain is allowed for that request, a redirect from it to another domain is not."""

from __future__ import annotations

import pytest

from newsmon.crawler.replay import replay_server
from newsmon.crawler.replay.hostile import OFFSITE_URL
from newsmon.crawler.runner import run_crawl
from newsmon.db import connect
from newsmon.db.frontier import frontier_rows
from replay_harness import replay_config, stored

ORIGIN = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"
ITHOME_866 = "https://www.ithome.com/0/866/661.htm"
PDF = "https://www.shanghai.gov.cn/cmsres/20220708/ab632a9b29b04ed2adce2dbcb789412c.pdf"
SINA_US = "https://finance.sina.com.cn/stock/usstock/c/2019-09-09/doc-iicezzrq4681677.shtml"
SINA_2018 = "https://finance.sina.com.cn/roll/2018-12-28/doc-ihqfskcn2160999.shtml"


def contents(db_path):
    return {a["url"]: a["content_hash"] for a in stored(db_path)}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path_factory.mktemp("clean") / "x.db")
        assert run_crawl(config, "ithome").ok
    return contents(config.db_path)


def test_a_redirect_from_an_origin_to_another_domain_is_not_followed(tmp_path, clean):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        server.set_fault(ORIGIN, "offsite-redirect")
        result = run_crawl(config, "ithome")
        assert server.requested(OFFSITE_URL) == 0
    assert result.status == "partial"
    (err,) = result.errors
    assert err["url"] == ORIGIN and "offsite redirect refused" in err["reason"]
    assert "www.example.com" in err["reason"]
    assert not [a for a in stored(config.db_path) if "example.com" in (a["url"] or "")]
    after = contents(config.db_path)
    assert {u: h for u, h in after.items() if u in clean} == {
        u: h for u, h in clean.items() if u in after
    }
    db = connect(config.db_path)
    row = frontier_rows(db, [ORIGIN])[ORIGIN]
    assert row["state"] == "gone" and "offsite" in row["last_error"]


def test_an_origins_own_domain_is_allowed_for_that_request_only(tmp_path):
    """IT之家's spider fetches the notice on www.shanghai.gov.cn as an origin, but an IT之家
    article redirected there is refused: the origin's domain is not the spider's."""
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        server.set_fault(ITHOME_866, "offsite-redirect", target=PDF)
        result = run_crawl(config, "ithome")
        assert server.requested(ORIGIN) == 1
    (err,) = result.errors
    assert err["url"] == ITHOME_866 and f"redirected to {PDF}" in err["reason"]
    (origin,) = stored(config.db_path, url=ORIGIN)
    assert origin["site"] == "shanghai_gov"
    (pdf,) = stored(config.db_path, url=PDF)  # fetched once, as the origin's attachment
    assert pdf["kind"] == "attachment"


def test_a_redirect_within_the_allowed_domains_is_followed(tmp_path):
    with replay_server() as server:
        config = replay_config(server.base_url, tmp_path / "x.db")
        server.set_fault(SINA_US, "offsite-redirect", target=SINA_2018)
        result = run_crawl(config, "sina")
    assert result.ok, result.errors
    assert stored(config.db_path, url=SINA_2018)
