"""Stories: one piece of news as it spreads, from the official document to its
reprints and the commentary on it.

Records are plain dicts (``id``, ``site``, ``kind``, ``title``, ``text`` as display
text, ``published_at``, ``document_date``, ``source``, ``url``, ``canonical_url``,
``content_hash``, ``origin_links``, ``cited_titles``, ``doc_number``,
``parent_id``, ``attachments``, ``outlet`` and ``outlet_name`` -- the outlet a
record counts as in reach and its display name, by default the site); a missing
key counts as empty.

Finding pairs
-------------
Nothing compares all pairs. Every record gets keys, and only records sharing a
key are compared:

- exact keys: canonical URL (else URL), content hash, and the digest of the
  matching text without punctuation -- the only key of a text shorter than
  ``shingles.MIN_SHINGLED_CHARS`` (an empty text has none, so empty records
  never collide);
- LSH band keys of the MinHash signature of every window of the text (see
  ``analysis.shingles``). Windows are content-defined, so the paragraphs a
  partial reprint carries give the same windows in the reprint and in its
  three-plan origin and collide, although the two texts' Jaccard is 0.35.
  Windows rather than ``MinHashLSHEnsemble``: the ensemble is built once from
  all sets and takes no inserts, a window index takes new records at any time,
  and verification measures containment exactly anyway;
- anchors (1/16 of the shingles, picked by hash): records sharing
  ``MIN_SHARED_ANCHORS`` are compared, which finds commentary quoting phrases
  all over a document (27% of its text at Jaccard 0.02, far below any band);
- citations: a cited title (``normalize_title`` of a 《...》 title, without 关于)
  or document number (沪府办发〔2022〕12号 in any bracket or digit width) links
  the citing record to the official record owning it: an official record owns
  its title, its document number and the titles of the plans it contains
  (title lines of its text); an ``origin_links`` URL links to the record at that
  URL. Only citations in the title or the first ``CITATION_LEAD_CHARS``
  characters count: what a text is about, not what it mentions in passing.

A key group larger than ``KEY_GROUP_CAP`` (anchors: ``ANCHOR_GROUP_CAP``) is
boilerplate or a story reprinted very widely: its members are compared with its
``KEY_GROUP_HUBS`` longest members only (the full versions, which contain the
truncated and partial ones), and an anchor shared that way counts half. Anchors
of more than ``ANCHOR_HUB_CAP`` records are common phrases and find nothing.

Relations
---------
Every pair found is verified on the exact shingle sets: Jaccard, and containment
= shared shingles / shingles of the smaller text.

Template text is not evidence. Each paragraph has a line key (its text) and a
slot key (its text with numbers and 《》 titles masked) in the key index, where
the size of its group is the paragraph's document frequency over the store. A
paragraph found in ``TEMPLATE_MIN_DF`` records or more, or of one shape with
other numbers or titles in that many, recurs: a cover letter, a standard
section, site boilerplate, a flash of one template -- or a story reprinted
widely. Which of the two is told by the pair, not by the paragraph:

- when both texts have content of their own (at least ``TEMPLATE_OWN_SHARE`` of
  their shingles outside recurring paragraphs: a plan with its own measures, a
  notice with its own body), the smaller text's recurring paragraphs are set
  aside -- containment and the paragraph rule count only the rest, so two plans
  sharing their standard 保障措施 section share nothing that counts;
- when one of them is itself recurring text (a copy of a widely reprinted story,
  a cover-letter page), the recurring text is what it says: it is measured whole,
  less its short recurring paragraphs (salutations, signatures, headings);
- slot siblings: a paragraph of one shape in both texts with other numbers or
  titles (现将《甲方案》印发给你们 / 现将《乙方案》印发给你们, flashes of one
  template on other days) says the two are different documents of one form,
  however few of them are stored: those paragraphs and the short ones are set
  aside. A paragraph of the same shape with the same titles (the same notice)
  stays evidence.

When a paragraph's group crosses the threshold, every pair of its records is
verified again, so the relations stay a function of the set of records.

- ``duplicate``: same canonical URL, content hash or normalised text, or Jaccard
  >= ``DUPLICATE_JACCARD``;
- ``reprint``: containment >= ``REPRINT_CONTAINMENT`` and the smaller text has at
  least ``REPRINT_SIZE_SHARE`` of the larger's shingles (edited or truncated
  reprints, reprints with a lead of their own);
- ``partial_reprint``: the same containment, a smaller share (one plan of three);
- ``attachment``: one document in several files -- the notice page, its PDF and
  its DOC/DOCX/WPS. Found through what the crawler records (a file's
  ``parent_id`` is the page's id; an official page's ``attachments`` list the
  file's URL) or by text: a strong textual relation between two official
  records, one of them a file (kind ``attachment`` or a ``FILE_URL``), of the same
  document number, host or title. ``a`` is the page (else the earlier file);
  the file's role is ``attachment`` and it counts once in reach;
- ``commentary`` / ``related``: a citation, or containment >= ``WEAK_CONTAINMENT``
  and ``WEAK_MIN_SHARED`` shingles making a fifth or more of at least
  ``WEAK_MIN_SEGMENTS`` paragraphs of the smaller text (a shared header and
  disclaimer, or common words spread thinly, do not count): ``commentary`` when
  the derived record is a media article, ``related`` when it is official (a
  background note).

``a`` is the source and ``b`` the derived record: the larger text and its part
for partial reprints; the earlier by ``_rank`` for duplicates and reprints
(undated documents first, then by time, official before media, longer first,
id); the cited record for citations, else the larger text for commentary.

Stories, and the rule against chaining
--------------------------------------
1. Compilations. A media article R with a strong edge is a compilation when the
   records whose text it carries (strong edges, and weak ones of shared text)
   that are not published after it -- its quotes -- cover at least two disjoint
   regions of it: a roundup quoting a whole flash (a reprint) and three
   paragraphs of a long feature (commentary) is one. A quote's
   region is the set of R's paragraphs it covers (each at least
   ``SEGMENT_COVERED_SHARE``); regions sharing a paragraph form one; a region
   meeting two disjoint others (an earlier copy of R as a whole) joins nothing.
   A weekly roundup quoting two stories is a compilation. An official document
   never is (a notice issuing three plans is one story), nor is an article
   whose partial reprints came after it.
2. Units: records joined by strong edges, except through a compilation (which
   stays with its own copies only).
3. Attachment: every unit attaches to at most ONE earlier-ranked unit, the one
   it shares the strongest edge with (weak edges, and a compilation's strong
   edges). A story is a tree of attached units. A unit never attaches to two
   units, so a record quoting or commenting on two stories never merges them.

Per story: the official origin (an official record -- a document, an attachment
or a government-site page that does not declare a non-government source -- or a
record the members' ``origin_links`` point to; the most pointed to, then a dated
one before an undated one, then the one with most strong edges, then by rank),
the origin (the official origin, else the first-ranked dated record: an undated
document never displaces a dated one as origin or title), the first publication (the earliest ``published_at`` among
records of kind ``article``; an undated document never counts), counts of
records (a document's files counted once), files, articles and sites (outlets:
``first_site`` and ``sites`` are outlet ids, ``first_site_name`` and
``site_names`` their display names). Roles:
``origin``; else the relation to the origin; else the strongest relation to any
member (a duplicate is a ``reprint``).
Novelty: members with a publication time, in order of (time, id), score
``round(100 * NOVELTY_DECAY ** k)``: 100, 75, 56, 42, ...; a record without a
publication time (the undated official document too) gets None, as it has no
place in the order of publication.

Determinism: the pairs compared, the verification and the clustering depend
only on the final set of records (pairs found through a key group that later
changes its policy or hubs are checked again and dropped if nothing else finds
them); story ids hash the smallest member id. Adding records in any order and
batches gives the stories, relations and roles of one call with all of them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import struct
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from newsmon.analysis.normalize import normalize_title
from newsmon.analysis.shingles import (
    FINGERPRINT_VERSION,
    MINHASH_SEED,
    NUM_PERM,
    SHINGLE_SIZE,
    WINDOW_DIVISOR,
    Fingerprint,
    band_keys,
    fingerprints,
    fmix64,
    shared_mask,
)

# --- thresholds -------------------------------------------------------------------
# Calibrated on the seeds and on newsmon/data/dedupe_eval (see its README), with
# the numbers each was set against.

#: Jaccard at which two texts are the same text. Copies differing in spacing,
#: width or punctuation only share the normalised-text key and are duplicates
#: whatever their Jaccard; a copy with a changed dateline measures 0.98-0.99;
#: IT之家's reprint of the notice with a four-paragraph lead of its own measures
#: 0.94 and is a reprint.
DUPLICATE_JACCARD = 0.97
#: share of the smaller text found in the larger for a (partial) reprint. Reprints
#: measure 0.85-1.0 (heavily edited ones 0.8), the one-plan reprint 0.98 in the
#: notice; commentary measures 0.25-0.42, the draft's explanatory note 0.16.
REPRINT_CONTAINMENT = 0.6
#: the smaller text must have this share of the larger's shingles to be a
#: reprint rather than a partial one: the one-plan reprint has 0.35 of the notice,
#: truncated reprints keep 0.55 and more.
REPRINT_SIZE_SHARE = 0.5
#: containment from which shared text is commentary or background. The
#: commentary on the press conference shares 0.27 with the plans, the
#: explanatory note 0.16, unrelated articles on the same topic at most 0.02.
WEAK_CONTAINMENT = 0.10
#: shared shingles a commentary link needs at the least (~45 characters)
WEAK_MIN_SHARED = 40
#: paragraphs (segments) of the smaller text sharing text with the other a
#: commentary link needs; a paragraph counts with at least SEGMENT_MIN_SHARED shared
#: shingles making at least SEGMENT_MIN_SHARE of it. Commentary shares 20-60% of
#: 3-9 of its paragraphs; boilerplate is one or two paragraphs (a header, a
#: disclaimer), and the common words two unrelated texts share make up a few
#: percent of any paragraph (none of 12,798 cross-group candidate pairs of the
#: benchmark corpus passes, 94 would with any 8 shared shingles per paragraph)
WEAK_MIN_SEGMENTS = 3
SEGMENT_MIN_SHARED = 8
SEGMENT_MIN_SHARE = 0.2
#: the score of a citation link (textual links score their containment)
CITATION_SCORE = 0.5
#: a citation counts when it is in the title or in this many first characters
CITATION_LEAD_CHARS = 500
#: shortest title key that can link records (《通知》 cannot)
MIN_TITLE_KEY_CHARS = 8
#: key groups larger than this compare their members with the hubs only
KEY_GROUP_CAP = 64
KEY_GROUP_HUBS = 3
#: anchor groups larger than this are common phrases and are ignored
ANCHOR_GROUP_CAP = 32
#: anchor groups up to this size (and above ANCHOR_GROUP_CAP) compare their
#: members with the hubs: the phrases of a story reprinted by hundreds of sites;
#: larger anchor groups are phrases everybody uses
ANCHOR_HUB_CAP = 1024
#: anchors two records must share to be compared (1/16 sampling: 40 shared
#: shingles give 2.5 anchors on average, the commentary on the plans 20); an
#: anchor shared through a hub of a large group counts half (in the benchmark
#: corpus, counting it whole made 3 in 4 comparisons a long hub and a text
#: sharing two common phrases with it)
MIN_SHARED_ANCHORS = 2
#: a paragraph of R is covered by a quote when this share of its shingles is
SEGMENT_COVERED_SHARE = 0.5
#: novelty of the k-th report: 100 * NOVELTY_DECAY ** k (100, 75, 56, 42, ...)
NOVELTY_DECAY = 0.75
#: a paragraph found in this many stored records (by its line key), or of one
#: shape with other numbers or titles in that many (its slot key), is template
#: text: a cover letter (各区人民政府，市政府各委、办、局：), a standard section,
#: site boilerplate, a flash of one template. The shingles of the smaller text's
#: template paragraphs are set aside before containment is measured, so two
#: notices sharing only their cover letter share nothing that counts. Set above
#: the copies one story has in the evaluation set's stories (at most 6 sharing
#: a paragraph; the seeds' plans appear in 5 records of the demo) and below the
#: 8-16 notices, plans and flashes sharing one template there.
TEMPLATE_MIN_DF = 7
#: share of a text's shingles outside recurring paragraphs from which it has
#: content of its own. Measured on the evaluation set: plans of one template
#: 0.44-0.66 (their own measures); reprints of widely carried stories with a lead,
#: dateline or footer of their own 0.09-0.13 (the Jilin reprint's lead 0.11, the
#: forex reprint's dateline and disclaimer 0.13); cover-letter pages and the
#: variants of a story carried 20 times 0-0.03.
TEMPLATE_OWN_SHARE = 0.25
#: a recurring paragraph with fewer shingles than this (about 40 characters) is
#: template even in a widely reprinted text
TEMPLATE_LONG_LINE = 36

RELATIONS = ("duplicate", "reprint", "partial_reprint", "commentary", "related", "attachment")
STRONG_RELATIONS = frozenset({"duplicate", "reprint", "partial_reprint", "attachment"})
ROLES = ("origin", "reprint", "partial_reprint", "commentary", "related", "attachment")
#: the URL of a document file (an attachment of a notice page)
FILE_URL = re.compile(r"\.(pdf|docx?|wps|ofd|xlsx?|et)(?:[?#]|$)", re.I)
OFFICIAL_SITES = frozenset({"gov_cn", "shanghai_gov", "government"})
DOCUMENT_KINDS = frozenset({"document", "attachment"})
#: a declared source (来源) that names a government body; any other source on a
#: government site (来源：新华社, 内蒙古日报) makes the page a reprint, not an origin
GOVERNMENT_SOURCE = re.compile(
    r"政府|国务院|办公厅|办公室|委员会|[委部局厅署办]$|[委部局厅署办](网站|网)$"
)

_SIGNATURE_MAGIC = b"NMSG"
_SIGNATURE_VERSION = 1
#: names what a stored signature was made with (for a ``scheme`` column); a stored
#: signature of another scheme is recomputed from the text by ``from_signatures``
SIGNATURE_SCHEME = (
    f"newsmon-{_SIGNATURE_VERSION}.{FINGERPRINT_VERSION}:chars{SHINGLE_SIZE}"
    f":minhash-affine32-{NUM_PERM}-seed{MINHASH_SEED}:windows{WINDOW_DIVISOR}"
)
_K_URL, _K_HASH, _K_TEXT, _K_BAND, _K_ANCHOR, _K_LINE, _K_SLOT = 1, 2, 3, 4, 5, 6, 7
_LOW60 = np.uint64((1 << 60) - 1)
_TITLE_RE = re.compile(r"《([^《》\n]{2,100})》")
_DOC_NUMBER_RE = re.compile(
    r"([\u4e00-\u9fff]{2,12})\s*[〔\[［【(（]\s*(\d{4})\s*[〕\]］】)）]\s*第?\s*(\d{1,5})\s*号"
)
_TITLE_END = re.compile(
    r"(方案|办法|规定|意见|通知|决定|规划|细则|条例|纲要|计划|措施|指引|公告|通告|决议|报告|说明|批复|函)$"
)
_PAREN_LINE = re.compile(r"^（[^（）]{1,30}）$")
_TRAILING_PAREN = re.compile(r"(（[^（）]*）)+$")


# --- keys for citations --------------------------------------------------------------


def title_key(title: str) -> str | None:
    """The key of a document title: ``normalize_title`` without 关于, None if too short."""
    key = normalize_title(title or "").replace("关于", "")
    return key if len(key) >= MIN_TITLE_KEY_CHARS else None


def _title_keys_with_short_form(title: str) -> set[str]:
    """A title's key and, if it ends in parentheses (（2022—2025年）), the key without them."""
    keys = set()
    key = title_key(title)
    if key:
        keys.add(key)
        bare = _TRAILING_PAREN.sub("", key)
        if bare != key and len(bare) >= MIN_TITLE_KEY_CHARS:
            keys.add(bare)
    return keys


