"""The `clusterkb` command line."""

from clusterkb.cli.main import app

__all__ = ["app"]
