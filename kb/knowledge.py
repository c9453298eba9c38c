"""The opened knowledge base: settings, encoder, store, lexical index and manifest together."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kb.config import Settings, get_settings
from kb.embedding import Embedder, get_embedder
from kb.lexical import ROWS_FILE, LexicalIndex
from kb.manifest import Manifest, load_manifest
from kb.store import PassageStore


@dataclass
class KnowledgeBase:
    settings: Settings
    embedder: Embedder
    store: PassageStore
    _lexical: LexicalIndex | None = None
    _lexical_stamp: float = field(default=-1.0)

    @property
    def lexical(self) -> LexicalIndex:
        """The BM25 index, reloaded when another process (an ingest) has replaced it."""
        stamp = _mtime(self.settings.bm25_path / ROWS_FILE)
        if self._lexical is None or stamp != self._lexical_stamp:
            self._lexical = LexicalIndex.load(self.settings.bm25_path) or LexicalIndex.build([])
            self._lexical_stamp = stamp
        return self._lexical

    def set_lexical(self, index: LexicalIndex) -> None:
        index.save(self.settings.bm25_path)
        self._lexical = index
        self._lexical_stamp = _mtime(self.settings.bm25_path / ROWS_FILE)

    _visible: frozenset[str] = frozenset()
    _visible_stamp: float = field(default=-1.0)

    @property
    def manifest(self) -> Manifest:
        return load_manifest(self.settings.manifest_path)

    def visible_ids(self) -> frozenset[str]:
        """Passage ids committed in the manifest: the only ones a search may show."""
        stamp = _mtime(self.settings.manifest_path)
        if stamp != self._visible_stamp:
            self._visible = frozenset(self.manifest.passage_ids())
            self._visible_stamp = stamp
        return self._visible


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns / 1e9
    except FileNotFoundError:
        return 0.0


def open_kb(settings: Settings | None = None, *, allow_model_change: bool = False) -> KnowledgeBase:
    """Open (or create) the knowledge base described by `settings`.

    A store built with another embedding model is refused unless `allow_model_change`
    (a rebuild is about to re-embed everything).
    """
    settings = settings or get_settings()
    embedder = get_embedder(settings.embedding_model, settings.threads)
    store = PassageStore(settings, embedder.name, embedder.dim, allow_model_change)
    return KnowledgeBase(settings=settings, embedder=embedder, store=store)