def doc_number_keys(text: str, *, exact: bool) -> list[str]:
    """Document numbers in a text, as keys. ``exact``: the number as written (an
    owner's own number); otherwise every prefix length from two characters, since
    where a number's issuer code starts in running text is unknown
    (现将沪府办发〔2022〕12号 gives 发〔2022〕12号 ... 现将沪府办发〔2022〕12号)."""
    keys: list[str] = []
    if not text or "号" not in text:
        return keys
    folded = unicodedata.normalize("NFKC", text)
    for m in _DOC_NUMBER_RE.finditer(folded):
        prefix, year, number = m.group(1), m.group(2), str(int(m.group(3)))
        tail = f"〔{year}〕{number}号"
        if exact:
            keys.append("n:" + prefix + tail)
        else:
            keys.extend("n:" + prefix[-k:] + tail for k in range(2, len(prefix) + 1))
    return keys


def _url_key(url: str | None) -> str | None:
    if not url:
        return None
    u = url.strip()
    u = re.sub(r"^[a-z][a-z0-9+.-]*://", "", u, flags=re.I)
    u = u.split("#", 1)[0].rstrip("/")
    host, _, rest = u.partition("/")
    host = host.lower().removeprefix("www.")
    return "u:" + host + ("/" + rest if rest else "")


