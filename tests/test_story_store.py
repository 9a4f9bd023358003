"""Stored story detection: an update reads only what new articles touch, and gives the
stories, roles and relations of one update over every article, in any order and
batches; untouched stories keep their rows; the key index on disk stays consistent."""

from __future__ import annotations

import random
import shutil
from importlib import resources

import numpy as np
import pytest

from newsmon.analysis.evaluation import DEDUPE_EVAL_DIR, dedupe_eval_set
from newsmon.analysis.stories import MemoryKeyIndex, story_clusters
from newsmon.db import connect
from newsmon.db.articles import save_article
from newsmon.db.stories import INDEX_SUFFIX, KeyIndex
from newsmon.pipeline import story_record, update_stories

ROOT = resources.files("newsmon") / DEDUPE_EVAL_DIR
#: a slice of the labelled set with every kind of case: seeds, the notice's files,
#: families, notices and plans of one template, flashes, roundups
WANTED = ("seed", "notice", "kepu", "jl", "nmg", "forex", "rail", "trial", "roundup", "flash")


def eval_articles() -> list[dict]:
    """Records of the labelled set as article rows (their ids become the import files)."""
    records = dedupe_eval_set(lambda name: (ROOT / name).read_text("utf-8")).records
    rows, urls = [], set()
    for r in records:
        if not r["id"].startswith(WANTED) or r["id"].startswith(("notice0", "notice1")):
            continue
        if r["id"][-1] in "ktsew" and len(r["id"]) > 5 and r["id"][:-1] in ("kepu0", "jl0"):
            continue
        url = r.get("canonical_url") or r.get("url")
        unique = url and url not in urls
        urls.add(url)
        rows.append(
            {
                "url": r.get("url") if unique else None,
                "canonical_url": r.get("canonical_url") if unique else None,
                "site": r.get("site") or "unknown",
                "kind": r.get("kind") or "article",
                "title": r.get("title") or "",
                "text": r["text"],
                "published_at": r.get("published_at"),
                "document_date": r.get("document_date"),
                "doc_number": r.get("doc_number"),
                "source": r.get("source"),
                "origin_links": [{"url": u, "anchor": "原文"} for u in r.get("origin_links") or []],
                "cited_titles": r.get("cited_titles") or [],
                "meta": {
                    "import_file": r["id"],
                    "attachments": [{"url": u} for u in r.get("attachments") or []],
                },
            }
        )
    return rows


@pytest.fixture(scope="module")
def articles():
    rows = eval_articles()
    assert len(rows) >= 60
    return rows


def save(db, rows):
    with db.atomic():
        for row in rows:
            save_article(db, row)


def snapshot(db):
    stories = {
        r["id"]: (r["title"], r["origin_article_id"], r["first_article_id"], r["n_articles"])
        for r in db.query("select * from stories")
    }
    members = {
        r["article_id"]: (r["story_id"], r["role"], r["novelty"], r["score"])
        for r in db.query("select * from story_articles")
    }
    relations = sorted(
        (r["a"], r["b"], r["relation"], r["score"], r["evidence"])
        for r in db.query("select * from article_relations")
    )
    return stories, members, relations


@pytest.fixture(scope="module")
def one_shot(tmp_path_factory, articles):
    db = connect(tmp_path_factory.mktemp("one") / "one.db")
    save(db, articles)
    result = update_stories(db)
    return db, result, snapshot(db)


def test_the_stored_update_gives_the_stories_of_the_engine_in_memory(one_shot):
    db, result, (stories, members, relations) = one_shot
    records = [story_record(a) for a in _load(db)]
    mem_stories, mem_relations, mem_roles = story_clusters(records)
    assert {s["story_id"] for s in mem_stories} == set(stories)
    assert {k: v["story_id"] for k, v in mem_roles.items()} == {k: v[0] for k, v in members.items()}
    assert sorted((r["a"], r["b"], r["relation"]) for r in mem_relations) == [
        (a, b, rel) for a, b, rel, _s, _e in relations
    ]
    assert result["touched_stories"] == sorted(stories)
    assert result["indexed"] == result["articles"] == len(members)


