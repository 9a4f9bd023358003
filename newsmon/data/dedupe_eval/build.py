"""Rebuilds this evaluation set from the seeds and the recorded real pages.

    python newsmon/data/dedupe_eval/build.py

Writes texts/, documents.tsv and pairs.tsv next to this file. Deterministic (a
fixed random seed for the edits); the texts are display text
(analysis.normalize.display_text) of what each page says, edited as each
document's note in documents.tsv describes.
"""

import csv
import io
import itertools
import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html

from newsmon.analysis.normalize import display_text

OUT = Path(__file__).resolve().parent
DATA = OUT.parent
REAL = DATA / "real"
#: body of each recorded page (XPath of its paragraphs), or None: ground-truth text
SELECTORS = {
    "sina/sina_finance_roll_2018-12-28_doc-ihqfskcn2160999.html": "//div[@id='artibody']//p",
    "sina/sina_finance_usstock_2019-09-09_doc-iicezzrq4681677.html": "//div[@id='artibody']//p",
    "sina/sina_tech_2019-09-11_doc-iicezzrq4972166.html": "//div[@id='artibody']//p",
    "sina/sina_news_2019-11-25_doc-iihnzahi3275702.html": "//div[@id='article']//p",
    "sina/sina_news_2024-05-10_doc-inausehc2630922.html": "//div[@id='article']//p",
    "sina/sina_news_2024-05-16_doc-inavmmfi1968342.html": "//div[@id='article']//p",
    "sina/sina_finance_forex_2016-05-25_doc-ifxsktkp9337164.html": "//div[@id='artibody']//p",
    "ithome/ithome_article_2025-07-08_0-866-661.html": "//div[@id='paragraph']//p",
    "gov/govcn_gongbao_2007-23_npc_decision_pagegen2023.html": "//div[@id='UCAP-CONTENT']//p",
    "gov/shanxi_gov_cn_article_2019.html": "//div[@class='TRS_Editor']",
    "gov/kepu_gov_cn_2023-12-01_content_1755244.html": None,
    "labeled/cwced_jl_gov_cn_2022-01-27_notice.html": None,
    "labeled/cwced_nmg_gov_cn_2022-02-11_t20220211_2004628.html": None,
    "labeled/cwced_bynr_gov_cn_2022-02-11.html": None,
    "labeled/cwced_sina_chanye_2005_gb2312.html": None,
}


def real_texts():
    truth = json.loads(
        (REAL / "labeled/magic_html_benchmark_groundtruth_subset.json").read_text("utf-8")
    )
    truth.update(json.loads((REAL / "labeled/cwced_groundtruth_subset.json").read_text("utf-8")))
    out = {}
    for name, xpath in SELECTORS.items():
        if xpath:
            root = lxml.html.fromstring((REAL / name).read_bytes())
            text = "\n".join(p.text_content() for p in root.xpath(xpath))
        else:
            text = truth[name]["content"]
        out[name] = display_text(text)
    return out


def archived_post(raw):
    body = re.sub(r"\A\s*---\n.*?\n---\n", "", raw, count=1, flags=re.S)
    root = lxml.html.fragment_fromstring(body, create_parent="div")
    text = "\n".join(p.text_content() for p in root.iter("p"))
    links = [a.get("href") for a in root.iter("a") if "原文" in (a.text_content() or "")]
    return text, links


recs = {}
for path in sorted((DATA / "seeds").glob("*.txt")):
    raw = path.read_text("utf-8")
    key = path.name[:3]
    text, links = archived_post(raw) if key in ("000", "001", "004") else (raw, [])
    recs[key] = (display_text(text), links)

(OUT / "texts").mkdir(exist_ok=True)
R = real_texts()


def real(name):
    (key,) = [k for k in R if name in k]
    return key, R[key]


docs = []  # dicts
pairs = []  # (a, b, relation, note)


def add(id, text, story, note, **meta):
    text = display_text(text)
    (OUT / "texts" / f"{id}.txt").write_text(text + "\n", encoding="utf-8")
    d = dict(
        id=id,
        file=f"texts/{id}.txt",
        site="unknown",
        kind="article",
        published_at="",
        document_date="",
        title="",
        url="",
        canonical_url="",
        source="",
        doc_number="",
        origin_links="",
        parent_id="",
        attachments="",
        story=story,
        note=note,
    )
    d.update({k: (v or "") for k, v in meta.items()})
    docs.append(d)
    return text


def rel(a, b, r, note=""):
    pairs.append((a, b, r, note))


def paras(text):
    return text.split("\n")


rng = random.Random(20240518)


def punct_edits(text, share, rng):
    out = []
    for ch in text:
        if ch == "，" and rng.random() < share:
            out.append(rng.choice("、；"))
        else:
            out.append(ch)
    return "".join(out)


SUBS = [
    ("表示", "称"),
    ("近日", "日前"),
    ("进行", "开展"),
    ("目前", "当前"),
    ("已经", "已"),
    ("但是", "但"),
    ("因为", "由于"),
    ("记者", "本刊记者"),
    ("非常", "十分"),
    ("所以", "因此"),
]


def word_edits(text, share, rng):
    sents = re.split(r"(?<=[。！？])", text)
    out = []
    for s in sents:
        if rng.random() < share:
            for a, b in SUBS:
                s = s.replace(a, b)
            s = s.replace("的", "", 1)
        out.append(s)
    return "".join(out)


# ---------------------------------------------------------------- seeds: the 2022-07-08 plans
SEED_META = {
    "000": dict(
        site="sina",
        kind="article",
        published_at="2022-07-08T02:37:56Z",
        title="上海：重点打造10款以上爆款智能网联汽车",
        url="https://finance.sina.com.cn/china/dfjj/2022-07-08/doc-seed000.shtml",
        source="上海人民政府网站",
    ),
    "001": dict(
        site="sina",
        kind="article",
        published_at="2022-07-08T02:41:25Z",
        title="上海：到2025年，智能终端产业规模突破7000亿元",
        url="https://finance.sina.com.cn/china/dfjj/2022-07-08/doc-seed001.shtml",
    ),
    "002": dict(
        site="government",
        kind="document",
        title="关于《上海市促进智能终端产业高质量发展行动方案（2022-2025年）（讨论稿）》编制情况的说明",
    ),
    "003": dict(
        site="government",
        kind="document",
        document_date="2022-06-24",
        doc_number="沪府办发〔2022〕12号",
        title="上海市人民政府办公厅关于印发促进绿色低碳产业发展、培育“元宇宙”新赛道、促进智能终端产业高质量发展等行动方案的通知",
    ),
    "004": dict(
        site="ithome",
        kind="article",
        published_at="2022-07-08T02:06:12Z",
        title="上海印发文件：培育“元宇宙”新赛道，促进绿色低碳产业、智能终端产业发展",
        url="https://www.ithome.com/0/628/seed004.htm",
    ),
}
SEED_NOTES = {
    "000": "seeds/000: Sina reprint of the smart-terminal plan only (one of three plans); front matter dropped, text of each <p>",
    "001": "seeds/001: Sina commentary on the 2022-07-08 press conference; front matter dropped, text of each <p>",
    "002": "seeds/002: explanatory note on the draft of the smart-terminal plan (background, not a reprint)",
    "003": "seeds/003: text of the official PDF of 沪府办发〔2022〕12号 (all three plans)",
    "004": "seeds/004: IT之家 lead + the full text of the three plans; 官方原文 link to www.shanghai.gov.cn",
}
for k, (t, links) in recs.items():
    add("seed" + k, t, "plans", SEED_NOTES[k], origin_links=" ".join(links), **SEED_META[k])
