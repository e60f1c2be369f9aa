"""Small inline SVG bar charts for the dashboard (server-side, no JavaScript, no CDN).

Each chart has a visible title, a y axis with round ticks and grid lines, x labels
that are never cut (thinned out when there are many bars, turned when long) and
both axis titles.  Every label and value is escaped; colours are attributes, so the
page's Content-Security-Policy (no inline style) holds.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

BAR_COLOURS = ("#b3261e", "#1a73e8", "#188038", "#e37400", "#9334e6")
WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP = 64, 16, 40


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """0 and round steps up to at least ``top`` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [step * i for i in range(int(math.ceil(top / step - 1e-9)) + 1)]


def bar_chart(title: str, points: list[tuple[str, float]], *, x_label: str = "",
              y_label: str = "", colour: str = BAR_COLOURS[0]) -> Markup:
    """A titled bar chart with labelled axes."""
    long_labels = max((len(label) for label, _ in points), default=0) > 8
    bottom = 86 if long_labels else 56
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - bottom
    ticks = nice_ticks(max((v for _, v in points), default=0))
    top = ticks[-1] or 1
    step = plot_w / max(len(points), 1)
    every = max(1, math.ceil(len(points) / 12))  # at most ~12 x labels
    ident = _id(title)
    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {} {}" '
                    'class="chart" aria-labelledby="{}"><title id="{}">{}</title>'
                    '<text x="{}" y="22" class="title">{}</text>').format(
        WIDTH, HEIGHT, ident, ident, title, LEFT, title)]
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / top
        parts.append(Markup('<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" class="grid-line" '
                            'stroke="#e3e3e3"/><text x="{}" y="{:.1f}" class="tick" '
                            'text-anchor="end">{}</text>').format(
            LEFT, y, WIDTH - RIGHT, y, LEFT - 6, y + 4, _num(tick)))
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = LEFT + i * step
        parts.append(Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" '
                            'fill="{}"><title>{}: {}</title></rect>').format(
            x + step * 0.12, TOP + plot_h - h, step * 0.76, h, colour, label, _num(value)))
        if i % every == 0:
            parts.append(_x_label(label, x + step / 2, TOP + plot_h, long_labels))
    parts.append(Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#777"/>'
                        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#777"/>').format(
        LEFT, TOP + plot_h, WIDTH - RIGHT, TOP + plot_h, LEFT, TOP, LEFT, TOP + plot_h))
    if x_label:
        parts.append(Markup('<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>')
                     .format(LEFT + plot_w / 2, HEIGHT - 8, x_label))
    if y_label:
        parts.append(Markup('<text x="14" y="{}" class="axis" text-anchor="middle" '
                            'transform="rotate(-90 14 {})">{}</text>').format(
            TOP + plot_h / 2, TOP + plot_h / 2, y_label))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _x_label(label: str, x: float, base: float, turned: bool) -> Markup:
    if turned:
        return Markup('<text x="{:.1f}" y="{}" class="tick" text-anchor="end" '
                      'transform="rotate(-35 {:.1f} {})">{}</text>').format(
            x, base + 16, x, base + 16, label)
    return Markup('<text x="{:.1f}" y="{}" class="tick" text-anchor="middle">{}</text>').format(
        x, base + 16, label)


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or value >= 10 else f"{value:,.1f}"


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in str(escape(title)).lower())[:40]
