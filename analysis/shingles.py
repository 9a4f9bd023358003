"""Character shingles, content-defined windows and MinHash signatures of matching text.

Chinese has no spaces, so a text is compared as the set of its overlapping
character n-grams (``SHINGLE_SIZE`` characters of ``matching_text``), never as
whitespace or ``\\W`` tokens.

Everything is computed with numpy over a whole batch of texts at once:

- shingle hashes: a polynomial over the code points of each n-gram (uint64
  arithmetic, wrapping), avalanched with the MurmurHash3 64-bit finaliser and
  cut to 32 bits;
- windows: content-defined pieces of a text, cut after a shingle whose hash is
  0 modulo ``WINDOW_DIVISOR`` (in bits 8 and up; at least ``WINDOW_MIN`` and at
  most ``WINDOW_MAX`` shingles long). A cut depends only on the few characters at the
  cut, so the same paragraph gives the same windows in an official PDF, in a
  reprint with another header and inside a longer article: a partial reprint
  shares whole windows with its origin even though the two texts' Jaccard is
  low. Each window gets its own MinHash signature and goes into the LSH index;
- MinHash: datasketch's ``affine32`` scheme (the default of datasketch 2.x):
  the 32-bit input hash pre-mixed with the MurmurHash3 32-bit finaliser, then
  ``a_k * h + b_k mod 2**32`` with the permutation parameters datasketch draws
  from ``MINHASH_SEED``. The signature of a window equals
  ``datasketch.MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=int)``
  updated with the window's shingle hashes; ``Fingerprint.minhash`` returns a
  ``datasketch.LeanMinHash`` of the whole text;
- anchors: the shingles whose hash is 0 modulo ``ANCHOR_MOD`` (a fixed 1/16
  sample of the shingle set, so two texts that share many shingles share
  anchors whatever their lengths): they find commentary that quotes scattered
  phrases, far below any Jaccard an LSH band can see;
- segments: paragraphs (display lines), long ones cut every ``SEGMENT_CHARS``
  characters; each distinct shingle remembers the segment it first occurs in,
  so a comparison can tell which part of a text another text covers;
- line keys: per paragraph, a digest of its matching text (``line_keys``) and of
  the same text with its variable slots masked (``slot_keys``: runs of digits
  and the contents of 《...》, so 现将《甲方案》印发给你们 and 现将《乙方案》印发给你们
  agree). Counted over the store they are the document frequency of each
  paragraph: a paragraph that recurs in many documents (a cover letter, a
  standard section, site boilerplate, a flash of one template) is template
  text, not evidence (see ``analysis.stories``).

A ``Fingerprint`` serialises to bytes (``to_bytes`` / ``from_bytes``) so that
signatures can be stored and an index rebuilt without touching the texts.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash

from newsmon.analysis.normalize import matching_text

#: characters per shingle. Calibrated on the seeds and the real pages (containment
#: of the smaller text, n = 3 / 4 / 5 / 6): most shared by unrelated pages 0.15 /
#: 0.054 / 0.020 / 0.010; commentary on the plans 0.50 / 0.36 / 0.27 / 0.22; the
#: note on the draft 0.35 / 0.23 / 0.16 / 0.11. 5 keeps the widest gap between
#: background and unrelated text; longer shingles lose more to each edit.
SHINGLE_SIZE = 5
#: MinHash permutations per window: 16 bands of 4 rows (below)
NUM_PERM = 64
#: seed of the MinHash permutations; changing it invalidates stored signatures
MINHASH_SEED = 7
#: LSH bands x rows. (16, 4) is datasketch's optimal split of 64 permutations
#: for a Jaccard threshold of 0.4 (equal false positive and negative weights):
#: windows with Jaccard 0.8 collide in at least one band with p > 0.999, with
#: 0.4 with p = 0.34, with 0.1 with p = 0.002
LSH_BANDS = 16
LSH_ROWS = 4
#: a window is cut after a shingle whose hash (from bit 8 up) is 0 modulo this:
#: a natural cut every 128 shingles on average; with WINDOW_MIN, windows of the
#: seeds average 160 shingles, and the one-plan reprint shares 25 of its 32
#: windows exactly with the notice (the other 7 straddle its own header and edits)
WINDOW_DIVISOR = 128
#: shortest window (shingles); a cut closer to the last one is skipped
WINDOW_MIN = 64
#: longest window (shingles); a longer stretch without a natural cut is cut here
WINDOW_MAX = 512
#: paragraphs longer than this (characters) are split into segments of this size
SEGMENT_CHARS = 300
#: a shingle is an anchor when its hash is 0 modulo this (1/16 of the shingles)
ANCHOR_MOD = 16
#: texts whose matching text is shorter than this are not shingled: they are
#: matched by their exact normalised text only (flash items of a line, captions),
#: so that a handful of shingles never decides a relation
MIN_SHINGLED_CHARS = 24
#: paragraphs shorter than this (matching characters) get no line key: 一、 or 附件
LINE_KEY_MIN_CHARS = 6
#: bumped whenever a change here changes shingles or signatures
FINGERPRINT_VERSION = 2

#: characters per batch of texts hashed together
_BATCH_CHARS = 2_000_000
#: texts per batch (the batch index of a text is packed in 16 bits)
_BATCH_TEXTS = 65_535
#: shingles per block of the MinHash kernel (keeps the block in cache)
_BLOCK_SHINGLES = 65_536
_POLY_BASE = np.uint64(0x100000001B3)
_M64 = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_M32 = (np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35))
_MAGIC = b"NMFP"
_HEADER = struct.Struct("<4sBBHIIIIII16s")
#: variable slots of a paragraph: digit runs (numbers, dates) and what 《》 enclose
_SLOTS = re.compile(r"\d+(?:\.\d+)?|(?<=《)[^《》]*(?=》)")


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED).permutations
    return np.ascontiguousarray(a, dtype=np.uint32), np.ascontiguousarray(b, dtype=np.uint32)


_PERM_A, _PERM_B = _permutations()


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (a bijection) on a uint64 array."""
    h = h ^ (h >> np.uint64(33))
    h = h * _M64[0]
    h = h ^ (h >> np.uint64(33))
    h = h * _M64[1]
    return h ^ (h >> np.uint64(33))


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, as datasketch pre-mixes MinHash input."""
    h = h ^ (h >> np.uint32(16))
    h = h * _M32[0]
    h = h ^ (h >> np.uint32(13))
    h = h * _M32[1]
    return h ^ (h >> np.uint32(16))


def shingle_hashes(matching: str) -> np.ndarray:
    """The 32-bit hash of every ``SHINGLE_SIZE``-character n-gram, in text order."""
    n = len(matching) - SHINGLE_SIZE + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint32)
    cp = np.frombuffer(matching.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return _hash_windows(cp, n)


def _hash_windows(cp: np.ndarray, n: int) -> np.ndarray:
    h = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE_SIZE):
        h *= _POLY_BASE
        h += cp[j : j + n]
    return (fmix64(h) >> np.uint64(32)).astype(np.uint32)


def _word_table() -> np.ndarray:
    table = np.ones(0x110000, dtype=bool)
    table[:0x30000] = [chr(i).isalnum() for i in range(0x30000)]
    return table


#: code point -> is a letter, digit or ideograph (what ``\w`` keeps, without "_")
_IS_WORD = _word_table()


def _key_of(codepoints: np.ndarray) -> bytes:
    bare = codepoints[_IS_WORD[codepoints]]
    if not bare.size:
        return b""
    return hashlib.blake2b(bare.astype("<u4", copy=False).tobytes(), digest_size=16).digest()


def text_key(matching: str) -> bytes:
    """Digest of the matching text without punctuation: equal for texts that differ
    only in punctuation, spacing and width; empty for a text without words."""
    return _key_of(np.frombuffer(matching.encode("utf-32-le"), dtype=np.uint32))


@dataclass(eq=False)
class Fingerprint:
    """What comparisons need of one text; no text itself."""

    #: characters of the matching text
    length: int
    #: ``text_key`` of the matching text (b"" for an empty text)
    key: bytes
    #: distinct shingle hashes, sorted (uint32); empty for short texts
    shingles: np.ndarray
    #: segment of each distinct shingle's first occurrence (uint16, parallel)
    segments: np.ndarray
    #: number of segments
    n_segments: int
    #: MinHash signature per window, shape (windows, NUM_PERM), uint32
    windows: np.ndarray
    #: paragraph (line) of each segment (uint16)
    segment_lines: np.ndarray = None  # type: ignore[assignment]
    #: per paragraph: 60-bit digest of its matching text, 0 for a short one (uint64)
    line_keys: np.ndarray = None  # type: ignore[assignment]
    #: per paragraph: digest with digits and 《》 contents masked, 0 if nothing was masked
    slot_keys: np.ndarray = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.segment_lines is None:
            self.segment_lines = np.zeros(self.n_segments, dtype=np.uint16)
        if self.line_keys is None:
            self.line_keys = np.zeros(0, dtype=np.uint64)
        if self.slot_keys is None:
            self.slot_keys = np.zeros(self.line_keys.size, dtype=np.uint64)

    @property
    def is_short(self) -> bool:
        return self.shingles.size == 0

    def minhash(self) -> LeanMinHash | None:
        """The whole text's MinHash (the minimum over its windows), or None for a short text."""
        if not self.windows.shape[0]:
            return None
        values = self.windows.min(axis=0)
        return LeanMinHash(seed=MINHASH_SEED, hashvalues=values, scheme="affine32")

    def band_keys(self) -> np.ndarray:
        """One uint64 key per window and LSH band (unique, sorted)."""
        return np.unique(band_keys(self.windows))

    def anchors(self) -> np.ndarray:
        """The anchor shingles (uint32, sorted)."""
        return self.shingles[(self.shingles % np.uint32(ANCHOR_MOD)) == 0]

    def to_bytes(self) -> bytes:
        header = _HEADER.pack(
            _MAGIC,
            FINGERPRINT_VERSION,
            SHINGLE_SIZE,
            NUM_PERM,
            MINHASH_SEED,
            self.length,
            self.shingles.size,
            self.n_segments,
            self.windows.shape[0],
            self.line_keys.size,
            self.key.ljust(16, b"\0"),
        )
        return b"".join(
            [
                header,
                np.ascontiguousarray(self.windows, dtype="<u4").tobytes(),
                np.ascontiguousarray(self.shingles, dtype="<u4").tobytes(),
                np.ascontiguousarray(self.segments, dtype="<u2").tobytes(),
                np.ascontiguousarray(self.segment_lines, dtype="<u2").tobytes(),
                np.ascontiguousarray(self.line_keys, dtype="<u8").tobytes(),
                np.ascontiguousarray(self.slot_keys, dtype="<u8").tobytes(),
            ]
        )

    @classmethod
    def from_bytes(cls, blob: bytes) -> Fingerprint:
        """A fingerprint written by ``to_bytes``; ValueError if it was made with other
        parameters (then it must be recomputed from the text)."""
        if len(blob) < _HEADER.size:
            raise ValueError("fingerprint too short")
        (magic, version, size, num_perm, seed, length, n_sh, n_seg, n_win, n_lines, key) = (
            _HEADER.unpack_from(blob)
        )
        if (magic, version, size, num_perm, seed) != (
            _MAGIC,
            FINGERPRINT_VERSION,
            SHINGLE_SIZE,
            NUM_PERM,
            MINHASH_SEED,
        ):
            raise ValueError("fingerprint made with other parameters")
        expected = _HEADER.size + n_win * NUM_PERM * 4 + n_sh * 6 + n_seg * 2 + n_lines * 16
        if len(blob) != expected:
            raise ValueError("fingerprint length does not match its header")
        pos = _HEADER.size
        windows = np.frombuffer(blob, dtype="<u4", count=n_win * NUM_PERM, offset=pos)
        pos += n_win * NUM_PERM * 4
        shingles = np.frombuffer(blob, dtype="<u4", count=n_sh, offset=pos)
        pos += n_sh * 4
        segments = np.frombuffer(blob, dtype="<u2", count=n_sh, offset=pos)
        pos += n_sh * 2
        segment_lines = np.frombuffer(blob, dtype="<u2", count=n_seg, offset=pos)
        pos += n_seg * 2
        line_keys = np.frombuffer(blob, dtype="<u8", count=n_lines, offset=pos)
        pos += n_lines * 8
        slot_keys = np.frombuffer(blob, dtype="<u8", count=n_lines, offset=pos)
        return cls(
            length=length,
            key=key if any(key) else b"",
            shingles=shingles.astype(np.uint32),
            segments=segments.astype(np.uint16),
            n_segments=n_seg,
            windows=windows.astype(np.uint32).reshape(n_win, NUM_PERM),
            segment_lines=segment_lines.astype(np.uint16),
            line_keys=line_keys.astype(np.uint64),
            slot_keys=slot_keys.astype(np.uint64),
        )