rel("seed003", "seed004", "reprint", "full text of the three plans with a lead")
rel("seed003", "seed000", "partial_reprint", "one plan of three")
rel("seed004", "seed000", "partial_reprint", "one plan of three")
rel("seed003", "seed001", "commentary", "press-conference commentary paraphrasing the plans")
rel("seed004", "seed001", "commentary", "")
rel("seed000", "seed001", "commentary", "the commentary paraphrases the smart-terminal plan")
rel("seed003", "seed002", "related", "explanatory note on the draft; cites the plan")
rel("seed004", "seed002", "related", "")
rel("seed000", "seed002", "related", "")
rel("seed001", "seed002", "any", "share 10% of the note: background either way")

# ---------------------------------------------------------------- one document, three files
NOTICE_URL = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"
PDF_URL = "https://www.shanghai.gov.cn/cmsres/20220708/ab632a9b29b04ed2adce2dbcb789412c.pdf"
_page = lxml.html.fromstring(
    (
        REAL / "shanghai_gov/nw12344_20220708_ab632a9b29b04ed2adce2dbcb789412c_constructed.html"
    ).read_bytes()
)
add(
    "noticepage",
    "\n".join(p.text_content() for p in _page.xpath("//div[@id='ivs_content']//p")),
    "plans",
    "real/shanghai_gov/nw12344_..._constructed.html: the notice page (its body is the opening of the notice; lists the PDF as its attachment)",
    site="shanghai_gov",
    kind="document",
    document_date="2022-06-24",
    doc_number="沪府办发〔2022〕12号",
    title=SEED_META["003"]["title"],
    url=NOTICE_URL,
    attachments=PDF_URL,
)
add(
    "noticepdf",
    recs["003"][0],
    "plans",
    "the notice's PDF (seed 003's text) as the crawler stores it: kind attachment, parent the page",
    site="shanghai_gov",
    kind="attachment",
    document_date="2022-06-24",
    doc_number="沪府办发〔2022〕12号",
    title=SEED_META["003"]["title"],
    url=PDF_URL,
    parent_id="noticepage",
)
add(
    "noticedoc",
    recs["003"][0].replace("。", "。\n"),
    "plans",
    "the notice's DOC found apart from its page (no parent): seed 003's text with Word's paragraphing",
    site="shanghai_gov",
    kind="attachment",
    document_date="2022-06-24",
    doc_number="沪府办发〔2022〕12号",
    title=SEED_META["003"]["title"],
    url=PDF_URL.removesuffix(".pdf") + ".doc",
)
for x, y in itertools.combinations(["seed003", "noticepage", "noticepdf", "noticedoc"], 2):
    if {x, y} == {"seed003", "noticepage"}:
        # seed 003 is stored as a document, not as a file of the page: by the definition
        # of an attachment one of the two must be a file; the page shows the opening
        rel(
            x,
            y,
            "partial_reprint",
            "the page shows the opening of the notice seed003 carries whole",
        )
    else:
        rel(x, y, "attachment", "one document: the notice page, its PDF, its DOC")
for f in ("noticepdf", "noticedoc"):
    rel(f, "seed004", "reprint", "as seed003")
    rel(f, "seed000", "partial_reprint", "as seed003")
    rel(f, "seed001", "commentary", "as seed003")
    rel(f, "seed002", "related", "as seed003")
for m in ("seed004", "seed000", "seed001", "seed002"):
    rel(
        "noticepage",
        m,
        "any",
        "the page shows the notice's opening only: any relation to it is defensible",
    )

# ---------------------------------------------------------------- kepu.gov.cn reprint of a Xinhua report
_, kepu = real("kepu_gov_cn")
kp = paras(kepu)
add(
    "kepu0",
    kepu,
    "yangtze",
    "real/gov/kepu_gov_cn_2023-12-01_content_1755244.html: 新华社 report reprinted on kepu.gov.cn (ground-truth body text)",
    site="government",
    published_at="2023-12-01T01:00:00Z",
    title="习近平主持召开深入推进长三角一体化发展座谈会",
    url="http://www.kepu.gov.cn/politics/2023-12/01/content_1755244.html",
    source="新华社",
)
add(
    "kepu1",
    kepu,
    "yangtze",
    "identical text on another site (the agency's own copy)",
    published_at="2023-11-30T12:30:00Z",
    title="习近平主持召开深入推进长三角一体化发展座谈会",
    url="http://www.news.cn/politics/leaders/2023-11/30/c_example.htm",
)
k2 = (
    "原标题：习近平在上海主持召开深入推进长三角一体化发展座谈会\n"
    + punct_edits(kepu, 0.08, rng)
    + "\n（来源：新华社）"
)
add(
    "kepu2",
    k2,
    "yangtze",
    "kepu0 with another header (原标题) and footer (来源), 8% of commas turned into 、 or ；",
    site="sina",
    published_at="2023-12-01T02:10:00Z",
    title="习近平主持召开深入推进长三角一体化发展座谈会",
    url="https://news.sina.com.cn/c/xl/2023-12-01/doc-example.shtml",
    source="新华社",
)
k3 = "来源：新华网\n" + "\n".join(kp[:5])
add(
    "kepu3",
    k3,
    "yangtze",
    "truncated reprint: paragraphs 1-5 of 10 (59% of the text) under a 来源 header",
    published_at="2023-12-01T03:00:00Z",
    title="习近平主持召开深入推进长三角一体化发展座谈会（摘要）",
)
k4 = "【长三角】习近平：长三角区域要加强生态环境共保联治、着力提升安全发展能力\n" + "\n".join(
    kp[5:7]
)
add(
    "kepu4",
    k4,
    "yangtze",
    "partial reprint: paragraphs 6-7 (21%), none of which is in kepu3",
    published_at="2023-12-01T04:00:00Z",
    title="长三角区域要加强生态环境共保联治",
)
k5 = """长三角一体化再提速：三个关键词读懂座谈会

11月30日，深入推进长三角一体化发展座谈会在上海召开。会议提出，要完整、准确、全面贯彻新发展理念，紧扣一体化和高质量这两个关键词，这为下一阶段的区域合作定下了基调。

第一个关键词是创新。会议要求长三角区域要加强科技创新和产业创新跨区域协同，在我们看来，这意味着沪苏浙皖的研发资源将更多地打通使用，而不是各建一套。

第二个关键词是机制。会议强调长三角区域要加快完善一体化发展体制机制，必须从体制机制上打破地区分割和行政壁垒。过去几年，跨省通办、异地就医结算已经开了头，接下来难点在要素市场。

第三个关键词是开放。对企业来说，更值得关注的是制度型开放带来的规则变化，这需要时间，也需要耐心。"""
add(
    "kepu5",
    k5,
    "yangtze",
    "commentary written for the set: quotes three sentences of paragraphs 1, 3 and 4 of kepu0, own analysis otherwise",
    site="sina",
    published_at="2023-12-02T08:00:00Z",
    title="长三角一体化再提速：三个关键词读懂座谈会",
)
for a, b in [
    ("kepu0", "kepu2"),
    ("kepu1", "kepu2"),
    ("kepu0", "kepu3"),
    ("kepu1", "kepu3"),
    ("kepu2", "kepu3"),
]:
    rel(a, b, "reprint")
rel("kepu0", "kepu1", "duplicate", "identical text")
for a in ("kepu0", "kepu1", "kepu2"):
    rel(a, "kepu4", "partial_reprint")
