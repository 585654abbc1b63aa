"""memkit-lens report: one self-contained HTML page about a recording.

The page needs nothing but itself: no scripts, no network, the charts are SVG drawn here
(``line_chart``) and the style is inline. Every chart has an ``id`` and every series a
``data-series`` attribute (and a line's values, one per frame, in ``data-values``), so tests
(tests/lens) can find them:

- ``chart-budget``: each budgeted intent's live bytes as a percent of its budget, per frame,
  with the budget line (``data-series="budget"``) at 100%;
- ``chart-intents``: every intent's live bytes per frame;
- ``chart-tiers``: each bounded tier's bytes in use as a percent of its capacity;
- ``chart-phases``: bytes allocated in each phase per frame (differences of the counters);
- ``chart-timeline``: failures per intent (``failures:NAME``) and hazards per code
  (``hazard:MLnnn``), one mark per frame that had any;
- ``footprint-map``: the config's static footprint (memkit-lens map's drawing);
- ``size-class-fit``: bytes wasted by rounding requests up to their class, per pool and class.
"""
import os
from dataclasses import dataclass
from html import escape
from typing import Dict, List, Sequence, Tuple

from memkit_gen.footprint import human

from . import map as footprint_map_cmd
from .common import LensError, add_config_arguments, guarded, load_config, load_recording
from .recording import (ALLOCS, CAPACITY, FAILURES, IN_USE, LIVE, PHASE_BYTES, Recording, deltas)

HELP = "write a self-contained HTML report of a recording (charts, footprint map, size-class fit)"

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac")
W, H = 860, 260                 # chart size
LEFT, RIGHT, TOP, BOTTOM = 70, 150, 14, 34


@dataclass(frozen=True)
class Series:
    name: str
    values: Tuple[float, ...]   # one per frame


