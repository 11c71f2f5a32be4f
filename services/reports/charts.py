"""A report's charts as PNG, drawn by matplotlib on its Agg backend (no display, safe in any
thread of the API). Cents are drawn as dollars."""

from __future__ import annotations

import io
import threading

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from services.reports.base import Chart

# matplotlib's font and text caches are shared by the process: one drawing at a time.
_LOCK = threading.Lock()


def _values(chart: Chart, key: str) -> list[float]:
    scale = 100.0 if key.endswith("cents") else 1.0
    return [float(r.get(key) or 0) / scale for r in chart.rows]


def png(chart: Chart, width: float = 7.0, height: float = 3.0) -> bytes:
    """The chart as PNG bytes. A Figure made directly on an Agg canvas (not through pyplot)
    keeps no global state, so nothing leaks between requests."""
    with _LOCK:
        fig = Figure(figsize=(width, height), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        xs = [str(r.get(chart.x, "")) for r in chart.rows]
        if chart.kind == "line":
            for key in chart.series:
                ax.plot(range(len(xs)), _values(chart, key), marker="o" if len(xs) < 40 else None, label=key)
            step = max(1, len(xs) // 8)
            ax.set_xticks(range(0, len(xs), step), [xs[i] for i in range(0, len(xs), step)], fontsize=7)
        else:
            n = max(1, len(chart.series))
            w = 0.8 / n
            for i, key in enumerate(chart.series):
                ax.bar([x + i * w for x in range(len(xs))], _values(chart, key), width=w, label=key)
            ax.set_xticks([x + (n - 1) * w / 2 for x in range(len(xs))], xs, fontsize=7)
        if len(chart.series) > 1:
            ax.legend(fontsize=7)
        ax.set_title(chart.title, fontsize=10)
        ax.set_ylabel(chart.y_label, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        return buf.getvalue()
