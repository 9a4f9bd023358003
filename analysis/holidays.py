"""The State Council's annual holiday notice, read into the days the exchanges close.

Each November or December the General Office of the State Council publishes
国务院办公厅关于YYYY年部分节假日安排的通知 on gov.cn: one numbered item per holiday
(一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。). The
Shanghai and Shenzhen exchanges close on every day given off (放假, 补休) and do not
open on the weekend days worked in exchange (调休上班), so a year's closed weekdays
are exactly the notice's days off that fall Monday to Friday.

Pure functions: text in, dates out. ``parse_notice`` reads a whole notice (or its
holiday sentences); ``parse_description`` reads one holiday's sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

#: the notice's title, which names the year it arranges
TITLE_RE = re.compile(r"关于\s*(\d{4})\s*年\s*部分节假日安排的通知")
#: one numbered holiday item: 一、元旦：...
ITEM_RE = re.compile(r"(?:^|\n|\s)([一二三四五六七八九十]{1,2})\s*[、.．]\s*([^：:\n]{1,20})[：:]")
#: a parenthetical (weekday, lunar date): never holds a day that changes the arrangement
PAREN_RE = re.compile(r"[（(][^（()）]*[）)]")
#: a date as the notices write it: 2018年12月30日, 12月30日, 30日
DATE_RE = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日")
#: what joins the two ends of a range of days off
RANGE_JOIN_RE = re.compile(r"^\s*(?:至|到|—|－|-|–|~|～)+\s*$")
#: clause separators (a clause holds one statement: days off, or days worked)
CLAUSE_SPLIT_RE = re.compile(r"[，,。；;\n]")
#: a clause giving days off; 不放假 / 不调休 do not
OFF_WORDS = ("放假", "补休")
#: a clause naming working days
WORK_WORD = "上班"
#: a weekend's rest moved to another day (…两个公休日调至…): the weekend days before it are worked
MOVED_WORD = "调至"
#: 共N天: the length the notice itself gives for a holiday
TOTAL_RE = re.compile(r"共\s*(\d{1,2})\s*天")


class NoticeError(ValueError):
    """A text that is not a holiday notice, or a sentence that cannot be read."""


@dataclass
class Holiday:
    name: str
    off_days: list[dt.date] = field(default_factory=list)
    work_days: list[dt.date] = field(default_factory=list)
    text: str = ""
    #: 共N天 as the notice states it, when it does
    stated_days: int | None = None


@dataclass
class HolidayArrangement:
    """One year's arrangement: the days off and the weekend days worked in exchange."""

    year: int
    holidays: list[Holiday] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def off_days(self) -> list[dt.date]:
        return sorted({d for h in self.holidays for d in h.off_days})

    @property
    def work_days(self) -> list[dt.date]:
        return sorted({d for h in self.holidays for d in h.work_days})

    def closed_weekdays(self) -> list[dt.date]:
        """Weekdays the exchanges close: every day off from Monday to Friday.

        Weekend days are closed anyway, and a weekend worked in exchange (调休上班)
        does not open the exchange, so only days off on weekdays add closures.
        """
        return [d for d in self.off_days if d.weekday() < 5]

    def to_dict(self) -> dict:
        return {
            "year": self.year,
            "holidays": [
                {
                    "name": h.name,
                    "off_days": [d.isoformat() for d in h.off_days],
                    "work_days": [d.isoformat() for d in h.work_days],
                    "text": h.text,
                }
                for h in self.holidays
            ],
            "notes": list(self.notes),
        }


def notice_year(text: str) -> int | None:
    """The year a notice arranges, from its title (None when the title is not there)."""
    m = TITLE_RE.search(text)
    return int(m.group(1)) if m else None


def _dates(clause: str, year: int, *, bridge: bool, context: list[int | None]):
    """Every date in a clause with its span, filling year and month from the context.

    ``context`` is [year, month] of the last date read (a bare 31日 takes both, a
    bare 12月31日 takes the notice's year); ``bridge``: the sentence also speaks of
    January, so a December without a year is the year before the notice's.
    """
    for m in DATE_RE.finditer(clause):
        y, mo, d = m.group(1), m.group(2), m.group(3)
        if mo is None:
            if context[1] is None:
                continue  # a day without any month to hang it on
            month = context[1]
            yr = int(y) if y else context[0]
        else:
            month = int(mo)
            if y:
                yr = int(y)
            elif month == 12 and bridge:
                yr = year - 1
            else:
                yr = year
        yr = yr if yr is not None else year
        try:
            day = dt.date(yr, month, int(d))
        except ValueError as exc:
            raise NoticeError(f"{m.group(0)!r} is not a date (in {clause!r})") from exc
        context[0], context[1] = yr, month
        yield day, m.start(), m.end()