def _load(db):
    from newsmon.db.articles import load_articles

    return load_articles(db)


@pytest.mark.parametrize("seed", [1, 2])
def test_batches_in_any_order_give_the_stories_of_one_update(tmp_path, articles, one_shot, seed):
    db = connect(tmp_path / "inc.db")
    order = list(articles)
    random.Random(seed).shuffle(order)
    cuts = sorted(random.Random(seed + 10).sample(range(1, len(order)), 4))
    for part in np.split(np.arange(len(order)), cuts):
        save(db, [order[i] for i in part])
        update_stories(db)
    assert snapshot(db) == one_shot[2]


def test_small_batches_inside_one_update_change_nothing(tmp_path, articles, one_shot):
    db = connect(tmp_path / "batched.db")
    save(db, articles)
    update_stories(db, batch=7)
    assert snapshot(db) == one_shot[2]


@pytest.fixture
def stored(tmp_path, articles):
    """A store with all but three of the articles, and the three kept back."""
    db = connect(tmp_path / "s.db")
    kept = [a for a in articles if a["meta"]["import_file"] in ("kepu2", "jl1", "flash1")]
    assert len(kept) == 3
    save(db, [a for a in articles if a not in kept])
    update_stories(db)
    return db, kept


def test_a_new_article_touches_only_its_story(stored):
    db, kept = stored
    (kepu2,) = [a for a in kept if a["meta"]["import_file"] == "kepu2"]
    before = {r["id"]: r["updated_at"] for r in db.query("select id, updated_at from stories")}
    other = next(iter(sorted(before)))
    db["story_tags"].insert(
        {"story_id": other, "kind": "sector", "code": "x", "name": "x", "relevance": 1.0}
    )
    save(db, [kepu2])
    result = update_stories(db)
    assert result["indexed"] == 1 and result["fingerprinted"] == 1
    kepu0 = db.execute(
        "select sa.story_id from story_articles sa join articles a on a.id = sa.article_id "
        "where json_extract(a.meta, '$.import_file') = 'kepu0'"
    ).fetchone()[0]
    # the story kepu2 joined, and (its id derives from its smallest member id, which
    # kepu2's is) the story under its former id, gone
    touched = set(result["touched_stories"])
    assert kepu0 in touched and touched - {kepu0} <= set(before) - set(
        r["id"] for r in db.query("select id from stories")
    )
    after = {r["id"]: r["updated_at"] for r in db.query("select id, updated_at from stories")}
    assert {k: v for k, v in after.items() if k not in touched} == {
        k: v for k, v in before.items() if k not in touched
    }
    assert len(after) == len(before)
    assert other in touched or db["story_tags"].count == 1


def test_old_texts_are_never_shingled_again(stored):
    db, kept = stored
    save(db, kept)
    result = update_stories(db)
    assert (result["indexed"], result["fingerprinted"]) == (3, 3)
    assert update_stories(db)["indexed"] == 0  # nothing queued: nothing read


def test_an_edited_and_a_deleted_article_equal_one_update(tmp_path, stored, articles):
    db, kept = stored
    save(db, kept)
    update_stories(db)
    (jl1,) = [a for a in kept if a["meta"]["import_file"] == "jl1"]
    edited = dict(jl1, text="吉林省人民政府日前发布通告，全文另见政府网站。")
    save(db, [edited])
    gone = db.execute(
        "select id from articles where json_extract(meta, '$.import_file') = 'kepu3'"
    ).fetchone()[0]
    with db.atomic():  # what refers to an article goes with it
        for table, column in (("story_articles", "article_id"), ("signatures", "article_id")):
            db.execute(f"delete from {table} where {column} = ?", [gone])
        db.execute("delete from article_relations where a = ? or b = ?", [gone, gone])
        db["articles"].delete(gone)
    update_stories(db)
    fresh = connect(tmp_path / "fresh.db")
    final = [edited if a is jl1 else a for a in articles if a["meta"]["import_file"] != "kepu3"]
    save(fresh, final)
    update_stories(fresh)
    assert snapshot(db) == snapshot(fresh)
    assert gone not in snapshot(db)[1]


