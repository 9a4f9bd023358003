"""Stories from the five seed documents and the evaluation set: what a correct
system concludes about the 2022-07-08 Shanghai plans, and the index's guarantees
(order independence, incremental == one shot, signatures round trip)."""

from __future__ import annotations

import itertools
import json
import random
import re
from importlib import resources

import lxml.html
import numpy as np
import pytest
from datasketch import MinHash

from conftest import DATA
from newsmon.analysis.evaluation import DEDUPE_EVAL_DIR, dedupe_eval_set
from newsmon.analysis.normalize import display_text, matching_text
from newsmon.analysis.shingles import (
    MIN_SHINGLED_CHARS,
    MINHASH_SEED,
    NUM_PERM,
    Fingerprint,
    fingerprint,
    shingle_hashes,
)
from newsmon.analysis.stories import (
    KEY_GROUP_CAP,
    StoryIndex,
    doc_number_keys,
    record_signatures,
    story_clusters,
    title_key,
)

SEED_FACTS = {
    "000": {
        "site": "sina",
        "kind": "article",
        "published_at": "2022-07-08T02:37:56Z",
        "title": "上海：重点打造10款以上爆款智能网联汽车",
        "url": "https://finance.sina.com.cn/china/2022-07-08/doc-000.shtml",
        "source": "上海人民政府网站",
    },
    "001": {
        "site": "sina",
        "kind": "article",
        "published_at": "2022-07-08T02:41:25Z",
        "title": "上海：到2025年，智能终端产业规模突破7000亿元",
        "url": "https://finance.sina.com.cn/china/2022-07-08/doc-001.shtml",
    },
    "002": {
        "site": "government",
        "kind": "document",
        "title": "关于《上海市促进智能终端产业高质量发展行动方案（2022-2025年）（讨论稿）》编制情况的说明",
    },
    "003": {
        "site": "government",
        "kind": "document",
        "document_date": "2022-06-24",
        "doc_number": "沪府办发〔2022〕12号",
        "title": "上海市人民政府办公厅关于印发促进绿色低碳产业发展、培育“元宇宙”新赛道、"
        "促进智能终端产业高质量发展等行动方案的通知",
    },
    "004": {
        "site": "ithome",
        "kind": "article",
        "published_at": "2022-07-08T02:06:12Z",
        "title": "上海印发文件：培育“元宇宙”新赛道，促进绿色低碳产业、智能终端产业发展",
        "url": "https://www.ithome.com/0/628/004.htm",
    },
}
_FRONT_MATTER = re.compile(r"\A\s*---\n.*?\n---\n", re.S)
_CITED = re.compile(r"[《«]([^《》«»\n]{2,100})[》»]")


def _archived_post(raw: str) -> tuple[str, list[str]]:
    """Text of each <p> of an archived post, and the links it calls 原文."""
    root = lxml.html.fragment_fromstring(_FRONT_MATTER.sub("", raw, count=1), create_parent="div")
    text = "\n".join(p.text_content() for p in root.iter("p"))
    links = [a.get("href") for a in root.iter("a") if "原文" in a.text_content()]
    return text, links


def seed_records() -> list[dict]:
    records = []
    for path in sorted((DATA / "seeds").glob("*.txt")):
        key = path.name[:3]
        raw = path.read_text(encoding="utf-8")
        text, links = _archived_post(raw) if key in ("000", "001", "004") else (raw, [])
        shown = display_text(text)
        record = {
            "id": f"seed{key}",
            "text": shown,
            "published_at": None,
            "document_date": None,
            "source": None,
            "url": None,
            "canonical_url": None,
            "content_hash": f"hash-{key}",
            "origin_links": links,
            "cited_titles": _CITED.findall(shown),
            "doc_number": None,
        }
        record.update(SEED_FACTS[key])
        records.append(record)
    return records


def eval_records() -> dict[str, dict]:
    root = resources.files("newsmon") / DEDUPE_EVAL_DIR
    eval_set = dedupe_eval_set(lambda name: (root / name).read_text(encoding="utf-8"))
    return {r["id"]: r for r in eval_set.records}


