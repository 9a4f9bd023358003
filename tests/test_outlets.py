"""The outlet registry (config/outlets.toml): sites, first publishers, reach and the
names readers see."""

from __future__ import annotations

import pytest

from conftest import SEEDS
from newsmon.analysis.stories import story_clusters
from newsmon.config.outlets import OutletError, load_outlets, registry
from newsmon.crawler.extract.dispatch import site_for_url
from newsmon.crawler.ingest import import_files
from newsmon.db import connect
from newsmon.db.analysis import load_stories, load_story_members
from newsmon.pipeline import story_record, update_stories


@pytest.mark.parametrize(
    "url,outlet,name",
    [
        ("https://finance.sina.com.cn/roll/2022-07-08/doc-x.shtml", "sina", "新浪财经"),
        ("https://www.ithome.com/0/628/383.htm", "ithome", "IT之家"),
        ("http://www.news.cn/politics/2023-11/30/c_1.htm", "xinhua", "新华网"),
        ("http://finance.people.com.cn/n1/x.html", "people", "人民网"),
        ("https://finance.eastmoney.com/a/202207082437.html", "eastmoney", "东方财富网"),
        ("https://www.stcn.com/article/detail/1.html", "stcn", "证券时报网"),
        ("https://www.yicai.com/news/1.html", "yicai", "第一财经"),
        ("https://www.cls.cn/detail/1", "cls", "财联社"),
        ("https://www.thepaper.cn/newsDetail_forward_1", "thepaper", "澎湃新闻"),
        ("https://www.163.com/dy/article/X.html", "netease", "网易"),
        ("https://finance.ifeng.com/c/1", "ifeng", "凤凰网"),
        ("https://www.gov.cn/zhengce/content/1.htm", "gov_cn", "中国政府网"),
        ("https://www.shanghai.gov.cn/nw12344/1.html", "shanghai_gov", "上海市人民政府"),
        ("https://www.ndrc.gov.cn/xxgk/1.html", "ndrc", "国家发展改革委"),
        ("https://www.miit.gov.cn/zwgk/1.html", "miit", "工业和信息化部"),
        ("http://www.pbc.gov.cn/goutongjiaoliu/1.html", "pbc", "中国人民银行"),
        ("http://www.csrc.gov.cn/csrc/c1/1.shtml", "csrc", "中国证监会"),
        ("http://xxgk.jl.gov.cn/szf/gkml/1.html", "jilin_gov", "吉林省人民政府"),
        ("https://www.gd.gov.cn/zwgk/1.html", "guangdong_gov", "广东省人民政府"),
        ("https://news.qq.com/rain/a/1", "tencent", "腾讯新闻"),
        ("https://www.jiemian.com/article/1.html", "jiemian", "界面新闻"),
    ],
)
def test_hosts_resolve_to_outlets(url, outlet, name):
    outlets = registry()
    assert outlets.outlet_for_url(url).id == outlet
    assert outlets.display_name(outlets.outlet_id(url)) == name


def test_host_suffixes_match_on_dot_boundaries():
    outlets = registry()
    assert outlets.outlet_for_url("https://sina.com.cn.example.com/a") is None
    assert outlets.outlet_for_url("https://notsina.com.cn/a") is None
    # an unknown host counts as itself, never as one "unknown" site
    assert outlets.outlet_id("https://www.example.com/a", "unknown") == "example.com"
    assert outlets.outlet_id(None, "government") == "government"


def test_stored_sites_stay_stable_and_new_outlets_get_their_own():
    assert site_for_url("https://finance.sina.com.cn/a.shtml") == "sina"
    assert site_for_url("https://www.ithome.com/0/1.htm") == "ithome"
    assert site_for_url("https://www.gov.cn/zhengce/1.htm") == "gov_cn"
    assert site_for_url("https://www.shanghai.gov.cn/nw12344/1.html") == "shanghai_gov"
    assert site_for_url("https://www.ndrc.gov.cn/xxgk/1.html") == "government"
    assert site_for_url("https://finance.eastmoney.com/a/1.html") == "eastmoney"
    assert site_for_url("https://www.163.com/dy/article/1.html") == "netease"
    assert site_for_url("https://www.example.com/a.html") == "unknown"