def band_keys(windows: np.ndarray) -> np.ndarray:
    """LSH band keys of window signatures: shape (windows, LSH_BANDS), uint64. Two
    windows share a key when their signatures agree on the band's LSH_ROWS values."""
    sig = windows.astype(np.uint64).reshape(-1, LSH_BANDS, LSH_ROWS)
    h = np.zeros(sig.shape[:2], dtype=np.uint64)
    for r in range(LSH_ROWS):
        h = fmix64(h ^ sig[:, :, r])
    return fmix64(h + np.arange(1, LSH_BANDS + 1, dtype=np.uint64) * _M64[0])


def fingerprints(texts: Sequence[str]) -> list[Fingerprint]:
    """Fingerprints of display texts (paragraphs separated by newlines), in order."""
    out: list[Fingerprint] = []
    batch: list[str] = []
    chars = 0
    for text in texts:
        batch.append(text)
        chars += len(text)
        if chars >= _BATCH_CHARS or len(batch) == _BATCH_TEXTS:
            out.extend(_fingerprint_batch(batch))
            batch, chars = [], 0
    if batch:
        out.extend(_fingerprint_batch(batch))
    return out


def fingerprint(text: str) -> Fingerprint:
    return fingerprints([text])[0]


def _line_digest(text: str, salt: bytes) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8, person=salt).digest()
    return (int.from_bytes(digest, "little") & ((1 << 60) - 1)) or 1


