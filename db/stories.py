"""Story detection's stored state, so that an update reads only what it touches.

- ``story_items``: every indexed article with its handle (a small integer that is
  never reused), its hub key (the order a key group's hubs are taken in) and the
  state it was indexed in;
- ``story_citations``: the citation keys each indexed article owns or cites;
- ``story_index``: where the key index is and which of its segments are current;
- the key index itself (``KeyIndex``): every shingle-band, anchor, exact and
  paragraph key of every indexed article with its handle, in sorted segments of
  numpy files in a directory beside the database (``<database>-stories/``).
  Segments are written once and merged in the background of an update when the
  small ones add up (a log-structured merge: an update of 10 articles writes a
  segment of a few thousand keys; one of 10,000 writes one of two million);
  records taken out are tombstones until a merge of every segment drops them.
  SQLite says which segments are current: files it does not list are left over
  from an update that did not commit, and are deleted.

Relations stay in ``article_relations`` (by article id; ``story_edges`` holds them by
handle, as an update reads them), memberships in
``story_articles`` and stories in ``stories``; ``save_story_changes`` writes what
one update changed there and nothing else, so untouched stories keep their rows,
tags and reactions.
"""

from __future__ import annotations

import fcntl
import json
import mmap
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlite_utils import Database

from newsmon.db.articles import utc_now

#: the key index's directory: the database file's path with this suffix
INDEX_SUFFIX = "-stories"
#: a segment is merged with the next larger one when it (with the smaller ones) is
#: at least this share of it: about log(n) segments, each key rewritten log(n) times
MERGE_SHARE = 0.25
#: keys per chunk of a merge (the memory a merge needs: 16 bytes a key)
MERGE_CHUNK = 4_000_000
#: an update merges segments of at most this many keys together (a merge writes 12
#: bytes a key); larger merges wait for ``KeyIndex.compact`` (newsmon analyze), so a
#: crawl of ten articles never rewrites the whole index
MERGE_BUDGET = 16_000_000
#: past this many segments an update merges them all (a million articles in segments
#: of MERGE_BUDGET keys are about a dozen; a store growing by a million a year
#: reaches this in about two years)
MAX_SEGMENTS = 32
#: group sizes an update keeps looked up (some 100 bytes each) before it starts afresh
SIZE_CACHE_KEYS = 1_000_000
#: a segment file's fence holds every FENCE_STEP-th key (one 4 KiB page of keys)
FENCE_STEP = 512
#: queries of fewer keys are plain binary searches of the mapped file
FENCED_SEARCH_MIN = 32
#: pages of a segment read (at most) before they are given back to the system
RELEASE_KEYS = 32_768
#: handles per query of SQLite (below its limit of host parameters)
SQL_CHUNK = 500
_NO_HUB = np.iinfo(np.int64).max


def _chunks(values: Sequence[Any], n: int = SQL_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), n):
        yield values[i : i + n]


def _u64(values: np.ndarray) -> np.ndarray:
    return np.asarray(values).astype(np.uint64, copy=False)


# ---------------------------------------------------------------- the key index on disk