def _nice_ceiling(v: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at or
    above v (v > 0): 105 -> 120."""
    p = 1.0
    while p * 10 <= v:
        p *= 10
    while p > v:
        p /= 10
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if p * m >= v:
            return p * m
    return p * 10


def _label(v: float, unit: str) -> str:
    if unit == "%":
        return f"{v:g}%"
    if unit == "B":
        return human(int(v))
    return f"{v:g}"


def _frame_scale(n: int):
    """x of the i-th of n frames across the plot."""
    pw = W - LEFT - RIGHT
    return lambda i: LEFT + (pw * i / (n - 1) if n > 1 else pw / 2)


def _open_chart(chart_id: str, height: int, frames: Sequence[int]) -> List[str]:
    """The svg element's start and the frame axis along the bottom of a chart `height` high."""
    n = len(frames)
    x = _frame_scale(n)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart" width="{W}" height="{height}" '
           f'viewBox="0 0 {W} {height}" data-frames="{n}">']
    for i in (sorted({0, n - 1} | set(range(0, n, max(1, n // 8)))) if n else []):
        out.append(f'<text x="{x(i):.1f}" y="{height - BOTTOM + 16}" text-anchor="middle">{frames[i]}</text>')
    out.append(f'<text x="{LEFT + (W - LEFT - RIGHT) / 2}" y="{height - 4}" text-anchor="middle" '
               f'class="axis">frame</text>')
    return out


def line_chart(chart_id: str, frames: Sequence[int], series: Sequence[Series], unit: str,
               hlines: Sequence[Tuple[str, float]] = ()) -> str:
    """An SVG line chart: one path per series (data-series), a dashed line per hline."""
    top = max([v for s in series for v in s.values] + [v for _, v in hlines] + [0])
    ymax = _nice_ceiling(top * 1.05) if top > 0 else 1.0
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = len(frames)
    x = _frame_scale(n)

    def y(v: float) -> float:
        return TOP + ph - ph * v / ymax

    out = _open_chart(chart_id, H, frames)
    for k in range(5):
        v = ymax * k / 4
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
                   f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{escape(_label(v, unit))}</text>')
    for name, v in hlines:
        out.append(f'<path data-series="{escape(name, quote=True)}" class="limit" '
                   f'd="M{LEFT},{y(v):.1f} L{LEFT + pw},{y(v):.1f}"><title>{escape(name)}: '
                   f'{escape(_label(v, unit))}</title></path>')
    for k, s in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        d = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        peak = max(s.values) if s.values else 0
        values = ",".join(f"{v:g}" for v in s.values)
        out.append(f'<path data-series="{escape(s.name, quote=True)}" data-values="{values}" class="line" '
                   f'stroke="{color}" d="{d}">'
                   f'<title>{escape(s.name)}: peak {escape(_label(peak, unit))}</title></path>')
        if n <= 60:
            out.extend(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{color}"/>'
                       for i, v in enumerate(s.values))
        ly = TOP + 14 + 16 * k
        out.append(f'<rect x="{LEFT + pw + 12}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{LEFT + pw + 26}" y="{ly}">{escape(s.name)}</text>')
    if not series:
        out.append(f'<text x="{LEFT + pw / 2}" y="{TOP + ph / 2}" text-anchor="middle">nothing recorded</text>')
    out.append("</svg>")
    return "\n".join(out)


def timeline_chart(chart_id: str, frames: Sequence[int], rows: Sequence[Tuple[str, Tuple[int, ...]]]) -> str:
    """One lane per series (failures:NAME, hazard:CODE), a mark sized by count at each frame that has any."""
    pw = W - LEFT - RIGHT
    lane = 22
    height = TOP + lane * max(1, len(rows)) + BOTTOM
    x = _frame_scale(len(frames))
    out = _open_chart(chart_id, height, frames)
    for k, (name, counts) in enumerate(rows):
        cy = TOP + lane * k + lane / 2
        color = "#e15759" if name.startswith("failures:") else "#f28e2b"
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{cy}" y2="{cy}" class="grid"/>'
                   f'<text x="{LEFT + pw + 24}" y="{cy + 4}">{escape(name)}</text>')
        out.append(f'<g data-series="{escape(name, quote=True)}" fill="{color}">')
        for i, c in enumerate(counts):
            if c:
                out.append(f'<circle cx="{x(i):.1f}" cy="{cy}" r="{min(9, 3 + c):.0f}" data-frame="{frames[i]}" '
                           f'data-count="{c}"><title>{escape(name)}: {c} in frame {frames[i]}</title></circle>')
        out.append("</g>")
    if not rows:
        out.append(f'<text x="{LEFT + pw / 2}" y="{TOP + lane / 2 + 4}" text-anchor="middle">'
                   f'no failures and no hazards recorded</text>')
    out.append("</svg>")
    return "\n".join(out)


def _percent(v: int, of: int) -> float:
    return round(100.0 * v / of, 2) if of else 0.0


def build(rec: Recording, m, config_path: str) -> Dict[str, object]:
    """Everything the template prints: charts as SVG text, tables as rows of strings."""
    frames = [f.frame for f in rec.frames]
    budgets = {r.name: r.budget for r in m.routes}
    intents = list(enumerate(rec.intents))

    def budget_of(it) -> int:   # the config's budget; the recording's when the config lacks the intent
        return budgets.get(it.name, it.budget)

    budget_series = [Series(it.name, tuple(_percent(v, budget_of(it)) for v in rec.column(i, LIVE)))
                     for i, it in intents if budget_of(it)]
    intent_series = [Series(it.name, tuple(rec.column(i, LIVE))) for i, it in intents]
    tier_series = [Series(t, tuple(_percent(f.tiers[k][IN_USE], f.tiers[k][CAPACITY]) for f in rec.frames))
                   for k, t in enumerate(rec.tiers) if any(f.tiers[k][CAPACITY] for f in rec.frames)]
    unbounded = [(t, max([f.tiers[k][IN_USE] for f in rec.frames] + [0]))
                 for k, t in enumerate(rec.tiers) if not any(f.tiers[k][CAPACITY] for f in rec.frames)]
    phase_series = [Series(p, tuple(deltas([f.phase(k)[PHASE_BYTES] for f in rec.frames], rec.complete)))
                    for k, p in enumerate(rec.phases)]

    timeline: List[Tuple[str, Tuple[int, ...]]] = []
    for i, it in intents:
        d = tuple(deltas(rec.column(i, FAILURES), rec.complete))
        if any(d):
            timeline.append((f"failures:{it.name}", d))
    codes = sorted({code for f in rec.frames for code, _ in f.hazards})
    hazards = []
    for code in codes:
        counts = tuple(sum(c for h, c in f.hazards if h == code) for f in rec.frames)
        timeline.append((f"hazard:{code}", counts))
        hazards.append((code, sum(counts), ", ".join(str(fr) for fr, c in zip(frames, counts) if c)))

    intent_rows = []
    for i, it in intents:
        b = budget_of(it)
        peak = rec.peak(i)
        last = rec.frames[-1].intents[i] if rec.frames else (0, 0, 0, 0, 0)
        intent_rows.append((it.name, it.tier + (f" ({it.pool})" if it.pool else ""), f"{b:,}" if b else "none",
                            f"{peak:,}", f"{_percent(peak, b):g}%" if b else "-", f"{last[ALLOCS]:,}",
                            f"{last[FAILURES]:,}", "" if it.name in budgets else "not in the config"))
    tier_rows = [(t, f"{max([f.tiers[k][IN_USE] for f in rec.frames] + [0]):,}",
                  f"{rec.frames[-1].tiers[k][CAPACITY]:,}" if rec.frames and rec.frames[-1].tiers[k][CAPACITY]
                  else "unbounded") for k, t in enumerate(rec.tiers)]

    fit = []
    for h in rec.histogram:
        rows = h.wasted()
        total_req = sum(r[2] for r in rows)
        total_waste = sum(r[3] for r in rows)
        fit.append({"pool": h.pool, "step": h.step,
                    "rows": [(f"{size:,}", f"{n:,}", f"{req:,}", f"{waste:,}",
                              f"{_percent(waste, size * n):g}%") for size, n, req, waste in rows],
                    "total": (f"{total_req:,}", f"{total_waste:,}",
                              f"{_percent(total_waste, total_req + total_waste):g}%"), "waste": total_waste,
                    "oversize": f"{h.oversize:,}" if h.oversize else ""})

    return {
        "title": f"memkit report: {os.path.basename(rec.path)}",
        "recording": os.path.basename(rec.path), "config": os.path.basename(config_path),
        "format": rec.format, "frames": len(frames),
        "first_frame": frames[0] if frames else 0, "last_frame": frames[-1] if frames else 0,
        "dropped_frames": rec.dropped_frames,
        "recorded_config": rec.config.get("source", ""),
        "chart_budget": line_chart("chart-budget", frames, budget_series, "%", [("budget", 100.0)]),
        "chart_intents": line_chart("chart-intents", frames, intent_series, "B"),
        "chart_tiers": line_chart("chart-tiers", frames, tier_series, "%", [("capacity", 100.0)]),
        "unbounded_tiers": [(t, f"{peak:,}") for t, peak in unbounded],
        "chart_phases": line_chart("chart-phases", frames, phase_series, "B"),
        "chart_timeline": timeline_chart("chart-timeline", frames, timeline),
        "footprint_map": footprint_map_cmd.render(m, config_path),
        "intent_rows": intent_rows, "tier_rows": tier_rows, "hazards": hazards, "fit": fit,
        "first_row_note": not rec.complete,
    }


def render(rec: Recording, m, config_path: str) -> str:
    import jinja2
    from markupsafe import Markup
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    ctx = build(rec, m, config_path)
    for k, v in list(ctx.items()):
        if k.startswith("chart_") or k == "footprint_map":
            ctx[k] = Markup(v)   # SVG drawn (and escaped) above
    return env.get_template("report.html.j2").render(**ctx)


def add_arguments(parser) -> None:
    parser.add_argument("recording", metavar="RECORDING", help="a recording or snapshot (docs/recording.md)")
    add_config_arguments(parser)
    parser.add_argument("-o", "--output", metavar="HTML", required=True, help="the HTML file to write")


@guarded
def run(args) -> int:
    rec = load_recording(args.recording)
    _, m = load_config(args.config, args.platform)
    html = render(rec, m, args.config)
    try:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.write(html)
    except OSError as e:
        raise LensError(f"cannot write {args.output}: {e.strerror or e}") from None
    return 0
