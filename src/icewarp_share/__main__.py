"""``python -m icewarp_share`` runs the CLI."""

from icewarp_share.cli import main

main()
