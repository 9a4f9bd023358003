"""Precision and recall of story detection on a labelled evaluation set.

The set shipped with newsmon is in the package data, ``newsmon/data/dedupe_eval``
(``DEDUPE_EVAL_DIR`` inside the ``newsmon`` package): ``documents.tsv`` (one record
per line, its text file, the story it belongs to and a note of where it comes
from), ``pairs.tsv`` (the expected relation of every related pair) and
``texts/``. See its README.

Pure functions: the caller reads the files, e.g.::

    root = importlib.resources.files("newsmon") / DEDUPE_EVAL_DIR
    eval_set = dedupe_eval_set(lambda name: (root / name).read_text("utf-8"))
    table = evaluate_dedupe(eval_set)
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from newsmon.analysis.stories import RELATIONS, story_clusters

#: where the evaluation set lives inside the ``newsmon`` package
DEDUPE_EVAL_DIR = "data/dedupe_eval"
#: label of a pair that is not scored (either answer is defensible)
ANY = "any"
#: label of a pair with no relation
NONE = "none"
#: story label of a record that may join any story (a roundup)
ANY_STORY = "*"

_TITLE_RE = re.compile(r"《([^《》\n]{2,100})》")
_LIST_FIELDS = ("origin_links", "attachments")


@dataclass(frozen=True)
class DedupeEvalSet:
    #: records as ``story_clusters`` takes them
    records: tuple[dict[str, Any], ...]
    #: expected relation per unordered pair of ids; pairs not listed are "none"
    labels: Mapping[frozenset[str], str]
    #: expected story label per id ("*": any)
    stories: Mapping[str, str]


def dedupe_eval_set(read_text: Callable[[str], str]) -> DedupeEvalSet:
    """The evaluation set, reading its files through ``read_text(relative_path)``."""
    documents = list(csv.DictReader(io.StringIO(read_text("documents.tsv")), delimiter="\t"))
    pairs = list(csv.DictReader(io.StringIO(read_text("pairs.tsv")), delimiter="\t"))
    records = []
    stories = {}
    for row in documents:
        text = read_text(row["file"]).rstrip("\n")
        record: dict[str, Any] = {
            "id": row["id"],
            "text": text,
            "content_hash": None,
            "cited_titles": _TITLE_RE.findall(text),
        }
        for name in (
            "site",
            "kind",
            "title",
            "published_at",
            "document_date",
            "url",
            "canonical_url",
            "source",
            "doc_number",
            "parent_id",
        ):
            record[name] = row.get(name) or None
        for name in _LIST_FIELDS:
            record[name] = (row.get(name) or "").split()
        records.append(record)
        stories[row["id"]] = row["story"]
    labels = {}
    for row in pairs:
        key = frozenset((row["a"], row["b"]))
        if len(key) != 2 or not key <= stories.keys():
            raise ValueError(f"bad pair in pairs.tsv: {row['a']} {row['b']}")
        if row["relation"] not in (*RELATIONS, ANY, NONE):
            raise ValueError(f"unknown relation in pairs.tsv: {row['relation']}")
        labels[key] = row["relation"]
    return DedupeEvalSet(records=tuple(records), labels=labels, stories=stories)


def _scores(pairs: list[tuple[str, str]], name: str) -> dict[str, Any]:
    """One table row from (expected, predicted) labels, for the class ``name``."""
    support = sum(1 for e, _ in pairs if e == name)
    predicted = sum(1 for _, p in pairs if p == name)
    correct = sum(1 for e, p in pairs if e == p == name)
    return {
        "support": support,
        "predicted": predicted,
        "correct": correct,
        "precision": correct / predicted if predicted else 1.0,
        "recall": correct / support if support else 1.0,
    }


def adjusted_rand_index(truth: list, predicted: list) -> float:
    """Adjusted Rand index of two labellings of the same items (Hubert and Arabie):
    1.0 for identical clusterings, about 0 for a random one."""
    if len(truth) != len(predicted):
        raise ValueError("labellings of different lengths")
    n = len(truth)
    if n < 2:
        return 1.0

    def pairs(counts) -> int:
        return sum(c * (c - 1) // 2 for c in counts)

    both = pairs(Counter(zip(truth, predicted, strict=True)).values())
    a = pairs(Counter(truth).values())
    b = pairs(Counter(predicted).values())
    total = n * (n - 1) // 2
    expected = a * b / total
    maximum = (a + b) / 2
    if maximum == expected:
        return 1.0
    return (both - expected) / (maximum - expected)


def bcubed(truth: list, predicted: list) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 (Bagga and Baldwin): per item, the share of
    its predicted cluster in its true cluster and the reverse, averaged over items."""
    if not truth:
        return 1.0, 1.0, 1.0
    cells = Counter(zip(truth, predicted, strict=True))
    size_t, size_p = Counter(truth), Counter(predicted)
    precision = sum(cells[(t, p)] / size_p[p] for t, p in zip(truth, predicted, strict=True))
    recall = sum(cells[(t, p)] / size_t[t] for t, p in zip(truth, predicted, strict=True))
    precision, recall = precision / len(truth), recall / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def dedupe_errors(eval_set: DedupeEvalSet, limit: int | None = None) -> pd.DataFrame:
    """What story detection gets wrong on the set, worst first: false merges (pairs of
    different expected stories put in one story) with the relation path that linked
    them, then missed merges, then wrong relations between pairs it did link.

    Columns: kind (``false merge``, ``missed merge``, ``relation``), a, b, story_a,
    story_b, expected, predicted (relation of the pair, ``none`` when not linked
    directly), evidence (of the direct relation, else of the first link of the path
    from a to b in the predicted story)."""
    _stories, relations, roles = story_clusters(eval_set.records)
    predicted = {frozenset((r["a"], r["b"])): r for r in relations}
    adjacency: dict[str, set[str]] = {}
    for r in relations:
        adjacency.setdefault(r["a"], set()).add(r["b"])
        adjacency.setdefault(r["b"], set()).add(r["a"])

    def path(a: str, b: str) -> list[str]:
        prev, todo = {a: a}, [a]
        while todo:
            nxt = []
            for x in todo:
                for y in sorted(adjacency.get(x, ())):
                    if y not in prev:
                        prev[y] = x
                        nxt.append(y)
            if b in prev:
                break
            todo = nxt
        if b not in prev:
            return []
        out = [b]
        while out[-1] != a:
            out.append(prev[out[-1]])
        return out[::-1]

    rows = []
    ids = sorted(eval_set.stories)
    for a, b in itertools.combinations(ids, 2):
        key = frozenset((a, b))
        expected = eval_set.labels.get(key, NONE)
        got = predicted.get(key)
        relation = got["relation"] if got else NONE
        sa, sb = eval_set.stories[a], eval_set.stories[b]
        same = roles[a]["story_id"] == roles[b]["story_id"]
        kind = None
        if expected != ANY and ANY_STORY not in (sa, sb) and same != (sa == sb):
            kind = "false merge" if same else "missed merge"
        elif expected not in (ANY, relation):
            kind = "relation"
        if kind is None:
            continue
        if got:
            evidence = got["evidence"]
        else:
            steps = path(a, b) if same else []
            first = predicted.get(frozenset(steps[:2])) if len(steps) > 1 else None
            evidence = (
                " -> ".join(steps)
                + (f": {first['relation']}, {first['evidence']}" if first else "")
                if steps
                else ""
            )
        rows.append(
            {
                "kind": kind,
                "a": a,
                "b": b,
                "story_a": sa,
                "story_b": sb,
                "expected": expected,
                "predicted": relation,
                "evidence": evidence,
            }
        )
    order = {"false merge": 0, "missed merge": 1, "relation": 2}
    columns = ["kind", "a", "b", "story_a", "story_b", "expected", "predicted", "evidence"]
    table = pd.DataFrame(rows, columns=columns)
    if not table.empty:
        table = table.sort_values(
            ["kind", "story_a", "story_b", "a", "b"],
            key=lambda c: c.map(order) if c.name == "kind" else c,
        ).reset_index(drop=True)
    return table.head(limit) if limit is not None else table