for a in ("kepu0", "kepu1", "kepu2", "kepu3"):
    rel(a, "kepu5", "commentary")

# ---------------------------------------------------------------- a Jilin notice, its reprint, commentary citing its number
_, jl = real("cwced_jl_gov_cn")
jp = paras(jl)
jl_title = (
    "吉林省人民政府关于禁止在吉林省嫩江干流补充治理工程建设征占地范围内新增建设项目和迁入人口的通告"
)
add(
    "jl0",
    jl,
    "nenjiang",
    "real/labeled/cwced_jl_gov_cn_2022-01-27_notice.html: 吉政明电〔2022〕1号 (ground-truth body text)",
    site="government",
    kind="document",
    document_date="2022-01-27",
    doc_number="吉政明电〔2022〕1号",
    title=jl_title,
    url="http://xxgk.jl.gov.cn/szf/gkml/202201/t20220128_8388911.html",
)
j1 = (
    "记者28日从吉林省人民政府获悉，吉林省人民政府日前发布通告，禁止在嫩江干流补充治理工程建设征占地范围内新增建设项目和迁入人口。通告全文如下：\n"
    + "\n".join(jp[9:])
)
add(
    "jl1",
    j1,
    "nenjiang",
    "media reprint: a lead of its own, then the notice body (without the index table and the title lines)",
    site="sina",
    published_at="2022-01-28T06:00:00Z",
    title="吉林：嫩江干流补充治理工程征占地范围内禁止新增建设项目",
)
j2 = """嫩江治理工程进入征地阶段，“冻结令”为何先行

吉林省政府日前印发吉政明电〔2022〕1号通告，对嫩江干流补充治理工程涉及区域实行建设和人口“冻结”。

业内人士分析，大型水利工程在实物调查开始前先行发布禁建令，是国家有关条例的通行做法，目的是防止抢种抢建、突击迁入等行为推高补偿成本，也保障了真正受影响群众的利益。

据了解，嫩江是松花江的最大支流，沿岸堤防建设关系到白城、松原等地的防洪安全。相关工程下一步将进入移民安置规划编制阶段，地方政府需要在补偿标准、安置方式上尽早公开征求意见。"""
add(
    "jl2",
    j2,
    "nenjiang",
    "commentary written for the set: cites the notice by its number in the lead, shares no text with it",
    site="sina",
    published_at="2022-01-29T02:00:00Z",
    title="嫩江治理工程进入征地阶段，“冻结令”为何先行",
)
rel("jl0", "jl1", "reprint", "body of the notice with a lead of its own")
rel("jl0", "jl2", "commentary", "cites 吉政明电〔2022〕1号")

# ---------------------------------------------------------------- Inner Mongolia tax relief: edits and punctuation
_, nmg = real("cwced_nmg_gov_cn")
np_ = paras(nmg)
add(
    "nmg0",
    nmg,
    "taxrelief",
    "real/labeled/cwced_nmg_gov_cn_2022-02-11_t20220211_2004628.html: 内蒙古日报 report on a gov site (ground-truth body text)",
    site="government",
    published_at="2022-02-11T00:52:25Z",
    title="内蒙古延续5项税收优惠政策至“十四五”末",
    url="https://www.nmg.gov.cn/zwyw/jrgz/202202/t20220211_2004628.html",
    source="内蒙古日报",
)
n1 = nmg.replace("自治区财政厅传出最新消息：", "记者从自治区财政厅获悉，").replace(
    "预计到2025年末，为纳税人减负180亿元。", "据测算，到2025年末将为纳税人减负约180亿元。"
)
n1 = re.sub(r"这些政策的实施[^。]*。", "", n1, count=1)
n1 = n1.replace("\n信息来源： 内蒙古日报", "\n（本报记者）")
add(
    "nmg1",
    n1,
    "taxrelief",
    "nmg0 with the lead and the last sentence reworded, one sentence deleted, other footer",
    site="sina",
    published_at="2022-02-11T03:00:00Z",
    title="内蒙古5项税收优惠政策延续执行至2025年底",
)
n2 = nmg.replace("，", ",").replace("。", ".").replace("：", ":")
add(
    "nmg2",
    n2,
    "taxrelief",
    "nmg0 as a PDF extraction writes it: ASCII , . : between Chinese characters (display_text restores them)",
    published_at="2022-02-11T05:00:00Z",
    title="内蒙古延续5项税收优惠政策至“十四五”末",
)
rel("nmg0", "nmg1", "reprint")
rel("nmg0", "nmg2", "duplicate")
rel("nmg2", "nmg1", "reprint")

# ---------------------------------------------------------------- a long feature: truncation and heavy edits
_, cy = real("cwced_sina_chanye")
cp = paras(cy)
add(
    "lottery0",
    cy,
    "lottery",
    "real/labeled/cwced_sina_chanye_2005_gb2312.html: Sina 2005 feature (ground-truth body text)",
    site="sina",
    published_at="2005-03-21T03:21:00Z",
    title="500万大奖得主孙启勤：四年间从暴富到一贫如洗",
    url="http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml",
)
cut = 0
acc = 0
for i, p in enumerate(cp):
    acc += len(p)
    if acc >= 0.33 * len(cy):
        cut = i + 1
        break
add(
    "lottery1",
    "\n".join(cp[:cut]),
    "lottery",
    f"truncated reprint: the first {cut} paragraphs (about a third), too short to count as a whole reprint",
    published_at="2005-03-22T01:00:00Z",
    title="彩票大奖得主的浓缩人生",
)
keep = [p for i, p in enumerate(cp) if i not in (len(cp) - 4, len(cp) - 6)]
c2 = word_edits("\n".join(keep), 0.25, rng)
add(
    "lottery2",
    c2,
    "lottery",
    "lottery0 with two late paragraphs dropped and a quarter of the sentences edited (表示->称, 近日->日前, one 的 removed, ...)",
    published_at="2005-03-23T01:00:00Z",
    title="孙启勤：中了500万之后",
)
rel("lottery0", "lottery1", "partial_reprint")
rel("lottery0", "lottery2", "reprint")
rel("lottery2", "lottery1", "partial_reprint")

# ---------------------------------------------------------------- tram feature: a partial reprint of its last section
_, tram = real("sina_news_2024-05-10")
tp = paras(tram)
add(
    "tram0",
    tram,
    "tram",
    "real/sina/sina_news_2024-05-10_doc-inausehc2630922.html: Sina feature on trams (text of each <p> in div#article)",
    site="sina",
    published_at="2024-05-09T16:26:00Z",
    title="建设4年、运营3年、又废弃3年，有轨电车为何成了“伤疤”",
    url="https://news.sina.com.cn/c/2024-05-10/doc-inausehc2630922.shtml",
)
add(
    "tram1",
    "\n".join(tp[29:]),
    "tram",
    "partial reprint: the last section (因地制宜是关键, 28% of the text)",
    published_at="2024-05-10T08:00:00Z",
    title="有轨电车发展，因地制宜是关键",
)
rel("tram0", "tram1", "partial_reprint")