@pytest.fixture(scope="module")
def seeds():
    return seed_records()


@pytest.fixture(scope="module")
def seed_result(seeds):
    return story_clusters(seeds)


@pytest.fixture(scope="module")
def evals():
    return eval_records()


def _relation(relations, a, b):
    found = [r for r in relations if {r["a"], r["b"]} == {a, b}]
    return found[0] if found else None


def _canonical(stories, relations, roles) -> str:
    return json.dumps([stories, relations, roles], sort_keys=True, ensure_ascii=False)


# --- the seeds ---------------------------------------------------------------------------


def test_seed_helper_reads_the_documents(seeds):
    by_id = {r["id"]: r for r in seeds}
    assert "智能终端" in by_id["seed000"]["text"]
    assert by_id["seed004"]["origin_links"][0].startswith("https://www.shanghai.gov.cn/")
    assert "沪府办发 〔2022〕12号" in by_id["seed003"]["text"]
    assert any("元宇宙" in t for t in by_id["seed003"]["cited_titles"])


def test_the_five_seeds_are_one_story(seed_result):
    stories, _relations, roles = seed_result
    assert len(stories) == 1
    assert sorted(stories[0]["members"]) == [f"seed00{k}" for k in range(5)]
    assert len({v["story_id"] for v in roles.values()}) == 1


def test_seed_roles(seed_result):
    _stories, _relations, roles = seed_result
    assert {k: v["role"] for k, v in roles.items()} == {
        "seed003": "origin",
        "seed004": "reprint",
        "seed000": "partial_reprint",
        "seed001": "commentary",
        "seed002": "related",
    }


def test_seed_origin_and_first_publication(seed_result):
    (story,), _relations, _roles = seed_result
    assert story["origin"] == story["official_origin"] == "seed003"
    assert story["first_id"] == "seed004"
    assert story["first_site"] == "ithome"
    assert story["first_published_at"] == "2022-07-08T02:06:12Z"
    assert (story["n_records"], story["n_articles"], story["n_sites"]) == (5, 3, 3)


def test_seed_novelty_decays_by_order_of_publication(seed_result):
    _stories, _relations, roles = seed_result
    assert roles["seed004"]["novelty"] == 100
    assert roles["seed000"]["novelty"] == 75
    assert roles["seed001"]["novelty"] == 56
    # documents without a publication time are not placed in the order
    assert roles["seed003"]["novelty"] is None
    assert roles["seed002"]["novelty"] is None


def test_seed_relations(seed_result):
    _stories, relations, _roles = seed_result
    reprint = _relation(relations, "seed003", "seed004")
    assert reprint["relation"] == "reprint"
    assert (reprint["a"], reprint["b"]) == ("seed003", "seed004")
    assert "cites" in reprint["evidence"]  # the notice's own title, in the lead of 004
    commentary = _relation(relations, "seed003", "seed001")
    assert commentary["relation"] == "commentary"
    assert commentary["b"] == "seed001"
    related = _relation(relations, "seed003", "seed002")
    assert related["relation"] == "related"
    assert "上海市促进智能终端产业高质量发展行动方案" in related["evidence"]


def test_partial_reprint_found_although_jaccard_is_low(seed_result):
    _stories, relations, _roles = seed_result
    for whole in ("seed003", "seed004"):
        partial = _relation(relations, whole, "seed000")
        assert partial["relation"] == "partial_reprint"
        assert (partial["a"], partial["b"]) == (whole, "seed000")
        assert partial["jaccard"] < 0.4
        assert partial["containment"] > 0.95


def test_draft_note_is_not_a_reprint(seed_result):
    _stories, relations, _roles = seed_result
    for r in relations:
        if "seed002" in (r["a"], r["b"]):
            assert r["relation"] == "related"


# --- stories that must stay apart --------------------------------------------------------


