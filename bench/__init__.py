"""Benchmarks of icewarp-share side by side with the servers people
would pick instead (Dovecot, Radicale, wsgidav), run by ``scripts/bench``.

Each area has its own module with a ``run(plan) -> list[Row]`` entry; the
rows of every area go into one table of medians and ratios ours / peer.
Absolute times on a shared machine are noisy: the ratios taken in one run
are the figures that count.
"""