def line_digests(line: str) -> tuple[int, int]:
    """(line key, slot key) of one paragraph's matching text; 0 where there is none."""
    if len(line) < LINE_KEY_MIN_CHARS:
        return 0, 0
    masked = _SLOTS.sub("0", line)
    return _line_digest(line, b"line"), (_line_digest(masked, b"slot") if masked != line else 0)


def _matching_and_segments(text: str) -> tuple[str, list[int], list[int], list[str]]:
    """The matching text, the start of each segment in it, the paragraph of each
    segment and the paragraphs' matching texts.

    Lines are marked with a NUL (not white space, untouched by ``matching_text``),
    so one call gives both the matching text and where its paragraphs start.
    """
    marked = matching_text(text.replace("\n", "\0"), already_display=True)
    starts: list[int] = []
    seg_lines: list[int] = []
    lines: list[str] = []
    pos = 0
    for line in marked.split("\0"):
        n = len(line)
        if n:
            seg = list(range(pos, pos + n, SEGMENT_CHARS))
            starts.extend(seg)
            seg_lines.extend([min(len(lines), 65535)] * len(seg))
            lines.append(line)
        pos += n
    return marked.replace("\0", ""), starts or [0], seg_lines or [0], lines


def _window_starts(cuts: np.ndarray, n: int) -> list[int]:
    """Window start positions from the natural cut candidates (shingle indices)."""
    starts = [0]
    last = 0
    for p in (cuts + 1).tolist():
        while p - last > WINDOW_MAX:
            last += WINDOW_MAX
            starts.append(last)
        if p - last >= WINDOW_MIN and p < n:
            last = p
            starts.append(last)
    while n - last > WINDOW_MAX:
        last += WINDOW_MAX
        starts.append(last)
    return starts