@pytest.mark.parametrize("pair", [("bonds0", "forex0"), ("nmg0", "bynr0"), ("kepu0", "shanxi0")])
def test_same_topic_different_articles_not_merged(evals, pair):
    a, b = pair
    stories, relations, roles = story_clusters([evals[a], evals[b]])
    assert relations == []
    assert roles[a]["story_id"] != roles[b]["story_id"]


@pytest.mark.parametrize(
    "roundup, first, second",
    [("roundup1", "rail0", "trial0"), ("roundup2", "tram0", "bonds0")],
)
def test_roundup_quoting_two_stories_does_not_merge_them(evals, roundup, first, second):
    records = [evals[i] for i in (roundup, first, second, "rail1", "tram1")]
    _stories, relations, roles = story_clusters(records)
    assert _relation(relations, roundup, first) is not None
    assert _relation(relations, roundup, second) is not None
    assert roles[first]["story_id"] != roles[second]["story_id"]
    assert roles[roundup]["story_id"] in (roles[first]["story_id"], roles[second]["story_id"])


def test_roundup_quoting_a_plan_and_a_flash_keeps_them_apart(seeds, evals):
    by_id = {r["id"]: r for r in seeds}
    rail = evals["rail0"]
    roundup = {
        **rail,
        "id": "digest",
        "site": "unknown",
        "url": None,
        "published_at": "2022-07-10T00:00:00Z",
        "title": "一周要闻",
        "text": "一周要闻\n"
        + by_id["seed000"]["text"]
        + "\n"
        + rail["text"]
        + "\n以上为本周要闻。",
    }
    _stories, relations, roles = story_clusters([*seeds, rail, roundup])
    assert _relation(relations, "digest", "seed000")["relation"] in ("partial_reprint", "reprint")
    assert _relation(relations, "digest", "rail0")["relation"] == "partial_reprint"
    assert roles["rail0"]["story_id"] != roles["seed003"]["story_id"]
    assert len({roles[f"seed00{k}"]["story_id"] for k in range(5)}) == 1


def test_boilerplate_shared_by_many_texts_links_nothing(evals):
    footer = "免责声明：本文仅代表作者本人观点，与本网站无关。其原创性以及文中陈述文字和内容未经本站证实，请读者仅作参考，并请自行核实相关内容。"
    texts = [evals[i]["text"] for i in ("parks0", "iphone0", "nio0", "shanxi0", "bynr0", "trial0")]
    records = [
        {"id": f"b{k}", "site": "sina", "kind": "article", "text": t + "\n" + footer}
        for k, t in enumerate(texts)
    ]
    stories, relations, _roles = story_clusters(records)
    assert relations == []
    assert len(stories) == len(records)


# --- keys: short texts, exact duplicates, citations ---------------------------------------


def test_short_texts_match_only_exactly():
    flash = "央行宣布下调存款准备金率0.5个百分点"
    assert len(matching_text(flash)) < MIN_SHINGLED_CHARS
    records = [
        {"id": "f1", "text": flash},
        {"id": "f2", "text": "央行宣布：下调存款准备金率 0.5 个百分点。"},
        {"id": "f3", "text": "央行宣布下调贷款市场报价利率10个基点"},
        {"id": "long", "text": flash + "，这是今年以来的首次降准，释放长期资金约一万亿元。" * 3},
        {"id": "e1", "text": ""},
        {"id": "e2", "text": ""},
        {"id": "e3", "text": "。。。"},
    ]
    _stories, relations, _roles = story_clusters(records)
    assert [(r["a"], r["b"], r["relation"]) for r in relations] == [("f1", "f2", "duplicate")]
    assert fingerprint("").minhash() is None


def test_exact_duplicates_by_canonical_url_and_content_hash(evals):
    a = {**evals["nio0"], "id": "a", "canonical_url": "https://www.ithome.com/0/866/661.htm"}
    b = {**evals["parks0"], "id": "b", "canonical_url": "https://ithome.com/0/866/661.htm/"}
    c = {**evals["trial0"], "id": "c", "content_hash": "same"}
    d = {**evals["iphone0"], "id": "d", "content_hash": "same"}
    _stories, relations, _roles = story_clusters([a, b, c, d])
    assert "same canonical URL" in _relation(relations, "a", "b")["evidence"]
    assert "same content hash" in _relation(relations, "c", "d")["evidence"]
    assert {r["relation"] for r in relations} == {"duplicate"}


