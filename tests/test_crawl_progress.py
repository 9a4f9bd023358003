"""run_crawl(on_progress=...) reports the run's counts from its crawl_runs row while the
crawl goes on, then once more when it has ended."""

from __future__ import annotations

from newsmon.crawler.replay import replay_server
from newsmon.crawler.runner import run_crawl
from replay_harness import expected_rows, replay_config

KEYS = {"pages", "new", "updated", "unchanged", "failed", "status"}
#: answered after this many seconds: the crawl runs long enough to be watched
SLOW_S = 3


def test_progress_reported_while_the_crawl_runs(tmp_path):
    calls: list[dict] = []
    with replay_server() as server:
        # one page answers late: the others are stored meanwhile, and progress shows them
        server.set_fault(expected_rows("sina")[0]["live_url"], "slow", delay=SLOW_S)
        config = replay_config(server.base_url, tmp_path / "p.db")
        result = run_crawl(config, "sina", on_progress=calls.append)
    assert result.status == "ok", result
    assert calls and all(set(c) == KEYS for c in calls), calls
    assert all(type(c[k]) is int for c in calls for k in KEYS - {"status"}), calls
    running = [c for c in calls if c["status"] == "running"]
    # the pages that answer at once are counted before the slow one has answered
    assert any(0 < c["new"] < result.counts["new"] and c["pages"] >= 2 for c in running), calls
    for earlier, later in zip(calls, calls[1:], strict=False):
        assert all(later[k] >= earlier[k] for k in ("pages", "new", "failed")), calls
    final = calls[-1]
    assert final["status"] == "ok"
    assert {k: final[k] for k in KEYS - {"status"}} == {
        k: result.counts[k] for k in KEYS - {"status"}
    }


def test_a_failing_callback_does_not_stop_the_crawl(tmp_path):
    def broken(counts):
        raise RuntimeError("display gone")

    with replay_server() as server:
        server.set_fault(expected_rows("feed")[0]["live_url"], "slow", delay=2)
        config = replay_config(server.base_url, tmp_path / "b.db")
        result = run_crawl(config, "feed", on_progress=broken)
    assert result.status == "ok" and result.counts["new"] == 1