# ---------------------------------------------------------------- forex: same canonical URL, other boilerplate
_, fx = real("sina_finance_forex")
add(
    "forex0",
    fx,
    "yuan",
    "real/sina/sina_finance_forex_2016-05-25_doc-ifxsktkp9337164.html: Sina finance forex report (text of each <p> in div#artibody)",
    site="sina",
    published_at="2016-05-25T02:00:00Z",
    title="人民币中间价创2011年来最弱 在岸人民币跌幅收窄",
    url="http://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml",
    canonical_url="http://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml",
)
add(
    "forex0b",
    fx.replace("\n进入【新浪财经股吧】讨论", ""),
    "yuan",
    "the same page crawled under a tracking URL (same canonical URL), without the 股吧 footer line",
    site="sina",
    published_at="2016-05-25T02:00:00Z",
    title="人民币中间价创2011年来最弱 在岸人民币跌幅收窄",
    url="http://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml?cre=financepagepc&mod=f&loc=4&r=9&doct=0&rfunc=100",
    canonical_url="http://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml",
)
f1 = fx.replace(
    "新浪财经讯 5月25日上午消息，据彭博新闻社报道，", "【环球外汇】据彭博报道，"
).replace(
    "\n进入【新浪财经股吧】讨论",
    "\n免责声明：本文仅代表作者观点，不构成投资建议，据此操作风险自担。",
)
add(
    "forex1",
    f1,
    "yuan",
    "forex0 under another outlet's dateline and with a disclaimer footer instead of the 股吧 line",
    published_at="2016-05-25T03:00:00Z",
    title="人民币中间价大幅调降 离岸人民币小跌",
)
rel("forex0", "forex0b", "duplicate", "same canonical URL")
rel("forex0", "forex1", "reprint")
rel("forex0b", "forex1", "reprint")

# ---------------------------------------------------------------- two unrelated flashes and a weekly roundup quoting both
_, rail = real("sina_finance_roll_2018")
add(
    "rail0",
    rail,
    "rail12306",
    "real/sina/sina_finance_roll_2018-12-28_doc-ihqfskcn2160999.html: 新京报 flash on Sina (text of each <p>)",
    site="sina",
    published_at="2018-12-28T11:55:00Z",
    title="铁路12306回应数据泄露：网传信息不实",
    url="https://finance.sina.com.cn/roll/2018-12-28/doc-ihqfskcn2160999.shtml",
    source="新京报",
)
add(
    "rail1",
    rail,
    "rail12306",
    "identical text on another site",
    published_at="2018-12-28T12:30:00Z",
    title="12306回应410万条数据泄露：网传信息不实",
)
rel("rail0", "rail1", "duplicate")
_, trial = real("sina_news_2024-05-16")
add(
    "trial0",
    trial,
    "trial",
    "real/sina/sina_news_2024-05-16_doc-inavmmfi1968342.html: 央视新闻 report on a trial (ground-truth body text)",
    site="sina",
    published_at="2024-05-16T08:00:00Z",
    title="青岛市政协原主席汲斌昌受贿案一审开庭",
    url="https://news.sina.com.cn/o/2024-05-16/doc-inavmmfi1968342.shtml",
)
w1 = (
    "一周要闻回顾\n本周值得关注的两条消息，我们整理如下，供读者参考。\n一、12306回应数据泄露传闻\n"
    + rail
    + "\n二、青岛市政协原主席受贿案开庭\n"
    + trial
    + "\n以上为本周要闻回顾，下周同一时间再见。"
)
add(
    "roundup1",
    w1,
    "*",
    "weekly roundup written for the set: quotes rail0 and trial0 in full (two unrelated stories); may join either, must not merge them",
    published_at="2024-05-18T02:00:00Z",
    title="一周要闻回顾",
)
rel("rail0", "roundup1", "partial_reprint", "quoted in full")
rel("rail1", "roundup1", "partial_reprint")
rel(
    "trial0",
    "roundup1",
    "any",
    "quoted in full, 60% of the roundup: a reprint with additions or a partial one by the size rule",
)

_, bonds = real("sina_finance_usstock")
bp = paras(bonds)
w2 = (
    "财经周末版：本周两篇长文摘读\n编者按：本期摘读两篇读者关注度较高的长文，原文较长，以下为节选。\n【节选一】有轨电车的困局\n"
    + "\n".join([tp[0], tp[3], tp[4]])
    + "\n【节选二】全球资管如何看债市泡沫\n"
    + "\n".join([bp[1], bp[7], bp[19]])
    + "\n全文请见原发媒体。本栏目每周六更新。"
)
add(
    "roundup2",
    w2,
    "*",
    "weekly digest written for the set: three paragraphs each of tram0 and bonds0 (two unrelated stories); may join either, must not merge them",
    published_at="2024-05-12T02:00:00Z",
    title="财经周末版：本周两篇长文摘读",
)
add(
    "bonds0",
    bonds,
    "bonds",
    "real/sina/sina_finance_usstock_2019-09-09_doc-iicezzrq4681677.html: Sina self-media article on a bond bubble, with Sina's disclaimer (text of each <p>)",
    site="sina",
    published_at="2019-09-09T02:00:00Z",
    title="债市存在泡沫吗？全球顶级资管首席投资官这样说",
    url="https://finance.sina.com.cn/stock/usstock/c/2019-09-09/doc-iicezzrq4681677.shtml",
)
rel("tram0", "roundup2", "commentary", "three paragraphs quoted")
rel("bonds0", "roundup2", "commentary", "three paragraphs quoted")

# ---------------------------------------------------------------- short flash items (below the shingled length)
add(
    "flash0",
    "央行宣布下调金融机构存款准备金率0.5个百分点",
    "rrr",
    "flash written for the set (22 characters)",
    site="sina",
    published_at="2024-01-24T08:00:00Z",
    title="央行降准0.5个百分点",
)
add(
    "flash1",
    "央行宣布：下调金融机构存款准备金率 0.5 个百分点。",
    "rrr",
    "flash0 with other punctuation and spacing",
    site="ithome",
    published_at="2024-01-24T08:05:00Z",
    title="央行宣布降准",
)
add(
    "flash2",
    "央行宣布下调金融机构贷款市场报价利率10个基点",
    "lpr",
    "a different flash of the same shape (22 characters)",
    site="sina",
    published_at="2024-02-20T01:30:00Z",
    title="LPR下调10个基点",
)
rel("flash0", "flash1", "duplicate")

# ---------------------------------------------------------------- unrelated articles (several on the same topic)
for key, id, story, site, kind, t, title, url in [
    (
        "sina_tech_2019",
        "iphone0",
        "iphone",
        "sina",
        "article",
        "2019-09-10T17:00:00Z",
        "苹果发布iPhone 11",
        "https://tech.sina.com.cn/t/2019-09-11/doc-iicezzrq4972166.shtml",
    ),
    (
        "sina_news_2019-11-25",
        "parks0",
        "parks",
        "sina",
        "article",
        "2019-11-25T01:00:00Z",
        "这个中国人习以为常的地方 为何老外却说“了不得”？",
        "https://news.sina.com.cn/c/2019-11-25/doc-iihnzahi3275702.shtml",
    ),
    (
        "ithome_article",
        "nio0",
        "nio",
        "ithome",
        "article",
        "2025-07-08T10:04:18Z",
        "蔚来回应与江淮合资公司注销",
        "https://www.ithome.com/0/866/661.htm",
    ),
    (
        "govcn_gongbao",
        "npc0",
        "npc2007",
        "gov_cn",
        "article",
        "2007-08-20T15:59:59Z",
        "全国人民代表大会常务委员会关于批准财政部发行特别国债购买外汇及调整2007年末国债余额限额的决议",
        "https://www.gov.cn/gongbao/content/2007/content_example.htm",
    ),
    (
        "shanxi_gov",
        "shanxi0",
        "shanxi",
        "government",
        "article",
        "2019-09-17T22:23:00Z",
        "山西品牌丝路行（南美站）正式启动",
        "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_example.shtml",
    ),
    (
        "cwced_bynr",
        "bynr0",
        "bynr",
        "government",
        "article",
        "2022-02-11T01:52:00Z",
        "热烈祝贺政协巴彦淖尔市第五届委员会第一次会议开幕",
        "http://www.bynr.gov.cn/example.html",
    ),
]:
    f, t_ = real(key)
    note = f"real/{f}: unrelated to the other stories"
    if id == "bynr0":
        note += " (same region as taxrelief: Inner Mongolia)"
    add(id, t_, story, note, site=site, kind=kind, published_at=t, title=title, url=url)