def test_a_lost_key_index_is_rebuilt_from_the_stored_signatures(tmp_path, articles, one_shot):
    path = tmp_path / "lost.db"
    db = connect(path)
    save(db, articles)
    update_stories(db)
    shutil.rmtree(str(path) + INDEX_SUFFIX)
    result = update_stories(db)
    assert result["indexed"] == len(articles) and result["fingerprinted"] == 0
    assert snapshot(db) == one_shot[2]


@pytest.mark.parametrize("budget,max_segments", [(16_000_000, 32), (300, 3)])
def test_the_key_index_on_disk_answers_as_the_one_in_memory(
    tmp_path, monkeypatch, budget, max_segments
):
    """Random keys inserted over many updates (with merges; with a small budget, the
    segments pile up until an update merges them all), some owners taken out: sizes,
    members and hub keys as MemoryKeyIndex gives them; compaction drops the
    tombstones and changes no answer."""
    import newsmon.db.stories as stored

    monkeypatch.setattr(stored, "MERGE_CHUNK", 1000)
    monkeypatch.setattr(stored, "MERGE_BUDGET", budget)
    monkeypatch.setattr(stored, "MAX_SEGMENTS", max_segments)
    rng = np.random.default_rng(3)
    pool = rng.integers(0, 1 << 62, 400, dtype=np.int64).astype(np.uint64)
    memory = MemoryKeyIndex()
    state = {"segments": [], "hub_length": 0}
    handle = 0
    for step in range(12):
        disk = KeyIndex(tmp_path, state["segments"], state["hub_length"])
        n = int(rng.integers(1, 40))
        owners = np.arange(handle, handle + n)
        keys = [rng.choice(pool, int(rng.integers(1, 60)), replace=False) for _ in owners]
        flat_keys = np.concatenate(keys)
        flat_owners = np.repeat(owners, [k.size for k in keys])
        hubs = rng.integers(0, 1 << 40, n)
        for index in (memory, disk):
            index.insert(flat_keys, flat_owners)
            index.set_hub_keys(owners, hubs)
        if step % 4 == 3:
            victim = int(rng.integers(0, handle))
            vkeys, vstarts = memory.members(pool)
            held = np.array(
                [k for i, k in enumerate(pool) if victim in vkeys[vstarts[i] : vstarts[i + 1]]],
                dtype=np.uint64,
            )
            for index in (memory, disk):
                index.delete(held, np.full(held.size, victim))
        handle += n
        _same_answers(memory, disk, pool)
        state = disk.write()
        disk.discard()
        assert len(state["segments"]) <= max_segments + 1
        _same_answers(memory, KeyIndex(tmp_path, state["segments"], state["hub_length"]), pool)
    disk = KeyIndex(tmp_path, state["segments"], state["hub_length"])
    state = disk.compact()
    disk.discard()
    assert len(state["segments"]) == 1 and not state["segments"][0]["tomb"]
    _same_answers(memory, KeyIndex(tmp_path, state["segments"], state["hub_length"]), pool)
    assert len(list(tmp_path.glob("s*.keys"))) == 1


def _same_answers(memory, disk, pool):
    assert np.array_equal(memory.sizes(pool), disk.sizes(pool))
    mk, ms = memory.members(pool)
    dk, ds = disk.members(pool)
    assert np.array_equal(ms, ds)
    for i in range(pool.size):
        assert sorted(mk[ms[i] : ms[i + 1]].tolist()) == sorted(dk[ds[i] : ds[i + 1]].tolist())
    handles = np.unique(mk)
    assert np.array_equal(memory.hub_keys(handles), disk.hub_keys(handles))


