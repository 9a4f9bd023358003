"""`newsmon eval extract` prints the per-page table and the means, numbers as numbers in JSON."""

from __future__ import annotations

import json

from click.testing import CliRunner

from newsmon.cli import cli


def test_summary_json_of_our_parsers():
    out = CliRunner().invoke(cli, ["eval", "extract", "--ours-only", "--summary", "--json"])
    assert out.exit_code == 0, out.output
    (ours,) = json.loads(out.output)
    assert ours["extractor"] == "ours"
    assert ours["title_pages"] >= 40
    assert ours["body_f1_mean"] >= 0.99 and ours["body_f1_min"] >= 0.95
    assert ours["title"] == 1.0


def test_per_page_table_and_a_bad_group():
    out = CliRunner().invoke(cli, ["eval", "extract", "--ours-only", "--group", "sina_mobile"])
    assert out.exit_code == 0, out.output
    assert "sina" in out.output and "body_f1" in out.output
    bad = CliRunner().invoke(cli, ["eval", "extract", "--ours-only", "--group", "nosuch"])
    assert bad.exit_code == 2 and "nosuch" in bad.output
