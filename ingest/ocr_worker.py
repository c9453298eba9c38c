"""The OCR child process: page images out of a PDF (pypdf, under a memory limit) into Tesseract.

Run as `python -m ingest.ocr_worker MEMORY_MB SECONDS LANGS PAGES` by `ingest.ocr`, with the
PDF's bytes on stdin. For each page index in PAGES (comma-separated) it writes one JSON line:
`{"page", "images", "undecoded", "text"}`; with LANGS empty it only counts the images. When
SECONDS run out it writes `{"timeout": true}` and stops. Exit status 3: out of memory.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

TESSERACT = "tesseract"
MIN_IMAGE_PX = 300  # smaller images are logos and icons, not scanned pages
MAX_IMAGES_PER_PAGE = 8
MAX_SIDE_PX = 4000  # larger scans are scaled down: the text stays legible, OCR gets faster
MIN_LINE_CONFIDENCE = 60.0  # Tesseract's mean word confidence below which a line is noise
_EXIT_OUT_OF_MEMORY = 3


def page_images(page: Any) -> tuple[list[Any], int]:
    """The page's images large enough to hold text, as grayscale PIL images, and how many
    images could not be decoded (e.g. JBIG2 without its decoder)."""
    images: list[Any] = []
    undecoded = 0
    for index, item in enumerate(page.images):
        # Each image is decoded to learn its size: a page of countless tiny ones stops early.
        if index >= 4 * MAX_IMAGES_PER_PAGE or len(images) >= MAX_IMAGES_PER_PAGE:
            break
        try:
            image = item.image
        except Exception:  # one image pypdf cannot decode is not worth failing the page for
            undecoded += 1
            continue
        if image is not None and min(image.size) >= MIN_IMAGE_PX:
            images.append(image.convert("L"))
    return images, undecoded


def image_dpi(image: Any, page: Any) -> int:
    """Resolution of an image drawn over the whole page, which is what a scan is."""
    box = page.mediabox
    page_inches = max(abs(float(box.width)), abs(float(box.height))) / 72
    return max(70, min(1200, round(max(image.size) / page_inches))) if page_inches else 300


def ocr_image(image: Any, dpi: int, langs: str, timeout_s: float) -> str:
    """Tesseract's reading of one image; lines it is unsure of are left out."""
    if max(image.size) > MAX_SIDE_PX:
        scale = MAX_SIDE_PX / max(image.size)
        image = image.resize((round(image.size[0] * scale), round(image.size[1] * scale)))
        dpi = max(70, round(dpi * scale))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    command = [TESSERACT, "stdin", "stdout", "-l", langs, "--dpi", str(dpi), "tsv"]
    done = subprocess.run(
        command,
        input=buffer.getvalue(),
        capture_output=True,
        timeout=max(timeout_s, 0.1),
        check=True,
    )
    return text_from_tsv(done.stdout.decode("utf-8", "replace"))


def text_from_tsv(tsv: str) -> str:
    """Plain text from Tesseract's TSV output: lines in order, a blank line between
    paragraphs, and without lines whose mean word confidence is low (specks, logos)."""
    lines: dict[tuple[int, int, int, int], list[tuple[float, str]]] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        try:
            key = (int(cells[1]), int(cells[2]), int(cells[3]), int(cells[4]))
            lines.setdefault(key, []).append((float(cells[10]), cells[11].strip()))
        except ValueError:
            continue
    out: list[str] = []
    previous: tuple[int, int, int] | None = None
    for key, words in lines.items():
        if sum(conf for conf, _ in words) / len(words) < MIN_LINE_CONFIDENCE:
            continue
        if previous is not None and key[:3] != previous:
            out.append("")
        out.append(" ".join(word for _, word in words))
        previous = key[:3]
    return "\n".join(out)


def recognise(
    data: bytes, pages: Sequence[int], langs: str, deadline: float
) -> Iterator[dict[str, Any]]:
    """Per page: how many images it holds and, with `langs`, the text read from them."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")  # the parser already refused files that need a password
    for index in pages:
        try:
            page = reader.pages[index]
            images, undecoded = page_images(page)
        except Exception:
            yield {"page": index, "images": 0, "undecoded": 1}
            continue
        texts = []
        for image in images if langs else ():
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise subprocess.TimeoutExpired(TESSERACT, 0)
                texts.append(ocr_image(image, image_dpi(image, page), langs, remaining))
            except subprocess.TimeoutExpired:
                yield {"timeout": True}
                return
            except (OSError, subprocess.CalledProcessError):
                continue  # Tesseract could not read this image: the others may still do
        text = "\n\n".join(t for t in texts if t)
        yield {"page": index, "images": len(images), "undecoded": undecoded, "text": text}


def _limit_memory(megabytes: int) -> None:
    try:
        import resource
    except ImportError:  # not available on Windows; the time limit still applies
        return
    limit = megabytes * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker_main(argv: Sequence[str]) -> int:
    """Child entry point: PDF bytes on stdin; argv MEMORY_MB SECONDS LANGS PAGES; JSON lines out."""
    import logging

    logging.disable(logging.WARNING)  # pypdf warns about every oddity; nobody reads them here
    memory_mb, seconds, langs, pages_arg = int(argv[0]), float(argv[1]), argv[2], argv[3]
    deadline = time.monotonic() + seconds
    pages = [int(p) for p in pages_arg.split(",") if p.strip().isdigit()]
    _limit_memory(memory_mb)
    try:
        for answer in recognise(sys.stdin.buffer.read(), pages, langs, deadline):
            # Flushed per page: when time runs out, the pages already read are kept.
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    except MemoryError:
        return _EXIT_OUT_OF_MEMORY
    except Exception:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
