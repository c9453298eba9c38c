"""The wheel carries everything an installed `clusterkb` needs outside a checkout.

`clusterkb serve` and `clusterkb ingest` run from any folder once the wheel is installed, so
the app's scripts, the CLI, kb's YAML data, the PDF fonts and the bundled corpus must all be
inside it: a file that only exists in the checkout works in tests and fails for users.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Left out of the copy that is built: environments, caches, build output and local data.
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".clusterkb",
    "*_cache",
    "__pycache__",
    "*.pyc",
    "build",
    "dist",
    "*.egg-info",
    "test-artifacts",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the checkout (offline, no dependencies)."""
    root = tmp_path_factory.mktemp("wheel")
    # A copy: building in place would leave build/ and egg-info output in the checkout.
    source = root / "src"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES)
    out = root / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--quiet", "-w", str(out), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("clusterkb-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> set[str]:
    """The names of the files inside the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _in_checkout(folder: str, pattern: str) -> list[str]:
    """Paths (relative to the repo) of the checkout's files under `folder` matching `pattern`."""
    found = [p for p in (REPO / folder).glob(pattern) if "__pycache__" not in p.parts]
    return sorted(p.relative_to(REPO).as_posix() for p in found if p.is_file())


def _missing(expected: list[str], wheel_files: set[str]) -> list[str]:
    return [name for name in expected if name not in wheel_files]


def test_the_wheel_holds_the_app_and_its_translations(wheel_files: set[str]) -> None:
    views = _in_checkout("clusterkb/app/views", "*.py")
    assert "clusterkb/app/views/search.py" in views
    expected = ["clusterkb/app/main.py", "clusterkb/app/navigation.py", *views]
    expected += _in_checkout("clusterkb/app", "*.yaml")
    assert "clusterkb/app/translations.yaml" in expected
    assert _missing(expected, wheel_files) == []


def test_the_wheel_holds_the_cli_and_its_entry_point(wheel: Path, wheel_files: set[str]) -> None:
    cli = _in_checkout("clusterkb/cli", "*.py")
    assert "clusterkb/cli/__init__.py" in cli
    assert _missing(cli, wheel_files) == []
    (entry_points,) = [n for n in wheel_files if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        scripts = archive.read(entry_points).decode("utf-8")
    assert "clusterkb = clusterkb.cli:app" in scripts


def test_the_wheel_holds_every_module_and_yaml_file_of_the_packages(
    wheel_files: set[str],
) -> None:
    expected = [
        name
        for package in ("kb", "ingest", "clusterkb")
        for pattern in ("**/*.py", "**/*.yaml")
        for name in _in_checkout(package, pattern)
    ]
    for data in ("kb/tags/taxonomy.yaml", "kb/learning/learning_path.yaml"):
        assert data in expected
    assert _missing(expected, wheel_files) == []


def test_the_wheel_holds_the_pdf_fonts(wheel_files: set[str]) -> None:
    fonts = _in_checkout("kb/briefs/fonts", "*")
    assert any(name.endswith(".ttf") for name in fonts)
    assert _missing(fonts, wheel_files) == []


def test_the_wheel_holds_the_bundled_corpus(wheel_files: set[str]) -> None:
    reports = [f"clusterkb/corpus/{Path(p).name}" for p in _in_checkout("corpus", "*.md")]
    assert reports
    expected = [*reports, "clusterkb/corpus/eval/queries.yaml"]
    assert _missing(expected, wheel_files) == []