def test_the_queue_is_taken_in_storage_order(tmp_path, articles):
    """A large queue is indexed in batches of what was stored together (a crawl's
    articles, whose reprints meet each other), not of ids, which are a random sample
    of the store; an index rebuilt from scratch queues the store in the same order."""
    from newsmon.db.stories import clear_story_index, queued_articles

    db = connect(tmp_path / "order.db")
    rows = sorted(articles, key=lambda r: r["title"] or "", reverse=True)[:20]
    save(db, rows)
    stored = [r[0] for r in db.execute("select id from articles order by rowid")]
    assert stored != sorted(stored)  # ids are not storage order here
    assert queued_articles(db)[1] == stored
    save(db, rows[:1])  # written again: queued again, kept at its first place
    assert queued_articles(db)[1] == stored
    with db.atomic():
        clear_story_index(db)
    assert queued_articles(db)[1] == stored
    seen = []
    update_stories(db, batch=7, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(7, 20), (14, 20), (20, 20)]
    assert queued_articles(db)[1] == []


def test_relations_by_handle_are_filled_in_for_a_store_indexed_before_them(tmp_path, articles):
    """m013 puts the relations of a store indexed before it in story_edges, as an
    update would have; the next update reads them and changes nothing."""
    path = tmp_path / "old.db"
    db = connect(path)
    save(db, articles)
    update_stories(db)

    def edges(db):
        return db.execute(
            "select a, b, relation, jaccard, containment, score from story_edges order by a, b"
        ).fetchall()

    before, stories = edges(db), snapshot(db)
    assert len(before) == db.execute("select count(*) from article_relations").fetchone()[0] > 0
    db.execute("drop table story_edges")
    db.execute("delete from _sqlite_migrations where name = 'm013_story_edges_by_handle'")
    db.conn.commit()
    db.conn.close()
    db = connect(path)
    assert edges(db) == before
    save(db, articles[:3])  # written again: queued, unchanged
    update_stories(db)
    assert snapshot(db) == stories and edges(db) == before


def test_a_fenced_segment_answers_as_a_binary_search(tmp_path):
    """A segment file searched through its fence finds every key's range exactly as
    a binary search of the whole file does: keys below, above, between and equal to
    the stored ones, repeated keys, keys at the fence's own positions; a segment
    written before fences were kept gets one."""
    from newsmon.db.stories import FENCE_STEP, _Segment, _write_run

    rng = np.random.default_rng(7)
    keys = np.sort(rng.integers(0, 2**40, size=20 * FENCE_STEP + 37, dtype=np.uint64))
    keys[100:400] = keys[100]  # a long run of one key, across a fence position
    keys = np.sort(keys)
    owners = np.arange(keys.size, dtype=np.int32)
    chunks = [(keys[:5000], owners[:5000]), (keys[5000:], owners[5000:])]
    n = _write_run(tmp_path, "s000000000001", chunks)
    assert n == keys.size
    fenced = _Segment.load(tmp_path, {"name": "s000000000001", "n": n})
    assert fenced.fence is not None and fenced.fence.size == -(-n // FENCE_STEP)
    query = np.concatenate(
        [
            keys[rng.integers(0, keys.size, 3000)],
            keys[::FENCE_STEP],
            keys[::FENCE_STEP] + np.uint64(1),
            keys[::FENCE_STEP] - np.uint64(1),
            rng.integers(0, 2**40, 3000, dtype=np.uint64),
            np.array([0, keys[0], keys[-1], keys[-1] + np.uint64(1), 2**63], dtype=np.uint64),
        ]
    )
    lo, hi = fenced.ranges(query)
    assert lo.tolist() == np.searchsorted(keys, query, side="left").tolist()
    assert hi.tolist() == np.searchsorted(keys, query, side="right").tolist()
    (tmp_path / "s000000000001.fence").unlink()
    again = _Segment.load(tmp_path, {"name": "s000000000001", "n": n})
    assert again.fence.tolist() == fenced.fence.tolist()
    assert (tmp_path / "s000000000001.fence").exists()
    lo2, hi2 = again.ranges(query)
    assert lo2.tolist() == lo.tolist() and hi2.tolist() == hi.tolist()
