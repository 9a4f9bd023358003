"""Template text is not evidence: notices of one office that share only their cover
letter stay apart, plans reusing one standard section are not partial reprints,
a real reprint of a templated notice is still a reprint, and an undated document
never displaces the dated notice as origin or title.

The notices are built the way the Shanghai general office writes them (title,
salutation, cover sentence, body, signature, date) around bodies taken from real
documents: the three plans of 沪府办发〔2022〕12号 (seed 003) and the government
texts of the evaluation set."""

from __future__ import annotations

import random

import pytest
from test_stories import eval_records, seed_records

from newsmon.analysis.stories import TEMPLATE_MIN_DF, StoryIndex, story_clusters

SALUTATION = "各区人民政府，市政府各委、办、局："
COVER = "经市政府同意，现将《{title}》印发给你们，请认真按照执行。"
SIGNATURE = "上海市人民政府办公厅"


def plan_sections() -> list[tuple[str, list[str], list[str]]]:
    """(title, body paragraphs, 保障措施 paragraphs) of the three plans of seed 003."""
    lines = next(r for r in seed_records() if r["id"] == "seed003")["text"].split("\n")
    starts = [i for i, ln in enumerate(lines) if ln.startswith("上海市") and ln.endswith("方案")]
    out = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines) - 1
        section = lines[start + 2 : end]
        cut = next(i for i, ln in enumerate(section) if ln.endswith("保障措施"))
        out.append((lines[start], section[:cut], section[cut:]))
    return out


def notice(i: int, title: str, body: list[str], *, day: int) -> dict:
    text = "\n".join(
        [
            f"上海市人民政府办公厅关于印发《{title}》的通知",
            SALUTATION,
            COVER.format(title=title),
            *body,
            SIGNATURE,
            f"2023年{1 + i % 12}月{day}日",
        ]
    )
    return {
        "id": f"notice{i:02d}",
        "site": "shanghai_gov",
        "kind": "document",
        "title": f"上海市人民政府办公厅关于印发《{title}》的通知",
        "text": text,
        "document_date": f"2023-{1 + i % 12:02d}-{day:02d}",
        "url": f"https://www.shanghai.gov.cn/nw12344/2023/notice{i:02d}.html",
    }


def short_bodies() -> list[tuple[str, list[str]]]:
    """Subjects and two opening paragraphs of real government texts of different subjects."""
    evals = eval_records()
    out = []
    for rid in ("jl0", "nmg0", "npc0", "shanxi0", "bynr0", "kepu0"):
        paras = [p for p in evals[rid]["text"].split("\n") if len(p) > 30]
        out.append((evals[rid]["title"][:24] + "工作方案", paras[:2]))
    for title, body, _ in plan_sections():
        out.append((title, body[3:5]))
    return out


def first_sentence(paragraph: str) -> str:
    end = paragraph.find("。")
    return paragraph[: end + 1] if 0 < end < 120 else paragraph[:80]


@pytest.fixture(scope="module")
def notices():
    """Notice pages whose body is one sentence on their subject (the plan itself is
    an attachment), as the general office publishes them."""
    bodies = [(title, [first_sentence(body[0])]) for title, body in short_bodies()]
    assert len(bodies) >= TEMPLATE_MIN_DF
    return [notice(i, t, b, day=10 + i) for i, (t, b) in enumerate(bodies)]


def _roles(records):
    _stories, relations, roles = story_clusters(records)
    return relations, roles


def test_notices_sharing_only_the_cover_letter_stay_apart(notices):
    relations, roles = _roles(notices)
    assert relations == []
    assert len({r["story_id"] for r in roles.values()}) == len(notices)


def test_two_notices_alone_sharing_only_the_cover_letter_stay_apart(notices):
    """With two notices only, their cover letter is not yet frequent, but its cover
    sentence names other titles: the two are documents of one form (slot siblings)."""
    relations, roles = _roles(notices[2:4])
    assert relations == []
    assert roles[notices[2]["id"]]["story_id"] != roles[notices[3]["id"]]["story_id"]