class _Segment:
    """One sorted run of (key, owner) pairs: in files, or in memory until written.

    A segment in files is searched through its fence (every FENCE_STEP-th key, in
    memory, from ``<name>.fence``): a key is then looked for in one page of the
    mapped file, not along a whole binary search, and the pages read are given back
    (``madvise``) every RELEASE_KEYS keys, so reading a large index does not make it
    resident in the process."""

    def __init__(
        self,
        name: str,
        keys: np.ndarray,
        owners: np.ndarray,
        *,
        tomb: bool,
        maps: Sequence[mmap.mmap] = (),
        fence: np.ndarray | None = None,
    ) -> None:
        self.name = name
        self.keys = keys
        self.owners = owners
        self.tomb = tomb
        self._maps = list(maps)
        self.fence = fence
        self._read = 0

    @property
    def size(self) -> int:
        return int(self.keys.size)

    @classmethod
    def load(cls, directory: Path, entry: Mapping[str, Any]) -> _Segment:
        n = int(entry["n"])
        if n == 0:
            return cls(
                entry["name"],
                np.zeros(0, np.uint64),
                np.zeros(0, np.int32),
                tomb=bool(entry.get("tomb")),
            )
        maps = []
        arrays = []
        for ext, dtype in (("keys", "<u8"), ("owners", "<i4")):
            with open(directory / f"{entry['name']}.{ext}", "rb") as fh:
                mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            maps.append(mapped)
            arrays.append(np.frombuffer(mapped, dtype=dtype, count=n))
        segment = cls(entry["name"], arrays[0], arrays[1], tomb=bool(entry.get("tomb")), maps=maps)
        segment.fence = _load_fence(directory, entry["name"], segment)
        return segment

    def entry(self) -> dict[str, Any]:
        return {"name": self.name, "n": self.size, "tomb": self.tomb}

    def ranges(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.fence is None or keys.size < FENCED_SEARCH_MIN:
            lo = np.searchsorted(self.keys, keys, side="left")
            hi = np.searchsorted(self.keys, keys, side="right")
            self._note_read(keys.size * 8)
            return lo, hi
        both = self._fenced(np.concatenate([keys, keys]), keys.size)
        self._note_read(keys.size * 2)
        return both[: keys.size], both[keys.size :]

    def _fenced(self, query: np.ndarray, n_left: int) -> np.ndarray:
        """searchsorted of ``query`` (the first ``n_left`` side left, the rest side
        right), within the one block of FENCE_STEP keys the fence says."""
        left = np.arange(query.size) < n_left
        block = np.where(
            left,
            np.searchsorted(self.fence, query, side="left"),
            np.searchsorted(self.fence, query, side="right"),
        ).astype(np.int64)
        lo = np.maximum(block - 1, 0) * FENCE_STEP
        hi = np.minimum(block * FENCE_STEP, self.size)
        active = np.flatnonzero(lo < hi)
        while active.size:
            low, high = lo[active], hi[active]
            mid = (low + high) >> 1
            value = self.keys[mid]
            q = query[active]
            right = np.where(left[active], value < q, value <= q)
            lo[active] = np.where(right, mid + 1, low)
            hi[active] = np.where(right, high, mid)
            active = active[lo[active] < hi[active]]
        return lo

    def _note_read(self, pages: int) -> None:
        """Count pages (at most) read; past RELEASE_KEYS, give the mapped pages back."""
        if not self._maps:
            return
        self._read += pages
        if self._read >= RELEASE_KEYS:
            self.release()

    def release(self) -> None:
        for mapped in self._maps:
            try:
                mapped.madvise(mmap.MADV_DONTNEED)
            except (OSError, ValueError, AttributeError):
                pass
        self._read = 0


def _fence_of(keys: np.ndarray, start: int = 0) -> np.ndarray:
    """Every FENCE_STEP-th key of a run whose first key is at position ``start``."""
    return np.ascontiguousarray(keys[(-start) % FENCE_STEP :: FENCE_STEP], dtype="<u8")


def _load_fence(directory: Path, name: str, segment: _Segment) -> np.ndarray:
    """A segment's fence: from its file, else taken from the keys (every page read
    once, then given back) and written for the next time (a segment written before
    fences were kept)."""
    path = directory / f"{name}.fence"
    expected = -(-segment.size // FENCE_STEP)
    if path.exists() and path.stat().st_size == expected * 8:
        return np.fromfile(path, dtype="<u8")
    fence = _fence_of(segment.keys)
    segment.release()
    try:
        tmp = directory / f"{name}.fence.tmp"
        fence.tofile(tmp)
        os.replace(tmp, path)
    except OSError:
        pass  # derived data: read from the keys again next time
    return fence


def _write_run(directory: Path, name: str, parts: Iterable[tuple[np.ndarray, np.ndarray]]) -> int:
    """Write (keys, owners) chunks, already in order, as segment ``name``; returns its size."""
    n = 0
    with (
        open(directory / f"{name}.keys.tmp", "wb") as fk,
        open(directory / f"{name}.owners.tmp", "wb") as fo,
        open(directory / f"{name}.fence.tmp", "wb") as ff,
    ):
        for keys, owners in parts:
            np.ascontiguousarray(keys, dtype="<u8").tofile(fk)
            np.ascontiguousarray(owners, dtype="<i4").tofile(fo)
            _fence_of(keys, n).tofile(ff)
            n += int(keys.size)
        for fh in (fk, fo, ff):
            fh.flush()
            os.fsync(fh.fileno())
    for ext in ("keys", "owners", "fence"):
        os.replace(directory / f"{name}.{ext}.tmp", directory / f"{name}.{ext}")
    return n


def _merge_two(
    a: _Segment, b: _Segment, gone: tuple[np.ndarray, np.ndarray] | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The sorted merge of two runs, in chunks of MERGE_CHUNK of the larger; pairs in
    ``gone`` (tombstones: sorted keys, owners) are dropped."""
    if a.size < b.size:
        a, b = b, a
    pos = np.searchsorted(a.keys, b.keys, side="right") if b.size else np.zeros(0, np.int64)
    i = j = 0
    while i < a.size or j < b.size:
        end = min(i + MERGE_CHUNK, a.size)
        j_end = int(np.searchsorted(pos, end, side="right")) if end < a.size else b.size
        keys = np.asarray(a.keys[i:end])
        owners = np.asarray(a.owners[i:end])
        if j_end > j:
            at = pos[j:j_end] - i
            keys = np.insert(keys, at, np.asarray(b.keys[j:j_end]))
            owners = np.insert(owners, at, np.asarray(b.owners[j:j_end]))
        if gone is not None and gone[0].size:
            keys, owners = _drop_pairs(keys, owners, gone)
        yield keys, owners
        a.release()  # a merge reads every page once: none need stay resident
        b.release()
        i, j = end, j_end


def _drop_pairs(
    keys: np.ndarray, owners: np.ndarray, gone: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Keys and owners without the (key, owner) pairs of ``gone`` (sorted by key)."""
    if not keys.size:
        return keys, owners
    lo = int(np.searchsorted(gone[0], keys[0], side="left"))
    hi = int(np.searchsorted(gone[0], keys[-1], side="right"))
    if hi <= lo:
        return keys, owners
    gone_pairs = set(zip(gone[0][lo:hi].tolist(), gone[1][lo:hi].tolist(), strict=True))
    maybe = np.flatnonzero(np.isin(keys, gone[0][lo:hi]))
    drop = [
        i
        for i, k, o in zip(
            maybe.tolist(), keys[maybe].tolist(), owners[maybe].tolist(), strict=True
        )
        if (k, o) in gone_pairs
    ]
    if not drop:
        return keys, owners
    keep = np.ones(keys.size, dtype=bool)
    keep[drop] = False
    return keys[keep], owners[keep]


class KeyIndex:
    """The key index of stored story detection (see the module docstring), with the
    methods ``analysis.stories.StoryIndex`` reads a key index through: ``sizes``,
    ``members``, ``insert``, ``delete``, ``hub_keys``, ``set_hub_keys``.

    What an update inserts is kept in memory and searched with the segments; ``write``
    puts it in a new segment file (and merges), ``state`` is what SQLite must then
    record, ``discard`` deletes the files no longer listed once it has."""

    def __init__(self, directory: Path, segments: Sequence[Mapping[str, Any]], hub_length: int):
        self.directory = directory
        self._segments = [_Segment.load(directory, e) for e in segments]
        self._hub_length = hub_length
        hub_path = directory / "hub.i64"
        if hub_length and hub_path.exists():
            self._hub_file = np.asarray(
                np.memmap(hub_path, dtype="<i8", mode="r", shape=(hub_length,))
            )
        else:
            self._hub_file = np.zeros(0, dtype=np.int64)
        self._new_keys: list[np.ndarray] = []
        self._new_owners: list[np.ndarray] = []
        self._gone_keys: list[np.ndarray] = []
        self._gone_owners: list[np.ndarray] = []
        self._pending: _Segment | None = None
        self._tombs: _Segment | None = None
        self._hub_new: dict[int, int] = {}
        self._obsolete: list[str] = []
        #: group sizes looked up since the last insert or delete: an update asks for
        #: the same keys many times, and each search of a mapped segment touches pages
        self._size_cache: dict[int, int] = {}

    # -- reading -------------------------------------------------------------------

    def _runs(self) -> list[_Segment]:
        if self._new_keys:
            keys = np.concatenate([self._pending.keys, *self._new_keys]) if self._pending else None
            if keys is None:
                keys = np.concatenate(self._new_keys)
                owners = np.concatenate(self._new_owners)
            else:
                owners = np.concatenate([self._pending.owners, *self._new_owners])
            order = np.argsort(keys, kind="stable")
            self._pending = _Segment("pending", keys[order], owners[order], tomb=False)
            self._new_keys, self._new_owners = [], []
        if self._gone_keys:
            keys = np.concatenate([*([self._tombs.keys] if self._tombs else []), *self._gone_keys])
            owners = np.concatenate(
                [*([self._tombs.owners] if self._tombs else []), *self._gone_owners]
            )
            order = np.argsort(keys, kind="stable")
            self._tombs = _Segment("tombs", keys[order], owners[order], tomb=True)
            self._gone_keys, self._gone_owners = [], []
        runs = list(self._segments)
        if self._pending is not None:
            runs.append(self._pending)
        if self._tombs is not None:
            runs.append(self._tombs)
        return runs

    def __len__(self) -> int:
        return sum(-r.size if r.tomb else r.size for r in self._runs())

    def sizes(self, keys: np.ndarray) -> np.ndarray:
        keys = _u64(keys)
        cache = self._size_cache
        if len(cache) > SIZE_CACHE_KEYS:
            cache.clear()
        listed = keys.tolist()
        out = np.fromiter((cache.get(k, -1) for k in listed), dtype=np.int64, count=len(listed))
        miss = np.flatnonzero(out < 0)
        if miss.size:
            found = self._search_sizes(keys[miss])
            out[miss] = found
            cache.update(zip(keys[miss].tolist(), found.tolist(), strict=True))
        return out

    def _search_sizes(self, keys: np.ndarray) -> np.ndarray:
        total = np.zeros(keys.size, dtype=np.int64)
        for run in self._runs():
            if not run.size:
                continue
            lo, hi = run.ranges(keys)
            total += -(hi - lo) if run.tomb else (hi - lo)
        return total

    def members(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keys = _u64(keys)
        got_q, got_o, gone_q, gone_o = [], [], [], []
        for run in self._runs():
            if not run.size or not keys.size:
                continue
            lo, hi = run.ranges(keys)
            size = hi - lo
            if not size.any():
                continue
            q = np.repeat(np.arange(keys.size), size)
            start = np.concatenate([[0], np.cumsum(size)[:-1]])
            pos = np.repeat(lo - start, size) + np.arange(int(size.sum()))
            owners = np.asarray(run.owners[pos], dtype=np.int64)
            run._note_read(int(size.astype(bool).sum()))
            (gone_q if run.tomb else got_q).append(q)
            (gone_o if run.tomb else got_o).append(owners)
        if got_q:
            q, o = np.concatenate(got_q), np.concatenate(got_o)
        else:
            q, o = np.zeros(0, np.int64), np.zeros(0, np.int64)
        if gone_q and q.size:
            packed = (q << 32) | o
            drop = (np.concatenate(gone_q) << 32) | np.concatenate(gone_o)
            keep = ~np.isin(packed, drop)
            q, o = q[keep], o[keep]
        order = np.argsort(q, kind="stable")
        q, o = q[order], o[order]
        starts = np.searchsorted(q, np.arange(keys.size + 1), side="left").astype(np.int64)
        return o, starts

    def keys_of(self, handle: int) -> np.ndarray:
        """Every key still held by one owner (a scan of the segments: for a record
        whose article is gone, which nothing else can tell)."""
        held = []
        for run in self._runs():
            at = np.flatnonzero(np.asarray(run.owners) == handle)
            if at.size:
                held.append((run.tomb, np.asarray(run.keys[at])))
        keys = np.concatenate([k for tomb, k in held if not tomb] or [np.zeros(0, np.uint64)])
        gone = np.concatenate([k for tomb, k in held if tomb] or [np.zeros(0, np.uint64)])
        if gone.size:
            keys = np.setdiff1d(keys, gone)
        return keys

    def hub_keys(self, handles: np.ndarray) -> np.ndarray:
        handles = np.asarray(handles, dtype=np.int64)
        out = np.full(handles.size, _NO_HUB, dtype=np.int64)
        stored = handles < self._hub_length
        out[stored] = self._hub_file[handles[stored]]
        if self._hub_new:
            for k in np.flatnonzero(~stored).tolist():
                out[k] = self._hub_new.get(int(handles[k]), _NO_HUB)
        return out

    # -- an update -----------------------------------------------------------------

    def insert(self, keys: np.ndarray, owners: np.ndarray) -> None:
        self._size_cache.clear()
        self._new_keys.append(_u64(keys))
        self._new_owners.append(np.asarray(owners, dtype=np.int64))

    def delete(self, keys: np.ndarray, owners: np.ndarray) -> None:
        self._size_cache.clear()
        self._gone_keys.append(_u64(keys))
        self._gone_owners.append(np.asarray(owners, dtype=np.int64))

    def set_hub_keys(self, handles: np.ndarray, values: np.ndarray) -> None:
        for h, v in zip(np.asarray(handles).tolist(), np.asarray(values).tolist(), strict=True):
            if h < self._hub_length:
                raise ValueError(f"handle {h} is stored already")
            self._hub_new[int(h)] = int(v)

    def write(self) -> dict[str, Any]:
        """Write what this update added (a segment, tombstones, hub keys), merge small
        segments, and return the state SQLite must record for it to count."""
        self._runs()  # what was inserted and deleted, as sorted runs
        written: list[_Segment] = list(self._segments)
        for run in (self._pending, self._tombs):
            if run is None or not run.size:
                continue
            name = f"s{uuid.uuid4().hex[:12]}"
            _write_run(self.directory, name, [(run.keys, run.owners)])
            written.append(
                _Segment.load(self.directory, {"name": name, "n": run.size, "tomb": run.tomb})
            )
        self._pending = self._tombs = None
        written = self._merged(written, compact=len(written) > MAX_SEGMENTS)
        self._obsolete = [s.name for s in self._segments if s.name not in {w.name for w in written}]
        self._segments = written
        if self._hub_new:
            top = max(self._hub_new)
            values = np.full(top + 1 - self._hub_length, _NO_HUB, dtype=np.int64)
            for h, v in self._hub_new.items():
                values[h - self._hub_length] = v
            with open(self.directory / "hub.i64", "ab") as fh:
                fh.truncate(self._hub_length * 8)
                fh.seek(self._hub_length * 8)
                values.astype("<i8").tofile(fh)
                fh.flush()
                os.fsync(fh.fileno())
            self._hub_length = top + 1
            self._hub_new = {}
            self._hub_file = np.asarray(
                np.memmap(
                    self.directory / "hub.i64", dtype="<i8", mode="r", shape=(self._hub_length,)
                )
            )
        return self.state()

    def _merged(self, segments: list[_Segment], *, compact: bool = False) -> list[_Segment]:
        """Size-tiered merging: the two smallest segments are merged while the smaller is
        at least MERGE_SHARE of the other and both hold at most MERGE_BUDGET keys
        (``compact``: every segment into one, tombstones dropped)."""
        adds = sorted((s for s in segments if not s.tomb), key=lambda s: s.size)
        tombs = [s for s in segments if s.tomb]
        while len(adds) > 1:
            a, b = adds[0], adds[1]
            if not compact and (a.size < MERGE_SHARE * b.size or a.size + b.size > MERGE_BUDGET):
                break
            gone = None
            last = len(adds) == 2
            if last and tombs:
                gk = np.concatenate([np.asarray(t.keys) for t in tombs])
                go = np.concatenate([np.asarray(t.owners) for t in tombs]).astype(np.int64)
                order = np.argsort(gk, kind="stable")
                gone = (gk[order], go[order])
            name = f"s{uuid.uuid4().hex[:12]}"
            n = _write_run(self.directory, name, _merge_two(a, b, gone))
            merged = _Segment.load(self.directory, {"name": name, "n": n, "tomb": False})
            if gone is not None:
                tombs = []
            adds = sorted([merged, *adds[2:]], key=lambda s: s.size)
        if compact and tombs and len(adds) == 1:
            a = adds[0]
            gk = np.concatenate([np.asarray(t.keys) for t in tombs])
            go = np.concatenate([np.asarray(t.owners) for t in tombs]).astype(np.int64)
            order = np.argsort(gk, kind="stable")
            empty = _Segment("empty", np.zeros(0, np.uint64), np.zeros(0, np.int32), tomb=False)
            name = f"s{uuid.uuid4().hex[:12]}"
            n = _write_run(self.directory, name, _merge_two(a, empty, (gk[order], go[order])))
            adds, tombs = [_Segment.load(self.directory, {"name": name, "n": n, "tomb": False})], []
        return [*sorted(adds, key=lambda s: -s.size), *tombs]

    def compact(self) -> dict[str, Any]:
        """Merge every segment into one, dropping tombstones; the state to record."""
        self.write()
        merged = self._merged(list(self._segments), compact=True)
        self._obsolete = [s.name for s in self._segments if s.name not in {m.name for m in merged}]
        self._segments = merged
        return self.state()

    def state(self) -> dict[str, Any]:
        return {"segments": [s.entry() for s in self._segments], "hub_length": self._hub_length}

    def discard(self, listed: Iterable[str] = ()) -> None:
        """Delete the segment files no state lists any more (after SQLite recorded it)."""
        keep = {s.name for s in self._segments} | set(listed)
        for path in self.directory.glob("s*.*"):
            if path.name.split(".")[0] not in keep:
                path.unlink(missing_ok=True)


def index_directory(db: Database) -> Path:
    """Where the key index of this database is: beside its file, or (a database in
    memory) in a temporary directory that lives as long as the process."""
    row = db.execute("pragma database_list").fetchone()
    path = row[2] if row else ""
    if path:
        return Path(path + INDEX_SUFFIX)
    cached = getattr(db, "_newsmon_story_dir", None)
    if cached is None:
        cached = Path(tempfile.mkdtemp(prefix="newsmon-stories-"))
        db._newsmon_story_dir = cached  # type: ignore[attr-defined]
    return cached


@contextmanager
def index_lock(directory: Path) -> Iterator[None]:
    """One update of the stored stories at a time (a crawl and analyze may overlap)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# ---------------------------------------------------------------- SQLite


def load_index_state(db: Database) -> dict[str, Any]:
    """The recorded state: scheme, segments, hub_length, next_handle, indexed_through
    (the newest articles.updated_at indexed), directory_id; {} before the first update."""
    if "story_index" not in db.table_names():
        return {}
    return {r["name"]: json.loads(r["value"]) for r in db.query("select * from story_index")}


def save_index_state(db: Database, state: Mapping[str, Any]) -> None:
    db["story_index"].upsert_all(
        [{"name": k, "value": json.dumps(v)} for k, v in state.items()], pk="name", alter=False
    )


def clear_story_index(db: Database) -> None:
    """Forget the indexed articles and everything derived from them (a new signature
    scheme, a lost or foreign key index): the next update indexes every article again
    (stored signatures of the scheme are kept). Call inside a transaction."""
    for table in (
        "story_items",
        "story_citations",
        "story_index",
        "article_relations",
        "story_edges",
        "story_articles",
        *(t for t, _c in STORY_TABLES),
    ):
        db.execute(f"delete from {table}")
    db.execute("delete from story_queue")
    # in storage order (see queued_articles)
    db.execute("insert into story_queue (article_id) select id from articles order by rowid")


def queued_articles(db: Database) -> tuple[int, list[str]]:
    """The articles written or deleted since the last update: (the queue's last
    sequence number, distinct article ids in the order they were first queued).

    In storage order, a batch of a large queue holds the articles stored together --
    a crawl's, whose reprints mostly meet each other -- rather than a random sample of
    the store by id, each of which meets stored records that must be read."""
    last = db.execute("select max(seq) from story_queue").fetchone()[0]
    if last is None:
        return 0, []
    rows = db.execute(
        "select article_id from story_queue where seq <= ? group by article_id order by min(seq)",
        [last],
    )
    return last, [r[0] for r in rows]


def unqueue(db: Database, ids: Sequence[str], through: int) -> None:
    """Take these articles off the queue, up to sequence ``through`` (an article
    written again meanwhile stays queued). Call inside the update's transaction."""
    for part in _chunks(list(ids)):
        marks = ",".join("?" * len(part))
        db.execute(
            f"delete from story_queue where seq <= ? and article_id in ({marks})",
            [through, *part],
        )


def indexed_states(db: Database, ids: Sequence[str]) -> dict[str, tuple[int, str | None]]:
    """{article id: (handle, state it was indexed in)} of the indexed among ``ids``."""
    out: dict[str, tuple[int, str | None]] = {}
    for part in _chunks(list(ids)):
        marks = ",".join("?" * len(part))
        for r in db.query(
            f"select article_id, handle, state from story_items where article_id in ({marks})",
            list(part),
        ):
            out[r["article_id"]] = (r["handle"], r["state"])
    return out


def load_signatures_of(db: Database, ids: Sequence[str], scheme: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for part in _chunks(list(ids)):
        marks = ",".join("?" * len(part))
        for r in db.query(
            "select article_id, signature from signatures"
            f" where scheme = ? and article_id in ({marks})",
            [scheme, *part],
        ):
            out[r["article_id"]] = r["signature"]
    return out


def story_handles(db: Database, ids: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in _chunks(list(ids)):
        marks = ",".join("?" * len(part))
        for r in db.query(
            f"select article_id, handle from story_items where article_id in ({marks})", list(part)
        ):
            out[r["article_id"]] = r["handle"]
    return out


#: the article columns story detection reads (story_record), without the text
RECORD_COLUMNS = (
    "id",
    "site",
    "kind",
    "title",
    "published_at",
    "document_date",
    "source",
    "url",
    "canonical_url",
    "content_hash",
    "origin_links",
    "cited_titles",
    "doc_number",
    "parent_id",
    "meta",
)


def load_indexed_records(
    db: Database, handles: Sequence[int]
) -> list[tuple[int, dict[str, Any], bytes | None]]:
    """(handle, article row without its text, stored signature) of indexed articles;
    JSON columns decoded."""
    cols = ", ".join(f"a.{c}" for c in RECORD_COLUMNS)
    out = []
    for part in _chunks(list(handles)):
        marks = ",".join("?" * len(part))
        rows = db.execute(
            f"""select i.handle, {cols}, s.signature
                from story_items i join articles a on a.id = i.article_id
                left join signatures s on s.article_id = i.article_id
                where i.handle in ({marks})""",
            list(part),
        ).fetchall()
        for row in rows:
            record = dict(zip(RECORD_COLUMNS, row[1:-1], strict=True))
            for c in ("origin_links", "cited_titles", "meta"):
                if isinstance(record.get(c), str):
                    record[c] = json.loads(record[c])
            out.append((row[0], record, row[-1]))
    return out


def load_citations(db: Database, keys: Sequence[str]) -> dict[str, tuple[list[int], list[int]]]:
    out: dict[str, tuple[list[int], list[int]]] = {k: ([], []) for k in keys}
    for part in _chunks(list(keys)):
        marks = ",".join("?" * len(part))
        for r in db.query(
            f"select key, handle, own from story_citations where key in ({marks}) order by handle",
            list(part),
        ):
            out[r["key"]][0 if r["own"] else 1].append(r["handle"])
    return out


def load_relations_of(db: Database, handles: Sequence[int]) -> list[dict[str, Any]]:
    """The stored relations with an end among these handles, ``a`` and ``b`` as handles
    (from ``story_edges``; without their evidence, which an update never writes back:
    a relation it changes is verified again)."""
    out: dict[tuple[int, int], dict[str, Any]] = {}
    names = ("a", "b", "relation", "jaccard", "containment", "score")
    for part in _chunks(list(handles)):
        marks = ",".join("?" * len(part))
        for end in ("a", "b"):
            rows = db.execute(
                f"""select a, b, relation, jaccard, containment, score
                    from story_edges where {end} in ({marks})""",
                list(part),
            ).fetchall()
            for row in rows:
                if (row[0], row[1]) not in out:
                    out[(row[0], row[1])] = {**dict(zip(names, row, strict=True)), "evidence": ""}
    return list(out.values())


def load_citations_of(db: Database, handle: int) -> tuple[list[str], list[str]]:
    """(owned keys, cited keys) of one indexed article."""
    rows = list(db.query("select key, own from story_citations where handle = ?", [handle]))
    return [r["key"] for r in rows if r["own"]], [r["key"] for r in rows if not r["own"]]


def load_story_of(db: Database, handles: Sequence[int]) -> dict[int, str]:
    """The story each indexed article was last put in (kept in story_items, which
    outlives an article's other rows)."""
    out: dict[int, str] = {}
    for part in _chunks(list(handles)):
        marks = ",".join("?" * len(part))
        for r in db.query(
            f"select handle, story_id from story_items where handle in ({marks}) and story_id is not null",
            list(part),
        ):
            out[r["handle"]] = r["story_id"]
    return out


def load_story_handles(db: Database, story_id: str) -> list[int]:
    """The handles of a story's indexed members."""
    return [
        r[0] for r in db.execute("select handle from story_items where story_id = ?", [story_id])
    ]


#: what is stored per story, deleted with a story that no longer exists
STORY_TABLES = (
    ("story_tags", "story_id"),
    ("reactions", "story_id"),
    ("stock_reactions", "story_id"),
    ("stories", "id"),
)


def _upsert(db: Database, table: str, rows: Sequence[Mapping[str, Any]], pk: Sequence[str]) -> None:
    """Insert or update rows (every row with the same columns) in one executemany:
    sqlite-utils' upsert_all spends more time than SQLite on the tens of thousands of
    rows an update writes."""
    if not rows:
        return
    cols = list(rows[0])
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in pk) or f"{pk[0]} = {pk[0]}"
    sql = (
        f"insert into {table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))}) "
        f"on conflict ({', '.join(pk)}) do update set {updates}"
    )
    db.conn.executemany(sql, [tuple(r[c] for c in cols) for r in rows])


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def save_story_changes(
    db: Database,
    changes: Mapping[str, Any],
    *,
    scheme: str,
    states: Mapping[str, str],
    stories: Sequence[Mapping[str, Any]],
    members: Sequence[Mapping[str, Any]],
) -> None:
    """Store one update's changes (``StoryIndex.changes()``): the records indexed (with
    their signatures and citation keys; ``states``: the state each was indexed in), the
    ones taken out, the relations put and dropped, the stories made again (``stories``
    and ``members``: their rows) and those gone, with their tags and reactions. Call
    inside a transaction."""
    now = utc_now()
    removed = [r["handle"] for r in changes["removed"]]
    for part in _chunks(removed):
        marks = ",".join("?" * len(part))
        db.execute(f"delete from story_citations where handle in ({marks})", list(part))
        db.execute(f"delete from story_items where handle in ({marks})", list(part))
    records = changes["records"]
    if records:
        _upsert(
            db,
            "signatures",
            [
                {
                    "article_id": r["article_id"],
                    "scheme": scheme,
                    "n_shingles": r["n_shingles"],
                    "signature": r["signature"],
                }
                for r in records
            ],
            ["article_id"],
        )
        _upsert(
            db,
            "story_items",
            [
                {
                    "handle": r["handle"],
                    "article_id": r["article_id"],
                    "hub": r["hub"],
                    "n_shingles": r["n_shingles"],
                    "state": states.get(r["article_id"]),
                    "indexed_at": now,
                }
                for r in records
            ],
            ["handle"],
        )
        db.conn.executemany(
            "insert or replace into story_citations (key, handle, own) values (?, ?, ?)",
            [
                (key, r["handle"], own)
                for r in records
                for own, keys in ((1, r["own_keys"]), (0, r["cited_keys"]))
                for key in keys
            ],
        )
    edges_gone = [tuple(p) for p in changes.get("dropped_edges", ())]
    edges_put = [tuple(e) for e in changes.get("edges", ())]
    db.conn.executemany(
        "delete from story_edges where a = ? and b = ?",
        edges_gone + [p[::-1] for p in edges_gone] + [e[1::-1] for e in edges_put],
    )
    db.conn.executemany(
        "insert or replace into story_edges (a, b, relation, jaccard, containment, score)"
        " values (?, ?, ?, ?, ?, ?)",
        edges_put,
    )
    db.conn.executemany(
        "delete from article_relations where a = ? and b = ?",
        [tuple(p) for p in changes["dropped_relations"]]
        + [tuple(reversed(p)) for p in changes["dropped_relations"]],
    )
    if changes["relations"]:
        rows = []
        for r in changes["relations"]:
            row = dict(r)
            if not isinstance(row.get("evidence"), str | type(None)):
                row["evidence"] = _json(row["evidence"])
            rows.append(row)
        # a pair verified again may have swapped its ends
        db.conn.executemany(
            "delete from article_relations where a = ? and b = ?", [(r["b"], r["a"]) for r in rows]
        )
        _upsert(db, "article_relations", rows, ["a", "b"])
    for part in _chunks([r["article_id"] for r in changes["removed"]]):
        marks = ",".join("?" * len(part))
        db.execute(f"delete from story_articles where article_id in ({marks})", list(part))
    rows = []
    for s in stories:
        row = dict(s)
        if "meta" in row and not isinstance(row["meta"], str | type(None)):
            row["meta"] = _json(row["meta"])
        row["updated_at"] = now
        rows.append(row)
    _upsert(db, "stories", rows, ["id"])
    if members:
        _upsert(db, "story_articles", list(members), ["article_id"])
        db.conn.executemany(
            "update story_items set story_id = ? where article_id = ?",
            [(m["story_id"], m["article_id"]) for m in members],
        )
    # the stories gone last: every member of one is in a story made again by now
    for part in _chunks(list(changes["stories_gone"])):
        marks = ",".join("?" * len(part))
        for table, column in STORY_TABLES:
            db.execute(f"delete from {table} where {column} in ({marks})", list(part))


def load_story_memberships(db: Database, story_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The memberships (``story_id``, ``article_id``) of these stories, in the order
    stored."""
    rows: list[tuple[int, dict[str, Any]]] = []
    for part in _chunks(sorted(set(story_ids))):
        marks = ",".join("?" * len(part))
        for r in db.execute(
            f"select rowid, story_id, article_id from story_articles where story_id in ({marks})",
            list(part),
        ):
            rows.append((r[0], {"story_id": r[1], "article_id": r[2]}))
    return [m for _rowid, m in sorted(rows, key=lambda x: x[0])]


def load_article_tags(db: Database, article_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The tag rows of these articles (as ``load_tags`` gives all of them)."""
    out = []
    for part in _chunks(sorted(set(article_ids))):
        marks = ",".join("?" * len(part))
        for r in db.query(
            f"select * from tags where article_id in ({marks}) order by article_id, kind, code",
            list(part),
        ):
            row = dict(r)
            if isinstance(row.get("evidence"), str):
                try:
                    row["evidence"] = json.loads(row["evidence"])
                except json.JSONDecodeError:
                    pass
            out.append(row)
    return out


def compact_story_index(db: Database) -> dict[str, Any]:
    """Merge the key index's segments into one and drop its tombstones (maintenance: an
    update merges only small segments, never more than MERGE_BUDGET keys)."""
    directory = index_directory(db)
    with index_lock(directory):
        state = load_index_state(db)
        if not state.get("segments"):
            return state
        keys = KeyIndex(directory, state["segments"], state["hub_length"])
        state = {**state, **keys.compact()}
        with db.atomic():
            save_index_state(db, state)
        keys.discard()
    return state


def count_stories(db: Database) -> dict[str, int]:
    return {
        "stories": db.execute("select count(*) from stories").fetchone()[0],
        "relations": db.execute("select count(*) from article_relations").fetchone()[0],
        "articles": db.execute("select count(*) from articles").fetchone()[0],
    }