# ================================================================ generated families
# Each real base text (the recorded pages above, two other-media pages) is the
# origin of a family of variants made by documented transformations; every pair in
# a family is labelled from how the two were made, never from what the system says.
# Then hard negatives: notices of one office and plans of one template around real
# bodies, flashes of one template, roundups quoting two families.
import opencc  # noqa: E402

from newsmon.crawler.extract.generic import parse_generic  # noqa: E402

S2T = opencc.OpenCC("s2t")
grng = random.Random(20260101)


def with_text(d):
    return {**d, "text": (OUT / d["file"]).read_text("utf-8").rstrip("\n")}


by_id = {d["id"]: with_text(d) for d in docs}
family_of = {}  # variant id -> base id
OUTLETS = [
    "澎湃新闻",
    "界面新闻",
    "第一财经",
    "证券时报",
    "中国证券报",
    "每日经济新闻",
    "经济观察网",
    "21世纪经济报道",
]
HEADERS = ["来源：{o}", "（本文来自{o}）", "【{o}】", "本文转载自{o}，版权归原作者所有。"]
FOOTERS = [
    "免责声明：本文仅代表作者本人观点，与本网站无关，请读者仅作参考。",
    "（本文来源：{o}）",
    "更多精彩内容，请关注{o}官方账号。",
    "文章转载自{o}，如有侵权请联系删除。",
]
EDITORIAL = [
    "编者按：本文有删节，小标题为编者所加。",
    "记者观察：这一变化值得持续关注，后续进展本报将继续跟踪报道。",
    "延伸阅读：相关报道见本报此前刊发的系列文章。",
]


def other_media(name):
    raw = (REAL / "other_media" / name).read_bytes().decode("utf-8", "replace")
    return display_text(parse_generic(raw, "http://example.com/").text)


BASES = {
    # base id: (text, story label, origin of the text)
    "kepu0": (by_id["kepu0"], "yangtze"),
    "jl0": (by_id["jl0"], "nenjiang"),
    "nmg0": (by_id["nmg0"], "taxrelief"),
    "lottery0": (by_id["lottery0"], "lottery"),
    "tram0": (by_id["tram0"], "tram"),
    "forex0": (by_id["forex0"], "yuan"),
    "trial0": (by_id["trial0"], "trial"),
    "bonds0": (by_id["bonds0"], "bonds"),
    "iphone0": (by_id["iphone0"], "iphone"),
    "parks0": (by_id["parks0"], "parks"),
    "nio0": (by_id["nio0"], "nio"),
    "npc0": (by_id["npc0"], "npc2007"),
    "shanxi0": (by_id["shanxi0"], "shanxi"),
    "bynr0": (by_id["bynr0"], "bynr"),
}
for key, story, name, title, url in [
    (
        "people0",
        "fathers",
        "gne_people_culture_2018-04-23.html",
        "女儿出嫁，郑板桥画了几笔兰花当嫁妆",
        "http://culture.people.com.cn/n1/2018/0423/c1013-29942426.html",
    ),
    (
        "xinhua0",
        "strike",
        "gne_xinhuanet_world_2019-12-10.html",
        "法国全国大罢工再次严重影响交通",
        "http://www.xinhuanet.com/world/2019-12/10/c_1125327450.htm",
    ),
]:
    text = "\n".join(p for p in other_media(name).split("\n") if len(p) >= 12)
    add(
        key,
        text,
        story,
        f"real/other_media/{name}: real article page (GeneralNewsExtractor test page), text by trafilatura, furniture lines under 12 characters dropped",
        site="unknown",
        published_at="2019-12-10T02:00:00Z" if key == "xinhua0" else "2018-04-23T01:00:00Z",
        title=title,
        url=url,
    )
    by_id[key] = with_text(docs[-1])
    BASES[key] = (by_id[key], story)

# real texts labelled in the extraction set (its pages come from public repositories,
# see ../extract_eval/MANIFEST.tsv), and texts taken from public repositories for this
# set (sources/, see sources/MANIFEST.tsv): cleaned bodies of the Chinese Web Content
# Extraction Dataset and ground-truth bodies of magic-html's article benchmark
EXTRACT = {
    r["id"]: r for r in json.loads((DATA / "extract_eval" / "labels.json").read_text("utf-8"))
}
CWCED = json.loads((OUT / "sources" / "cwced_subset.json").read_text("utf-8"))
CWCED.update(json.loads((OUT / "sources" / "magic_html_subset.json").read_text("utf-8")))
EXTRACT_SITES = {
    "sina": "sina",
    "thepaper": "thepaper",
    "qq": "qq",
    "gmw": "gmw",
    "caijing": "caijing",
    "newscn": "xinhua",
    "people": "people",
    "netease": "netease",
    "guancha": "guancha",
    "youth": "youth",
    "chinacom": "chinacom",
    "ifeng": "ifeng",
    "yndaily": "unknown",
    "cmse": "government",
    "xinhuanet": "xinhua",
}


def extract_record(name):
    """(text, title, published_at, url, site, note) of a page of the extraction set."""
    r = EXTRACT[name]
    text = "\n".join(p for p in display_text(r["body"]).split("\n") if p.strip())
    when = None
    if r.get("time"):
        local = datetime.fromisoformat(r["time"].replace(" ", "T"))
        when = (local - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    site = EXTRACT_SITES.get(name.split("_")[0], "unknown")
    note = f"extract_eval/{r['page']}: real page of the extraction set, its labelled body"
    return text, r["title"], when, r["url"], site, note


def cwced_record(key):
    r = CWCED[key]
    text = "\n".join(p.strip() for p in display_text(r["content"]).split("\n") if p.strip())
    when = None
    m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?", r["date"])
    if m:
        y, mo, d, h, mi = (int(g) if g else 0 for g in m.groups())
        when = (datetime(y, mo, d, h, mi) - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    what = "cleaned body" if key.startswith("cwced/") else "ground-truth body"
    note = f"sources/{key}: {what} of a real page ({r['source_repo']} {r['source_path']})"
    return text, r["title"], when, r["url"], r["site"], note


NEW_BASES = [
    # (base id, story, where the text is)
    ("power0", "power", ("cwced", "cwced/ecbe8d49-c640-4a08-b46d-f8b795f836ba")),
    ("autoshow0", "autoshow", ("cwced", "cwced/8baa71e3-7cfa-4850-bb54-c6db4e0c3b70")),
    ("skii0", "skii", ("cwced", "cwced/33a95b71-b49b-42c1-9c0a-ab8e3feba3cf")),
    ("potato0", "potato", ("cwced", "cwced/3e1af229-5b3e-4cfc-82b2-481f37d7adf7")),
    ("kirin0", "kirin", ("extract", "sina_2019_kirin990")),
    ("powerbank0", "powerbank", ("extract", "thepaper_2019_power_banks")),
]


def real_record(where):
    kind, name = where
    return cwced_record(name) if kind == "cwced" else extract_record(name)


for key, story, where in NEW_BASES:
    text, title, when, url, site, note = real_record(where)
    add(key, text, story, note, site=site, published_at=when, title=title, url=url)
    by_id[key] = with_text(docs[-1])
    BASES[key] = (by_id[key], story)


def sentences(p):
    return re.findall(r"[^。！？]*[。！？]|[^。！？]+$", p)


def delete_sentences(ps, share, rng):
    out = []
    for p in ps:
        kept = [x for x in sentences(p) if rng.random() >= share] or sentences(p)[:1]
        out.append("".join(kept))
    return out


def widen(text):
    """Full-width digits and letters, ASCII punctuation between Chinese characters."""
    table = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F) if chr(c).isalnum()}
    text = "".join(table.get(ch, ch) for ch in text)
    return text.replace("，", ",").replace("。", ".").replace("：", ":")


