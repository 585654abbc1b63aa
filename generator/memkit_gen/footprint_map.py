"""A to-scale picture of a config's footprint (``memkit-gen --map`` and ``memkit-lens map``).

One horizontal bar per footprint group (generated config storage, runtime statics,
thread-local storage, what mk_init and mk_gpu_init map), all drawn at the same bytes per
pixel, so the bars compare as the byte counts do. Each footprint row is one rectangle;
a pool's block storage is split by size class into its blocks and the rounding of the
class region up to whole spans, and the frame arenas show one cell per thread and frame
slot. The rows are footprint.compute's: whatever it counts (the [record] rings too, once
it lists them) is drawn, and nothing else.

The SVG is plain and self-contained (no scripts, no external references); every rectangle
carries ``data-group``, ``data-table``, ``data-what`` and ``data-bytes`` so tests and
tools can read it back.
"""
from html import escape
from typing import List, Optional

from .footprint import SECTIONS, Footprint, _b, human

WIDTH = 960          # the widest bar, in pixels
BAR = 28             # bar height
LINE = 15            # one text line
MAX_CELLS = 256      # frame arenas: draw the thread x slot grid up to this many cells

COLORS = {"[frame]": "#4e79a7", "[heap]": "#f28e2b", "[pool": "#59a14f", "[handles": "#b07aa1",
          "[async": "#76b7b2", "[gpu": "#edc948", "[record]": "#ff9da7"}
GROUP_COLORS = {"runtime": "#9c755f", "tls": "#bab0ac", "gpu_reserve": "#edc948"}
ROUNDING = "#e15759"


def _color(group: str, table: str) -> str:
    for prefix, color in COLORS.items():
        if table.startswith(prefix):
            return color
    return GROUP_COLORS.get(group, "#8c8c8c")


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


class _Svg:
    def __init__(self) -> None:
        self.parts: List[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str, title: str, **data: object) -> None:
        attrs = "".join(f' data-{k.replace("_", "-")}="{_attr(v)}"' for k, v in data.items())
        self.parts.append(f'<rect x="{x:.2f}" y="{y}" width="{max(w, 0.5):.2f}" height="{h}" fill="{fill}" '
                          f'stroke="#fff" stroke-width="0.5"{attrs}><title>{escape(title)}</title></rect>')

    def line(self, x: float, y1: float, y2: float) -> None:
        self.parts.append(f'<line x1="{x:.2f}" y1="{y1}" x2="{x:.2f}" y2="{y2}" stroke="#fff" stroke-width="0.5"/>')

    def text(self, x: float, y: float, s: str, weight: str = "normal", size: int = 12) -> None:
        self.parts.append(f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}">{escape(s)}</text>')


def _pool(m, table: str):
    if m is None or not table.startswith("[pool."):
        return None
    name = table[len("[pool."):-1]
    return next((p for p in m.pools if p.name == name), None)


def render_svg(fp: Footprint, m, source_name: str, svg_id: str = "footprint-map") -> str:
    """The map of footprint `fp` of model `m` (for the pool classes and the arena grid) as SVG text."""
    groups = [(g, title, [r for r in fp.rows if r.group == g]) for g, title in SECTIONS]
    groups = [(g, title, rows) for g, title, rows in groups if sum(r.bytes for r in rows)]
    largest = max([sum(r.bytes for r in rows) for _, _, rows in groups] + [1])
    scale = WIDTH / largest
    svg = _Svg()
    y = 20
    svg.text(0, y, f"memkit footprint of {source_name} on target {fp.target}: "
                   f"{_b(fp.static_bytes)} B static; 1 px = {_b(max(1, round(largest / WIDTH)))} B", "bold", 14)
    y += 14
    for group, title, rows in groups:
        total = sum(r.bytes for r in rows)
        y += 22
        svg.text(0, y, f"{title}: {_b(total)} B ({human(total)})", "bold")
        y += 6
        svg.parts.append(f'<g data-group-bar="{_attr(group)}">')
        x = 0.0
        notes: List[str] = []
        for r in rows:
            w = r.bytes * scale
            label = f"{r.what}: {_b(r.bytes)} B" + (f" ({r.detail})" if r.detail else "")
            pool = _pool(m, r.table)
            if pool is not None and r.what.endswith(" blocks"):
                cx = x
                for c in pool.classes:
                    used = c.size * c.blocks
                    rounding = c.region_bytes - used
                    svg.rect(cx, y, used * scale, BAR, _color(group, r.table),
                             f"{r.table} class {c.size}: {c.blocks} blocks, {_b(used)} B",
                             group=group, table=r.table, what=f"class {c.size} blocks", bytes=used)
                    cx += used * scale
                    if rounding:
                        svg.rect(cx, y, rounding * scale, BAR, ROUNDING,
                                 f"{r.table} class {c.size}: {_b(rounding)} B rounding to whole spans",
                                 group=group, table=r.table, what=f"class {c.size} span rounding", bytes=rounding)
                        cx += rounding * scale
                    notes.append(f"{r.table} class {c.size}: {c.blocks} blocks = {_b(used)} B"
                                 + (f" + {_b(rounding)} B span rounding" if rounding else ""))
            else:
                svg.rect(x, y, w, BAR, _color(group, r.table), label,
                         group=group, table=r.table, what=r.what, bytes=r.bytes)
                if r.table == "[frame]" and m is not None and m.frame is not None:
                    cells = m.max_threads * m.frames_in_flight
                    if 1 < cells <= MAX_CELLS:
                        for i in range(1, cells):
                            svg.line(x + w * i / cells, y, y + BAR)
                    notes.append(f"[frame] arenas: {m.max_threads} threads x {m.frames_in_flight} frame slots, "
                                 f"one cell each of {_b(m.frame.arena)} B")
            if w >= 90:
                svg.parts.append(f'<text x="{x + 3:.2f}" y="{y + 18}" font-size="11" fill="#fff">'
                                 f'{escape(_short(r.what, w))}</text>')
            x += w
        svg.parts.append("</g>")
        y += BAR
        for r in rows:
            y += LINE
            svg.text(8, y, f"{r.what}  {_b(r.bytes)} B ({human(r.bytes)})" + (f"  {r.detail}" if r.detail else ""),
                     size=11)
        for note in notes:
            y += LINE
            svg.text(8, y, note, size=11)
    y += 20
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" id="{_attr(svg_id)}" width="{WIDTH + 20}" height="{y}" '
            f'viewBox="-10 0 {WIDTH + 20} {y}" font-family="sans-serif" data-static-bytes="{fp.static_bytes}">')
    return "\n".join([head] + svg.parts + ["</svg>"]) + "\n"


def _short(what: str, width: float) -> str:
    """The label that fits a rectangle `width` pixels wide (about 6 px a character)."""
    n = int(width // 6.5)
    return what if len(what) <= n else what[:max(n - 1, 1)] + "…"


def write(path: str, fp: Footprint, m, source_name: str) -> Optional[str]:
    """Writes the map to `path`; returns an error message, or None."""
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(render_svg(fp, m, source_name))
    except OSError as e:
        return f"cannot write {path}: {e.strerror or e}"
    return None
