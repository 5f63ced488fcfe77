"""Timing of repeated operations: medians and p99, bounded loops.

Every loop is bounded twice, by a count and by a time budget, so that a
slow server makes the run shorter in samples, never longer than planned.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """Seconds taken by each run of one operation."""

    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median time, in seconds."""
        return statistics.median(self.seconds)

    @property
    def p99(self) -> float:
        """The 99th percentile (the maximum below 100 runs), in seconds."""
        ordered = sorted(self.seconds)
        index = min(len(ordered) - 1, int(len(ordered) * 0.99))
        return ordered[index]

    @property
    def total(self) -> float:
        """Seconds spent over every run."""
        return sum(self.seconds)


def repeat(operation: Callable[[int], object], count: int,
           budget: float) -> Sample:
    """Run ``operation(i)`` up to ``count`` times or ``budget`` seconds.

    At least one run always happens, so that every line has a figure.
    """
    seconds = []
    deadline = time.monotonic() + budget
    for i in range(count):
        start = time.perf_counter()
        operation(i)
        seconds.append(time.perf_counter() - start)
        if time.monotonic() > deadline:
            break
    return Sample(tuple(seconds))


def once(operation: Callable[[], object]) -> float:
    """Seconds taken by one run of ``operation``."""
    start = time.perf_counter()
    operation()
    return time.perf_counter() - start