def _fingerprint_batch(texts: Sequence[str]) -> list[Fingerprint]:
    matchings: list[str] = []
    seg_starts: list[list[int]] = []
    seg_lines: list[list[int]] = []
    line_texts: list[list[str]] = []
    for text in texts:
        matching, starts, lines_of, lines = _matching_and_segments(text)
        matchings.append(matching)
        seg_starts.append(starts)
        seg_lines.append(lines_of)
        line_texts.append(lines)
    lengths = np.array([len(m) for m in matchings], dtype=np.int64)
    counts = np.where(lengths >= MIN_SHINGLED_CHARS, lengths - SHINGLE_SIZE + 1, 0)
    counts = np.maximum(counts, 0)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    total = int(offsets[-1])

    cp = np.frombuffer("".join(matchings).encode("utf-32-le"), dtype=np.uint32)
    # shingle hashes of every valid position, all texts at once
    if counts.sum():
        all_h = _hash_windows(cp.astype(np.uint64), total - SHINGLE_SIZE + 1)
        doc_of = np.repeat(np.arange(len(texts)), counts)
        first = np.concatenate([[0], np.cumsum(counts)])
        pos = (
            np.arange(int(first[-1]))
            - np.repeat(first[:-1], counts)
            + np.repeat(offsets[:-1], counts)
        )
        hashes = all_h[pos]
    else:
        doc_of = np.zeros(0, dtype=np.int64)
        first = np.zeros(len(texts) + 1, dtype=np.int64)
        hashes = np.zeros(0, dtype=np.uint32)

    # windows (content-defined) per text, as global starts into `hashes`
    is_cut = ((hashes >> np.uint32(8)) & np.uint32(WINDOW_DIVISOR - 1)) == 0
    cut_pos = np.flatnonzero(is_cut)
    cut_bounds = np.searchsorted(cut_pos, first)
    window_starts: list[np.ndarray] = []
    for d in range(len(texts)):
        n = int(counts[d])
        if not n:
            window_starts.append(np.zeros(0, dtype=np.int64))
            continue
        local = cut_pos[cut_bounds[d] : cut_bounds[d + 1]] - first[d]
        window_starts.append(np.asarray(_window_starts(local, n), dtype=np.int64) + first[d])
    all_starts = np.concatenate(window_starts) if window_starts else np.zeros(0, dtype=np.int64)
    signatures = _window_signatures(hashes, all_starts)

    # distinct shingles per text with the segment of their first occurrence: one sort
    # of (text, hash, segment) packed in 16 + 32 + 16 bits
    if hashes.size:
        seg_global = np.concatenate(
            [
                np.minimum(np.asarray(st, dtype=np.int64), max(int(c) - 1, 0)) + f
                for st, c, f in zip(seg_starts, counts, first[:-1], strict=True)
                if c
            ]
        )
        seg_first = np.concatenate(
            [[0], np.cumsum([len(st) for st, c in zip(seg_starts, counts, strict=True) if c])]
        )
        seg_id = np.searchsorted(seg_global, np.arange(hashes.size), side="right") - 1
        seg_local = seg_id - np.repeat(seg_first[:-1], counts[counts > 0])
        packed = (
            (doc_of.astype(np.uint64) << np.uint64(48))
            | (hashes.astype(np.uint64) << np.uint64(16))
            | np.minimum(seg_local, 65535).astype(np.uint64)
        )
        packed.sort()
        head = packed >> np.uint64(16)
        keep = np.concatenate([[True], head[1:] != head[:-1]])
        packed = packed[keep]
        u_doc = (packed >> np.uint64(48)).astype(np.int64)
        u_hash = ((packed >> np.uint64(16)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        u_seg = (packed & np.uint64(0xFFFF)).astype(np.uint16)
        u_bounds = np.searchsorted(u_doc, np.arange(len(texts) + 1))
    out: list[Fingerprint] = []
    w = 0
    for d, m in enumerate(matchings):
        n_win = window_starts[d].size
        sig = signatures[w : w + n_win]
        w += n_win
        n_seg = min(len(seg_starts[d]), 65536)
        digests = [line_digests(line) for line in line_texts[d]]
        if counts[d]:
            lo, hi = u_bounds[d], u_bounds[d + 1]
            sh = u_hash[lo:hi]
            seg = u_seg[lo:hi]
        else:
            sh = np.zeros(0, dtype=np.uint32)
            seg = np.zeros(0, dtype=np.uint16)
        out.append(
            Fingerprint(
                length=len(m),
                key=_key_of(cp[offsets[d] : offsets[d + 1]]),
                shingles=sh,
                segments=seg,
                n_segments=n_seg,
                windows=sig,
                segment_lines=np.asarray(seg_lines[d][:n_seg], dtype=np.uint16),
                line_keys=np.asarray([k for k, _ in digests], dtype=np.uint64),
                slot_keys=np.asarray([k for _, k in digests], dtype=np.uint64),
            )
        )
    return out


def _window_signatures(hashes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """MinHash signature (NUM_PERM uint32) of each window hashes[starts[i]:starts[i+1]]."""
    n_win = starts.size
    out = np.empty((n_win, NUM_PERM), dtype=np.uint32)
    if not n_win:
        return out
    mixed = fmix32(hashes)
    a = _PERM_A[:, None]
    b = _PERM_B[:, None]
    bounds = np.append(starts, hashes.size)
    w = 0
    while w < n_win:
        # a block of whole windows, about _BLOCK_SHINGLES shingles
        w_end = int(np.searchsorted(bounds, bounds[w] + _BLOCK_SHINGLES, side="right")) - 1
        w_end = max(w_end, w + 1)
        lo, hi = int(bounds[w]), int(bounds[w_end])
        block = a * mixed[lo:hi][None, :]
        block += b
        out[w:w_end] = np.minimum.reduceat(block, bounds[w:w_end] - lo, axis=1).T
        w = w_end
    return out


def shared_mask(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mask over the sorted distinct shingles ``a``: which of them are also in ``b``."""
    if not a.size or not b.size:
        return np.zeros(a.size, dtype=bool)
    idx = np.searchsorted(b, a)
    idx[idx == b.size] = 0
    return b[idx] == a
