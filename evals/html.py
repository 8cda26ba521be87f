"""Self-contained HTML report: inline CSS and SVG charts, no script, nothing fetched.

Every piece of text that comes from a suite, the knowledge base or the bot is escaped
(``html.escape``): visitor messages in a suite are often attacks on purpose.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from evals.reports import HEADLINE, fmt_metric, get_metric

__all__ = ["render_html"]


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


_CSS = """
:root { --fg:#1d2330; --muted:#5b6475; --line:#dfe3ea; --ok:#1a7f4b; --bad:#c0392b;
  --bar:#3b6ef5; --base:#1d2330; --bg:#ffffff; --soft:#f5f7fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 32px 0 10px; }
.meta { color: var(--muted); margin: 0; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 24px; }
.grid > * { min-width: 0; }
figure { margin: 0; } figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
figure svg { max-width: 100%; height: auto; }
svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
svg .muted { fill: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.text { max-width: 360px; overflow-wrap: anywhere; white-space: pre-wrap; }
.ok { color: var(--ok); } .bad { color: var(--bad); }
.badge.ok { background: var(--ok); color: #fff; }
.badge.bad { background: var(--bad); color: #fff; }
details { margin: 8px 0; } summary { cursor: pointer; color: var(--muted); }
code { background: var(--soft); padding: 1px 4px; border-radius: 3px; }
"""


# -- charts ----------------------------------------------------------------


def _bars(
    rows: Sequence[tuple[str, float | None]],
    *,
    baseline: Mapping[str, float | None] | None = None,
    floors: Mapping[str, float] | None = None,
    label_width: int = 230,
    width: int = 560,
    title: str,
) -> str:
    """Horizontal bars for rates (0..1), with baseline (dark tick) and floor (red tick) marks."""
    bar_h, gap, top = 16, 8, 8
    plot = width - label_width - 60
    height = top + len(rows) * (bar_h + gap) + 24
    parts = [
        f'<svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_width + plot * tick
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 20}" stroke="#dfe3ea"/>'
            f'<text class="muted" x="{x:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{int(tick * 100)}%</text>"
        )
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_h - 4}" text-anchor="end">{_e(label)}</text>'
        )
        if value is not None:
            w = max(0.0, min(1.0, value)) * plot
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="2" '
                f'fill="#3b6ef5"><title>{_e(label)}: {value:.1%}</title></rect>'
                f'<text x="{label_width + w + 6:.1f}" y="{y + bar_h - 4}">{value:.1%}</text>'
            )
        else:
            parts.append(
                f'<text class="muted" x="{label_width + 4}" y="{y + bar_h - 4}">n/a</text>'
            )
        for marks, colour, what in (
            (baseline, "#1d2330", "baseline"),
            (floors, "#c0392b", "floor"),
        ):
            ref = (marks or {}).get(label)
            if ref is not None:
                x = label_width + max(0.0, min(1.0, ref)) * plot
                parts.append(
                    f'<line x1="{x:.1f}" y1="{y - 2}" x2="{x:.1f}" y2="{y + bar_h + 2}" '
                    f'stroke="{colour}" stroke-width="2"><title>{what} {ref:.1%}</title></line>'
                )
    parts.append("</svg>")
    return "".join(parts)


def _heatmap(matrix: Mapping[str, Mapping[str, int]], *, title: str, cell: int = 54) -> str:
    """Confusion matrix: rows expected, columns got; diagonal green, the rest red."""
    labels = [
        k for k in matrix if any(matrix[k].values()) or any(m.get(k) for m in matrix.values())
    ]
    if not labels:
        return "<p>No cases.</p>"
    left, top = 130, 96
    size_w, size_h = left + cell * len(labels) + 10, top + cell * len(labels) + 10
    peak = max((n for row in matrix.values() for n in row.values()), default=1) or 1
    parts = [
        f'<svg role="img" aria-label="{_e(title)}" width="{size_w}" height="{size_h}" '
        f'viewBox="0 0 {size_w} {size_h}" xmlns="http://www.w3.org/2000/svg">'
        f'<text class="muted" x="{left}" y="12">got →</text>'
        f'<text class="muted" x="4" y="{top - 8}">expected ↓</text>'
    ]
    for j, label in enumerate(labels):
        x = left + j * cell + cell / 2
        parts.append(
            f'<text transform="translate({x:.1f},{top - 8}) rotate(-40)">{_e(label)}</text>'
        )
    for i, gold in enumerate(labels):
        y = top + i * cell
        parts.append(
            f'<text x="{left - 8}" y="{y + cell / 2 + 4:.1f}" text-anchor="end">{_e(gold)}</text>'
        )
        for j, pred in enumerate(labels):
            n = int(matrix.get(gold, {}).get(pred, 0))
            x = left + j * cell
            alpha = 0.12 + 0.88 * math.sqrt(n / peak) if n else 0.0
            colour = "26,127,75" if gold == pred else "192,57,43"
            fill = f"rgba({colour},{alpha:.2f})" if n else "#f5f7fb"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                f"<title>expected {_e(gold)}, got {_e(pred)}: {n}</title></rect>"
                f'<text x="{x + cell / 2 - 1:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle">'
                f"{n if n else ''}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(values: Sequence[float], p50: float | None, p95: float | None) -> str:
    """Latency histogram of every bot turn, with p50 and p95 marked."""
    if not values:
        return "<p>No turns.</p>"
    width, height, left, bottom = 560, 200, 40, 28
    hi = max(values) or 1.0
    bins = 24
    step = hi / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / step))] += 1
    peak = max(counts) or 1
    plot_w, plot_h = width - left - 10, height - bottom - 10
    bw = plot_w / bins
    parts = [
        f'<svg role="img" aria-label="latency histogram" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, n in enumerate(counts):
        h = plot_h * n / peak
        x = left + i * bw
        parts.append(
            f'<rect x="{x:.1f}" y="{10 + plot_h - h:.1f}" width="{bw - 1:.1f}" height="{h:.1f}" '
            f'fill="#3b6ef5"><title>{i * step:.0f}–{(i + 1) * step:.0f} ms: {n}</title></rect>'
        )
    for mark, name in ((p50, "p50"), (p95, "p95")):
        if mark is None:
            continue
        x = left + plot_w * min(1.0, mark / hi)
        parts.append(
            f'<line x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="{10 + plot_h}" stroke="#c0392b" '
            f'stroke-dasharray="4 3"/><text x="{x + 3:.1f}" y="22">{name} {mark:.0f} ms</text>'
        )
    for frac, anchor in ((0, "start"), (0.5, "middle"), (1.0, "end")):
        x = left + plot_w * frac
        parts.append(
            f'<text class="muted" x="{x:.1f}" y="{height - 8}" text-anchor="{anchor}">'
            f"{hi * frac:.0f} ms</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


# -- tables ----------------------------------------------------------------


def _summary_table(metrics: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    head = "<tr><th>Metric</th><th class='num'>Value</th>"
    head += "<th class='num'>Baseline</th>" if baseline is not None else ""
    rows = [head + "</tr>"]
    for label, name, kind in HEADLINE:
        value = fmt_metric(kind, get_metric(metrics, name))
        cells = f"<td>{_e(label)}</td><td class='num'>{_e(value)}</td>"
        if baseline is not None:
            cells += f"<td class='num'>{_e(fmt_metric(kind, get_metric(baseline, name)))}</td>"
        rows.append(f"<tr>{cells}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _group_table(groups: Mapping[str, Mapping[str, Any]]) -> str:
    rows = [
        "<tr><th>Group</th><th class='num'>Cases</th><th class='num'>Passed</th>"
        "<th class='num'>Outcome</th><th class='num'>Intent</th><th class='num'>hit@1</th>"
        "<th class='num'>Fact recall</th><th class='num'>p50</th></tr>"
    ]
    for name, m in groups.items():
        facts = get_metric(m, "answers.fact_recall_all")
        rows.append(
            f"<tr><td>{_e(name)}</td><td class='num'>{_e(m['cases'])}</td>"
            f"<td class='num'>{_e(fmt_metric('pct', m['pass_rate']))}</td>"
            f"<td class='num'>{_e(fmt_metric('pct', m['outcome_accuracy']))}</td>"
            f"<td class='num'>{_e(fmt_metric('pct', m['intent_accuracy']))}</td>"
            f"<td class='num'>{_e(fmt_metric('pct', get_metric(m, 'retrieval.hit@1')))}</td>"
            f"<td class='num'>{_e(fmt_metric('pct', facts))}</td>"
            f"<td class='num'>{_e(fmt_metric('ms', get_metric(m, 'latency_ms.p50')))}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _transcript(case: Mapping[str, Any]) -> str:
    turns = case.get("turns") or []
    if not turns:
        return ""
    rows = []
    for t in turns:
        rows.append(
            f"<tr><td class='text'>{_e(t.get('visitor'))}</td>"
            f"<td class='text'>{_e(t.get('reply'))}</td>"
            f"<td>{_e(t.get('outcome'))}<br><small>{_e(t.get('intent'))}</small></td>"
            f"<td>{_e(', '.join(t.get('articles') or []))}</td>"
            f"<td class='text bad'>{_e('; '.join(t.get('why') or []))}</td></tr>"
        )
    return (
        "<details><summary>Transcript</summary><table><tr><th>Visitor</th><th>Bot</th>"
        "<th>Outcome</th><th>Cited</th><th>Checks</th></tr>" + "".join(rows) + "</table></details>"
    )


def _cases_table(cases: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        "<tr><th>Case</th><th>Visitor said</th><th>Expected</th><th>Got</th><th>Why</th>"
        "<th>Bot replied</th></tr>"
    ]
    for c in cases:
        expected = _e(c.get("expected"))
        if c.get("expected_articles"):
            expected += "<br><small>" + _e(" or ".join(c["expected_articles"])) + "</small>"
        got = _e(c.get("outcome"))
        extra = [c.get("intent") or "", ", ".join(c.get("articles") or [])]
        got += "<br><small>" + _e(" · ".join(x for x in extra if x)) + "</small>"
        status = "ok" if c.get("passed") else "bad"
        rows.append(
            f"<tr><td><strong class='{status}'>{_e(c.get('id'))}</strong><br>"
            f"<small><code>{_e(c.get('source'))}</code></small></td>"
            f"<td class='text'>{_e(c.get('text'))}</td><td>{expected}</td><td>{got}</td>"
            f"<td class='text bad'>{_e(c.get('why'))}</td>"
            f"<td class='text'>{_e(c.get('reply'))}{_transcript(c)}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _gate(gate: Mapping[str, Any]) -> str:
    checks = gate.get("checks") or []
    if not checks:
        return "<p class='meta'>No thresholds or baseline given.</p>"
    rows = ["<tr><th>Gate</th><th>Result</th></tr>"]
    for c in checks:
        cls = "ok" if c.get("passed") else "bad"
        rows.append(
            f"<tr><td>{_e(c.get('kind'))}</td><td class='{cls}'>{_e(c.get('message'))}</td></tr>"
        )
    fresh = gate.get("newly_failing") or []
    note = f"<p>Newly failing since the baseline: {_e(', '.join(fresh))}</p>" if fresh else ""
    return "<table>" + "".join(rows) + "</table>" + note


def _latencies(cases: Sequence[Mapping[str, Any]]) -> list[float]:
    out: list[float] = []
    for c in cases:
        if c.get("kind") == "conversation":
            out.extend(float(t.get("latency_ms") or 0.0) for t in c.get("turns") or [])
        else:
            out.append(float(c.get("latency_ms") or 0.0))
    return out


def render_html(report: Mapping[str, Any], *, baseline: Mapping[str, Any] | None = None) -> str:
    """The whole report as one HTML document (open it from disk; it loads nothing)."""
    metrics, meta = report["metrics"], report.get("meta") or {}
    cases = report.get("cases") or []
    gate = report.get("gate") or {}
    failures = [c for c in cases if not c.get("passed")]

    rates = [(label, get_metric(metrics, name)) for label, name, kind in HEADLINE if kind == "pct"]
    base_marks = (
        {label: get_metric(baseline, name) for label, name, kind in HEADLINE if kind == "pct"}
        if baseline is not None
        else None
    )
    floors: dict[str, float] = {}
    names = {name: label for label, name, _ in HEADLINE}
    for c in gate.get("checks") or []:
        if c.get("kind") == "min" and c.get("metric") in names and c.get("reference") is not None:
            floors[names[c["metric"]]] = float(c["reference"])

    by_lang = metrics.get("by_lang") or {}
    by_tag = metrics.get("by_tag") or {}
    lang_rows = [(f"{k} ({v['cases']})", v.get("pass_rate")) for k, v in by_lang.items()]
    tag_rows = sorted(
        ((f"{k} ({v['cases']})", v.get("pass_rate")) for k, v in by_tag.items()),
        key=lambda kv: (kv[1] if kv[1] is not None else 2.0, kv[0]),
    )
    latency = metrics.get("latency_ms") or {}

    verdict = ""
    if gate.get("checks"):
        ok = bool(gate.get("passed"))
        words = "gate passed" if ok else "gate FAILED"
        verdict = f"<span class='badge {'ok' if ok else 'bad'}'>{words}</span>"
    secs = (meta.get("seconds") or {}).get("total")
    title = f"Parley eval — {meta.get('suite', '')}"
    body = f"""
<main>
<h1>{_e(title)} {verdict}</h1>
<p class="meta">{_e(meta.get("cases", 0))} single-turn cases and {_e(meta.get("conversations", 0))}
conversations{" (quick mode)" if meta.get("quick") else ""} · knowledge base {_e(meta.get("kb"))}
({_e(meta.get("articles"))} articles) · intents {_e(meta.get("intents"))} ·
started {_e(meta.get("started_at"))}{f" · {secs:.1f} s" if isinstance(secs, int | float) else ""}
· {_e(metrics.get("passed"))} of {_e(metrics.get("cases"))} cases passed</p>

<h2 id="summary">Summary</h2>
<div class="grid">
<figure>{_bars(rates, baseline=base_marks, floors=floors, title="headline metrics")}
<figcaption>Bars: this run. Dark tick: baseline. Red tick: the committed floor.
</figcaption></figure>
<div>{_summary_table(metrics, baseline)}</div>
</div>

<h2 id="gate">Gate</h2>
{_gate(gate)}

<h2 id="outcomes">Outcomes</h2>
<div class="grid">
<figure>{_heatmap(metrics["confusion"]["outcome"], title="outcome confusion matrix")}
<figcaption>Single-turn cases: rows are what the case expected, columns what the bot did.
</figcaption></figure>
<figure>{_histogram(_latencies(cases), latency.get("p50"), latency.get("p95"))}
<figcaption>Latency of every bot turn ({_e(latency.get("turns"))} turns).</figcaption></figure>
</div>
<details><summary>Intent confusion matrix</summary>
{_heatmap(metrics["confusion"]["intent"], title="intent confusion matrix", cell=40)}
</details>

<h2 id="languages">By language</h2>
<div class="grid">
<figure>{_bars(lang_rows, title="pass rate by language", label_width=120, width=460)}
<figcaption>Share of cases passed, per language of the visitor.</figcaption></figure>
<div>{_group_table(by_lang)}</div>
</div>

<h2 id="tags">By tag</h2>
<figure>{_bars(tag_rows, title="pass rate by tag", label_width=180, width=640)}
<figcaption>Share of cases passed, per tag, weakest first.</figcaption></figure>
<details><summary>Table</summary>{_group_table(by_tag)}</details>

<h2 id="failures">Failing cases ({len(failures)})</h2>
{_cases_table(failures) if failures else "<p class='ok'>Every case passed.</p>"}

<h2 id="all">All cases</h2>
<details><summary>{len(cases)} cases</summary>{_cases_table(cases)}</details>
</main>"""
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        # No script and nothing from the network, even if a string slipped through.
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>\n"
    )