@pytest.mark.parametrize(
    "source,outlet",
    [
        ("新华社", "xinhua"),
        ("来源：上海人民政府网站", "shanghai_gov"),
        ("央视新闻客户端", "cctv"),
        ("新京报", "bjnews"),
        ("内蒙古日报", None),
    ],
)
def test_a_declared_source_names_its_outlet(source, outlet):
    found = registry().outlet_for_source(source)
    assert (found.id if found else None) == outlet


def test_reach_counts_outlets(tmp_path):
    text = "东方财富网与网易同日转载了这篇关于新能源汽车下乡活动的报道，全文如下。" * 6
    records = [
        story_record(
            {
                "id": "em",
                "site": "eastmoney",
                "kind": "article",
                "text": text,
                "url": "https://finance.eastmoney.com/a/1.html",
                "published_at": "2022-07-08T02:00:00Z",
            }
        ),
        story_record(
            {
                "id": "ne",
                "site": "netease",
                "kind": "article",
                "text": text,
                "url": "https://www.163.com/dy/article/1.html",
                "source": "东方财富网",
                "published_at": "2022-07-08T03:00:00Z",
            }
        ),
    ]
    (story,), _relations, roles = story_clusters(records)
    assert story["n_sites"] == 2 and story["sites"] == ["eastmoney", "netease"]
    assert (story["first_site"], story["first_site_name"]) == ("eastmoney", "东方财富网")
    assert roles["ne"]["source_outlet"] == "eastmoney"
    assert roles["ne"]["outlet_name"] == "网易"


def test_a_user_file_extends_and_overrides_the_registry(tmp_path):
    extra = tmp_path / "outlets.toml"
    extra.write_text(
        '[outlets.caijing]\nname = "财经网"\nhosts = ["caijing.com.cn"]\n\n'
        '[outlets.sina]\nname = "新浪"\n',
        encoding="utf-8",
    )
    outlets = load_outlets(extra)
    assert outlets.outlet_for_url("https://economy.caijing.com.cn/1.html").name == "财经网"
    assert outlets["sina"].name == "新浪" and outlets["sina"].hosts == ("sina.com.cn", "sina.cn")
    assert len(outlets) == len(registry()) + 1


@pytest.mark.parametrize(
    "text,message",
    [
        ('[outlets.x]\nname = "X"\nhostz = ["x.cn"]\n', "outlets.x.hostz is not a key"),
        ('[outlets.x]\nname = "X"\nkind = "blog"\n', "outlets.x.kind must be one of"),
        ('[outlets.x]\nhosts = ["x.cn"]\n', "outlets.x: a new outlet needs a name"),
        ('[outlet.x]\nname = "X"\n', "unknown section 'outlet'"),
        ("[outlets.x\n", "outlets.toml"),
    ],
)
def test_a_bad_user_file_names_the_file_and_key(tmp_path, text, message):
    extra = tmp_path / "outlets.toml"
    extra.write_text(text, encoding="utf-8")
    with pytest.raises(OutletError, match=message.replace("(", r"\(")):
        load_outlets(extra)


def test_stored_stories_name_outlets(tmp_path):
    db = connect(tmp_path / "o.db")
    import_files(db, SEEDS)
    update_stories(db)
    (story,) = load_stories(db)
    assert (story["first_site"], story["first_site_name"]) == ("ithome", "IT之家")
    names = {m["outlet_name"] for m in load_story_members(db, story["id"])}
    assert {"IT之家", "新浪财经"} <= names
    assert "新浪财经" in story["meta"]["site_names"]


def test_stories_and_story_commands_name_outlets(tmp_path):
    """newsmon stories and newsmon story --json give the outlets' display names."""
    import json

    from click.testing import CliRunner

    from newsmon.cli import cli

    path = tmp_path / "o.db"
    db = connect(path)
    import_files(db, SEEDS)
    update_stories(db)
    runner = CliRunner()
    listed = runner.invoke(cli, ["--db", str(path), "stories", "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output)
    assert (row["first_site"], row["first_site_name"]) == ("ithome", "IT之家")
    shown = runner.invoke(cli, ["--db", str(path), "story", row["id"], "--json"])
    assert shown.exit_code == 0, shown.output
    members = json.loads(shown.output)
    assert {m["outlet_name"] for m in members} >= {"IT之家", "新浪财经"}
    ithome = next(m for m in members if m["site"] == "ithome")
    assert (ithome["outlet"], ithome["outlet_name"]) == ("ithome", "IT之家")
    table = runner.invoke(cli, ["--db", str(path), "story", row["id"]])
    assert "by IT之家;" in table.output and "新浪财经" in table.output