def test_document_number_links_commentary_without_shared_text(evals):
    records = [evals[i] for i in ("jl0", "jl2")]
    _stories, relations, roles = story_clusters(records)
    (rel,) = relations
    assert (rel["a"], rel["b"], rel["relation"]) == ("jl0", "jl2", "commentary")
    assert "吉政明电〔2022〕1号" in rel["evidence"]
    assert rel["containment"] < 0.1
    assert roles["jl2"]["role"] == "commentary"


def test_document_number_forms_agree():
    owner = doc_number_keys("沪府办发〔２０２２〕１２号", exact=True)
    for written in ("沪府办发[2022]12号", "现将沪府办发（2022）12号文件", "沪府办发〔2022〕第12号"):
        assert set(owner) <= set(doc_number_keys(written, exact=False))


def test_title_keys():
    assert title_key(
        "《上海市促进智能终端产业高质量发展行动方案(２０２２—２０２５年)》"
    ) == title_key("«上海市促进智能终端产业高质量发展行动方案（2022-2025年）»")
    assert title_key("上海市人民政府办公厅关于印发行动方案的通知") == title_key(
        "上海市人民政府办公厅印发行动方案的通知"
    )
    assert title_key("通知") is None


# --- the index ---------------------------------------------------------------------------


def test_all_orders_of_the_seeds_give_the_same_stories(seeds, evals):
    others = [evals[i] for i in ("rail0", "roundup1", "trial0")]
    expected = None
    for perm in itertools.permutations(seeds):
        records = [perm[0], others[0], *perm[1:3], others[1], *perm[3:], others[2]]
        result = _canonical(*story_clusters(records))
        expected = expected or result
        assert result == expected


def test_incremental_adds_equal_one_shot(evals):
    records = list(evals.values())
    expected = _canonical(*story_clusters(records))
    for seed in range(3):
        rng = random.Random(seed)
        shuffled = records[:]
        rng.shuffle(shuffled)
        index = StoryIndex()
        while shuffled:
            k = rng.randint(1, 6)
            batch, shuffled = shuffled[:k], shuffled[k:]
            index.add(batch)
            if rng.random() < 0.5:
                index.stories()  # recompute between adds
        assert _canonical(index.stories(), index.relations(), index.roles()) == expected


def test_a_large_reprint_group_and_its_incremental_build(evals):
    """More copies than KEY_GROUP_CAP: compared with hubs only, one story, and adding
    them one batch at a time (groups crossing the cap) equals the one-shot result."""
    base = evals["kepu0"]
    outlets = [f"来源：第{k}频道" for k in range(KEY_GROUP_CAP + 12)]
    copies = [
        {**base, "id": f"copy{k:03d}", "url": None, "text": f"{o}\n{base['text']}"}
        for k, o in enumerate(outlets)
    ]
    others = [evals[i] for i in ("kepu4", "kepu5", "tram0", "bonds0")]
    records = copies + others
    stories, relations, roles = story_clusters(records)
    story = roles["copy000"]["story_id"]
    assert all(roles[c["id"]]["story_id"] == story for c in copies)
    assert roles["kepu4"]["story_id"] == roles["kepu5"]["story_id"] == story
    assert roles["tram0"]["story_id"] != story
    expected = _canonical(stories, relations, roles)
    rng = random.Random(7)
    shuffled = records[:]
    rng.shuffle(shuffled)
    index = StoryIndex()
    for start in range(0, len(shuffled), 9):
        index.add(shuffled[start : start + 9])
    assert _canonical(index.stories(), index.relations(), index.roles()) == expected


