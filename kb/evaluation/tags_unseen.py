"""The labelled passages on unseen text (corpus/eval/tags_unseen.yaml): reading and resolving.

Real spans are referenced by file hash, page and character offsets into pypdf's raw
`extract_text()` of that page (or into the whole UTF-8 file for .md/.html); their text is read
at run time from the reports folder and checked against the recorded hashes. Paraphrases carry
their own text. Anything that cannot be resolved is reported with why, never raised.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.evaluation.tag_set import Labels, TagSetError, read_labels
from kb.files import read_yaml, sha256_text
from kb.models import BODY, KINDS
from kb.tags.taxonomy import Taxonomy, load_taxonomy

LANGS = ("es", "en", "pt")


class UnseenSetError(ValueError):
    """The label file is malformed (the message names the entry)."""


@dataclass(frozen=True)
class UnseenPassage:
    id: str
    lang: str
    fold: int
    expected: Labels
    kind: str = BODY
    source: str = "real"
    """"real" (a span of a report) or "paraphrase"."""
    seen_by_rules: bool = False
    doc: str = ""
    file: str = ""
    file_sha256: str = ""
    page: int = 1
    span: tuple[int, int] = (0, 0)
    text_sha256: str = ""
    text: str = ""
    """Paraphrases only; a real span's text is read from its file."""
    target: str = ""

    @property
    def group(self) -> str:
        """What cross-validation keeps together: the document, or the paraphrased tag."""
        return self.doc or f"paraphrase:{self.target}"

    @property
    def ref(self) -> str:
        if self.source == "paraphrase":
            return f"paraphrase of {self.target} ({self.lang})"
        return f"{self.file} p.{self.page} [{self.span[0]}:{self.span[1]})"


@dataclass(frozen=True)
class UnseenSet:
    entries: tuple[UnseenPassage, ...]
    realdocs_dir: Path


@dataclass(frozen=True)
class Example:
    """A labelled passage with its text, ready to score or train on."""

    entry: UnseenPassage
    text: str

    @property
    def id(self) -> str:
        return self.entry.id


@dataclass(frozen=True)
class Unresolved:
    id: str
    ref: str
    reason: str


def _labels(raw: dict[str, Any], where: str, taxonomy: Taxonomy) -> Labels:
    try:
        return read_labels(raw, where, taxonomy)
    except TagSetError as exc:
        raise UnseenSetError(str(exc)) from exc


def _entry(raw: dict[str, Any], taxonomy: Taxonomy) -> UnseenPassage:
    where = f"entry {raw.get('id', '?')!r}"
    lang, kind = str(raw["lang"]), str(raw.get("kind", BODY))
    if lang not in LANGS:
        raise UnseenSetError(f"{where}: lang {lang!r} is not one of {', '.join(LANGS)}")
    if kind not in KINDS:
        raise UnseenSetError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    common: dict[str, Any] = {
        "id": str(raw["id"]),
        "lang": lang,
        "fold": int(raw["fold"]),
        "expected": _labels(raw, where, taxonomy),
        "kind": kind,
    }
    if raw.get("source") == "paraphrase":
        return UnseenPassage(
            **common, source="paraphrase", text=str(raw["text"]), target=str(raw["target"])
        )
    start, end = (int(x) for x in raw["span"])
    return UnseenPassage(
        **common,
        seen_by_rules=bool(raw.get("seen_by_rules", False)),
        doc=str(raw["doc"]),
        file=str(raw["file"]),
        file_sha256=str(raw["file_sha256"]),
        page=int(raw.get("page", 1)),
        span=(start, end),
        text_sha256=str(raw["text_sha256"]),
    )


def load_unseen_set(
    path: Path, taxonomy: Taxonomy | None = None, realdocs_dir: Path | None = None
) -> UnseenSet:
    """Read and validate the label file; `realdocs_dir` overrides the folder the file names
    (which is relative to the file)."""
    taxonomy = taxonomy or load_taxonomy()
    data = read_yaml(Path(path), UnseenSetError)
    try:
        entries = tuple(_entry(raw, taxonomy) for raw in data["passages"])
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, UnseenSetError):
            raise
        raise UnseenSetError(f"{path}: malformed entry ({exc!r})") from exc
    dupes = [i for i, n in Counter(e.id for e in entries).items() if n > 1]
    if dupes:
        raise UnseenSetError(f"{path}: duplicate id(s) {', '.join(dupes)}")
    folder = realdocs_dir or (Path(path).parent / str(data.get("realdocs_dir", ""))).resolve()
    return UnseenSet(entries, Path(folder))


def raw_page_texts(path: Path) -> list[str]:
    """Each page as the offsets were taken: pypdf's raw extract_text(), or the whole file."""
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader

        return [page.extract_text() for page in PdfReader(path).pages]
    return [path.read_bytes().decode("utf-8")]


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def resolve_unseen(unseen: UnseenSet) -> tuple[list[Example], list[Unresolved]]:
    """Every entry with its text, and those that cannot be read now, with why.

    A missing reports folder skips all real spans with one reason; paraphrases still resolve.
    """
    pages: dict[str, list[str] | str] = {}  # file -> pages, or why it cannot be read

    def pages_of(entry: UnseenPassage) -> list[str] | str:
        if entry.file not in pages:
            path = unseen.realdocs_dir / entry.file
            if not unseen.realdocs_dir.is_dir():
                pages[entry.file] = f"reports folder {unseen.realdocs_dir} not found"
            elif not path.is_file():
                pages[entry.file] = "file not found"
            elif _file_sha(path) != entry.file_sha256:
                pages[entry.file] = "file differs (sha256): not the labelled version"
            else:
                try:
                    pages[entry.file] = raw_page_texts(path)
                except Exception as exc:  # a broken or unreadable file is reported, not raised
                    pages[entry.file] = f"cannot read: {exc}"
        return pages[entry.file]

    examples: list[Example] = []
    unresolved: list[Unresolved] = []
    for entry in unseen.entries:
        if entry.source == "paraphrase":
            examples.append(Example(entry, entry.text))
            continue
        got = pages_of(entry)
        if isinstance(got, str):
            unresolved.append(Unresolved(entry.id, entry.ref, got))
            continue
        if not 1 <= entry.page <= len(got):
            unresolved.append(Unresolved(entry.id, entry.ref, f"no page {entry.page}"))
            continue
        text = got[entry.page - 1][entry.span[0] : entry.span[1]]
        if sha256_text(text) != entry.text_sha256:
            unresolved.append(Unresolved(entry.id, entry.ref, "text changed (sha256 differs)"))
            continue
        examples.append(Example(entry, text))
    return examples, unresolved


def summarise_unresolved(unresolved: list[Unresolved]) -> list[str]:
    """One line per distinct reason and file, so a missing folder is one line, not 739."""
    folder = Counter(u.reason for u in unresolved if u.reason.startswith("reports folder"))
    lines = [f"{n} real span(s): {reason}" for reason, n in sorted(folder.items())]
    groups = Counter(
        (u.ref.split(" p.")[0], u.reason) for u in unresolved if u.reason not in folder
    )
    for (ref, reason), n in sorted(groups.items()):
        lines.append(f"{n} span(s) of {ref}: {reason}")
    return lines
