"""The command line of the benchmarks: areas, sizes, output.

``--quick`` runs every area at tiny sizes in about a minute, so that a
test can run it and the benchmark cannot rot; without it the sizes are
the issue's. ``--only`` runs one area.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import acl, caldav, imap, webdav
from bench.directory_data import Shape
from bench.table import Row, render_markdown, render_text

log = logging.getLogger(__name__)

AREAS = ("acl", "webdav", "caldav", "imap")


def _acl(quick: bool, work: Path) -> list[Row]:
    if quick:
        plan = acl.Plan(sizes=(Shape(50, 50), Shape(100, 50),
                               Shape(200, 50)),
                        decisions=20, listings=3, budget=0.5)
    else:
        plan = acl.Plan(sizes=(Shape(1000), Shape(10_000),
                               Shape(100_000)))
    return acl.run(plan, work)


def _webdav(quick: bool, work: Path) -> list[Row]:
    mib = webdav.MIB
    if quick:
        plan = webdav.Plan(folder_sizes=(10, 30, 100),
                           file_sizes=(64 * 1024, mib), download=16 * mib,
                           slow_rate=16 * mib, count=3, budget=1.0)
    else:
        plan = webdav.Plan(folder_sizes=(100, 1000, 10_000),
                           file_sizes=(mib, 100 * mib), download=1024 * mib,
                           slow_rate=32 * mib)
    return webdav.run(plan, work)


def _caldav(quick: bool, work: Path) -> list[Row]:
    if quick:
        plan = caldav.Plan(events=(10, 20, 40), cards=(10, 20, 40),
                           calendars=(2, 4, 8), count=3, budget=1.0,
                           fill_budget=60.0)
    else:
        plan = caldav.Plan(events=(100, 1000, 10_000),
                           cards=(100, 1000, 10_000),
                           calendars=(20, 100, 200), fill_budget=1500.0)
    return caldav.run(plan, work)


def _imap(quick: bool, work: Path) -> list[Row]:
    if quick:
        plan = imap.Plan(mailbox_sizes=(20, 40, 80), appends=20,
                         count=3, budget=1.0, fill_budget=60.0)
    else:
        # Our APPEND runs at about ten messages a second on the shared
        # machine: 100,000 messages would take hours to fill, so the
        # mailbox grows to 3,000 (see docs/benchmarks.md).
        plan = imap.Plan(mailbox_sizes=(300, 1000, 3000), appends=1000,
                         fill_budget=1500.0)
    return imap.run(plan, work)


def _runners() -> dict[str, Callable[[bool, Path], list[Row]]]:
    return {"acl": _acl, "webdav": _webdav, "caldav": _caldav,
            "imap": _imap}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The options of one run."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Benchmarks of icewarp-share side by side with "
        "Dovecot, Radicale and wsgidav.")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, about a minute in all")
    parser.add_argument("--only", choices=AREAS, action="append",
                        help="run this area only (may be repeated)")
    parser.add_argument("--markdown", type=Path,
                        help="also write the table in Markdown here")
    parser.add_argument("--json", type=Path,
                        help="also write the rows as JSON here")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log progress to standard error")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen areas, print the table; 0 unless an area crashed."""
    options = parse(argv)
    logging.basicConfig(
        force=True,
        level=logging.INFO if options.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    started = time.monotonic()
    rows, crashed = _run_areas(options.only or AREAS, options.quick)
    header = _header(options.quick, time.monotonic() - started)
    print(header + render_text(rows))
    if options.markdown:
        options.markdown.write_text(header + render_markdown(rows) + "\n")
    if options.json:
        options.json.write_text(json.dumps(
            [{**dataclasses.asdict(r), "ratio": r.ratio} for r in rows],
            indent=1))
    return 1 if crashed else 0


def _run_areas(areas: Sequence[str],
               quick: bool) -> tuple[list[Row], bool]:
    rows: list[Row] = []
    crashed = False
    runners = _runners()
    with tempfile.TemporaryDirectory(prefix="icewarp-bench-") as tmp:
        for area in AREAS:
            if area not in areas:
                continue
            work = Path(tmp) / area
            work.mkdir()
            try:
                rows += runners[area](quick, work)
            except Exception as error:
                log.exception("area %s failed", area)
                crashed = True
                rows.append(Row(area.upper(), "whole area", "-",
                                note=f"the area failed: {error!r}"))
    return rows, crashed


def _header(quick: bool, seconds: float) -> str:
    mode = "quick" if quick else "full"
    return (f"icewarp-share benchmarks ({mode} run, {seconds:.0f} s, "
            f"Python {platform.python_version()})\n\n")