def test_updating_a_record_and_restoring_it(evals):
    records = list(evals.values())
    expected = _canonical(*story_clusters(records))
    index = StoryIndex()
    index.add(records)
    index.stories()
    changed = {**evals["kepu0"], "text": evals["tram0"]["text"]}
    assert index.add([changed]) == ["kepu0"]
    assert index.roles()["kepu0"]["story_id"] == index.roles()["tram0"]["story_id"]
    assert index.add([evals["kepu0"]]) == ["kepu0"]
    assert index.add([evals["kepu0"]]) == []  # unchanged: nothing to do
    assert _canonical(index.stories(), index.relations(), index.roles()) == expected


def test_signatures_round_trip(evals):
    records = list(evals.values())
    index = StoryIndex()
    index.add(records)
    signatures = {r["id"]: index.signature(r["id"]) for r in records}
    assert signatures == record_signatures(records)
    assert all(isinstance(b, bytes) for b in signatures.values())
    without_text = [{k: v for k, v in r.items() if k != "text"} for r in records]
    rebuilt = StoryIndex.from_signatures(without_text, signatures)
    assert _canonical(rebuilt.stories(), rebuilt.relations(), rebuilt.roles()) == _canonical(
        index.stories(), index.relations(), index.roles()
    )
    # a signature made with other parameters is recomputed from the text
    damaged = dict(signatures)
    damaged["kepu0"] = b"NMSG" + b"\x00" * 40
    again = StoryIndex.from_signatures(records, damaged)
    assert again.signature("kepu0") == signatures["kepu0"]


def test_fingerprint_bytes_and_datasketch_minhash(seeds):
    text = seeds[1]["text"]
    fp = fingerprint(text)
    back = Fingerprint.from_bytes(fp.to_bytes())
    assert np.array_equal(back.shingles, fp.shingles)
    assert np.array_equal(back.windows, fp.windows)
    assert back.key == fp.key
    # the whole text's signature is datasketch's MinHash of the shingle hashes
    hashes = shingle_hashes(matching_text(text, already_display=True))
    reference = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=int)
    reference.update_batch(hashes.tolist())
    assert np.array_equal(fp.minhash().hashvalues, reference.hashvalues)
    assert fp.minhash().jaccard(fingerprint(seeds[3]["text"]).minhash()) < 0.2


def test_no_records_no_stories():
    assert story_clusters([]) == ([], [], {})
    index = StoryIndex()
    assert index.add([]) == [] and index.stories() == []


def test_a_traditional_character_reprint_of_the_ithome_article_is_a_reprint(seeds):
    """Seed 004 converted to Traditional characters (OpenCC s2t, over a thousand
    characters changed) and published by a Hong Kong outlet: matching text folds
    it back, so it is a reprint, while its display text stays Traditional."""
    import opencc

    ithome = next(r for r in seeds if r["id"] == "seed004")
    traditional = opencc.OpenCC("s2t").convert(ithome["text"])
    changed = sum(1 for a, b in zip(traditional, ithome["text"], strict=True) if a != b)
    assert changed > 1000
    record = {
        **ithome,
        "id": "hk004",
        "site": "unknown",
        "url": "https://www.example.hk/news/628383.htm",
        "title": opencc.OpenCC("s2t").convert(ithome["title"]),
        "text": traditional,
        "published_at": "2022-07-08T03:30:00Z",
        "content_hash": "hash-hk",
        "origin_links": [],
    }
    stories, relations, roles = story_clusters([*seeds, record])
    assert len(stories) == 1
    assert roles["hk004"]["role"] == "reprint"
    assert _relation(relations, "seed004", "hk004")["relation"] in ("duplicate", "reprint")
    assert display_text(traditional) == traditional


NOTICE_URL = "https://www.shanghai.gov.cn/nw12344/20220708/ab632a9b29b04ed2adce2dbcb789412c.html"


