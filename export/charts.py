"""Small inline SVG bar charts for the dashboard (server-side, no JavaScript, no CDN)."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR_COLOURS = ("#b3261e", "#1a73e8", "#188038", "#e37400", "#9334e6")


def bar_chart(title: str, points: list[tuple[str, float]], *, width: int = 640,
              height: int = 220, colour: str = BAR_COLOURS[0]) -> Markup:
    """A labelled bar chart; every label and value is escaped."""
    pad_left, pad_bottom, pad_top = 48, 36, 24
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - pad_top
    top = max((v for _, v in points), default=0) or 1
    step = plot_w / max(len(points), 1)
    every = max(1, len(points) // 12)  # at most ~12 x labels
    parts = [Markup('<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {} {}" '
                    'class="chart" aria-labelledby="{}"><title id="{}">{}</title>').format(
        width, height, _id(title), _id(title), title)]
    parts.append(Markup('<text x="{}" y="14" class="axis">max {}</text>').format(
        pad_left, _num(top)))
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = pad_left + i * step
        parts.append(Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" '
                            'fill="{}"><title>{}: {}</title></rect>').format(
            x + step * 0.1, pad_top + plot_h - h, step * 0.8, h, colour, label, _num(value)))
        if i % every == 0:
            parts.append(Markup('<text x="{:.1f}" y="{}" class="axis" text-anchor="middle">{}'
                                '</text>').format(x + step / 2, height - 12, label[-5:]))
    parts.append(Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/></svg>').format(
        pad_left, pad_top + plot_h, width - 8, pad_top + plot_h))
    return Markup("").join(parts)


def _num(value: float) -> str:
    return f"{value:,.0f}"


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in str(escape(title)).lower())[:40]