def _span(start: dt.date, end: dt.date) -> list[dt.date]:
    if end < start or (end - start).days > 31:
        raise NoticeError(f"the range {start} to {end} is not a holiday")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def parse_description(text: str, year: int, name: str = "") -> Holiday:
    """One holiday's sentence -> its days off and the weekend days worked.

    >>> h = parse_description("2月4日至10日放假调休，共7天。2月2日（星期六）、2月3日（星期日）上班。", 2019)
    >>> [d.day for d in h.off_days], [d.day for d in h.work_days]
    ([4, 5, 6, 7, 8, 9, 10], [2, 3])
    """
    plain = PAREN_RE.sub("", text)
    bridge = "1月" in plain and "12月" in plain
    context: list[int | None] = [None, None]
    off: list[dt.date] = []
    work: list[dt.date] = []
    for clause in CLAUSE_SPLIT_RE.split(plain):
        if not clause.strip():
            continue
        found = list(_dates(clause, year, bridge=bridge, context=context))
        if not found:
            continue
        is_off = any(w in clause for w in OFF_WORDS) and "不放假" not in clause
        if WORK_WORD in clause and not is_off:
            work.extend(d for d, _, _ in found)
        elif MOVED_WORD in clause:
            moved_at = clause.index(MOVED_WORD)
            work.extend(d for d, start, _ in found if start < moved_at and d.weekday() >= 5)
        elif is_off:
            days: list[dt.date] = []
            i = 0
            while i < len(found):
                day, _, end = found[i]
                if i + 1 < len(found) and RANGE_JOIN_RE.match(clause[end : found[i + 1][1]]):
                    days.extend(_span(day, found[i + 1][0]))
                    i += 2
                else:
                    days.append(day)
                    i += 1
            off.extend(days)
        # other clauses (其中…为法定节假日, …照常公休, …调至…) restate days already given
    total = TOTAL_RE.search(plain)
    return Holiday(
        name=name,
        off_days=sorted(set(off)),
        work_days=sorted(set(work) - set(off)),
        text=text.strip(),
        stated_days=int(total.group(1)) if total else None,
    )


def parse_notice(text: str, year: int | None = None) -> HolidayArrangement:
    """A whole notice (title and numbered items, or just its holiday sentences) -> the year.

    The year comes from the title (国务院办公厅关于YYYY年部分节假日安排的通知) unless
    given. Raises NoticeError when no year can be found or no holiday is read.
    """
    year = year or notice_year(text)
    if year is None:
        raise NoticeError(
            "no year: the text has no title 国务院办公厅关于YYYY年部分节假日安排的通知 "
            "(give the year explicitly)"
        )
    items = list(ITEM_RE.finditer(text))
    chunks: list[tuple[str, str]] = []
    for i, m in enumerate(items):
        end = items[i + 1].start() if i + 1 < len(items) else len(text)
        body = text[m.end() : end]
        chunks.append((m.group(2).strip(), _first_paragraph(body)))
    if not chunks:
        chunks = [("", text)]
    out = HolidayArrangement(year=year)
    for name, body in chunks:
        if not any(w in body for w in OFF_WORDS):
            continue  # a closing paragraph, not a holiday
        holiday = parse_description(body, year, name)
        if not holiday.off_days:
            continue
        if holiday.stated_days is not None and holiday.stated_days != len(holiday.off_days):
            out.notes.append(
                f"{name or 'holiday'}: the notice says {holiday.stated_days} days, "
                f"{len(holiday.off_days)} read"
            )
        out.holidays.append(holiday)
    if not out.holidays:
        raise NoticeError(f"no holiday arrangement found in the text for {year}")
    return out


def _first_paragraph(body: str) -> str:
    """An item's own text: up to the blank line or paragraph that starts the notice's close."""
    lines = [ln.strip() for ln in body.strip().splitlines()]
    kept: list[str] = []
    for ln in lines:
        if not ln:
            if kept:
                break
            continue
        kept.append(ln)
        if ln.endswith("。") and WORK_WORD not in ln and not any(w in ln for w in OFF_WORDS):
            break
    return "".join(kept)


def arrangement_from_days(year: int, days: list[dict], name: str = "") -> HolidayArrangement:
    """An arrangement given as days ({date, isOffDay, name}), as holiday-cn publishes it."""
    by_name: dict[str, Holiday] = {}
    for d in days:
        try:
            day = dt.date.fromisoformat(str(d["date"]))
            off = d["isOffDay"]
        except (KeyError, TypeError, ValueError) as exc:
            raise NoticeError(f"day entry {d!r}: expected date (YYYY-MM-DD) and isOffDay") from exc
        if not isinstance(off, bool):
            raise NoticeError(f"day entry {d!r}: isOffDay must be true or false")
        h = by_name.setdefault(str(d.get("name") or name), Holiday(name=str(d.get("name") or name)))
        (h.off_days if off else h.work_days).append(day)
    out = HolidayArrangement(year=year, holidays=list(by_name.values()))
    for h in out.holidays:
        h.off_days.sort()
        h.work_days.sort()
    if not out.off_days:
        raise NoticeError(f"no days off in the arrangement for {year}")
    return out


def compare_closed_weekdays(
    ours: Iterable[dt.date], library: Iterable[dt.date], years: Iterable[int]
) -> dict[str, object]:
    """Closed weekdays derived from notices against another list (exchange_calendars'), per year.

    Returns the years and weekdays compared and, for each side, the weekdays the other
    does not have.
    """
    years = sorted(set(years))
    wanted = set(years)
    a = {d for d in ours if d.year in wanted and d.weekday() < 5}
    b = {d for d in library if d.year in wanted and d.weekday() < 5}
    weekdays = sum(
        1
        for y in years
        for n in range((dt.date(y, 12, 31) - dt.date(y, 1, 1)).days + 1)
        if (dt.date(y, 1, 1) + dt.timedelta(days=n)).weekday() < 5
    )
    return {
        "years": years,
        "weekdays_compared": weekdays,
        "only_ours": sorted(a - b),
        "only_library": sorted(b - a),
    }