def notice_files(seeds) -> list[dict]:
    """The notice page as the crawler reads it (the replay site's page, which lists the
    PDF), the PDF (seed 003's text, its parent the page) and a DOC of the same text
    found apart from the page (no parent: linked by text only)."""
    from newsmon.crawler.extract.dispatch import parse_page
    from newsmon.crawler.ingest import record_to_row

    html = (
        DATA
        / "real/shanghai_gov/nw12344_20220708_ab632a9b29b04ed2adce2dbcb789412c_constructed.html"
    )
    row = record_to_row(parse_page(html.read_bytes(), NOTICE_URL))
    page = {
        "id": "page",
        **{k: row[k] for k in ("site", "kind", "title", "text", "published_at", "document_date")},
        "url": NOTICE_URL,
        "doc_number": row["doc_number"],
        "attachments": [a["url"] for a in row["meta"].get("attachments", [])],
    }
    notice = next(r for r in seeds if r["id"] == "seed003")
    pdf_url = next(u for u in page["attachments"] if u.endswith(".pdf"))
    pdf = {**notice, "id": "pdf", "kind": "attachment", "url": pdf_url, "parent_id": "page"}
    doc = {
        **notice,
        "id": "doc",
        "kind": "attachment",
        "url": pdf_url.removesuffix(".pdf") + ".doc",
        "content_hash": "hash-doc",
        # Word keeps paragraphs whole: no line broken inside a sentence
        "text": notice["text"].replace("。", "。\n").replace("\n\n", "\n"),
    }
    return [page, pdf, doc]


def test_notice_page_pdf_and_doc_are_one_document(seeds):
    files = notice_files(seeds)
    others = [r for r in seeds if r["id"] != "seed003"]
    stories, relations, roles = story_clusters([*files, *others])
    assert len(stories) == 1
    (story,) = stories
    assert story["origin"] == story["official_origin"] == "page"
    assert {m: roles[m]["role"] for m in ("page", "pdf", "doc")} == {
        "page": "origin",
        "pdf": "attachment",
        "doc": "attachment",
    }
    assert _relation(relations, "page", "pdf")["relation"] == "attachment"
    assert "pdf is a file of page" in _relation(relations, "page", "pdf")["evidence"]
    assert _relation(relations, "pdf", "doc")["relation"] == "attachment"
    # the seeds' conclusions hold with the page as origin
    assert [roles[f"seed{k}"]["role"] for k in ("004", "000", "001", "002")] == [
        "reprint",
        "partial_reprint",
        "commentary",
        "related",
    ]
    # the three files are one document in reach
    assert story["n_files"] == 2 and story["n_records"] == len(others) + 1


def test_compilation_check_laid_out_per_component_agrees_with_pairwise(evals):
    """The component-wide shingle layout (_Membership) gives every record the same
    compilation verdict and the same paragraph coverage as comparing it with each
    quote alone, on every component of the labelled set."""
    from newsmon.analysis.shingles import shared_mask
    from newsmon.analysis.stories import (
        WEAK_CONTAINMENT,
        StoryIndex,
        _is_compilation,
        _Membership,
        _pair,
    )

    index = StoryIndex()
    index.add(evals.values())
    items, edges, adj = index._items, index._edges, index._adj
    seen: set[int] = set()
    checked = verdicts = 0
    for start in sorted(adj):
        if start in seen:
            continue
        component, frontier = {start}, [start]
        while frontier:
            frontier = [n for m in frontier for n in adj[m] if n not in component]
            component.update(frontier)
        seen |= component
        members = sorted(component)
        if len(members) < 3:
            continue
        membership = _Membership.of(items, members)
        assert membership is not None
        for i in members:
            quotes = [
                items[j]
                for j in sorted(adj[i])
                if edges[_pair(i, j)].strong or edges[_pair(i, j)].containment >= WEAK_CONTAINMENT
            ]
            if len(quotes) < 2:
                continue
            r = items[i]
            covered = membership.covered(r, quotes)
            for k, x in enumerate(quotes):
                mask = shared_mask(r.fp.shingles, x.fp.shingles)
                expected = np.bincount(r.fp.segments[mask], minlength=r.fp.n_segments)
                assert covered[k].tolist() == expected.tolist()
            alone = _is_compilation(r, quotes, edges)
            assert _is_compilation(r, quotes, edges, membership) == alone
            checked += 1
            verdicts += alone
    assert checked >= 50
    assert verdicts >= 1  # the set has compilations (weekly roundups)