#: a body paragraph (not a title line, heading or signature) has this many characters
BODY_CHARS = 30


def body_paragraphs(ps):
    return [i for i, p in enumerate(ps) if len(p) >= BODY_CHARS]


def section(ps, lo_share, hi_share, rng):
    """Contiguous body paragraphs from about lo_share of the text, covering 25-35% of it
    (a section of title lines and headings is not a partial reprint of anything)."""
    body = body_paragraphs(ps)
    total = sum(len(ps[i]) for i in body)
    acc, start = 0, 0
    for k, i in enumerate(body):
        if acc >= lo_share * total:
            start = k
            break
        acc += len(ps[i])
    want = rng.uniform(0.25, 0.35) * total
    keep, got = [], 0
    for i in range(body[start], len(ps)):
        keep.append(i)
        got += len(ps[i])
        if got >= want:
            break
    return keep


def has_sections(ps):
    """Whether a text is long enough to have disjoint sections of 25-35%: at least four
    body paragraphs, none of them more than 35% of the text."""
    body = body_paragraphs(ps)
    total = sum(len(ps[i]) for i in body)
    return len(body) >= 4 and max(len(ps[i]) for i in body) <= 0.35 * total


VARIANTS = [
    # (suffix, kind, note): kind decides the labels (see label_pair)
    (
        "w",
        "same",
        "full-width digits and letters, ASCII , . : for Chinese punctuation (PDF and old CMS forms)",
    ),
    ("t", "same", "Traditional characters (OpenCC s2t of the whole text)"),
    ("tb", "edited", "Traditional characters and another outlet's header and footer"),
    ("s", "edited", "paragraphs shuffled (a re-edited layout)"),
    ("d1", "edited", "10% of the sentences deleted and an editorial line added"),
    ("d2", "edited", "15% of the sentences deleted and an editorial line added"),
    ("b1", "edited", "another outlet's header and footer boilerplate"),
    ("b2", "edited", "another outlet's header and footer boilerplate"),
    ("b3", "edited", "another outlet's header and footer boilerplate, commas edited to 、 or ；"),
    ("c", "edited", "a correction: 更正 line first, one number changed"),
    ("l", "edited", "a lead of the reprinting outlet before the text"),
    ("e", "edited", "a quarter of the sentences word-edited (表示->称, ...)"),
    ("tw", "same", "Traditional characters in full-width forms"),
    ("k1", "prefix", "truncated to its first 60-70%"),
    ("k3", "prefix", "truncated to its first 55-60%, under another outlet's header"),
    ("k2", "prefix", "truncated to its first 75-90%"),
    ("p1", "part", "partial reprint: a 25-35% section from the first half"),
    ("p2", "part", "partial reprint: a 25-35% section from the second half"),
    ("p1b", "part", "the first-half section under another outlet's header"),
    ("p2w", "part", "the second-half section in full-width forms"),
]


def make_variant(base, suffix, rng):
    ps = base["text"].split("\n")
    idx = list(range(len(ps)))
    o = rng.choice(OUTLETS)
    head, foot = rng.choice(HEADERS).format(o=o), rng.choice(FOOTERS).format(o=o)
    if suffix == "w":
        return widen(base["text"]), idx
    if suffix == "t":
        return S2T.convert(base["text"]), idx
    if suffix == "tw":
        return widen(S2T.convert(base["text"])), idx
    if suffix == "tb":
        return S2T.convert("\n".join([head, *ps, foot])), idx
    if suffix == "s":
        order = idx[:]
        rng.shuffle(order)
        return "\n".join(ps[i] for i in order), idx
    if suffix in ("d1", "d2"):
        share = 0.10 if suffix == "d1" else 0.15
        return "\n".join([*delete_sentences(ps, share, rng), rng.choice(EDITORIAL)]), idx
    if suffix in ("b1", "b2"):
        return "\n".join([head, *ps, foot]), idx
    if suffix == "b3":
        return "\n".join([head, *[punct_edits(p, 0.08, rng) for p in ps], foot]), idx
    if suffix == "c":
        text = base["text"]
        m = re.search(r"\d+", text)
        if m:
            text = text[: m.start()] + str(int(m.group()) + 1) + text[m.end() :]
        return "更正：本文此前版本中一处数字有误，现已更正。\n" + text, idx
    if suffix == "l":
        lead = f"【{o}讯】{base['title']}。以下为原文。"
        return "\n".join([lead, *ps]), idx
    if suffix == "e":
        return "\n".join(word_edits(p, 0.25, rng) for p in ps), idx
    if suffix in ("k1", "k2", "k3"):
        share = {"k1": (0.6, 0.7), "k2": (0.75, 0.9), "k3": (0.55, 0.6)}[suffix]
        share = rng.uniform(*share)
        total, acc, keep = sum(map(len, ps)), 0, []
        for i, p in enumerate(ps):
            keep.append(i)
            acc += len(p)
            if acc >= share * total:
                break
        body = [ps[i] for i in keep]
        return "\n".join([head, *body] if suffix == "k3" else body), keep
    if suffix in ("p1", "p1b"):
        keep = section(ps, 0.0, 0.35, random.Random(base["id"] + "p1"))
        body = [ps[i] for i in keep]
        return "\n".join([head, *body] if suffix == "p1b" else body), keep
    if suffix in ("p2", "p2w"):
        keep = section(ps, 0.55, 0.35, random.Random(base["id"] + "p2"))
        text = "\n".join(ps[i] for i in keep)
        return (widen(text) if suffix == "p2w" else text), keep
    raise ValueError(suffix)


members = {}  # base -> [(id, kind, kept paragraph set, n paragraphs)]
for base_id, (base, story) in BASES.items():
    n = len(base["text"].split("\n"))
    members[base_id] = [(base_id, "base", frozenset(range(n)), n)]
    t0 = (
        datetime.fromisoformat(base["published_at"].replace("Z", "+00:00"))
        if base["published_at"]
        else datetime(2022, 1, 1, tzinfo=UTC)
    )
    for k, (suffix, kind, note) in enumerate(VARIANTS):
        if kind == "part" and not has_sections(base["text"].split("\n")):
            continue
        vid = f"{base_id}{suffix}"
        text, kept = make_variant(base, suffix, random.Random(vid))
        when = (t0 + timedelta(hours=2 + k)).strftime("%Y-%m-%dT%H:%M:%SZ")
        add(
            vid,
            text,
            story,
            f"generated from {base_id}: {note}",
            site=grng.choice(["sina", "ithome", "unknown", "eastmoney", "netease"]),
            published_at=when,
            title=base["title"],
            url=f"https://news.example.com/{vid}.html",
        )
        members[base_id].append((vid, kind, frozenset(kept), n))


