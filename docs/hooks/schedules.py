"""Workshop markers on docs/workshop/index.md (a helper of markers.py).

`<!-- course:schedule-one-day -->`, `<!-- course:schedule-two-half-days -->` and
`<!-- course:total-time -->`: timetables computed from the lesson minutes in course.toml, with
breaks every ~1h45 and lunch, and a warning when a plan runs past the end of the day.
"""

from __future__ import annotations

import course_data

OPENING = "Welcome; everyone runs `uv run flasklings` (setup check)"
CLOSING = "Wrap-up: progress check (`uv run flasklings`), questions, what next"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _session(
    lessons, page, opening: str, closing: str, *, lunch: bool, start: int = 9 * 60
) -> list[tuple]:
    """One teaching session: (start, end, what) rows with breaks and, for a day, lunch."""
    rows = []
    t = start

    def add(minutes: int, what: str):
        nonlocal t
        rows.append((t, t + minutes, what))
        t += minutes

    add(15, opening)
    since_break = 15
    lunch_done = not lunch
    for lesson in lessons:
        lunch_due = t >= 12 * 60 or (t >= 11 * 60 + 30 and t + lesson.minutes > 12 * 60 + 45)
        if not lunch_done and lunch_due:
            add(60, "Lunch")
            lunch_done, since_break = True, 0
        elif since_break and since_break + lesson.minutes > 105:
            add(15, "Break")
            since_break = 0
        link = course_data.link(page, lesson)
        add(lesson.minutes, f"Lesson {lesson.number}: [{lesson.title}]({link})")
        since_break += lesson.minutes
    add(15, closing)
    return rows


def _table(rows) -> str:
    lines = ["| Time | What |", "|---|---|"]
    for start, end, what in rows:
        lines.append(f"| {_clock(start)}–{_clock(end)} | {what} |")
    return "\n".join(lines) + "\n"


def _split_two(lessons):
    """Split the lessons into two consecutive groups with the most even teaching time."""
    best = None
    for cut in range(1, len(lessons)):
        first = sum(ls.minutes for ls in lessons[:cut])
        second = sum(ls.minutes for ls in lessons[cut:])
        score = max(first, second)
        if best is None or score < best[0]:
            best = (score, cut)
    cut = best[1] if best else len(lessons)
    return lessons[:cut], lessons[cut:]


def one_day(page) -> str:
    rows = _session(course_data.course().lessons, page, OPENING, CLOSING, lunch=True)
    out = _table(rows)
    if rows[-1][1] > 17 * 60 + 30:
        out += (
            '\n!!! warning "Longer than a day"\n'
            f"    This plan ends at {_clock(rows[-1][1])}. Use the two half-days, or move "
            "the last lessons to a follow-up session.\n"
        )
    return out


def two_half_days(page) -> str:
    first, second = _split_two(course_data.course().lessons)
    halves = [
        (first, OPENING, "Wrap-up: where we stopped, what tomorrow starts from"),
        (
            second,
            "Recap; anyone behind starts from the next lesson's starter (catch-up)",
            CLOSING,
        ),
    ]
    out = ""
    for number, (group, opening, closing) in enumerate(halves, start=1):
        if not group:
            continue
        rows = _session(group, page, opening, closing, lunch=False)
        out += f"\n**Half-day {number}**\n\n" + _table(rows)
        if rows[-1][1] > 13 * 60:
            out += (
                '\n!!! warning "Longer than a half-day"\n'
                f"    Half-day {number} ends at {_clock(rows[-1][1])}. Make it a full day, or "
                "spread the lessons over more sessions.\n"
            )
    return out.lstrip("\n")


def total_time(page) -> str:
    """For example "3 lessons, 2 h 10 min of teaching"."""
    lessons = course_data.course().lessons
    total = course_data.minutes(sum(ls.minutes for ls in lessons))
    return f"{len(lessons)} lessons, {total} of teaching"
