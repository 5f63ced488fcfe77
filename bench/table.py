"""One table for every area: medians, ratios ours / peer, targets, notes.

A line whose figure could not be taken (front end missing, peer failed to
start) keeps its place in the table with the reason instead of a number:
a benchmark never invents a figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass
class Row:
    """One measured line: ours and, where there is one, the peer's."""

    area: str
    measure: str
    size: str
    ours: float | None = None
    ours_p99: float | None = None
    peer: float | None = None
    peer_p99: float | None = None
    unit: str = "s"
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Ours divided by the peer's figure (below 1: we are faster)."""
        if self.ours is None or not self.peer:
            return None
        if self.unit == "MiB" and self.peer < 1:
            return None  # a ratio to almost nothing says nothing
        return self.ours / self.peer


HEADERS = ("#", "area", "measure", "size", "ours", "ours p99", "peer",
           "peer p99", "ours/peer", "target", "met")


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        if value < 0.001:
            return f"{value * 1e6:.0f} us"
        if value < 1:
            return f"{value * 1e3:.1f} ms"
        return f"{value:.2f} s"
    return f"{value:.1f} {unit}"


def cells(number: int, row: Row) -> tuple[str, ...]:
    """The printed cells of one row."""
    ratio = row.ratio
    met = {True: "yes", False: "NO", None: "-"}[row.met]
    return (str(number), row.area, row.measure, row.size,
            _figure(row.ours, row.unit), _figure(row.ours_p99, row.unit),
            _figure(row.peer, row.unit), _figure(row.peer_p99, row.unit),
            "-" if ratio is None else f"{ratio:.2f}", row.target, met)


def render_text(rows: Sequence[Row]) -> str:
    """A plain-text table with the notes under it, by row number."""
    body = [cells(i + 1, r) for i, r in enumerate(rows)]
    widths = [max(len(c[k]) for c in [HEADERS, *body])
              for k in range(len(HEADERS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip()
             for line in [HEADERS, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines + [""] + _notes(rows))


def render_markdown(rows: Sequence[Row]) -> str:
    """The same table in Markdown, for docs/benchmarks.md."""
    lines = ["| " + " | ".join(HEADERS) + " |",
             "|" + "---|" * len(HEADERS)]
    for i, row in enumerate(rows):
        lines.append("| " + " | ".join(cells(i + 1, row)) + " |")
    return "\n".join(lines + [""] + _notes(rows))


def _notes(rows: Iterable[Row]) -> list[str]:
    """Each distinct note once, after the numbers of its rows."""
    numbers: dict[str, list[str]] = {}
    for i, row in enumerate(rows):
        if row.note:
            numbers.setdefault(row.note, []).append(str(i + 1))
    return [f"[{', '.join(n)}] {note}" for note, n in numbers.items()]