from newsmon.analysis.normalize import matching_text  # noqa: E402
from newsmon.analysis.shingles import MIN_SHINGLED_CHARS, SHINGLE_SIZE  # noqa: E402
from newsmon.analysis.stories import DUPLICATE_JACCARD, REPRINT_SIZE_SHARE  # noqa: E402


def shingle_set(text):
    """The text's SHINGLE_SIZE-character shingles of matching text, as a plain set."""
    m = matching_text(text)
    if len(m) < MIN_SHINGLED_CHARS:
        return set()
    return {m[i : i + SHINGLE_SIZE] for i in range(len(m) - SHINGLE_SIZE + 1)}


def strong_relation(tx, ty):
    """The relation analysis.stories defines between two texts one of which was made
    from the other (the same text, edited, truncated, or a section of it): duplicate
    for the same normalised text or Jaccard >= DUPLICATE_JACCARD (a copy under other
    boilerplate, reordered, in other character forms); otherwise reprint when the
    smaller has REPRINT_SIZE_SHARE of the larger's shingles, else partial_reprint.
    Computed here from the two texts with plain sets, not by the system."""
    mx, my = matching_text(tx), matching_text(ty)
    if re.sub(r"\W", "", mx) == re.sub(r"\W", "", my):
        return "duplicate", "the same normalised text"
    sx, sy = shingle_set(tx), shingle_set(ty)
    jaccard = len(sx & sy) / max(len(sx | sy), 1)
    if jaccard >= DUPLICATE_JACCARD:
        return "duplicate", f"the same text in other forms or boilerplate (Jaccard {jaccard:.2f})"
    small, large = sorted((len(sx), len(sy)))
    if small >= REPRINT_SIZE_SHARE * large:
        return (
            "reprint",
            f"the same text edited, truncated or re-boilerplated ({small / large:.2f} of the other's size)",
        )
    return "partial_reprint", f"a part of the other ({small / large:.2f} of its size)"


def label_pair(x, y):
    (ix, kx, px, _n), (iy, ky, py, _) = x, y
    if "part" in (kx, ky):
        if kx == ky == "part" and px != py:
            return (
                ("none", "disjoint sections of one text")
                if not (px & py)
                else ("any", "overlapping sections")
            )
        part, other = (px, py) if kx == "part" else (py, px)
        if not part <= other:
            return "any", "a section partly outside a truncation"
        (pid, oid) = (ix, iy) if kx == "part" else (iy, ix)
        sp, so = shingle_set(by_id[pid]["text"]), shingle_set(by_id[oid]["text"])
        if len(sp & so) < 0.8 * len(sp):
            return "any", "a section whose sentences the other partly deleted"
    return strong_relation(by_id[ix]["text"], by_id[iy]["text"])


for ms in members.values():
    for vid, *_ in ms:
        by_id.setdefault(vid, with_text(next(d for d in docs if d["id"] == vid)))
    for x, y in itertools.combinations(ms, 2):
        relation, why = label_pair(x, y)
        rel(x[0], y[0], relation, why)
# the hand-made records of the first set against the generated variants: story scored, relation not
old_family = {
    "kepu0": ["kepu1", "kepu2", "kepu3", "kepu4", "kepu5"],
    "jl0": ["jl1", "jl2"],
    "nmg0": ["nmg1", "nmg2"],
    "lottery0": ["lottery1", "lottery2"],
    "tram0": ["tram1", "roundup2"],
    "forex0": ["forex0b", "forex1"],
    "trial0": ["roundup1"],
    "bonds0": ["roundup2"],
}
for base_id, olds in old_family.items():
    for old in olds:
        for vid, *_ in members[base_id][1:]:
            rel(old, vid, "any", "hand-made record of the first set against a generated variant")

# ---------------------------------------------------------------- hard negatives
# Plans written to one template: each has its own content -- the three longest
# paragraphs of a real text used nowhere else in the set -- and the metaverse plan's
# 保障措施 section (seeds/003). Each is issued by a notice of the Shanghai general
# office in its real form (seeds/003's cover letter): title, salutation, cover
# sentence naming the plan, signature, date, the plan itself an attachment.
safeguards = []
lines = recs["003"][0].split("\n")
start = next(i for i, ln in enumerate(lines) if ln.endswith("四、保障措施"))
safeguards = lines[start : start + 11]
PLAN_POOL = [
    # (topic of the plan, where its own paragraphs come from)
    ("载人航天科普宣传", ("extract", "cmse_2012_press_conference")),
    ("促进婴幼儿照护服务发展", ("extract", "chinacom_2024_hohhot_childcare")),
    ("青少年心理健康服务", ("extract", "people_2024_youth_mental_health")),
    ("培育发展新经济", ("extract", "ifeng_2020_changchun")),
    ("绿色制造体系建设", ("extract", "yndaily_2022_green_manufacturing")),
    ("春季学期开学疫情防控", ("extract", "people_2022_jiangsu_schools")),
    ("农机信息化建设", ("extract", "xinhuanet_2005_farm_machinery")),
    ("稳经济一揽子政策落实", ("extract", "ifeng_2022_stabilise_economy")),
    ("文旅融合发展", ("extract", "chinacom_2024_gubei_water_town")),
    ("空间科学实验推广", ("extract", "gmw_2024_space_fish")),
    ("安宁疗护服务发展", ("cwced", "cwced/c4d032a1-45cd-4c77-a84e-90e2f8895039")),
    ("重大项目建设提速", ("cwced", "cwced/36efbc69-53dd-4d58-9e67-0353e2a1a7ec")),
]
plan_ids, notice_ids = [], []
for i, (topic, where) in enumerate(PLAN_POOL):
    pid, nid = f"plan{i:02d}", f"notice{i:02d}"
    own_text, _title, _when, _url, _site, own_note = real_record(where)
    rng_i = random.Random(pid)
    own = sorted(own_text.split("\n"), key=len, reverse=True)[:3]
    title = f"上海市{topic}三年行动方案（2023—2025年）"
    add(
        pid,
        "\n".join([title, "一、总体要求", *own, *safeguards[: rng_i.randint(6, len(safeguards))]]),
        pid,
        f"a plan in the standard form: its own three paragraphs (the longest of {own_note.split(':')[0]}, used nowhere else in the set), then the metaverse plan's 保障措施 section (seeds/003, 6 to 11 of its paragraphs): hard negative, one template",
        site="government",
        kind="document",
        document_date=f"2023-{1 + i:02d}-05",
        title=title,
    )
    notice_title = f"上海市人民政府办公厅关于印发《{title}》的通知"
    add(
        nid,
        "\n".join(
            [
                notice_title,
                "各区人民政府，市政府各委、办、局：",
                f"经市政府同意，现将《{title}》印发给你们，请认真按照执行。",
                "上海市人民政府办公厅",
                f"2023年{1 + i}月{10 + i}日",
            ]
        ),
        pid,
        f"the notice page issuing {pid} in the general office's real form (title, salutation, cover sentence, signature, date; seeds/003's cover letter), the plan an attachment: hard negative, one office, another subject",
        site="shanghai_gov",
        kind="document",
        document_date=f"2023-{1 + i:02d}-{10 + i:02d}",
        title=notice_title,
        url=f"https://www.shanghai.gov.cn/nw12344/2023/{nid}.html",
    )
    rel(pid, nid, "related", "the notice cites the plan it issues by its title")
    plan_ids.append(pid)
    notice_ids.append(nid)
