"""HTML rendering of an analysis for notebooks and reports.

Complaint text and labels are untrusted: every one passes through
:func:`html.escape` (quotes included) and nothing from the input lands in
an attribute, URL, style or script.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ._redact import redact as _redact
from ._snippet import redacted_snippet
from ._words import clipped, counted, of_them_copies

if TYPE_CHECKING:  # pragma: no cover
    from ._result import Analysis, ProblemStability

__all__ = ["render_html"]

_STYLE = """
.pp-report{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:56em;line-height:1.35}
.pp-report h3{margin:.2em 0}.pp-meta{color:#555;margin-bottom:.6em}
.pp-problem{border-left:4px solid #c0392b;padding:.3em .8em;margin:.6em 0;background:#fafafa}
.pp-bar{display:inline-block;height:.7em;background:#c0392b;vertical-align:middle;margin-right:.4em}
.pp-kw{color:#333;font-size:.92em}.pp-ex{color:#222;font-size:.92em;margin:.15em 0}
.pp-row{color:#888;font-size:.85em}
.pp-table{border-collapse:collapse;font-size:.88em;margin:.4em 0}
.pp-table th,.pp-table td{padding:.15em .6em;text-align:right;border-bottom:1px solid #eee}
.pp-table th:first-child,.pp-table td:first-child{text-align:left}
"""

# Periods and segments a report shows at most (the tables hold them all).
_PERIODS_SHOWN = 24
_SEGMENTS_SHOWN = 20


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float, spec: str) -> str:
    """A number for the report; "n/a" where there is none (NaN)."""
    return "n/a" if value != value else format(value, spec)


def render_html(
    result: "Analysis",
    *,
    top: int,
    redact: bool,
    full_page: bool,
    stability: Optional[Mapping[int, "ProblemStability"]] = None,
    impact: Optional[Mapping[int, Mapping[str, Any]]] = None,
    score_name: str = "score",
    over_time: Any = None,
    by_segment: Any = None,
) -> str:
    """Render ``result``'s top problems as HTML (a fragment or a full page),
    with each problem's stability check and its row of an impact table (by
    problem id) when given."""
    clean = _redact if redact else (lambda s: s)
    parts = [f"<style>{_STYLE}</style>", '<div class="pp-report">']
    parts.append(
        f'<div class="pp-meta"><b>painpoints</b>: {result._counted()}, '
        f"{counted(len(result.problems), 'problem')}; the top {min(top, len(result.problems))} cover "
        f"{result.coverage(top):.1%}; no problem: {result.no_problem_share:.1%}</div>"
    )
    from ._result import NO_PROBLEMS_HINT, few_complaints_note

    if not result.problems and result.n_rows > result.n_empty:
        parts.append(f'<div class="pp-kw">{_e(NO_PROBLEMS_HINT)}</div>')
    few = few_complaints_note(result.n_rows - result.n_empty, len(result.problems))
    for note in (result._since_previous(), few):
        if note:
            parts.append(f'<div class="pp-kw">{_e(note)}</div>')
    leading = result.top(top)
    for p in leading:
        width = max(1, int(round(p.share * 300)))
        parts.append('<div class="pp-problem">')
        parts.append(
            f"<h3>#{p.rank} {_e(p.label)}</h3>"
            f'<div><span class="pp-bar" style="width:{width}px"></span>'
            f"{counted(p.size, 'complaint')} ({p.share:.1%})"
            + (f" · {of_them_copies(p.copies)} of another" if p.copies else "")
            + f" · cohesion {p.cohesion:.2f} · id {p.id}</div>"
        )
        kws = ", ".join(_e(clipped(k)) for k, _ in p.keywords[:8])
        parts.append(f'<div class="pp-kw">keywords: {kws}</div>')
        check = stability.get(p.id) if stability is not None else None
        if check is not None:
            parts.append(
                f'<div class="pp-kw">stability: found again {check.agreement:.2f} (median overlap with the '
                f"closest problem of each refit) · in the top {result._top} in {check.top_rate:.0%} of refits</div>"
            )
        row = impact.get(p.id) if impact is not None else None
        if row is not None and row["rated"]:
            parts.append(
                f'<div class="pp-kw">{_e(score_name)}: {_num(row["mean"], ".2f")} for its {int(row["rated"]):,} '
                f'scored complaints against {_num(row["mean_elsewhere"], ".2f")} for the others · impact on the '
                f'overall {_num(row["impact"], "+.3f")} · q {_num(row["q_value"], ".2g")}</div>'
            )
        theme = result.theme_of(p.id)
        if len(theme.problem_ids) > 1:
            parts.append(f'<div class="pp-kw">theme: {_e(theme)}</div>')
        words = [k for k, _ in p.keywords[:8]]
        for ex in p.examples[:3]:
            # The part of the complaint that holds the problem's keywords.
            text = redacted_snippet(ex.text, words, 300, clean)
            parts.append(f'<div class="pp-ex">“{_e(text)}” <span class="pp-row">row {ex.row}</span></div>')
        parts.append("</div>")
    rest = result.problems[len(leading):]
    if rest:
        # The problems beyond the top, by name and size, so a shared report
        # does not hide them (``to_html(top=n)`` shows them in full).
        listed = " · ".join(f"#{p.rank} {_e(p.label)} ({p.size:,}, {p.share:.1%})" for p in rest)
        parts.append(f'<div class="pp-kw pp-rest"><b>The other {counted(len(rest), "problem")}</b>: {listed}</div>')
    if over_time is not None:
        parts.append(_over_time_html(over_time))
    if by_segment is not None:
        parts.append(_by_segment_html(by_segment))
    parts.append("</div>")
    body = "\n".join(parts)
    if not full_page:
        return body
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<title>painpoints report</title></head><body>\n" + body + "\n</body></html>\n"
    )


def _over_time_html(table: Any) -> str:
    """An over_time() table (complaints, or shares, per period and problem)
    as an HTML table of its last periods."""
    shown = table.tail(_PERIODS_SHOWN)
    shares = any(getattr(dtype, "kind", "") == "f" for dtype in table.dtypes)
    what = "Share of the complaints" if shares else "Complaints"
    head = f"{what} per period"
    if len(table) > len(shown):
        head += f" (the last {len(shown)} of {len(table)})"
    cells = "".join(f"<th>{_e(c)}</th>" for c in shown.columns)
    rows = [f"<tr><th>period</th>{cells}</tr>"]
    for when, values in shown.iterrows():
        day = when.date() if hasattr(when, "date") else when
        numbers = "".join(f"<td>{v:.1%}</td>" if shares else f"<td>{int(v):,}</td>" for v in values)
        rows.append(f"<tr><td>{_e(day)}</td>{numbers}</tr>")
    return f'<div class="pp-kw"><h3>{head}</h3><table class="pp-table">{"".join(rows)}</table></div>'


def _by_segment_html(table: Any) -> str:
    """A by_segment() table as an HTML table of its largest segments: each
    segment's top problems, their share there and elsewhere, and the test."""
    names = list(dict.fromkeys(table["segment"]))
    head = "Top problems per segment"
    if len(names) > _SEGMENTS_SHOWN:
        head += f" (the {_SEGMENTS_SHOWN} largest of {len(names)})"
    rows = ["<tr><th>segment</th><th>problem</th><th>share there</th><th>elsewhere</th><th>p</th><th>q</th></tr>"]
    for name in names[:_SEGMENTS_SHOWN]:
        part = table[table["segment"] == name]
        for i, r in enumerate(part.itertuples()):
            where = "" if i else f"{_e(name)} ({counted(int(r.complaints), 'complaint')})"
            rows.append(f"<tr><td>{where}</td><td>#{int(r.rank)} {_e(r.problem_label)}</td>"
                        f"<td>{_num(r.share, '.1%')}</td><td>{_num(r.share_elsewhere, '.1%')}</td>"
                        f"<td>{_num(r.p_value, '.2g')}</td><td>{_num(r.q_value, '.2g')}</td></tr>")
    return f'<div class="pp-kw"><h3>{head}</h3><table class="pp-table">{"".join(rows)}</table></div>'