def evaluate_dedupe(eval_set: DedupeEvalSet) -> pd.DataFrame:
    """Precision, recall and F1 per relation over all pairs of the set, plus
    ``linked`` (any relation versus none), ``same_story`` (pairwise: pairs put in
    one story versus the expected stories; pairs labelled ``any`` are not scored),
    ``bcubed`` (BCubed precision, recall, F1 of the clustering) and ``ari`` (its
    adjusted Rand index, in ``f1``; ``support`` the records scored, ``predicted``
    and ``correct`` the numbers of predicted and expected stories). Index:
    relation; columns: support, predicted, correct, precision, recall, f1."""
    stories, relations, roles = story_clusters(eval_set.records)
    predicted = {frozenset((r["a"], r["b"])): r["relation"] for r in relations}
    ids = sorted(eval_set.stories)
    relation_pairs = []
    linked_pairs = []
    story_pairs = []
    for a, b in itertools.combinations(ids, 2):
        key = frozenset((a, b))
        expected = eval_set.labels.get(key, NONE)
        got = predicted.get(key, NONE)
        if expected != ANY:
            relation_pairs.append((expected, got))
            linked_pairs.append(
                ("linked" if expected != NONE else NONE, "linked" if got != NONE else NONE)
            )
        sa, sb = eval_set.stories[a], eval_set.stories[b]
        if ANY_STORY not in (sa, sb) and expected != ANY:
            same = roles[a]["story_id"] == roles[b]["story_id"]
            story_pairs.append(("same" if sa == sb else NONE, "same" if same else NONE))
    rows = {name: _scores(relation_pairs, name) for name in RELATIONS}
    rows["linked"] = _scores(linked_pairs, "linked")
    rows["same_story"] = _scores(story_pairs, "same")
    for row in rows.values():
        p, r = row["precision"], row["recall"]
        row["f1"] = 2 * p * r / (p + r) if p + r else 0.0
    # the clustering itself, over the records with a story label ("*" left out)
    scored = [i for i in ids if eval_set.stories[i] != ANY_STORY]
    truth = [eval_set.stories[i] for i in scored]
    got = [roles[i]["story_id"] for i in scored]
    bp, br, bf = bcubed(truth, got)
    n = len(scored)
    rows["bcubed"] = {
        "support": n,
        "predicted": len(set(got)),
        "correct": len(set(truth)),
        "precision": bp,
        "recall": br,
        "f1": bf,
    }
    rows["ari"] = {
        "support": n,
        "predicted": len(set(got)),
        "correct": len(set(truth)),
        "precision": float("nan"),
        "recall": float("nan"),
        "f1": adjusted_rand_index(truth, got),
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "relation"
    return table
