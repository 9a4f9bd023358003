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
