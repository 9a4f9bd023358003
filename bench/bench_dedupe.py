"""Benchmark of story detection on a synthetic corpus made from real text: in memory,
and over stored articles at 100,000 and 1,000,000.

    python bench/bench_dedupe.py            # 100,000 in memory; stores of 100k and 1M
    python bench/bench_dedupe.py --n 5000   # a quick run (one store of 5,000)
    python bench/bench_dedupe.py --stores 1000000 --skip-memory

The corpus: the clauses of the five seed documents and of the recorded real pages
(newsmon/data) are recombined into distinct base documents (sentences of 1-4
random clauses, paragraphs of 3-7 sentences, about 1,200 characters a document,
digits redrawn and about one character in six replaced by a character of the
corpus -- the pool has only a few thousand clauses, so without this every clause
would recur in hundreds of "different" documents, far more shared text than
unrelated news has), each the origin of a reprint group of known membership. The
other members of a group are copies with another site's header or footer
boilerplate, punctuation edits, sentence edits (clauses replaced, dropped or
added), truncations to 55-90%, partial reprints of a 25-45% section, or several
of these. Group sizes are 1 + a geometric number (mean 3.3), with a few groups of
80-150 members; boilerplate comes from a small set of templates, so it is shared
by thousands of documents.

In memory: wall time and peak memory (max RSS) of ``story_clusters`` on ``--n``
documents, pairwise precision and recall of the stories against the known groups
(a pair is positive when both documents are in one story / one group), and the
same on a slice of ``--baseline-n`` documents for the naive baseline: exact
Jaccard and containment of all pairs (a sparse document x shingle product),
pairs with containment >= REPRINT_CONTAINMENT linked, connected components.

Stored (``--stores``): a store of N articles is built once through the product's
path (save_article, then update_stories, which takes the queue in storage order in
batches; the key index compacted) and cached under ``--cache`` (the build's time is
printed; a build stopped after saving resumes with the articles still queued, as any
update does). The corpus is stored group by group, so a batch meets mostly its own
reprints; the articles held back are reprints and new stories drawn at random from
the whole corpus, so the updates measured meet stored stories everywhere, the
harder case. On a working copy
of the store (the key index's immutable segments hard-linked), each in a child
process whose time and peak RSS are measured: a crawl that stores 10 new
articles and its story update (update_stories), then 10,000 new articles with
stories, tags and reactions brought up to date (refresh_after_store): wall and
CPU time (the steadier figure on a shared machine) and peak RSS. Then the growth of
both from the smallest store to the largest. The stores have no
full-text index (search is not story detection; at a million articles the trigram
index alone would be some 10 GB).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from importlib import resources
from pathlib import Path

import lxml.html
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from newsmon.analysis.normalize import display_text, matching_text
from newsmon.analysis.shingles import SHINGLE_SIZE, shingle_hashes
from newsmon.analysis.stories import REPRINT_CONTAINMENT, story_clusters

DATA = Path(str(resources.files("newsmon") / "data"))

#: body of each recorded page (XPath of its paragraphs), or None: ground-truth text
REAL_PAGES = {
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

OUTLETS = [
    "新浪财经",
    "IT之家",
    "澎湃新闻",
    "界面新闻",
    "第一财经",
    "证券时报",
    "中国证券报",
    "21世纪经济报道",
    "每日经济新闻",
    "经济观察网",
]
HEADERS = [
    "来源：{o}",
    "原标题：{t}",
    "（本文来自{o}）",
    "{o}讯",
    "本文转载自{o}，版权归原作者所有。",
    "【{o}】",
]
FOOTERS = [
    "免责声明：本文仅代表作者本人观点，与本网站无关。其原创性以及文中陈述文字和内容未经本站证实，对本文以及其中全部或者部分内容、文字的真实性、完整性、及时性本站不作任何保证或承诺，请读者仅作参考。",
    "声明：本文内容仅供参考，不构成投资建议。投资有风险，入市需谨慎。",
    "（本文来源：{o}）",
    "更多精彩内容，请关注{o}官方账号。",
    "文章转载自{o}，如有侵权请联系删除。",
    "未经授权，禁止转载。欢迎分享至朋友圈。",
]
SITES = ["sina", "ithome", "unknown", "unknown", "unknown"]
#: share of the characters of a source clause replaced in a base document
CHAR_SUBSTITUTION = 0.15
_CLAUSE = re.compile(r"[^，。；！？：、\n]{4,40}")


def real_texts() -> list[str]:
    texts = []
    for path in sorted((DATA / "seeds").glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        if raw.lstrip().startswith("---"):
            body = re.sub(r"\A\s*---\n.*?\n---\n", "", raw, count=1, flags=re.S)
            root = lxml.html.fragment_fromstring(body, create_parent="div")
            raw = "\n".join(p.text_content() for p in root.iter("p"))
        texts.append(display_text(raw))
    truth = {}
    for name in ("magic_html_benchmark_groundtruth_subset.json", "cwced_groundtruth_subset.json"):
        truth.update(json.loads((DATA / "real" / "labeled" / name).read_text(encoding="utf-8")))
    for name, xpath in REAL_PAGES.items():
        if xpath is None:
            texts.append(display_text(truth[name]["content"]))
        else:
            root = lxml.html.fromstring((DATA / "real" / name).read_bytes())
            texts.append(display_text("\n".join(p.text_content() for p in root.xpath(xpath))))
    return texts


def clause_pool(texts: list[str]) -> list[str]:
    return sorted({m.group(0).strip() for t in texts for m in _CLAUSE.finditer(t)} - {""})


class Corpus:
    """Synthetic reprint groups; ``records`` and the group of each record."""

    def __init__(self, n: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pool = clause_pool(real_texts())
        self.chars = [ch for clause in self.pool for ch in clause if "\u4e00" <= ch <= "\u9fff"]
        self.records: list[dict] = []
        self.groups: list[int] = []
        group = 0
        while len(self.records) < n:
            size = 1 + min(int(self.rng.expovariate(1 / 2.3)), 40)
            if self.rng.random() < 0.002:
                size = self.rng.randint(80, 150)
            size = min(size, n - len(self.records))
            self._group(group, size)
            group += 1

    def _clause(self) -> str:
        """A source clause with its digits redrawn and about one character in six
        replaced by a character drawn from the corpus: real wording, but a new text."""
        rng = self.rng
        out = []
        for ch in rng.choice(self.pool):
            if ch.isdigit():
                out.append(str(rng.randint(0, 9)))
            elif rng.random() < CHAR_SUBSTITUTION:
                out.append(rng.choice(self.chars))
            else:
                out.append(ch)
        return "".join(out)

    def _sentence(self) -> str:
        k = self.rng.randint(1, 4)
        return "，".join(self._clause() for _ in range(k)) + "。"

    def _base(self) -> list[str]:
        n_par = max(2, int(self.rng.lognormvariate(2.0, 0.5)))
        return [
            "".join(self._sentence() for _ in range(self.rng.randint(3, 7))) for _ in range(n_par)
        ]

    def _variant(self, paras: list[str], title: str) -> list[str]:
        rng = self.rng
        kind = rng.random()
        out = list(paras)
        if kind < 0.15:
            return out
        if kind < 0.40 or kind > 0.95:
            outlet = rng.choice(OUTLETS)
            if rng.random() < 0.7:
                out.insert(0, rng.choice(HEADERS).format(o=outlet, t=title))
            if rng.random() < 0.7:
                out.append(rng.choice(FOOTERS).format(o=outlet))
            if kind < 0.40:
                return out
        if kind < 0.55 or kind > 0.95:
            share = rng.uniform(0.02, 0.1)
            out = [
                "".join(rng.choice("、；") if c == "，" and rng.random() < share else c for c in p)
                for p in out
            ]
            if kind < 0.55:
                return out
        if kind < 0.70 or kind > 0.95:
            edited = []
            for p in out:
                sents = re.findall(r"[^。]*。", p) or [p]
                for _ in range(max(1, len(sents) // 8)):
                    j = rng.randrange(len(sents))
                    action = rng.random()
                    if action < 0.4:
                        sents[j] = self._sentence()
                    elif action < 0.7 and len(sents) > 1:
                        sents.pop(j)
                    else:
                        sents.insert(j, self._sentence())
                edited.append("".join(sents))
            return edited
        text_len = sum(map(len, out))
        if kind < 0.85:  # truncation
            keep, acc = [], 0
            for p in out:
                keep.append(p)
                acc += len(p)
                if acc >= rng.uniform(0.55, 0.9) * text_len:
                    break
            return keep
        # a partial reprint of a 25-45% section
        share = rng.uniform(0.25, 0.45)
        start = rng.randrange(len(out))
        keep, acc = [], 0
        for p in out[start:] + out[:start]:
            keep.append(p)
            acc += len(p)
            if acc >= share * text_len:
                break
        return keep

    def _group(self, group: int, size: int) -> None:
        rng = self.rng
        paras = self._base()
        title = paras[0][:20]
        t0 = 1_600_000_000 + rng.randrange(100_000_000)
        for k in range(size):
            text = "\n".join(paras if k == 0 else self._variant(paras, title))
            when = t0 + (0 if k == 0 else rng.randrange(60, 3 * 86400))
            rid = f"{rng.getrandbits(48):012x}"
            self.records.append(
                {
                    "id": rid,
                    "site": rng.choice(SITES),
                    "kind": "article",
                    "title": title,
                    "text": text,
                    "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
                    "document_date": None,
                    "source": None,
                    "url": f"https://example.com/{rid}",
                    "canonical_url": None,
                    "content_hash": rid,
                    "origin_links": [],
                    "cited_titles": [],
                    "doc_number": None,
                }
            )
            self.groups.append(group)


def pair_scores(predicted: list, truth: list) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against the true groups."""

    def pairs(counts) -> int:
        return sum(c * (c - 1) // 2 for c in counts)

    both = pairs(Counter(zip(predicted, truth, strict=True)).values())
    pred = pairs(Counter(predicted).values())
    true = pairs(Counter(truth).values())
    return (both / pred if pred else 1.0), (both / true if true else 1.0)


def story_labels(records: list[dict]) -> tuple[list[str], float]:
    start = time.perf_counter()
    _stories, _relations, roles = story_clusters(records)
    elapsed = time.perf_counter() - start
    return [roles[r["id"]]["story_id"] for r in records], elapsed


def naive_labels(records: list[dict]) -> tuple[list[int], float]:
    """All-pairs exact containment (sparse product), linked at REPRINT_CONTAINMENT."""
    start = time.perf_counter()
    rows, cols = [], []
    for i, r in enumerate(records):
        m = matching_text(r["text"], already_display=True)
        h = np.unique(shingle_hashes(m)) if len(m) >= SHINGLE_SIZE else np.zeros(0, np.uint32)
        rows.append(np.full(h.size, i))
        cols.append(h.astype(np.int64))
    rows_a, cols_a = np.concatenate(rows), np.concatenate(cols)
    _, col_ids = np.unique(cols_a, return_inverse=True)
    x = sp.csr_matrix((np.ones(rows_a.size, dtype=np.float32), (rows_a, col_ids)))
    sizes = np.asarray(x.sum(axis=1)).ravel()
    inter = (x @ x.T).tocoo()
    smaller = np.minimum(sizes[inter.row], sizes[inter.col])
    keep = (inter.row < inter.col) & (inter.data >= REPRINT_CONTAINMENT * np.maximum(smaller, 1))
    n = len(records)
    graph = sp.coo_matrix((np.ones(keep.sum()), (inter.row[keep], inter.col[keep])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.tolist(), time.perf_counter() - start


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- stored stories


#: articles a crawl stores, and an update's batch of new articles
CRAWL, UPDATE = 10, 10_000


def article_row(record: dict) -> dict:
    """A corpus record as the crawler saves an article."""
    return {
        "url": record["url"],
        "site": record["site"],
        "kind": record["kind"],
        "title": record["title"],
        "text": record["text"],
        "text_match": matching_text(record["text"], already_display=True),
        "published_at": record["published_at"],
        "meta": {},
    }


def store_key(size: int, seed: int, held: int) -> dict:
    """What a cached store is built from. Not the schema: opening a store migrates it."""
    from newsmon.analysis.stories import SIGNATURE_SCHEME

    return {"size": size, "seed": seed, "held": held, "scheme": SIGNATURE_SCHEME}


def _saved_store(directory: Path, size: int, held: int, key: dict) -> dict | None:
    """What the saving stage of an earlier build recorded, or None: a build stopped
    after it (its articles all stored, the held-back ones written) resumes from there."""
    path = directory / "saved.json"
    if path.exists():
        saved = json.loads(path.read_text())
        return saved if all((saved.get("key") or {}).get(k) == v for k, v in key.items()) else None
    db_path, held_path = directory / "bench.db", directory / "held.jsonl"
    if not (db_path.exists() and held_path.exists()):
        return None
    with open(held_path, encoding="utf-8") as fh:
        if sum(1 for _ in fh) != held:
            return None
    from newsmon.db import connect

    count = connect(db_path).execute("select count(*) from articles").fetchone()[0]
    if count != size:
        return None
    saved = {"key": key, "corpus_s": None, "save_s": None, "stories_s": 0.0}
    path.write_text(json.dumps(saved))
    return saved


def child_build(size: int, directory: Path, seed: int, held: int) -> dict:
    """Build a store of ``size`` articles in ``directory`` and hold back ``held``;
    a build stopped after saving its articles resumes with their story detection,
    which takes up the articles still queued (what update_stories does anyway)."""
    from newsmon.db import connect
    from newsmon.db.articles import save_article
    from newsmon.db.stories import compact_story_index
    from newsmon.pipeline import update_stories

    key = store_key(size, seed, held)
    saved = _saved_store(directory, size, held, key)
    if saved is None:
        for name in ("bench.db", "bench.db-wal", "bench.db-shm", "held.jsonl"):
            (directory / name).unlink(missing_ok=True)
        t0 = time.perf_counter()
        corpus = Corpus(size + held, seed)
        rng = random.Random(seed + 1)
        back = set(rng.sample(range(len(corpus.records)), held))
        kept = [r for i, r in enumerate(corpus.records) if i not in back]
        later = [r for i, r in enumerate(corpus.records) if i in back]
        rng.shuffle(later)
        with open(directory / "held.jsonl", "w", encoding="utf-8") as fh:
            for r in later:
                fh.write(json.dumps(article_row(r), ensure_ascii=False) + "\n")
        t1 = time.perf_counter()
        db = connect(directory / "bench.db")
        db["articles"].disable_fts()
        for start in range(0, len(kept), 5000):
            with db.atomic():
                for r in kept[start : start + 5000]:
                    save_article(db, article_row(r))
        del corpus, kept
        gc.collect()
        db.execute("pragma wal_checkpoint(truncate)")
        saved = {
            "key": key,
            "corpus_s": t1 - t0,
            "save_s": time.perf_counter() - t1,
            "stories_s": 0.0,
        }
        (directory / "saved.json").write_text(json.dumps(saved))
    else:
        db = connect(directory / "bench.db")
    t2 = time.perf_counter()
    result = update_stories(
        db, progress=lambda done, total: _note_progress(directory, saved, t2, done, total)
    )
    t3 = time.perf_counter()
    state = compact_story_index(db)
    t4 = time.perf_counter()
    db.execute("pragma wal_checkpoint(truncate)")
    stories_s = saved["stories_s"] + (t3 - t2)
    return {
        "corpus_s": saved["corpus_s"],
        "save_s": saved["save_s"],
        "stories_s": stories_s,
        "compact_s": t4 - t3,
        "total_s": sum(x for x in (saved["corpus_s"], saved["save_s"]) if x) + stories_s + t4 - t3,
        "resumed": saved["corpus_s"] is None or saved["stories_s"] > 0,
        "articles": result["articles"],
        "stories": result["stories"],
        "relations": result["relations"],
        "keys": sum(s["n"] for s in state["segments"]),
    }


def _note_progress(directory: Path, saved: dict, since: float, done: int, total: int) -> None:
    """After each committed batch: the story detection time so far, for a resumed build."""
    record = {**saved, "stories_s": saved["stories_s"] + time.perf_counter() - since}
    (directory / "saved.json").write_text(json.dumps(record))
    print(f"  indexed {done:,} of {total:,} queued", file=sys.stderr, flush=True)


def child_update(db_path: Path, records: Path, first: int, n: int, full: bool) -> dict:
    """Store ``n`` held-back articles (from line ``first``), then bring stories (and,
    ``full``, tags and reactions) up to date; the update's time is measured."""
    from newsmon.config import load_config
    from newsmon.db import connect
    from newsmon.db.articles import save_article, utc_now
    from newsmon.pipeline import refresh_after_store, update_stories

    with open(records, encoding="utf-8") as fh:
        rows = [json.loads(line) for k, line in enumerate(fh) if first <= k < first + n]
    db = connect(db_path)
    since = utc_now()
    t0 = time.perf_counter()
    with db.atomic():
        for row in rows:
            save_article(db, row)
    t1 = time.perf_counter()
    c1 = time.process_time()
    if full:
        config = load_config(env={}, db=str(db_path))
        out = refresh_after_store(db, config, since=since)
        stories = out["stories"]
        extra = {"tagged": out.get("tagged"), "story_tags": out.get("story_tags")}
    else:
        stories = update_stories(db)
        extra = {}
    t2 = time.perf_counter()
    return {
        "save_s": t1 - t0,
        "update_s": t2 - t1,
        "update_cpu_s": time.process_time() - c1,
        "indexed": stories["indexed"],
        "fingerprinted": stories["fingerprinted"],
        "touched": len(stories["touched_stories"]),
        "articles": stories["articles"],
        **extra,
    }


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM): since its exec, unlike ru_maxrss,
    which a child inherits from the process that forked it."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return max_rss_mib()


def run_child(args: list[str]) -> tuple[dict, float]:
    """Run this script as a child; its JSON answer and its peak RSS in MiB."""
    proc = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    out = proc.stdout.read()
    code = proc.wait()
    if code != 0:
        raise RuntimeError(f"child {' '.join(args)} failed ({code})")
    answer = json.loads(out.strip().splitlines()[-1])
    return answer, answer.pop("peak_rss_mib")


def cached_store(size: int, cache: Path, seed: int, held: int) -> tuple[Path, dict, float | None]:
    """The store of ``size`` articles, built now or found in the cache."""
    directory = cache / f"store-{size}"
    meta_path = directory / "build.json"
    key = store_key(size, seed, held)
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if all((meta.get("key") or {}).get(k) == v for k, v in key.items()):
            return directory, meta, None
    directory.mkdir(parents=True, exist_ok=True)
    print(f"  building the store of {size:,} articles in {directory} ...", flush=True)
    build, rss = run_child(
        [
            "--child",
            "build",
            "--size",
            str(size),
            "--dir",
            str(directory),
            "--seed",
            str(seed),
            "--held",
            str(held),
        ]
    )
    meta = {"key": key, "build": build, "build_rss_mib": rss}
    meta_path.write_text(json.dumps(meta, indent=1))
    return directory, meta, rss


def prepare_store(store: Path) -> None:
    """Open the cached store once as the product would: migrations run and segments
    written before fences were kept get theirs (both derived, both one-off), so that
    the measured updates of a working copy do not do it."""
    from newsmon.db import connect
    from newsmon.db.stories import KeyIndex, index_directory, index_lock, load_index_state

    db = connect(store / "bench.db")
    directory = index_directory(db)
    with index_lock(directory):
        state = load_index_state(db)
        KeyIndex(directory, state.get("segments", []), state.get("hub_length", 0))
    db.execute("pragma wal_checkpoint(truncate)")
    db.conn.close()


def working_copy(store: Path, work: Path) -> Path:
    """A copy of a store to measure on: the database copied, the key index's segment
    files (never written again) hard-linked."""
    from newsmon.db.stories import INDEX_SUFFIX

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copyfile(store / "bench.db", work / "bench.db")
    src, dst = store / ("bench.db" + INDEX_SUFFIX), work / ("bench.db" + INDEX_SUFFIX)
    dst.mkdir()
    for path in src.iterdir():
        if path.name.startswith("s") and path.suffix in (".keys", ".owners"):
            os.link(path, dst / path.name)
        elif path.name != "lock":
            shutil.copyfile(path, dst / path.name)
    return work / "bench.db"


def stored_figures(size: int, cache: Path, seed: int, crawl: int, update: int) -> dict:
    store, meta, _rss = cached_store(size, cache, seed, crawl + update)
    build = meta["build"]

    def secs(key: str) -> str:
        value = build.get(key)
        return "not recorded" if value is None else f"{value:.0f} s"

    print(
        f"stored stories, {build['articles']:,} articles: {build['stories']:,} stories, "
        f"{build['relations']:,} relations, {build['keys']:,} index keys; store built "
        f"(corpus {secs('corpus_s')}, saving {secs('save_s')}, story detection "
        f"{secs('stories_s')}, compaction {secs('compact_s')}"
        + (
            "; resumed after an interruption, peak RSS of its last part"
            if build.get("resumed")
            else ""
        )
        + f"; peak RSS {meta['build_rss_mib']:,.0f} MiB), cached in {store}",
        flush=True,
    )
    prepare_store(store)
    db_path = working_copy(store, cache / f"work-{size}")
    held = store / "held.jsonl"
    out = {"size": build["articles"]}
    for name, first, n, full in (("crawl", 0, crawl, False), ("update", crawl, update, True)):
        figures, rss = run_child(
            [
                "--child",
                "update",
                "--db",
                str(db_path),
                "--records",
                str(held),
                "--first",
                str(first),
                "--count",
                str(n),
            ]
            + (["--full"] if full else [])
        )
        out[name] = {**figures, "rss_mib": rss}
        what = (
            f"a crawl of {n} new articles: story update"
            if not full
            else f"{n:,} new articles: stories, tags and reactions"
        )
        print(
            f"  {what} {figures['update_s']:.1f} s (CPU {figures['update_cpu_s']:.1f} s), "
            f"peak RSS {rss:,.0f} MiB "
            f"({figures['indexed']} indexed, {figures['fingerprinted']} fingerprinted, "
            f"{figures['touched']} stories touched; storing them took {figures['save_s']:.1f} s)",
            flush=True,
        )
    shutil.rmtree(cache / f"work-{size}", ignore_errors=True)
    return out


def memory_figures(args) -> None:
    start = time.perf_counter()
    corpus = Corpus(args.n, args.seed)
    chars = sum(len(r["text"]) for r in corpus.records)
    print(
        f"corpus: {len(corpus.records)} documents in {max(corpus.groups) + 1} groups, "
        f"{chars / 1e6:.1f} M characters, {len(corpus.pool)} source clauses, "
        f"built in {time.perf_counter() - start:.1f} s"
    )
    gc.collect()
    rss_before = max_rss_mib()

    labels, elapsed = story_labels(corpus.records)
    precision, recall = pair_scores(labels, corpus.groups)
    rss_peak = max_rss_mib()
    print(
        f"stories in memory: {len(corpus.records)} documents in {elapsed:.1f} s "
        f"({len(corpus.records) / elapsed:.0f} documents/s), {len(set(labels))} stories"
    )
    print(f"peak memory (max RSS): {rss_peak:.0f} MiB (corpus alone: {rss_before:.0f} MiB)")
    print(f"pairwise precision {precision:.4f}, recall {recall:.4f}")

    m = min(args.baseline_n, len(corpus.records))
    sl = corpus.records[:m]
    truth = corpus.groups[:m]
    ours, ours_time = story_labels(sl)
    naive, naive_time = naive_labels(sl)
    p1, r1 = pair_scores(ours, truth)
    p2, r2 = pair_scores(naive, truth)
    print(f"slice of {m} documents:")
    print(f"  stories:        {ours_time:7.2f} s, precision {p1:.4f}, recall {r1:.4f}")
    print(f"  naive all-pairs:{naive_time:7.2f} s, precision {p2:.4f}, recall {r2:.4f}")
    scale = (len(corpus.records) / m) ** 2
    print(
        f"  time ratio naive/stories on the slice: {naive_time / ours_time:.1f}; "
        f"naive extrapolated to {len(corpus.records)} documents (quadratic): "
        f"{naive_time * scale:.0f} s = {naive_time * scale / elapsed:.1f} x the stories run",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="documents in memory")
    parser.add_argument("--baseline-n", type=int, default=5_000, help="documents for the baseline")
    parser.add_argument("--seed", type=int, default=20220708)
    parser.add_argument(
        "--stores",
        help="store sizes, comma-separated (default 100000,1000000; with --n below 100,000: "
        "one store of --n articles, updates of 10 and --n / 10)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "newsmon-bench-dedupe",
        help="where the stores are built once and kept",
    )
    parser.add_argument("--skip-memory", action="store_true", help="stored figures only")
    parser.add_argument("--child", choices=["build", "update"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--held", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--records", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "build":
        answer = child_build(args.size, args.dir, args.seed, args.held)
        print(json.dumps({**answer, "peak_rss_mib": peak_rss_mib()}))
        return 0
    if args.child == "update":
        answer = child_update(args.db, args.records, args.first, args.count, args.full)
        print(json.dumps({**answer, "peak_rss_mib": peak_rss_mib()}))
        return 0

    if not args.skip_memory:
        memory_figures(args)
    if args.stores:
        sizes, crawl, update = [int(x) for x in args.stores.split(",")], CRAWL, UPDATE
    elif args.n < 100_000:
        sizes, crawl, update = [args.n], CRAWL, max(args.n // 10, CRAWL)
    else:
        sizes, crawl, update = [100_000, 1_000_000], CRAWL, UPDATE
    args.cache.mkdir(parents=True, exist_ok=True)
    figures = [stored_figures(size, args.cache, args.seed, crawl, update) for size in sizes]
    if len(figures) > 1:
        small, large = figures[0], figures[-1]
        print(f"growth from {small['size']:,} to {large['size']:,} stored articles:")
        for name, what in (("crawl", f"crawl of {crawl}"), ("update", f"{update:,} new")):
            print(
                f"  {what}: time x{large[name]['update_s'] / small[name]['update_s']:.2f} "
                f"(CPU x{large[name]['update_cpu_s'] / small[name]['update_cpu_s']:.2f}), "
                f"peak RSS x{large[name]['rss_mib'] / small[name]['rss_mib']:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
