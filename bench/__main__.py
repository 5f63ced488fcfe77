"""``python -m bench``: run the benchmarks and print one table."""

from bench.cli import main

raise SystemExit(main())