for group, why in (
    (plan_ids, "plans written to one template: only the standard safeguards section is shared"),
    (notice_ids, "notices of one office on different subjects: only the cover letter is shared"),
):
    for a, b in itertools.combinations(group, 2):
        rel(a, b, "none", why)
for pid, nid in itertools.product(plan_ids, notice_ids):
    if pid[4:] != nid[6:]:
        rel(pid, nid, "none", "a notice issuing another plan of the template")
for k, nid in enumerate(notice_ids[:3]):
    o = OUTLETS[k]
    rid = f"{nid}r"
    add(
        rid,
        "\n".join(
            [
                f"来源：{o}",
                (OUT / "texts" / f"{nid}.txt").read_text("utf-8").strip(),
                f"（本文来源：{o}）",
            ]
        ),
        plan_ids[k],
        f"{nid} reprinted by {o} with its header and footer: a reprint of a templated notice",
        site="unknown",
        published_at=f"2023-{1 + k:02d}-{11 + k:02d}T03:00:00Z",
        title=f"上海发布{nid}",
        url=f"https://news.example.com/{rid}.html",
    )
    rel(nid, rid, "reprint", "the notice under another boilerplate")
    rel(plan_ids[k], rid, "commentary", "the media reprint cites the plan by its title")
    for other in (*notice_ids, *plan_ids):
        if other not in (nid, plan_ids[k]):
            rel(rid, other, "none", "a reprint of one notice against another notice or plan")
for pid in (*plan_ids, *notice_ids):
    for f in ("seed003", "seed004", "noticepdf", "noticedoc", "noticepage"):
        rel(pid, f, "none", "a plan or notice of the template of the seed notice")

# real articles on the topics of others, each its own story: same-topic hard negatives
# (two commentaries on "overcapacity" a day apart, trade, macro figures, Hyundai in
# China next to the auto-show family, public health next to the plans' subjects)
SINGLES = [
    ("overcap0", ("extract", "qq_2024_overcapacity")),
    ("protect0", ("extract", "gmw_2024_protectionism")),
    ("tradewar0", ("extract", "guancha_2019_trade_war")),
    ("cpi0", ("extract", "caijing_2024_cpi")),
    ("xinjiang0", ("extract", "newscn_2024_li_qiang_xinjiang")),
    ("henan0", ("extract", "people_2024_henan")),
    ("covid0", ("extract", "netease_2020_covid_controls")),
    ("eldercare0", ("extract", "youth_2024_elderly_care_major")),
    ("parking0", ("extract", "netease_2024_parking_fee")),
    ("hyundai0", ("cwced", "cwced/6820ebe7-83ad-4876-babc-dcc92bf7d2df")),
    ("ccer0", ("cwced", "cwced/b4c2eccd-f73b-4c8f-b70e-f0dbfeba0d72")),
    ("director0", ("cwced", "cwced/f51248cc-bb27-49ba-a159-975795c3ea11")),
    ("toilets0", ("cwced", "cwced/aefcf136-f592-4e95-b376-81cbd144684b")),
    ("nike0", ("cwced", "cwced/5acac71b-e2db-4e33-8e2f-9d6844f165fd")),
    ("foreigntrade0", ("cwced", "magic_html/e25d0dd87c529dc7")),
    ("fed0", ("cwced", "magic_html/2dd9425ba67be652")),
    ("haikui0", ("cwced", "magic_html/39ab22e747cb77c1")),
    ("sinofrench0", ("cwced", "magic_html/e751800204690e10")),
    ("tourismday0", ("cwced", "magic_html/9af148c8013298ff")),
]
for key, where in SINGLES:
    text, title, when, url, site, note = real_record(where)
    add(
        key,
        text,
        key,
        note + "; a story of its own among others on its topic",
        site=site,
        published_at=when,
        title=title,
        url=url,
    )

flash_ids = []
fr = random.Random(7)
for i in range(20):
    m, d = 1 + i % 12, 1 + (i * 7) % 27
    amount = fr.choice([20, 50, 100, 150, 200, 300, 500, 800, 1000, 1200, 2000, 3000])
    text = f"为维护银行体系流动性合理充裕，2024年{m}月{d}日人民银行以利率招标方式开展了{amount}亿元7天期逆回购操作，中标利率{fr.choice(['1.70', '1.80', '1.50'])}%。"
    fid = f"omo{i:02d}"
    add(
        fid,
        text,
        fid,
        "a flash in the template of the central bank's open-market announcements (real wording), another day and amount: hard negative",
        site="sina",
        published_at=f"2024-{m:02d}-{d:02d}T01:{10 + i}:00Z",
        title="央行开展逆回购操作",
    )
    flash_ids.append(fid)
for a, b in itertools.combinations(flash_ids, 2):
    rel(a, b, "none", "flashes of one template on different days")
for i, fid in enumerate(flash_ids[:3]):
    cid = f"{fid}c"
    add(
        cid,
        (OUT / "texts" / f"{fid}.txt").read_text("utf-8").strip(),
        fid,
        f"{fid} on another site, word for word",
        site="ithome",
        published_at=f"2024-{1 + i % 12:02d}-{1 + (i * 7) % 27:02d}T02:00:00Z",
        title="央行开展逆回购操作",
    )
    rel(fid, cid, "duplicate", "the same flash on another site")
    for other in flash_ids:
        if other != fid:
            rel(cid, other, "none", "a copy of one flash against another of the template")

bases = list(BASES)
quoted = {}  # roundup -> the stories it quotes
rr = random.Random(11)
for k in range(4):
    x, y = rr.sample(bases, 2)
    px = BASES[x][0]["text"].split("\n")[:3]
    py = BASES[y][0]["text"].split("\n")[:3]
    rid = f"roundupx{k}"
    add(
        rid,
        "\n".join(["一周要闻回顾", *px, "另据报道：", *py, "以上为本周要闻。"]),
        "*",
        f"weekly roundup written for the set: the first three paragraphs of {x} and of {y} (two unrelated stories); may join either, must not merge them",
        published_at="2024-06-01T02:00:00Z",
        title="一周要闻回顾",
    )
    for base_id in (x, y):
        for vid, *_ in members[base_id]:
            rel(rid, vid, "any", "a roundup quoting this story")
        for old in old_family.get(base_id, ()):
            rel(rid, old, "any", "a roundup quoting this story")
    quoted[rid] = {x, y}
# roundups quoting one story share its text: any relation between them is defensible
quoted["roundup1"], quoted["roundup2"] = {"rail0", "trial0"}, {"tram0", "bonds0"}
for a, b in itertools.combinations(sorted(quoted), 2):
    if quoted[a] & quoted[b]:
        rel(a, b, "any", "two roundups quoting one story")

cols = [
    "id",
    "file",
    "site",
    "kind",
    "published_at",
    "document_date",
    "title",
    "url",
    "canonical_url",
    "source",
    "doc_number",
    "origin_links",
    "parent_id",
    "attachments",
    "story",
    "note",
]
buf = io.StringIO()
w = csv.writer(buf, delimiter="\t", lineterminator="\n")
w.writerow(cols)
for d in docs:
    w.writerow([d[c] for c in cols])
(OUT / "documents.tsv").write_text(buf.getvalue(), encoding="utf-8")
buf = io.StringIO()
w = csv.writer(buf, delimiter="\t", lineterminator="\n")
w.writerow(["a", "b", "relation", "note"])
for p in pairs:
    w.writerow(p)
(OUT / "pairs.tsv").write_text(buf.getvalue(), encoding="utf-8")
print(len(docs), "documents", len(pairs), "pairs")