def test_a_notice_and_its_reprint_alone_are_a_reprint(notices):
    """The same cover sentence with the same title is the same notice, stored with
    nothing else."""
    origin = notices[3]
    reprint = {
        "id": "reprint",
        "site": "sina",
        "kind": "article",
        "title": "上海印发" + origin["title"][12:],
        "published_at": origin["document_date"] + "T03:00:00Z",
        "text": "来源：上海市人民政府网站\n" + origin["text"],
    }
    relations, roles = _roles([origin, reprint])
    assert [(r["a"], r["b"], r["relation"]) for r in relations] == [
        (origin["id"], "reprint", "reprint")
    ]
    assert roles["reprint"]["role"] == "reprint"


def test_a_reprint_with_other_boilerplate_is_still_a_reprint(notices):
    origin = notices[0]
    reprint = {
        "id": "reprint",
        "site": "sina",
        "kind": "article",
        "title": "上海印发" + origin["title"][12:],
        "published_at": "2023-01-11T03:00:00Z",
        "text": "来源：上海市人民政府网站\n"
        + origin["text"]
        + "\n（本文来自澎湃新闻，仅供参考）\n海量资讯、精准解读，尽在本站客户端",
    }
    relations, roles = _roles([*notices, reprint])
    (rel,) = [r for r in relations if "reprint" in (r["a"], r["b"])]
    assert rel["relation"] == "reprint" and {rel["a"], rel["b"]} == {origin["id"], "reprint"}
    assert "template shingles" in rel["evidence"]
    assert roles["reprint"]["story_id"] == roles[origin["id"]]["story_id"]
    assert roles[origin["id"]]["role"] == "origin" and roles["reprint"]["role"] == "reprint"


def test_plans_reusing_the_standard_safeguards_section_are_not_partial_reprints():
    """Eight plans of different subjects, each ending with the same 保障措施 section
    (the metaverse plan's): no pair is a (partial) reprint."""
    (_, _, safeguards), *_ = [s for s in plan_sections() if "元宇宙" in s[0]]
    bodies = short_bodies()
    plans = []
    for i, (title, body) in enumerate(bodies):
        rng = random.Random(i)
        plans.append(
            {
                "id": f"plan{i:02d}",
                "site": "government",
                "kind": "document",
                "title": title,
                "document_date": f"2023-03-{1 + i:02d}",
                "text": "\n".join([title, *body, *safeguards[: rng.randint(6, len(safeguards))]]),
            }
        )
    relations, roles = _roles(plans)
    assert [r for r in relations if r["relation"] in ("reprint", "partial_reprint")] == []
    assert len({r["story_id"] for r in roles.values()}) == len(plans)


def test_an_undated_document_never_displaces_the_dated_notice(notices):
    """An undated document carrying the notice's body joins its story, but the
    dated notice stays origin and gives the title."""
    origin = notices[6]
    draft = {
        "id": "undated",
        "site": "government",
        "kind": "document",
        "title": "关于方案编制情况的说明（讨论稿）",
        "text": "\n".join(origin["text"].split("\n")[1:5]),
    }
    stories, _relations, roles = story_clusters([*notices, draft])
    assert roles["undated"]["story_id"] == roles[origin["id"]]["story_id"]
    (story,) = [s for s in stories if s["story_id"] == roles[origin["id"]]["story_id"]]
    assert story["origin"] == story["official_origin"] == origin["id"]
    assert story["title"] == origin["title"]


def test_template_crossing_keeps_incremental_equal_to_one_shot(notices):
    """The cover letter becomes template only once enough notices are stored: adding
    them one by one, in any order, gives the relations of one call."""
    once = StoryIndex()
    once.add(notices)
    for seed in range(3):
        order = list(notices)
        random.Random(seed).shuffle(order)
        index = StoryIndex()
        for record in order:
            index.add([record])
        assert index.relations() == once.relations()
        assert index.roles() == once.roles()
