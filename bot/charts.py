"""The /stats picture: channel posts per day, as PNG bytes. Needs the optional extra
`feedbot[charts]` (matplotlib); without it there is no picture and /stats sends its text only.

matplotlib is imported lazily, by name: the bot must start and type-check without it, and
importing it costs a second that only /stats should pay. The object API with the Agg canvas is
used instead of pyplot, whose global state is not safe in the worker thread this runs in."""

from __future__ import annotations

import importlib
import io
import logging
from collections.abc import Sequence
from datetime import date

log = logging.getLogger(__name__)

BAR_COLOUR = "#2a9df4"


def posts_per_day_png(days: Sequence[tuple[date, int]], title: str) -> bytes | None:
    """A bar chart of (day, posts), or None when matplotlib is not installed. Blocking."""
    try:
        figure = importlib.import_module("matplotlib.figure")
        agg = importlib.import_module("matplotlib.backends.backend_agg")
    except ImportError:
        return None
    fig = figure.Figure(figsize=(8, 3.6), dpi=110)
    agg.FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    positions = list(range(len(days)))
    ax.bar(positions, [count for _, count in days], color=BAR_COLOUR)
    ax.set_xticks(positions, [day.strftime("%d %b") for day, _ in days], rotation=45, ha="right")
    ax.tick_params(axis="x", labelsize=8)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("posts")
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