@dataclass(frozen=True)
class TextCitations:
    """What a text cites and which titles it contains, with positions reduced to
    whether they are in the lead. Stored with the signature."""

    lead_titles: frozenset[str] = frozenset()
    all_titles: frozenset[str] = frozenset()
    lead_numbers: frozenset[str] = frozenset()
    headings: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, list[str]]:
        return {
            "lead_titles": sorted(self.lead_titles),
            "all_titles": sorted(self.all_titles),
            "lead_numbers": sorted(self.lead_numbers),
            "headings": sorted(self.headings),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TextCitations:
        return cls(**{k: frozenset(data.get(k, ())) for k in cls.__dataclass_fields__})


def text_citations(text: str) -> TextCitations:
    """Titles and document numbers cited in a display text, and its title lines."""
    text = text or ""
    lead_titles, all_titles = set(), set()
    for m in _TITLE_RE.finditer(text):
        key = title_key(m.group(1))
        if key:
            all_titles.add(key)
            if m.start() < CITATION_LEAD_CHARS:
                lead_titles.add(key)
    lead_numbers = set(doc_number_keys(text[:CITATION_LEAD_CHARS], exact=False))
    headings: set[str] = set()
    lines = [ln.strip() for ln in text.split("\n")]
    for i, line in enumerate(lines):
        if not line or len(line) > 80 or not _TITLE_END.search(_TRAILING_PAREN.sub("", line)):
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        title = line + nxt if _PAREN_LINE.match(nxt) else line
        headings |= _title_keys_with_short_form(title)
    return TextCitations(
        frozenset(lead_titles), frozenset(all_titles), frozenset(lead_numbers), frozenset(headings)
    )


# --- signatures ----------------------------------------------------------------------


def _signature_bytes(fp: Fingerprint, cites: TextCitations) -> bytes:
    body = fp.to_bytes()
    tail = json.dumps(cites.to_json(), ensure_ascii=False, sort_keys=True).encode("utf-8")
    return b"".join(
        [_SIGNATURE_MAGIC, struct.pack("<BI", _SIGNATURE_VERSION, len(body)), body, tail]
    )


def _parse_signature(blob: bytes) -> tuple[Fingerprint, TextCitations]:
    if blob[:4] != _SIGNATURE_MAGIC:
        raise ValueError("not a newsmon signature")
    version, n = struct.unpack_from("<BI", blob, 4)
    if version != _SIGNATURE_VERSION:
        raise ValueError("signature of another version")
    start = 4 + struct.calcsize("<BI")
    fp = Fingerprint.from_bytes(bytes(blob[start : start + n]))
    cites = TextCitations.from_json(json.loads(bytes(blob[start + n :]).decode("utf-8")))
    return fp, cites


def record_signatures(records: Iterable[Mapping[str, Any]]) -> dict[str, bytes]:
    """Signature bytes per record id, as ``StoryIndex.signature`` gives them."""
    records = list(records)
    texts = [r.get("text") or "" for r in records]
    fps = fingerprints(texts)
    return {
        str(r["id"]): _signature_bytes(fp, text_citations(t))
        for r, fp, t in zip(records, fps, texts, strict=True)
    }


# --- records -------------------------------------------------------------------------


def _iso_utc(value: Any) -> str | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value).strip().replace(" ", "T"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash60(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()) & (
        (1 << 60) - 1
    )


@dataclass(eq=False)
class _Item:
    idx: int
    id: str
    site: str
    kind: str
    official: bool
    time: str | None  # published_at, ISO UTC
    rank: tuple
    urls: frozenset[str]
    canonical: str | None  # canonical URL, else URL
    content_hash: str | None
    title: str
    url: str | None  # as given
    origin_urls: tuple[str, ...]  # as given
    origin_links: frozenset[str]
    is_file: bool  # a PDF, DOC, DOCX or WPS file: kind attachment, or a file URL
    outlet: str  # who published it: reach counts outlets
    outlet_name: str
    source_outlet: str | None  # the outlet its declared source (来源) names
    doc_number: str | None
    own_keys: frozenset[str]
    cited_keys: frozenset[str]
    fp: Fingerprint
    cites: TextCitations
    keys: np.ndarray
    state: tuple
    n_shingles: int = 0


def _rank(kind: str, time: str | None, official: bool, n_shingles: int, rid: str) -> tuple:
    """Order of precedence: undated documents, then by time (published_at, else the
    document date), official before media, longer before shorter, then id;
    undated media articles last."""
    if time is None:
        bucket = 0 if kind in DOCUMENT_KINDS else 2
    else:
        bucket = 1
    return (bucket, time or "", 0 if official else 1, -n_shingles, rid)


def _make_items(
    records: list[Mapping[str, Any]], parsed: list[tuple[Fingerprint, TextCitations]]
) -> list[_Item]:
    """Items of a batch; band and anchor keys are hashed for the whole batch at once."""
    if not records:
        return []  # np.split of an empty batch still gives one (empty) piece
    fps = [fp for fp, _ in parsed]
    windows = [fp.windows for fp in fps]
    bands = band_keys(np.concatenate(windows)) if fps else np.zeros((0, 0), np.uint64)
    bands = (bands & _LOW60) | np.uint64(_K_BAND << 60)
    band_split = np.cumsum([w.shape[0] for w in windows])[:-1]
    anchors = [fp.anchors() for fp in fps]
    anchor_keys = np.concatenate(anchors).astype(np.uint64) if fps else np.zeros(0, np.uint64)
    anchor_keys = (fmix64(anchor_keys) & _LOW60) | np.uint64(_K_ANCHOR << 60)
    anchor_split = np.cumsum([a.size for a in anchors])[:-1]
    return [
        _make_item(record, fp, cites, np.concatenate([b.ravel(), _line_index_keys(fp)]), a)
        for record, (fp, cites), b, a in zip(
            records,
            parsed,
            np.split(bands, band_split),
            np.split(anchor_keys, anchor_split),
            strict=True,
        )
    ]


def _line_index_keys(fp: Fingerprint) -> np.ndarray:
    """The line and slot keys of a text's paragraphs, for the key index."""
    lines = fp.line_keys[fp.line_keys != 0] | np.uint64(_K_LINE << 60)
    slots = fp.slot_keys[fp.slot_keys != 0] | np.uint64(_K_SLOT << 60)
    return np.concatenate([lines, slots]).astype(np.uint64)


def _make_item(
    record: Mapping[str, Any],
    fp: Fingerprint,
    cites: TextCitations,
    bands: np.ndarray,
    anchors: np.ndarray,
) -> _Item:
    rid = str(record["id"])
    site = record.get("site") or "unknown"
    kind = record.get("kind") or "article"
    declared = (record.get("source") or "").strip()
    official = kind in DOCUMENT_KINDS or (
        site in OFFICIAL_SITES and (not declared or bool(GOVERNMENT_SOURCE.search(declared)))
    )
    time = _iso_utc(record.get("published_at"))
    doc_date = record.get("document_date")
    rank_time = time or (f"{doc_date}T00:00:00Z" if doc_date else None)
    url = _url_key(record.get("url"))
    canonical = _url_key(record.get("canonical_url")) or url
    urls = frozenset(u for u in (url, canonical) if u)
    origin_links = frozenset(filter(None, (_url_key(u) for u in record.get("origin_links") or ())))
    title = record.get("title") or ""

    own: set[str] = set(urls)
    if official:
        own |= {"t:" + k for k in _title_keys_with_short_form(title)}
        own |= {"t:" + k for k in cites.headings}
        own |= set(doc_number_keys(record.get("doc_number") or "", exact=True))
    cited: set[str] = set(origin_links)
    # one document in several files: the page owns its id and its attachments' URLs,
    # a file cites its parent page and its own URL
    is_file = kind == "attachment" or bool(FILE_URL.search(record.get("url") or ""))
    own.add("f:" + rid)
    if official:
        own |= {"f:" + k for k in (_url_key(u) for u in record.get("attachments") or ()) if k}
    if record.get("parent_id"):
        cited.add("f:" + str(record["parent_id"]))
    if is_file:
        cited |= {"f:" + u for u in urls}
    given = {k for k in (title_key(t) for t in record.get("cited_titles") or ()) if k}
    in_title = {k for k in (title_key(m) for m in _TITLE_RE.findall(title)) if k}
    # a title the parser found counts if it is cited in the lead, or not in the text
    # at all (then the parser saw it elsewhere on the page)
    lead = cites.lead_titles | in_title | {k for k in given if k not in cites.all_titles}
    cited |= {"t:" + k for k in lead}
    cited |= cites.lead_numbers | set(doc_number_keys(title, exact=False))

    keys: list[int] = []
    if canonical:
        keys.append((_K_URL << 60) | _hash60(canonical))
    if record.get("content_hash"):
        keys.append((_K_HASH << 60) | _hash60(str(record["content_hash"])))
    if fp.key:
        keys.append((_K_TEXT << 60) | (int.from_bytes(fp.key[:8]) & ((1 << 60) - 1)))
    arr = [np.asarray(keys, dtype=np.uint64), bands, anchors]
    state = (
        site,
        kind,
        title,
        time,
        doc_date,
        record.get("source"),
        record.get("url"),
        record.get("canonical_url"),
        record.get("content_hash"),
        tuple(record.get("origin_links") or ()),
        tuple(record.get("cited_titles") or ()),
        record.get("doc_number"),
        record.get("parent_id"),
        tuple(record.get("attachments") or ()),
        record.get("outlet"),
        record.get("outlet_name"),
        record.get("source_outlet"),
        fp.key,
        fp.length,
    )
    n = int(fp.shingles.size)
    return _Item(
        idx=-1,
        id=rid,
        site=site,
        kind=kind,
        official=official,
        time=time,
        rank=_rank(kind, rank_time, official, n, rid),
        urls=urls,
        canonical=canonical,
        content_hash=record.get("content_hash") or None,
        title=title,
        url=record.get("url") or record.get("canonical_url") or None,
        origin_urls=tuple(record.get("origin_links") or ()),
        origin_links=origin_links,
        is_file=is_file,
        outlet=record.get("outlet") or site,
        outlet_name=record.get("outlet_name") or record.get("outlet") or site,
        source_outlet=record.get("source_outlet") or None,
        doc_number=record.get("doc_number") or None,
        own_keys=frozenset(own),
        cited_keys=frozenset(cited),
        fp=fp,
        cites=cites,
        keys=np.unique(np.concatenate(arr)),
        state=state,
        n_shingles=n,
    )


# --- edges ---------------------------------------------------------------------------


@dataclass(eq=False)
class _Edge:
    a: int  # source / container
    b: int  # derived / part
    relation: str
    jaccard: float
    containment: float
    score: float
    evidence: str

    @property
    def strong(self) -> bool:
        return self.relation in STRONG_RELATIONS


_NONE, _ALL, _HUBS = 0, 1, 2


def _policies(keys: np.ndarray, size: np.ndarray) -> np.ndarray:
    """How each key group finds pairs: all member pairs, members with the hubs, or none.
    Line and slot keys find no pairs: they count how often a paragraph recurs."""
    kind = keys >> np.uint64(60)
    is_anchor = kind == np.uint64(_K_ANCHOR)
    exact = np.where(size <= KEY_GROUP_CAP, _ALL, _HUBS)
    anchor = np.where(
        size <= ANCHOR_GROUP_CAP, _ALL, np.where(size <= ANCHOR_HUB_CAP, _HUBS, _NONE)
    )
    policy = np.where(size < 2, _NONE, np.where(is_anchor, anchor, exact))
    return np.where(kind >= np.uint64(_K_LINE), _NONE, policy)


def _pair(i: int, j: int) -> int:
    return (min(i, j) << 32) | max(i, j)


def _no_template(_small: _Item, _large: _Item) -> np.ndarray | None:
    return None


def _relate(
    x: _Item,
    y: _Item,
    keep_of: Callable[[_Item, _Item], np.ndarray | None] = _no_template,
) -> _Edge | None:
    """The verified relation between two records, or None. ``keep_of(small, large)``:
    which of the smaller text's shingles count as evidence against the larger (None:
    all; template text does not)."""
    notes: list[str] = []
    exact = []
    if x.canonical and x.canonical == y.canonical:
        exact.append("same canonical URL")
    if x.content_hash and x.content_hash == y.content_hash:
        exact.append("same content hash")
    if x.fp.key and x.fp.key == y.fp.key:
        exact.append("same normalised text")
    small, large = (x, y) if (x.n_shingles, x.id) <= (y.n_shingles, y.id) else (y, x)
    ns, nl = small.n_shingles, large.n_shingles
    shared = 0
    mask = None
    keep = None
    if ns and nl:
        mask = shared_mask(small.fp.shingles, large.fp.shingles)
        all_shared = int(np.count_nonzero(mask))
        jac = all_shared / (ns + nl - all_shared)
        keep = keep_of(small, large)
        if keep is not None:
            mask = mask & keep
            counted = int(np.count_nonzero(keep))
        else:
            counted = ns
        shared = int(np.count_nonzero(mask))
        con = shared / counted if counted else 0.0
    else:
        jac = con = 1.0 if exact else 0.0
    cites_xy = sorted(x.cited_keys & y.own_keys)
    cites_yx = sorted(y.cited_keys & x.own_keys)

    textual = None
    if exact or jac >= DUPLICATE_JACCARD:
        textual = "duplicate"
    elif con >= REPRINT_CONTAINMENT:
        textual = "reprint" if ns >= REPRINT_SIZE_SHARE * nl else "partial_reprint"
    elif con >= WEAK_CONTAINMENT and shared >= WEAK_MIN_SHARED and mask is not None:
        n_seg = small.fp.n_segments
        per_segment = np.bincount(small.fp.segments[mask], minlength=n_seg)
        own = small.fp.segments if keep is None else small.fp.segments[keep]
        of_segment = np.maximum(np.bincount(own, minlength=n_seg), 1)
        counted = (per_segment >= SEGMENT_MIN_SHARED) & (
            per_segment >= SEGMENT_MIN_SHARE * of_segment
        )
        if np.count_nonzero(counted) >= WEAK_MIN_SEGMENTS:
            textual = "weak"
    files = sorted(k for k in (*cites_xy, *cites_yx) if k.startswith("f:"))
    cites_xy = [k for k in cites_xy if not k.startswith("f:")]
    cites_yx = [k for k in cites_yx if not k.startswith("f:")]
    if not files and textual in STRONG_RELATIONS and _same_document(x, y):
        files = ["same text, same document"]
    if textual is None and not cites_xy and not cites_yx and not files:
        return None

    if ns and nl:
        notes.append(f"jaccard {jac:.2f}, containment {con:.2f} ({shared} shared shingles)")
        if keep is not None:
            set_aside = ns - int(np.count_nonzero(keep))
            notes.append(f"{set_aside} template shingles of {small.id} not counted")
    notes.extend(exact)
    for citer, keys in sorted(((x, cites_xy), (y, cites_yx)), key=lambda c: c[0].id):
        if keys:
            notes.append(f"{citer.id} cites " + ", ".join(_show_key(k) for k in keys[:3]))

    if files:
        # the page (else the earlier file) is the document; the other is a file of it
        a, b = sorted((x, y), key=lambda it: (it.is_file, it.rank))
        if any(k.startswith("f:") for k in files):
            notes.append(f"{b.id} is a file of {a.id}")
        else:
            notes.append(f"{b.id} is {a.id} in another file format")
        textual, score = "attachment", 1.0
    elif textual == "partial_reprint":
        a, b = large, small
        score = con
    elif textual in ("duplicate", "reprint"):
        a, b = (x, y) if x.rank <= y.rank else (y, x)
        score = max(con, jac)
    else:
        if cites_xy and not cites_yx:
            a, b = y, x
        elif cites_yx and not cites_xy:
            a, b = x, y
        else:
            a, b = large, small
        score = max(
            con if textual == "weak" else 0.0,
            CITATION_SCORE if (cites_xy or cites_yx) else 0.0,
        )
        textual = "related" if b.official else "commentary"
    return _Edge(
        a=a.idx,
        b=b.idx,
        relation=textual,
        jaccard=round(jac, 4),
        containment=round(con, 4),
        score=round(score, 4),
        evidence="; ".join(notes),
    )


def _same_document(x: _Item, y: _Item) -> bool:
    """Two official records, one of them a file, with the same text and issuer: the
    notice page and its PDF, or the PDF and the DOC, found apart."""
    if not (x.is_file or y.is_file) or not (x.official and y.official):
        return False
    if x.doc_number and x.doc_number == y.doc_number:
        return True
    hx, hy = (it.canonical.partition("/")[0] if it.canonical else None for it in (x, y))
    if hx and hx == hy:
        return True
    tx, ty = title_key(x.title), title_key(y.title)
    return bool(tx and tx == ty)


def _show_key(key: str) -> str:
    kind, _, value = key.partition(":")
    if kind == "t":
        return f"《{value}》"
    if kind == "n":
        return value
    return "link to " + value


@dataclass(frozen=True)
class _Profile:
    """A record's paragraphs as the store sees them (see ``TEMPLATE_MIN_DF``)."""

    line_of: np.ndarray  # paragraph of each distinct shingle
    recurring: np.ndarray  # per paragraph: its text is in TEMPLATE_MIN_DF records or more
    slot_recurring: np.ndarray  # per paragraph: its shape is, with other slots
    short: np.ndarray  # per paragraph: fewer than TEMPLATE_LONG_LINE shingles
    own: float  # share of the shingles in paragraphs that do not recur


def _line_profile(fp: Fingerprint, line_df: np.ndarray, slot_df: np.ndarray) -> _Profile:
    """The profile of a text from the document frequencies of its paragraphs."""
    recurring = line_df >= TEMPLATE_MIN_DF
    slot_recurring = (slot_df >= TEMPLATE_MIN_DF) & ~recurring
    line_of = np.minimum(fp.segment_lines, fp.line_keys.size - 1)[fp.segments]
    short = np.bincount(line_of, minlength=fp.line_keys.size) < TEMPLATE_LONG_LINE
    mine = ~(recurring | slot_recurring)[line_of]
    own = float(np.count_nonzero(mine)) / max(int(line_of.size), 1)
    return _Profile(line_of, recurring, slot_recurring, short, own)


def _pair_keep(
    small: Fingerprint, large: Fingerprint, profile: _Profile, large_own: float
) -> np.ndarray | None:
    """The smaller text's shingles that count as evidence against the larger."""
    recurring, slot_recurring = profile.recurring, profile.slot_recurring
    sibling = None
    same_line = None
    if slot_recurring.any() or (small.slot_keys.any() and large.slot_keys.any()):
        # a few paragraphs each: sets are faster than numpy here
        large_lines = set(large.line_keys.tolist())
        large_slots = set(large.slot_keys.tolist()) - {0}
        lines, slots = small.line_keys.tolist(), small.slot_keys.tolist()
        same_line = np.array([k != 0 and k in large_lines for k in lines], dtype=bool)
        sibling = np.array(
            [
                s != 0 and s in large_slots and not same
                for s, same in zip(slots, same_line, strict=True)
            ],
            dtype=bool,
        )
    if not recurring.any() and not slot_recurring.any() and (sibling is None or not sibling.any()):
        return None
    template = recurring | (slot_recurring & ~same_line) if same_line is not None else recurring
    if profile.own >= TEMPLATE_OWN_SHARE and large_own >= TEMPLATE_OWN_SHARE:
        aside = template
    else:
        aside = template & profile.short
    if sibling is not None and sibling.any():
        aside = aside | sibling | profile.short
    if not aside.any():
        return None
    return ~aside[profile.line_of]


# --- the index -----------------------------------------------------------------------


@dataclass
class _Story:
    story_id: str
    members: list[int]
    info: dict[str, Any] = field(default_factory=dict)


#: hub order: longer texts first (lengths capped at this many shingles), then a hash
#: of the id -- an order that is a function of the record alone
_HUB_LENGTH_CAP = (1 << 21) - 1


def _hub_key(n_shingles: int, rid: str) -> int:
    """The position of a record in the order a key group's hubs are taken in, as one
    integer (smaller first): longer text first, then by a 42-bit hash of its id."""
    digest = hashlib.blake2b(rid.encode("utf-8"), digest_size=8, person=b"newsmon-hub").digest()
    length = _HUB_LENGTH_CAP - min(n_shingles, _HUB_LENGTH_CAP)
    return (length << 42) | (int.from_bytes(digest) >> 22)


def _leftover_item(
    idx: int, rid: str, keys: np.ndarray, own: Iterable[str], cited: Iterable[str]
) -> _Item:
    """What is still indexed of a record whose article is gone: enough to take it out."""
    empty = Fingerprint(
        length=0,
        key=b"",
        shingles=np.zeros(0, np.uint32),
        segments=np.zeros(0, np.uint16),
        n_segments=0,
        windows=np.zeros((0, NUM_PERM), np.uint32),
    )
    return _Item(
        idx=idx,
        id=rid,
        site="unknown",
        kind="article",
        official=False,
        time=None,
        rank=(3, "", 1, 0, rid),
        urls=frozenset(),
        canonical=None,
        content_hash=None,
        title="",
        url=None,
        origin_urls=(),
        origin_links=frozenset(),
        is_file=False,
        outlet="unknown",
        outlet_name="unknown",
        source_outlet=None,
        doc_number=None,
        own_keys=frozenset(own),
        cited_keys=frozenset(cited),
        fp=empty,
        cites=TextCitations(),
        keys=np.unique(np.asarray(keys, dtype=np.uint64)),
        state=(),
    )


class MemoryKeyIndex:
    """The key index in memory: every key of every record with its owner, sorted, and
    each owner's hub key. ``analysis.stories`` reads any key index through these
    methods; a stored one (``newsmon.db.stories``) has the same."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, dtype=np.uint64)
        self._owners = np.zeros(0, dtype=np.int64)
        self._hub = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return int(self._keys.size)

    def sizes(self, keys: np.ndarray) -> np.ndarray:
        """How many records hold each key."""
        keys = np.asarray(keys, dtype=np.uint64)
        return np.searchsorted(self._keys, keys, side="right") - np.searchsorted(
            self._keys, keys, side="left"
        )

    def members(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The owners of each key, as one array and the start of each key's part in it
        (``len(keys) + 1`` offsets)."""
        keys = np.asarray(keys, dtype=np.uint64)
        lo = np.searchsorted(self._keys, keys, side="left")
        size = np.searchsorted(self._keys, keys, side="right") - lo
        starts = np.zeros(keys.size + 1, dtype=np.int64)
        np.cumsum(size, out=starts[1:])
        pos = np.repeat(lo - starts[:-1], size) + np.arange(starts[-1])
        return self._owners[pos], starts

    def insert(self, keys: np.ndarray, owners: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        keys, owners = keys[order], owners[order].astype(np.int64)
        if self._keys.size:
            pos = np.searchsorted(self._keys, keys, side="right")
            self._keys = np.insert(self._keys, pos, keys)
            self._owners = np.insert(self._owners, pos, owners)
        else:
            self._keys, self._owners = keys, owners

    def delete(self, keys: np.ndarray, owners: np.ndarray) -> None:
        """Take out the entries (key, owner) of records being removed."""
        gone = np.isin(self._owners, np.unique(owners))
        self._keys, self._owners = self._keys[~gone], self._owners[~gone]

    def hub_keys(self, handles: np.ndarray) -> np.ndarray:
        return self._hub[np.asarray(handles, dtype=np.int64)]

    def set_hub_keys(self, handles: np.ndarray, values: np.ndarray) -> None:
        handles = np.asarray(handles, dtype=np.int64)
        if handles.size and handles.max() >= self._hub.size:
            grown = np.full(int(handles.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
            grown[: self._hub.size] = self._hub
            self._hub = grown
        self._hub[handles] = values


@dataclass
class StoredIndex:
    """What a StoryIndex over stored records reads, as callables: the caller does the
    reading (``newsmon.pipeline.update_stories`` with ``newsmon.db.stories``).

    - ``key_index``: the key index (``MemoryKeyIndex``'s methods), already holding
      every stored record's keys and hub keys;
    - ``next_handle``: the first handle not used yet (handles are never reused);
    - ``handles(ids)``: {record id: handle} of the stored records among ``ids``;
    - ``records(handles)``: [(handle, record, signature bytes)], records as
      ``StoryIndex.add`` takes them (no text needed);
    - ``citations(keys)``: {key: (owner handles, citing handles)};
    - ``relations(handles)``: the stored relations with either end among the
      handles, as dicts with ``a`` and ``b`` handles and the relation's fields;
    - ``story_of(handles)``: {handle: story id};
    - ``story_members(story_id)``: the handles of a stored story's members;
    - ``leftovers(handle)``: (keys, owned citation keys, cited ones) still indexed for a
      record whose article and signature are gone.
    """

    key_index: Any
    next_handle: int
    handles: Callable[[list[str]], Mapping[str, int]]
    records: Callable[[list[int]], Iterable[tuple[int, Mapping[str, Any], bytes]]]
    citations: Callable[[list[str]], Mapping[str, tuple[list[int], list[int]]]]
    relations: Callable[[list[int]], Iterable[Mapping[str, Any]]]
    story_of: Callable[[list[int]], Mapping[int, str]]
    story_members: Callable[[str], Iterable[int]] | None = None
    leftovers: Callable[[int], tuple[np.ndarray, list[str], list[str]]] | None = None


class _Lazy(dict):
    """A dict that fetches missing entries through ``load(keys) -> {key: value}``."""

    def __init__(self, load: Callable[[list], Mapping] | None, default: Any = None) -> None:
        super().__init__()
        self._load = load
        self._default = default

    def prefetch(self, keys: Iterable) -> None:
        if self._load is None:
            return
        todo = [k for k in keys if not dict.__contains__(self, k)]
        if todo:
            found = self._load(todo)
            for k in todo:
                dict.__setitem__(self, k, found.get(k, self._default_value()))

    def _default_value(self) -> Any:
        return self._default() if callable(self._default) else self._default

    def __missing__(self, key: Any) -> Any:
        if self._load is None:
            if self._default is None:
                raise KeyError(key)
            value = self._default_value()
            dict.__setitem__(self, key, value)
            return value
        value = self._load([key]).get(key, self._default_value())
        dict.__setitem__(self, key, value)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key) or self._load is not None:
            value = self[key]
            return default if value is None else value
        return default


class StoryIndex:
    """Records, their verified relations and the stories they form, updated in place.

    ``add`` compares new records with the index through shared keys only;
    ``stories``, ``relations`` and ``roles`` recompute the stories touched since
    the last call.

    In memory by default. Over stored records (``StoredIndex``), it reads only what
    an update touches -- the key groups of the new records, the records and
    relations they meet, the components they change -- and ``changes()`` says
    what to store: the new records, the relations put and dropped, the stories
    made again (ids derived from their smallest member id, so an untouched story
    keeps its id, tags and reactions) and the ones gone.
    """

    def __init__(self, stored: StoredIndex | None = None) -> None:
        self._stored = stored
        if stored is None:
            self._keys: Any = MemoryKeyIndex()
            self._next = 0
        else:
            self._keys = stored.key_index
            self._next = stored.next_handle
        self._items: _Lazy = _Lazy(self._load_items if stored else None)
        self._by_id: _Lazy = _Lazy(stored.handles if stored else None)
        self._owners_of: _Lazy = _Lazy(self._load_owners if stored else None, list)
        self._citers_of: _Lazy = _Lazy(self._load_citers if stored else None, list)
        self._edges: dict[int, _Edge] = {}
        self._adj: _Lazy = _Lazy(self._load_adjacency if stored else None, set)
        self._dirty: set[int] = set()
        self._story_of: _Lazy = _Lazy(stored.story_of if stored else None)
        self._stories: dict[str, _Story] = {}
        self._roles: dict[int, tuple[str, int | None, float]] = {}
        #: which paragraphs of each record recur, while the line groups do not change
        self._profiles: dict[int, _Profile | None] = {}
        # what changed, for a stored index
        self._new: list[int] = []
        self._removed: list[tuple[int, str]] = []
        self._edge_changes: set[int] = set()
        self._stories_gone: set[str] = set()
        self._stories_made: set[str] = set()

    # -- public ---------------------------------------------------------------------

    def __len__(self) -> int:
        return sum(1 for v in self._by_id.values() if v is not None)

    def __contains__(self, record_id: object) -> bool:
        return self._by_id.get(record_id) is not None

    def add(self, records: Iterable[Mapping[str, Any]]) -> list[str]:
        """Add or update records; returns the ids of the records that were new or changed."""
        return self._add(list(records), {})

    def add_with_signatures(
        self, records: Iterable[Mapping[str, Any]], signatures: Mapping[str, bytes]
    ) -> list[str]:
        """``add``, taking the fingerprints of records from their stored signatures
        where usable (a record without one is fingerprinted from its text)."""
        return self._add(list(records), signatures)

    def remove(self, record_ids: Iterable[str]) -> list[str]:
        """Take records out; returns the ids of those that were in the index."""
        record_ids = list(record_ids)
        self._by_id.prefetch(record_ids)
        out = []
        for rid in record_ids:
            idx = self._by_id.get(rid)
            if idx is None:
                continue
            if self._items.get(idx) is None and self._stored and self._stored.leftovers:
                # the article and its signature are gone: what is still indexed of it
                keys, own, cited = self._stored.leftovers(idx)
                self._items[idx] = _leftover_item(idx, rid, keys, own, cited)
            if self._items.get(idx) is not None:
                self._remove(idx)
                out.append(rid)
        return out

    @property
    def next_handle(self) -> int:
        """The handle the next new record gets (handles are never reused)."""
        return self._next

    @classmethod
    def from_signatures(
        cls, records: Iterable[Mapping[str, Any]], signatures: Mapping[str, bytes]
    ) -> StoryIndex:
        """An index of records whose signatures were stored (``signature``); a
        record without a usable signature is fingerprinted from its text."""
        index = cls()
        index._add(list(records), signatures)
        return index

    def signature(self, record_id: str) -> bytes:
        """The bytes to store for a record: shingles, window signatures, citations."""
        item = self._item(record_id)
        return _signature_bytes(item.fp, item.cites)

    def stories(self) -> list[dict[str, Any]]:
        """One dict per story, by story id (over stored records: the stories made
        again since the index was opened)."""
        self._refresh()
        return [dict(self._stories[k].info) for k in sorted(self._stories)]

    def relations(self) -> list[dict[str, Any]]:
        """Every verified relation: a, b, relation, jaccard, containment, score, evidence."""
        return [self._relation_row(self._edges[c]) for c in sorted(self._edges, key=self._pair_ids)]

    def roles(self) -> dict[str, dict[str, Any]]:
        """Per record id: story_id, role, novelty (100, 75, 56, ... or None) and score
        (of the relation that gave the role; 1.0 for the origin), outlet, outlet_name
        and source_outlet (the outlet its declared 来源 names, or None)."""
        self._refresh()
        out = {}
        for idx in sorted(self._roles, key=lambda i: self._items[i].id):
            out[self._items[idx].id] = self._role_row(idx)
        return out

    def changes(self) -> dict[str, Any]:
        """What an update changed, to store: ``records`` (new ones: handle, id, hub key,
        signature, citation keys), ``removed`` (handles and ids of records taken out),
        ``relations`` (put: rows with ids) and ``dropped_relations`` (pairs of ids),
        the same by handle as ``edges`` (a, b, relation, jaccard, containment, score)
        and ``dropped_edges`` (pairs of handles),
        ``stories`` (made again, as ``stories()`` gives them), ``roles`` (of their
        members, as ``roles()``), ``stories_gone`` (ids of stories that no longer
        exist) and ``touched_stories`` (made again or gone, sorted)."""
        self._refresh()
        records = []
        for idx in self._new:
            item = self._items.get(idx)
            if item is None:
                continue
            records.append(
                {
                    "handle": idx,
                    "article_id": item.id,
                    "hub": _hub_key(item.n_shingles, item.id),
                    "n_shingles": item.n_shingles,
                    "signature": _signature_bytes(item.fp, item.cites),
                    "own_keys": sorted(item.own_keys),
                    "cited_keys": sorted(item.cited_keys),
                }
            )
        put, dropped, edges, edges_gone = [], [], [], []
        for code in sorted(self._edge_changes):
            if code in self._edges:
                e = self._edges[code]
                put.append(self._relation_row(e))
                edges.append((e.a, e.b, e.relation, e.jaccard, e.containment, e.score))
            else:
                edges_gone.append((code >> 32, code & 0xFFFFFFFF))
                a, b = (self._items.get(code >> 32), self._items.get(code & 0xFFFFFFFF))
                ids = [it.id for it in (a, b) if it is not None]
                ids += [rid for h, rid in self._removed if h in (code >> 32, code & 0xFFFFFFFF)]
                if len(ids) == 2:
                    dropped.append(tuple(sorted(ids)))
        made = sorted(self._stories_made & self._stories.keys())
        roles = {}
        for sid in made:
            for idx in sorted(self._stories[sid].members, key=lambda i: self._items[i].id):
                roles[self._items[idx].id] = self._role_row(idx)
        gone = sorted(self._stories_gone - set(made))
        return {
            "records": records,
            "removed": [{"handle": h, "article_id": rid} for h, rid in self._removed],
            "relations": put,
            "dropped_relations": sorted(set(dropped)),
            "edges": edges,
            "dropped_edges": edges_gone,
            "stories": [dict(self._stories[sid].info) for sid in made],
            "roles": roles,
            "stories_gone": gone,
            "touched_stories": sorted({*made, *gone}),
        }

    # -- rows -----------------------------------------------------------------------

    def _relation_row(self, e: _Edge) -> dict[str, Any]:
        return {
            "a": self._items[e.a].id,
            "b": self._items[e.b].id,
            "relation": e.relation,
            "jaccard": e.jaccard,
            "containment": e.containment,
            "score": e.score,
            "evidence": e.evidence,
        }

    def _role_row(self, idx: int) -> dict[str, Any]:
        role, novelty, score = self._roles[idx]
        item = self._items[idx]
        return {
            "story_id": self._story_of[idx],
            "role": role,
            "novelty": novelty,
            "score": score,
            "outlet": item.outlet,
            "outlet_name": item.outlet_name,
            "source_outlet": item.source_outlet,
        }

    # -- loading (a stored index) -----------------------------------------------------

    def _load_items(self, handles: list[int]) -> dict[int, _Item]:
        rows = list(self._stored.records(list(handles)))
        records = [dict(r) for _h, r, _b in rows]
        parsed = []
        for (_h, _record, blob), rec in zip(rows, records, strict=True):
            try:
                parsed.append(_parse_signature(blob))
            except (ValueError, struct.error, json.JSONDecodeError, TypeError):
                text = rec.get("text") or ""
                parsed.append((fingerprints([text])[0], text_citations(text)))
        out = {}
        for (h, _r, _b), item in zip(rows, _make_items(records, parsed), strict=True):
            item.idx = h
            out[h] = item
        return out

    def _load_owners(self, keys: list[str]) -> dict[str, list[int]]:
        return {k: list(v[0]) for k, v in self._stored.citations(keys).items()}

    def _load_citers(self, keys: list[str]) -> dict[str, list[int]]:
        return {k: list(v[1]) for k, v in self._stored.citations(keys).items()}

    def _load_adjacency(self, handles: list[int]) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {h: set() for h in handles}
        for r in self._stored.relations(list(handles)):
            a, b = int(r["a"]), int(r["b"])
            code = _pair(a, b)
            if code in self._edge_changes:
                continue  # verified or dropped since: what is in memory is current
            self._edges.setdefault(
                code,
                _Edge(
                    a=a,
                    b=b,
                    relation=r["relation"],
                    jaccard=r["jaccard"],
                    containment=r["containment"],
                    score=r["score"],
                    evidence=r["evidence"],
                ),
            )
            for x, y in ((a, b), (b, a)):
                if x in out:
                    out[x].add(y)
                elif dict.__contains__(self._adj, x):
                    dict.__getitem__(self._adj, x).add(y)
        return out

    # -- adding ---------------------------------------------------------------------

    def _item(self, record_id: str) -> _Item:
        item = self._items[self._by_id[record_id]]
        assert item is not None
        return item

    def _pair_ids(self, code: int) -> tuple[str, str]:
        a, b = self._items[code >> 32].id, self._items[code & 0xFFFFFFFF].id
        return (a, b) if a <= b else (b, a)

    def _add(self, records: list[Mapping[str, Any]], signatures: Mapping[str, bytes]) -> list[str]:
        ids = [str(r["id"]) for r in records]
        if len(set(ids)) != len(ids):
            raise ValueError("the same record id twice in one batch")
        parsed: dict[int, tuple[Fingerprint, TextCitations]] = {}
        for i, rid in enumerate(ids):
            blob = signatures.get(rid)
            if blob is not None:
                try:
                    parsed[i] = _parse_signature(blob)
                except (ValueError, struct.error, json.JSONDecodeError):
                    pass
        todo = [i for i in range(len(records)) if i not in parsed]
        texts = [records[i].get("text") or "" for i in todo]
        for i, fp, text in zip(todo, fingerprints(texts), texts, strict=True):
            parsed[i] = (fp, text_citations(text))
        items = _make_items(records, [parsed[i] for i in range(len(records))])

        self._by_id.prefetch(ids)
        self._items.prefetch(h for h in (self._by_id.get(rid) for rid in ids) if h is not None)
        fresh = []
        for item in items:
            old = self._by_id.get(item.id)
            if old is not None:
                if self._items[old].state == item.state:
                    continue
                self._remove(old)
            fresh.append(item)
        fresh.sort(key=lambda it: it.id)
        if fresh:
            self._insert(fresh)
        return [it.id for it in fresh]

    def _insert(self, items: list[_Item]) -> None:
        n_before = self._next
        for k, item in enumerate(items):
            item.idx = n_before + k
            self._items[item.idx] = item
            self._by_id[item.id] = item.idx
            dict.__setitem__(self._adj, item.idx, set())
            dict.__setitem__(self._story_of, item.idx, None)
            self._dirty.add(item.idx)
            self._new.append(item.idx)
        self._next = n_before + len(items)
        handles = np.array([it.idx for it in items], dtype=np.int64)
        self._keys.set_hub_keys(
            handles, np.array([_hub_key(it.n_shingles, it.id) for it in items], dtype=np.int64)
        )
        new_keys = np.concatenate([it.keys for it in items])
        new_owners = np.repeat(handles, [it.keys.size for it in items])
        self._keys.insert(new_keys, new_owners)

        # the groups with a new member and at least two members
        touched, n_new = np.unique(new_keys, return_counts=True)
        del new_keys, new_owners
        size = self._keys.sizes(touched)
        keep = size >= 2
        touched, size, n_new = touched[keep], size[keep], n_new[keep]
        old_size = size - n_new
        kind = touched >> np.uint64(60)
        policy = _policies(touched, size)
        old_policy = _policies(touched, old_size)
        crossed = (kind >= np.uint64(_K_LINE)) & (
            (old_size >= TEMPLATE_MIN_DF) != (size >= TEMPLATE_MIN_DF)
        )
        # members are read for the groups that find pairs now or found them before,
        # and the paragraph groups that crossed the template threshold
        need = (policy != _NONE) | ((old_size >= 2) & (old_policy != _NONE)) | crossed
        touched, size, old_size = touched[need], size[need], old_size[need]
        policy, old_policy, crossed = policy[need], old_policy[need], crossed[need]
        is_anchor = (touched >> np.uint64(60)) == np.uint64(_K_ANCHOR)
        flat, starts = self._keys.members(touched)
        lo = starts[:-1]

        # pairs with a new member, from every group's policy as of now
        exact = ~is_anchor & (policy == _ALL)
        exact_hubs = ~is_anchor & (policy == _HUBS)
        candidates = [
            np.unique(self._group_pairs(flat, lo[exact], size[exact], n_before)),
            np.unique(self._hub_pairs(flat, lo[exact_hubs], size[exact_hubs], n_before)),
        ]
        # anchors: a pair scores 2 per shared small group, 1 per large group it
        # shares with a hub of it (many records share common phrases with a long hub)
        anchors = is_anchor & (policy == _ALL)
        anchor_hubs = is_anchor & (policy == _HUBS)
        all_codes, all_counts = np.unique(
            self._group_pairs(flat, lo[anchors], size[anchors], n_before), return_counts=True
        )
        hub_codes, hub_counts = np.unique(
            self._hub_pairs(flat, lo[anchor_hubs], size[anchor_hubs], n_before),
            return_counts=True,
        )
        codes, where = np.unique(np.concatenate([all_codes, hub_codes]), return_inverse=True)
        points = np.bincount(where, weights=np.concatenate([2 * all_counts, hub_counts]))
        candidates.append(codes[points >= 2 * MIN_SHARED_ANCHORS])
        del all_codes, all_counts, hub_codes, hub_counts, codes, where, points
        candidates.append(self._citation_pairs(items))

        # pairs of older records this group found and no longer finds: still found?
        recheck: set[int] = set()
        was_all = (old_size >= 2) & (old_policy == _ALL) & (policy != _ALL)
        was_hubs = (old_size >= 2) & (old_policy == _HUBS)
        seen: set[tuple[int, ...]] = set()
        for g in np.flatnonzero(was_all):
            members = flat[lo[g] : lo[g] + size[g]]
            old = tuple(sorted(members[members < n_before].tolist()))
            if old not in seen:
                seen.add(old)
                recheck |= self._edge_pairs_among(old)
        if was_hubs.any():
            groups = np.flatnonzero(was_hubs)
            before = self._group_hubs(flat, lo[groups], size[groups], below=n_before)
            now = self._group_hubs(flat, lo[groups], size[groups])
            for k, g in enumerate(groups.tolist()):
                hubs_now = set(now[k].tolist()) if policy[g] == _HUBS else set()
                dropped = set(before[k].tolist()) - hubs_now - {-1}
                if not dropped:
                    continue
                members = flat[lo[g] : lo[g] + size[g]]
                old = set(members[members < n_before].tolist())
                for h in dropped:
                    recheck |= {_pair(h, m) for m in self._adj[h] & old}

        # paragraphs that became (or stopped being) template text: old members' pairs
        template_members: set[int] = set()
        for g in np.flatnonzero(crossed):
            members = flat[lo[g] : lo[g] + size[g]]
            template_members.update(members[members < n_before].tolist())
        sizes_before = dict(zip(touched[crossed].tolist(), old_size[crossed].tolist(), strict=True))
        del flat, starts, lo
        for m in template_members:
            self._profiles.pop(m, None)
        codes = np.unique(np.concatenate(candidates))
        ends = sorted({h for c in codes.tolist() for h in (c >> 32, c & 0xFFFFFFFF)})
        self._items.prefetch(ends)
        self._adj.prefetch([h for h in ends if h < n_before])
        self._prefetch_profiles(ends)
        for code in codes.tolist():
            self._verify(code)
        self._recheck(sorted(c for c in recheck if c in self._edges))
        if template_members:
            self._reverify(template_members, set(codes.tolist()), sizes_before)

    def _group_hubs(
        self, flat: np.ndarray, lo: np.ndarray, size: np.ndarray, below: int | None = None
    ) -> np.ndarray:
        """The KEY_GROUP_HUBS hubs of each group flat[lo:lo + size], shape (groups,
        hubs), -1 where a group has fewer; ``below``: among members with a smaller
        handle only (the records stored before an update)."""
        hubs = np.full((lo.size, KEY_GROUP_HUBS), -1, dtype=np.int64)
        if not lo.size:
            return hubs
        gid = np.repeat(np.arange(lo.size), size)
        starts = np.repeat(lo - np.concatenate([[0], np.cumsum(size)[:-1]]), size)
        members = flat[starts + np.arange(gid.size)]
        if below is not None:
            keep = members < below
            gid, members = gid[keep], members[keep]
        order = np.lexsort((self._keys.hub_keys(members), gid))
        gid, members = gid[order], members[order]
        first = np.searchsorted(gid, gid, side="left")
        rank = np.arange(gid.size) - first
        sel = rank < KEY_GROUP_HUBS
        hubs[gid[sel], rank[sel]] = members[sel]
        return hubs

    def _group_pairs(
        self, flat: np.ndarray, lo: np.ndarray, size: np.ndarray, n_before: int
    ) -> np.ndarray:
        """Pair codes of all member pairs of the groups flat[lo:lo + size] with a new member."""
        out = [np.zeros(0, dtype=np.uint64)]
        for s in np.unique(size).tolist():
            sel = lo[size == s]
            members = flat[sel[:, None] + np.arange(s)]
            iu, ju = np.triu_indices(s, 1)
            a, b = members[:, iu].ravel(), members[:, ju].ravel()
            first, second = np.minimum(a, b), np.maximum(a, b)
            keep = second >= n_before
            out.append(
                (first[keep].astype(np.uint64) << np.uint64(32)) | second[keep].astype(np.uint64)
            )
        return np.concatenate(out)

    def _hub_pairs(
        self, flat: np.ndarray, lo: np.ndarray, size: np.ndarray, n_before: int
    ) -> np.ndarray:
        """Pair codes of each member of the groups flat[lo:lo + size] with the group's
        hubs, where one of the two is new."""
        out = [np.zeros(0, dtype=np.uint64)]
        if not lo.size:
            return out[0]
        hubs = self._group_hubs(flat, lo, size)
        gid = np.repeat(np.arange(lo.size), size)
        starts = np.repeat(lo - np.concatenate([[0], np.cumsum(size)[:-1]]), size)
        members = flat[starts + np.arange(gid.size)]
        for k in range(KEY_GROUP_HUBS):
            hub = hubs[gid, k]
            first, second = np.minimum(members, hub), np.maximum(members, hub)
            keep = (hub >= 0) & (members != hub) & (second >= n_before)
            out.append(
                (first[keep].astype(np.uint64) << np.uint64(32)) | second[keep].astype(np.uint64)
            )
        return np.concatenate(out)

    def _edge_pairs_among(self, members: Iterable[int]) -> set[int]:
        found = set()
        group = set(members)
        self._adj.prefetch(sorted(group))
        for m in group:
            for n in self._adj[m]:
                if n in group and m < n:
                    found.add(_pair(m, n))
        return found

    def _citation_pairs(self, items: list[_Item]) -> np.ndarray:
        keys = sorted({k for it in items for k in (*it.own_keys, *it.cited_keys)})
        self._owners_of.prefetch(keys)
        self._citers_of.prefetch(keys)
        for item in items:
            for key in item.own_keys:
                self._owners_of[key].append(item.idx)
            for key in item.cited_keys:
                self._citers_of[key].append(item.idx)
        codes = set()
        for item in items:
            for key in item.cited_keys:
                codes.update(
                    _pair(item.idx, o) for o in self._owners_of.get(key, ()) if o != item.idx
                )
            for key in item.own_keys:
                codes.update(
                    _pair(item.idx, c) for c in self._citers_of.get(key, ()) if c != item.idx
                )
        return np.array(sorted(codes), dtype=np.uint64)

    def _hubs_of(self, key: np.uint64, size: int) -> set[int]:
        flat, starts = self._keys.members(np.array([key], dtype=np.uint64))
        return set(self._group_hubs(flat, starts[:1], np.array([size]))[0].tolist())

    def _supported(
        self,
        i: int,
        j: int,
        cache: dict | None = None,
        sizes: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> bool:
        """Whether a pair is found by some key group's policy, anchors or a citation.
        ``cache``: hubs per key, valid while the key index does not change; ``sizes``:
        (sorted keys, their group sizes) covering both records' keys, likewise."""
        x, y = self._items[i], self._items[j]
        if x.cited_keys & y.own_keys or y.cited_keys & x.own_keys:
            return True
        shared = np.intersect1d(x.keys, y.keys, assume_unique=True)
        if not shared.size:
            return False
        if sizes is not None:
            size = sizes[1][np.searchsorted(sizes[0], shared)]
        else:
            # most pairs share a small exact group (a band of a copied window): look at
            # a few such keys first, before every shared key's group
            kind = shared >> np.uint64(60)
            exact = shared[(kind != np.uint64(_K_ANCHOR)) & (kind < np.uint64(_K_LINE))]
            for chunk in (exact[:8], exact[8:]):
                if chunk.size and (self._keys.sizes(chunk) <= KEY_GROUP_CAP).any():
                    return True
            size = self._keys.sizes(shared)
        is_anchor = (shared >> np.uint64(60)) == np.uint64(_K_ANCHOR)
        policy = _policies(shared, size)
        if ((policy == _ALL) & ~is_anchor).any():
            return True
        points = 2 * int(np.count_nonzero((policy == _ALL) & is_anchor))
        for g in np.flatnonzero(policy == _HUBS):
            key = int(shared[g])
            hubs = cache.get(key) if cache is not None else None
            if hubs is None:
                hubs = self._hubs_of(shared[g], int(size[g]))
                if cache is not None:
                    cache[key] = hubs
            if i in hubs or j in hubs:
                if not is_anchor[g]:
                    return True
                points += 1
        return points >= 2 * MIN_SHARED_ANCHORS

    def _group_sizes(self, keys: np.ndarray) -> np.ndarray:
        return self._keys.sizes(keys)

    def _profile(self, item: _Item) -> _Profile | None:
        """Which paragraphs of a record recur in the store, and how much of it is its
        own (see ``TEMPLATE_MIN_DF``); None for a text without paragraphs or shingles."""
        if item.idx in self._profiles:
            return self._profiles[item.idx]
        fp = item.fp
        profile = None
        if fp.line_keys.size and item.n_shingles:
            line_df = np.where(
                fp.line_keys != 0, self._group_sizes(fp.line_keys | np.uint64(_K_LINE << 60)), 0
            )
            slot_df = np.where(
                fp.slot_keys != 0, self._group_sizes(fp.slot_keys | np.uint64(_K_SLOT << 60)), 0
            )
            profile = _line_profile(fp, line_df, slot_df)
        self._profiles[item.idx] = profile
        return profile

    def _prefetch_profiles(self, handles: Iterable[int]) -> None:
        """``_profile`` of these records, their paragraph groups' sizes read at once."""
        todo = [
            self._items[h]
            for h in handles
            if h not in self._profiles and self._items.get(h) is not None
        ]
        todo = [it for it in todo if it.fp.line_keys.size and it.n_shingles]
        if not todo:
            return
        lines = [it.fp.line_keys for it in todo]
        slots = [it.fp.slot_keys for it in todo]
        sizes = self._group_sizes(
            np.concatenate(
                [np.concatenate(lines) | np.uint64(_K_LINE << 60)]
                + [np.concatenate(slots) | np.uint64(_K_SLOT << 60)]
            )
        )
        n_lines = sum(k.size for k in lines)
        line_sizes = np.split(sizes[:n_lines], np.cumsum([k.size for k in lines])[:-1])
        slot_sizes = np.split(sizes[n_lines:], np.cumsum([k.size for k in slots])[:-1])
        for item, ls, ss in zip(todo, line_sizes, slot_sizes, strict=True):
            fp = item.fp
            line_df = np.where(fp.line_keys != 0, ls, 0)
            slot_df = np.where(fp.slot_keys != 0, ss, 0)
            self._profiles[item.idx] = _line_profile(fp, line_df, slot_df)

    def _template_keep(self, small: _Item, large: _Item) -> np.ndarray | None:
        """Which of the smaller text's shingles count as evidence against the larger:
        all but its template paragraphs (see the module docstring); None when all count."""
        profile = self._profile(small)
        if profile is None:
            return None
        other = self._profile(large)
        return _pair_keep(small.fp, large.fp, profile, other.own if other else 1.0)

    def _recheck(self, codes: list[int]) -> None:
        """Drop the relations of these pairs that no key group or citation finds any
        more. As ``_supported``, with each record's supporting keys worked out once
        (a group of copies growing past KEY_GROUP_CAP has thousands of such pairs)."""
        if not codes:
            return
        ends = sorted({h for c in codes for h in (c >> 32, c & 0xFFFFFFFF)})
        self._items.prefetch(ends)
        keys = np.unique(np.concatenate([self._items[h].keys for h in ends]))
        sizes = (keys, self._keys.sizes(keys))
        hubs: dict[int, set[int]] = {}
        self._prefetch_hubs(keys, sizes[1], hubs)
        support = {h: self._support_sets(h, sizes, hubs) for h in ends}
        for code in codes:
            i, j = code >> 32, code & 0xFFFFFFFF
            x, y = self._items[i], self._items[j]
            if x.cited_keys & y.own_keys or y.cited_keys & x.own_keys:
                continue
            (ex_i, hx_i, mx_i, an_i, ha_i, ma_i) = support[i]
            (ex_j, hx_j, mx_j, an_j, ha_j, ma_j) = support[j]
            if ex_i & ex_j or hx_i & mx_j or hx_j & mx_i:
                continue
            points = 2 * len(an_i & an_j) + len((ha_i & ma_j) | (ha_j & ma_i))
            if points < 2 * MIN_SHARED_ANCHORS:
                self._drop_edge(code)

    def _prefetch_hubs(self, keys: np.ndarray, size: np.ndarray, hubs: dict[int, set[int]]) -> None:
        """Put in ``hubs`` the hubs of every hub-policy group among these keys (sizes
        ``size``), read together rather than a group at a time."""
        pairing = (keys >> np.uint64(60)) < np.uint64(_K_LINE)
        keys, size = keys[pairing], size[pairing]
        wanted = _policies(keys, size) == _HUBS
        keys, size = keys[wanted], size[wanted]
        if not keys.size:
            return
        # a chunk's members together stay under HUB_READ_MEMBERS (a group of a widely
        # shared boilerplate window can have hundreds of thousands)
        bounds = np.searchsorted(
            np.cumsum(size), np.arange(0, int(size.sum()), HUB_READ_MEMBERS), "right"
        )
        for lo, hi in zip(bounds.tolist(), [*bounds[1:].tolist(), keys.size], strict=True):
            if hi <= lo:
                continue
            flat, starts = self._keys.members(keys[lo:hi])
            rows = self._group_hubs(flat, starts[:-1], np.diff(starts))
            for key, row in zip(keys[lo:hi].tolist(), rows.tolist(), strict=True):
                hubs[key] = set(row)

    def _support_sets(
        self, h: int, sizes: tuple[np.ndarray, np.ndarray], hubs: dict[int, set[int]]
    ) -> tuple[set[int], ...]:
        """A record's keys by how they find pairs: exact keys of groups that pair all
        members, exact keys of hub groups it is a hub of, exact keys of hub groups; the
        same three for anchors (see ``_supported``)."""
        item = self._items[h]
        keys = item.keys[(item.keys >> np.uint64(60)) < np.uint64(_K_LINE)]
        size = sizes[1][np.searchsorted(sizes[0], keys)]
        policy = _policies(keys, size)
        anchor = (keys >> np.uint64(60)) == np.uint64(_K_ANCHOR)
        out: list[set[int]] = []
        for is_anchor in (False, True):
            mine = anchor == is_anchor
            out.append(set(keys[mine & (policy == _ALL)].tolist()))
            member: set[int] = set()
            hub_of: set[int] = set()
            for k, n in zip(
                keys[mine & (policy == _HUBS)].tolist(),
                size[mine & (policy == _HUBS)].tolist(),
                strict=True,
            ):
                if k not in hubs:
                    hubs[k] = self._hubs_of(np.uint64(k), n)
                member.add(k)
                if h in hubs[k]:
                    hub_of.add(k)
            out += [hub_of, member]
        return tuple(out)

    def _supported_partners(self, m: int) -> set[int]:
        """Every record a pair with ``m`` is found with (``_supported`` for all of them
        at once, from the key groups, without reading the partners)."""
        item = self._items[m]
        keys = item.keys[(item.keys >> np.uint64(60)) < np.uint64(_K_LINE)]
        size = self._keys.sizes(keys)
        policy = _policies(keys, size)
        sel = policy != _NONE
        keys, size, policy = keys[sel], size[sel], policy[sel]
        partners: set[int] = set()
        for key in item.cited_keys:
            partners.update(self._owners_of.get(key, ()))
        for key in item.own_keys:
            partners.update(self._citers_of.get(key, ()))
        if keys.size:
            is_anchor = (keys >> np.uint64(60)) == np.uint64(_K_ANCHOR)
            flat, starts = self._keys.members(keys)
            lo, sizes = starts[:-1], np.diff(starts)
            gid = np.repeat(np.arange(keys.size), sizes)
            hub_groups = np.flatnonzero(policy == _HUBS)
            hubs = np.full((keys.size, KEY_GROUP_HUBS), -1, dtype=np.int64)
            hubs[hub_groups] = self._group_hubs(flat, lo[hub_groups], sizes[hub_groups])
            by_hub = (policy == _HUBS)[gid] & (
                (hubs[gid] == m).any(axis=1) | (hubs[gid] == flat[:, None]).any(axis=1)
            )
            by_all = (policy == _ALL)[gid]
            anchor = is_anchor[gid]
            found = (~anchor & (by_all | by_hub)) & (flat != m)
            partners.update(flat[found].tolist())
            points = np.where(anchor & by_all, 2, 0) + np.where(anchor & by_hub, 1, 0)
            scored = (points > 0) & (flat != m)
            if scored.any():
                who, total = np.unique(flat[scored], return_inverse=True)
                sums = np.bincount(total, weights=points[scored])
                partners.update(who[sums >= 2 * MIN_SHARED_ANCHORS].tolist())
        partners.discard(m)
        return partners

    def _profile_may_change_pairs(self, m: int, sizes_before: Mapping[int, int]) -> bool:
        """Whether a record's template text changed in a way any of its pairs can see
        (paragraph groups had ``sizes_before``). A long paragraph of a record without
        content of its own (a copy of a widely carried story) turning recurring changes
        none: such a record is measured whole less its short recurring paragraphs, and
        as the larger text only which side of TEMPLATE_OWN_SHARE it is on counts."""
        item = self._items[m]
        fp = item.fp
        if not fp.line_keys.size or not item.n_shingles:
            return False
        lines = fp.line_keys | np.uint64(_K_LINE << 60)
        slots = fp.slot_keys | np.uint64(_K_SLOT << 60)
        line_df = np.where(fp.line_keys != 0, self._group_sizes(lines), 0)
        slot_df = np.where(fp.slot_keys != 0, self._group_sizes(slots), 0)
        before = [
            np.array(
                [sizes_before.get(k, d) for k, d in zip(ks.tolist(), df.tolist(), strict=True)]
            )
            for ks, df in ((lines, line_df), (slots, slot_df))
        ]
        now, then = _line_profile(fp, line_df, slot_df), _line_profile(fp, *before)
        if (now.own >= TEMPLATE_OWN_SHARE) != (then.own >= TEMPLATE_OWN_SHARE):
            return True
        if (now.slot_recurring != then.slot_recurring).any():
            return True
        flipped = now.recurring != then.recurring
        return bool(flipped.any()) and (
            now.own >= TEMPLATE_OWN_SHARE or bool((flipped & now.short).any())
        )

    def _reverify(
        self, members: set[int], done: set[int], sizes_before: Mapping[int, int] | None = None
    ) -> None:
        """Verify again every pair of these records (their template text changed);
        ``sizes_before``: the paragraph groups' sizes before, to pass over the records
        none of whose pairs can change."""
        for m in members:
            self._profiles.pop(m, None)
        codes: set[int] = set()
        supported: set[int] = set()
        self._items.prefetch(sorted(members))
        for m in sorted(members):
            if self._items.get(m) is None:
                continue
            if sizes_before is not None and not self._profile_may_change_pairs(m, sizes_before):
                continue
            codes.update(_pair(m, n) for n in self._adj[m])
            found = {_pair(m, n) for n in self._supported_partners(m)}
            codes |= found
            supported |= found
        todo = sorted(codes - done)
        ends = sorted({h for c in todo for h in (c >> 32, c & 0xFFFFFFFF)})
        self._items.prefetch(ends)
        self._adj.prefetch(ends)
        cache: dict[int, set[int]] = {}
        for code in todo:
            if code in self._edges:
                self._drop_edge(code)
            if code in supported or self._supported(code >> 32, code & 0xFFFFFFFF, cache):
                self._verify(code)

    def _verify(self, code: int) -> None:
        i, j = code >> 32, code & 0xFFFFFFFF
        edge = _relate(self._items[i], self._items[j], self._template_keep)
        if edge is None:
            return
        self._edges[code] = edge
        self._edge_changes.add(code)
        self._adj[i].add(j)
        self._adj[j].add(i)
        self._dirty.update((i, j))

    def _drop_edge(self, code: int) -> None:
        i, j = code >> 32, code & 0xFFFFFFFF
        del self._edges[code]
        self._edge_changes.add(code)
        self._adj[i].discard(j)
        self._adj[j].discard(i)
        self._dirty.update((i, j))

    def _remove(self, idx: int) -> None:
        """Take a record out (it is being replaced) and restore what its presence hid:
        pairs of groups that change policy or hubs without it."""
        item = self._items[idx]
        for n in list(self._adj[idx]):
            self._drop_edge(_pair(idx, n))
        old_story = self._story_of.get(idx)
        if old_story is not None:
            self._stories_gone.add(old_story)
            if old_story in self._stories:
                members = self._stories.pop(old_story).members
            elif self._stored and self._stored.story_members:
                members = [m for m in self._stored.story_members(old_story) if m != idx]
            else:
                members = []
            for m in members:
                self._dirty.add(m)
                dict.__setitem__(self._story_of, m, None)
                self._roles.pop(m, None)
        self._dirty.discard(idx)
        self._profiles.pop(idx, None)
        before = []
        line_groups = []
        keys = item.keys
        sizes = self._keys.sizes(keys)
        for key, size in zip(keys, sizes.tolist(), strict=True):
            if int(key >> np.uint64(60)) >= _K_LINE:
                line_groups.append((key, size))
                continue
            policy = int(_policies(np.array([key]), np.array([size]))[0])
            hubs = self._hubs_of(key, size) if policy == _HUBS else set()
            before.append((key, policy, hubs))
        self._keys.delete(keys, np.full(keys.size, idx, dtype=np.int64))
        for key in item.own_keys:
            self._owners_of[key].remove(idx)
        for key in item.cited_keys:
            self._citers_of[key].remove(idx)
        self._items[idx] = None
        self._by_id[item.id] = None
        dict.pop(self._adj, idx, None)
        self._removed.append((idx, item.id))

        codes: set[int] = set()
        for key, old_policy, old_hubs in before:
            size = int(self._keys.sizes(np.array([key]))[0])
            policy = int(_policies(np.array([key]), np.array([size]))[0])
            if policy not in (_ALL, _HUBS):
                continue
            rest = self._keys.members(np.array([key], dtype=np.uint64))[0].tolist()
            if policy == _ALL and old_policy != _ALL:
                codes |= {_pair(a, b) for k, a in enumerate(rest) for b in rest[k + 1 :]}
            elif policy == _HUBS:
                hubs = self._hubs_of(key, size)
                if old_policy != _HUBS or hubs != old_hubs:
                    codes |= {_pair(h, m) for h in hubs if h >= 0 for m in rest if m != h}
        cache: dict[int, set[int]] = {}
        self._items.prefetch(sorted({h for c in codes for h in (c >> 32, c & 0xFFFFFFFF)}))
        for code in sorted(codes):
            if code not in self._edges and self._supported(code >> 32, code & 0xFFFFFFFF, cache):
                self._verify(code)
        template_members: set[int] = set()
        for key, size in line_groups:
            if size >= TEMPLATE_MIN_DF > size - 1:
                members = self._keys.members(np.array([key], dtype=np.uint64))[0]
                template_members.update(members.tolist())
        if template_members:
            self._reverify(template_members, set())

    # -- stories --------------------------------------------------------------------

    def _refresh(self) -> None:
        if not self._dirty:
            return
        seen: set[int] = set()
        components: list[set[int]] = []
        for start in sorted(self._dirty):
            if start in seen or self._items.get(start) is None:
                continue
            component = {start}
            frontier = [start]
            while frontier:
                self._adj.prefetch(frontier)
                nxt = []
                for m in frontier:
                    for n in self._adj[m]:
                        if n not in component:
                            component.add(n)
                            nxt.append(n)
                frontier = nxt
            seen |= component
            components.append(component)
        # every old story of the touched components goes before any new one is made: a
        # story split in two keeps its id in one part, which must not be popped later
        for component in components:
            self._story_of.prefetch(component)
            for m in component:
                old = self._story_of.get(m)
                dict.__setitem__(self._story_of, m, None)
                if old is not None:
                    self._stories.pop(old, None)
                    self._stories_gone.add(old)
        for component in components:
            self._items.prefetch(sorted(component))
            for story in _cluster(self._items, self._edges, self._adj, sorted(component)):
                self._stories[story.story_id] = story
                self._stories_made.add(story.story_id)
                for m in story.members:
                    dict.__setitem__(self._story_of, m, story.story_id)
                for m, role in story.info.pop("_roles").items():
                    self._roles[m] = role
        self._dirty.clear()


def story_clusters(
    records: Iterable[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """(stories, relations, roles) of a set of records, in one call."""
    index = StoryIndex()
    index.add(records)
    return index.stories(), index.relations(), index.roles()


# --- clustering one component ------------------------------------------------------------


class _UnionFind:
    def __init__(self, members: Iterable[int]) -> None:
        self.parent = {m: m for m in members}

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)


def _edge(edges: Mapping[int, _Edge], i: int, j: int) -> _Edge | None:
    return edges.get(_pair(i, j))


#: members of hub-policy groups read at once when their hubs are looked up together
HUB_READ_MEMBERS = 2_000_000

#: members of a component checked for being compilations from which their shingles
#: are laid out once for the component (``_Membership``) rather than compared per pair
MEMBERSHIP_MIN_CHECKS = 8


class _Membership:
    """Which of a component's shingles each member has, over the component's own
    vocabulary (a dense 0/1 matrix, a row per shingle): how much of each paragraph of
    one member every other member has is then one product, not a search per pair."""

    #: vocabulary x members cells at most (4 bytes each)
    MAX_CELLS = 8_000_000

    def __init__(
        self, members: list[int], arrays: list[np.ndarray], vocab_size: int, inverse: np.ndarray
    ) -> None:
        lengths = np.array([a.size for a in arrays], dtype=np.int64)
        self.rows = {m: k for k, m in enumerate(members)}
        self.matrix = np.zeros((vocab_size, len(members)), dtype=np.int32)
        self.matrix[inverse, np.repeat(np.arange(len(members)), lengths)] = 1
        ends = np.cumsum(lengths)
        self.columns = {m: inverse[ends[k] - lengths[k] : ends[k]] for k, m in enumerate(members)}

    @classmethod
    def of(cls, items: Mapping[int, _Item], members: list[int]) -> _Membership | None:
        """The layout of these members, or None when it would take over MAX_CELLS."""
        arrays = [items[m].fp.shingles for m in members]
        vocab, inverse = np.unique(np.concatenate(arrays), return_inverse=True)
        if len(members) * vocab.size > cls.MAX_CELLS:
            return None
        return cls(members, arrays, vocab.size, inverse)

    def covered(self, r: _Item, quotes: list[_Item]) -> np.ndarray:
        """(quotes, r's paragraphs): how many shingles of each paragraph of r each quote has."""
        columns = self.columns[r.idx]
        picked = [self.rows[x.idx] for x in quotes]
        out = np.zeros((len(quotes), r.fp.n_segments), dtype=np.int64)
        if not columns.size:
            return out
        order = np.argsort(r.fp.segments, kind="stable")
        segs = r.fp.segments[order]
        present, starts = np.unique(segs, return_index=True)
        have = self.matrix[columns[order]][:, picked]  # r's shingles x quotes
        out[:, present] = np.add.reduceat(have, starts, axis=0).T
        return out


def _is_compilation(
    r: _Item,
    quoted: list[_Item],
    edges: Mapping[int, _Edge],
    membership: _Membership | None = None,
) -> bool:
    """Whether an article quotes earlier records from at least two disjoint regions
    of its text. A quote whose region meets two disjoint regions of others (an
    earlier copy of R itself) does not join them."""
    if r.kind != "article" or not r.n_shingles:
        return False
    quotes, small = [], False
    for x in quoted:
        if x.time and r.time and x.time > r.time:
            continue  # published after R: R cannot be quoting it
        quotes.append(x)
        shared = edges[_pair(r.idx, x.idx)].containment * min(r.n_shingles, x.n_shingles)
        small |= shared < 0.5 * r.n_shingles
    if len(quotes) < 2 or not small:
        return False  # quotes covering more than half of R each all overlap
    per_segment = np.maximum(np.bincount(r.fp.segments, minlength=r.fp.n_segments), 1)
    regions = set()
    coverage = membership.covered(r, quotes) if membership is not None else None
    for k, x in enumerate(quotes):
        if coverage is not None:
            covered = coverage[k]
        else:
            mask = shared_mask(r.fp.shingles, x.fp.shingles)
            covered = np.bincount(r.fp.segments[mask], minlength=r.fp.n_segments)
        region = frozenset(np.flatnonzero(covered >= SEGMENT_COVERED_SHARE * per_segment).tolist())
        if region:
            regions.add(region)
    regions = sorted(regions, key=sorted)
    spanning = {
        a
        for a in regions
        if any(
            not (b & c) and a & b and a & c
            for b, c in itertools.combinations([x for x in regions if x != a], 2)
        )
    }
    core = [a for a in regions if a not in spanning]
    uf = _UnionFind(range(len(core)))
    for k, m in itertools.combinations(range(len(core)), 2):
        if core[k] & core[m]:
            uf.union(k, m)
    return len({uf.find(k) for k in range(len(core))}) >= 2


def _cluster(
    items: list[_Item | None],
    edges: Mapping[int, _Edge],
    adj: Mapping[int, set[int]],
    component: list[int],
) -> list[_Story]:
    comp_edges = [(i, j, edges[_pair(i, j)]) for i in component for j in adj[i] if i < j]
    strong_nbrs: dict[int, list[_Item]] = {i: [] for i in component}
    text_nbrs: dict[int, list[_Item]] = {i: [] for i in component}
    for i, j, e in comp_edges:
        if e.strong:
            strong_nbrs[i].append(items[j])
            strong_nbrs[j].append(items[i])
        if e.strong or e.containment >= WEAK_CONTAINMENT:
            text_nbrs[i].append(items[j])
            text_nbrs[j].append(items[i])
    checked = [i for i in component if strong_nbrs[i] and len(text_nbrs[i]) >= 2]
    membership = _Membership.of(items, component) if len(checked) >= MEMBERSHIP_MIN_CHECKS else None
    compilations = {
        i for i in checked if _is_compilation(items[i], text_nbrs[i], edges, membership)
    }

    # units: strong edges, not through compilations (which keep their own copies)
    uf = _UnionFind(component)
    for i, j, e in comp_edges:
        if not e.strong:
            continue
        if (i in compilations) != (j in compilations):
            continue
        if i in compilations and e.relation == "partial_reprint":
            continue
        uf.union(i, j)
    units: dict[int, list[int]] = {}
    for i in component:
        units.setdefault(uf.find(i), []).append(i)
    unit_rank = {u: min(items[m].rank for m in ms) for u, ms in units.items()}

    # attachment: each unit to the one earlier unit it shares the strongest edge with
    best: dict[int, tuple[float, tuple]] = {}
    target: dict[int, int] = {}
    for _i, _j, e in comp_edges:
        ui, uj = uf.find(e.a), uf.find(e.b)
        if ui == uj:
            continue
        for u, v in ((ui, uj), (uj, ui)):
            if unit_rank[v] >= unit_rank[u]:
                continue
            current = best.get(u)
            if (
                current is None
                or e.score > current[0]
                or (e.score == current[0] and unit_rank[v] < current[1])
            ):
                best[u] = (e.score, unit_rank[v])
                target[u] = v

    def root(u: int) -> int:
        while u in target:
            u = target[u]
        return u

    groups: dict[int, list[int]] = {}
    for u, ms in units.items():
        groups.setdefault(root(u), []).extend(ms)
    return [
        _describe(items, edges, adj, sorted(ms, key=lambda m: items[m].id))
        for ms in groups.values()
    ]


_ROLE_PRIORITY = {
    "attachment": 0,
    "reprint": 1,
    "partial_reprint": 2,
    "commentary": 3,
    "related": 4,
}


def _role_from_edge(e: _Edge, m: int) -> str:
    if e.relation == "attachment":
        return "attachment"
    if e.relation in ("duplicate", "reprint"):
        return "reprint"
    if e.relation == "partial_reprint":
        return "partial_reprint" if e.b == m else "reprint"
    return e.relation


def _files_of(
    origin: int, adj: Mapping[int, set[int]], edges: Mapping[int, _Edge], members: set[int]
) -> set[int]:
    """The origin and the records joined to it by attachment edges (its files)."""
    document = {origin}
    stack = [origin]
    while stack:
        m = stack.pop()
        for n in adj[m] & members:
            if n not in document and edges[_pair(m, n)].relation == "attachment":
                document.add(n)
                stack.append(n)
    return document


def _describe(
    items: list[_Item | None],
    edges: Mapping[int, _Edge],
    adj: Mapping[int, set[int]],
    members: list[int],
) -> _Story:
    """Origin, first publication, counts, roles and novelty of one story."""
    its = [items[m] for m in members]
    member_set = set(members)
    story_id = "s" + hashlib.blake2b(its[0].id.encode("utf-8"), digest_size=8).hexdigest()

    by_url: dict[str, list[int]] = {}
    for it in its:
        for url in it.urls:
            by_url.setdefault(url, []).append(it.idx)
    declared = dict.fromkeys(members, 0)
    for it in its:
        for target in {t for url in it.origin_links for t in by_url.get(url, ())} - {it.idx}:
            declared[target] += 1
    strong_degree = {
        m: sum(1 for n in adj[m] if n in member_set and edges[_pair(m, n)].strong) for m in members
    }
    official = [it for it in its if it.official or declared[it.idx]]
    # an undated document (a draft, a background note) never displaces a dated one
    official_origin = (
        min(
            official,
            key=lambda it: (
                -declared[it.idx],
                it.rank[0] != 1,
                it.is_file,
                -strong_degree[it.idx],
                it.rank,
            ),
        )
        if official
        else None
    )
    origin = official_origin or min(its, key=lambda it: (it.rank[0] != 1, it.rank))

    articles = [it for it in its if it.kind == "article"]
    dated = sorted((it for it in articles if it.time), key=lambda it: (it.time, it.id))
    first = dated[0] if dated else None
    if official_origin is not None and official_origin.url:
        origin_url = official_origin.url
    else:
        links = sorted(u for it in its for u in it.origin_urls)
        origin_url = max(sorted(set(links)), key=links.count) if links else None

    roles: dict[int, tuple[str, int | None, float]] = {}
    novelty_order = sorted((it for it in its if it.time), key=lambda it: (it.time, it.id))
    novelty = {it.idx: round(100 * NOVELTY_DECAY**k) for k, it in enumerate(novelty_order)}
    # the origin document: the origin and its files (attachment edges, transitively)
    document = _files_of(origin.idx, adj, edges, member_set)
    for it in its:
        if it is origin:
            role, score = "origin", 1.0
        elif it.idx in document:
            e = max(
                (edges[_pair(it.idx, n)] for n in adj[it.idx] & document),
                key=lambda e: (e.relation == "attachment", e.score),
            )
            role, score = "attachment", e.score
        elif adj[it.idx] & document:
            # the relation to the origin document: the strongest to any of its files
            options = []
            for n in sorted(adj[it.idx] & document):
                e = edges[_pair(it.idx, n)]
                r = _role_from_edge(e, it.idx)
                options.append((_ROLE_PRIORITY[r], -e.score, n != origin.idx, items[n].id, r))
            best = min(options)
            role, score = best[4], -best[1]
        else:
            options = []
            for n in adj[it.idx] & member_set:
                e = edges[_pair(it.idx, n)]
                r = _role_from_edge(e, it.idx)
                options.append((_ROLE_PRIORITY[r], -e.score, items[n].id, r))
            best = min(options) if options else (0, 0.0, "", "related")
            role, score = best[3], -best[1]
        roles[it.idx] = (role, novelty.get(it.idx), score)

    sites = sorted({it.outlet for it in its})
    n_files = sum(1 for role, _n, _s in roles.values() if role == "attachment")
    titled = official_origin or first or origin
    info = {
        "story_id": story_id,
        "title": titled.title or origin.title,
        "members": [it.id for it in sorted(its, key=lambda it: it.rank)],
        "origin": origin.id,
        "official_origin": official_origin.id if official_origin else None,
        "official_origin_url": origin_url,
        "first_published_at": first.time if first else None,
        "first_site": first.outlet if first else None,
        "first_site_name": first.outlet_name if first else None,
        "first_id": first.id if first else None,
        # a notice's PDF and DOC are the notice in other formats: one document in reach
        "n_records": len(its) - n_files,
        "n_files": n_files,
        "n_articles": len(articles),
        "n_sites": len(sites),
        "sites": sites,
        "site_names": sorted({it.outlet_name for it in its}),
        "_roles": roles,
    }
    return _Story(story_id=story_id, members=members, info=info)


# --- stored rows ---------------------------------------------------------------------


def story_rows(stories: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``StoryIndex.stories()`` as ``stories`` rows: ``id``, ``title``,
    ``origin_article_id`` (the official origin, else the origin), ``first_article_id``,
    ``first_published_at``, ``first_site``, ``n_articles``, ``n_sites``,
    ``official_origin_url``, ``first_site_name`` and ``meta`` (``sites``,
    ``site_names``, ``n_records``, ``n_files``, ``origin``)."""
    return [
        {
            "id": s["story_id"],
            "title": s.get("title"),
            "origin_article_id": s.get("official_origin") or s.get("origin"),
            "first_article_id": s.get("first_id"),
            "first_published_at": s.get("first_published_at"),
            "first_site": s.get("first_site"),
            "n_articles": s.get("n_articles"),
            "n_sites": s.get("n_sites"),
            "official_origin_url": s.get("official_origin_url"),
            "first_site_name": s.get("first_site_name"),
            "meta": {
                "sites": s.get("sites"),
                "site_names": s.get("site_names"),
                "n_records": s.get("n_records"),
                "n_files": s.get("n_files"),
                "origin": s.get("origin"),
            },
        }
        for s in stories
    ]


def membership_rows(roles: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``StoryIndex.roles()`` as ``story_articles`` rows: ``article_id``, ``story_id``,
    ``role``, ``novelty``, ``score``, ``outlet``, ``outlet_name``, ``source_outlet``,
    in the order given."""
    return [
        {
            "article_id": aid,
            "story_id": r["story_id"],
            "role": r["role"],
            "novelty": r["novelty"],
            "score": r["score"],
            "outlet": r.get("outlet"),
            "outlet_name": r.get("outlet_name"),
            "source_outlet": r.get("source_outlet"),
        }
        for aid, r in roles.items()
    ]
