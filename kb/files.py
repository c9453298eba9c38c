"""The safe YAML loader, in C when PyYAML was built with libyaml (ten times the pure-Python one)."""

from __future__ import annotations

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
