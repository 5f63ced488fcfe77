"""icewarp-share: a mail and groupware server built around folder sharing."""

__version__ = "0.1.0"
