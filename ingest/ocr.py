"""OCR of scanned PDF pages: the page images are read by Tesseract (Spanish, Portuguese, English).

A page whose text layer is (nearly) empty is recognised from the images embedded in it, as a
scanned page carries one. Like the PDF parser, the work happens in a child process under a
memory limit (`python -m ingest.ocr_worker`), which runs the `tesseract` command once per
image; the whole process group is killed when the PDF's time limit runs out, so OCR can never
hang an ingest. Without Tesseract or its Spanish and Portuguese data the pages stay empty and
the reason says what to install.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.ocr_worker import TESSERACT
from ingest.pdf_worker import MEMORY_LIMIT_MB

REQUIRED_LANGS = ("spa", "por")  # the languages of the reports; English is used when present
OPTIONAL_LANGS = ("eng",)
INSTALL_HINT = (
    "install tesseract-ocr with tesseract-ocr-spa and tesseract-ocr-por to read scanned pages"
)
NOT_SCANNED = "OCR is not supported"  # blank pages without an image: nothing to recognise
NOTHING_READ = "OCR found no text"
TIMED_OUT = "OCR did not finish within the PDF time limit (CLUSTERKB_PDF_TIMEOUT_S)"
CRASHED = "OCR crashed or ran out of memory"
UNDECODABLE = "the scanned page images could not be decoded"
BLANK_PAGE_CHARS = 20  # a page with fewer visible characters has no usable text layer
WORKER_MODULE = "ingest.ocr_worker"


@dataclass(frozen=True)
class Recognised:
    """What OCR read: text per page index (0-based), and why blank pages stayed unread."""

    texts: dict[int, str] = field(default_factory=dict)
    problem: str = ""


def blank_pages(page_texts: Sequence[str]) -> list[int]:
    """Indexes of the pages with no usable text layer."""
    return [i for i, text in enumerate(page_texts) if len("".join(text.split())) < BLANK_PAGE_CHARS]


def recognise_blank_pages(
    data: bytes, page_texts: Sequence[str], *, deadline: float, memory_mb: int = MEMORY_LIMIT_MB
) -> Recognised:
    """OCR the PDF's blank pages (bytes in `data`) before `deadline` (`time.monotonic()`)."""
    pages = blank_pages(page_texts)
    if not pages:
        return Recognised()
    langs, missing = tesseract_langs()
    answers, stopped = _run_child(data, pages, langs, deadline=deadline, memory_mb=memory_mb)
    texts = {a["page"]: a["text"] for a in answers if a.get("text", "").strip()}
    scanned = any(a.get("images") for a in answers)
    if stopped:
        problem = stopped
    elif not scanned and any(a.get("undecoded") for a in answers):
        problem = UNDECODABLE
    elif not scanned:
        problem = NOT_SCANNED
    elif missing:
        problem = missing
    else:
        problem = "" if texts else NOTHING_READ
    return Recognised(texts, problem)


def tesseract_langs() -> tuple[str, str]:
    """The `-l` argument for Tesseract ("spa+por+eng"), or "" and what to install."""
    executable = shutil.which(TESSERACT)
    if executable is None:
        return "", INSTALL_HINT
    installed = _installed_langs(executable)
    if not all(lang in installed for lang in REQUIRED_LANGS):
        return "", INSTALL_HINT
    return "+".join(lang for lang in (*REQUIRED_LANGS, *OPTIONAL_LANGS) if lang in installed), ""


@lru_cache(maxsize=4)
def _installed_langs(executable: str) -> frozenset[str]:
    try:
        done = subprocess.run(
            [executable, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    # Tesseract 3 prints the list on stderr, later versions on stdout; the first line is a title.
    lines = (done.stdout + "\n" + done.stderr).splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and " " not in line.strip())


def _run_child(
    data: bytes, pages: Sequence[int], langs: str, *, deadline: float, memory_mb: int
) -> tuple[list[dict[str, Any]], str]:
    """Start the OCR child; its answers (one per page) and why it stopped early ("" if not)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return [], TIMED_OUT
    package_root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    # One thread per Tesseract: its OpenMP threads cost more than they save on page images,
    # and ingest shares the machine with the encoder.
    env["OMP_THREAD_LIMIT"] = "1"
    pages_arg = ",".join(str(p) for p in pages)
    command = [sys.executable, "-m", WORKER_MODULE, str(memory_mb), f"{remaining:.3f}", langs]
    try:
        child = subprocess.Popen(
            [*command, pages_arg],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a crafted file can make a parser log without end
            env=env,
            start_new_session=True,  # its own process group, so Tesseract dies with it
        )
    except OSError as exc:
        return [], f"could not start OCR: {exc.strerror or exc}"
    try:
        out, _ = child.communicate(data, timeout=remaining)
        stopped = "" if child.returncode == 0 else CRASHED
    except subprocess.TimeoutExpired:
        _kill_group(child)
        out, _ = child.communicate()
        stopped = TIMED_OUT
    answers = list(_answers(out))
    if any(a.get("timeout") for a in answers):
        stopped = TIMED_OUT
    return [a for a in answers if isinstance(a.get("page"), int)], stopped


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    killpg = getattr(os, "killpg", None)
    with contextlib.suppress(OSError):
        if killpg is not None:
            killpg(child.pid, signal.SIGKILL)
        else:  # no process groups (Windows): the child at least
            child.kill()


def _answers(out: bytes) -> Iterator[dict[str, Any]]:
    """The JSON lines the child wrote (a line cut short by a kill is skipped)."""
    for line in out.decode("utf-8", "replace").splitlines():
        with contextlib.suppress(ValueError):
            answer = json.loads(line)
            if isinstance(answer, dict):
                yield answer
