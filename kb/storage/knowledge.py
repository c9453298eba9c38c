"""The opened knowledge base: settings, encoder, store, lexical index and manifest together.

A knowledge base opened by the app stays open while ingests run in other processes. It notices
their commits by the manifest's file identity: the set of visible passages is re-read, the
vector store is re-read from disk (Chroma does not see another process's vectors otherwise)
and the keyword index is reloaded when it was replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kb.config import Settings, get_settings
from kb.encoders import Embedder, get_embedder, store_model
from kb.models import Passage
from kb.storage.keyword_index import LexicalIndex
from kb.storage.keyword_index import stamp as index_stamp
from kb.storage.manifest import Manifest, load_manifest, save_manifest
from kb.storage.vectors import PassageStore, recorded_model

Stamp = tuple[int, int, int] | None


@dataclass
class KnowledgeBase:
    settings: Settings
    embedder: Embedder
    store: PassageStore
    _lexical: LexicalIndex | None = None
    _lexical_stamp: Stamp = None
    _lexical_view: LexicalIndex | None = None
    _lexical_view_generation: int = -1
    _visible: frozenset[str] = frozenset()
    _visible_stamp: Stamp = None
    _visible_loaded: bool = False
    _visible_generation: int = 0
    _store_stamp: Stamp = field(default=None)
    """The manifest as it was when the store was last read from disk (or written by us)."""

    def __post_init__(self) -> None:
        self._store_stamp = _stamp(self.settings.manifest_path)

    @property
    def lexical(self) -> LexicalIndex:
        """The BM25 index, reloaded when another process (an ingest) has replaced it.

        Its searches only return passages the manifest lists, like the dense side.
        """
        stamp = index_stamp(self.settings.bm25_path)
        if self._lexical is None or stamp != self._lexical_stamp:
            self._lexical = LexicalIndex.load(self.settings.bm25_path) or LexicalIndex.build([])
            self._lexical_stamp = stamp
            self._lexical_view = None
        visible = self.visible_ids()
        view = self._lexical_view
        if view is None or self._lexical_view_generation != self._visible_generation:
            view = self._lexical.restricted(visible)
            self._lexical_view = view
            self._lexical_view_generation = self._visible_generation
        return view

    def set_lexical(self, index: LexicalIndex) -> None:
        index.save(self.settings.bm25_path)
        self._lexical = index
        self._lexical_stamp = index_stamp(self.settings.bm25_path)
        self._lexical_view = None

    @property
    def manifest(self) -> Manifest:
        return load_manifest(self.settings.manifest_path)

    def save_manifest(self, manifest: Manifest) -> None:
        """Write the manifest (the commit point of every change) as this process's own change."""
        save_manifest(manifest, self.settings.manifest_path)
        self._store_stamp = _stamp(self.settings.manifest_path)

    def passages(self, ids: Sequence[str]) -> list[Passage]:
        """The committed passages among `ids`: a half-ingested document is never shown or cited."""
        visible = self.visible_ids()
        return [p for p in self.store.get(list(ids)) if p.id in visible]

    def visible_ids(self) -> frozenset[str]:
        """Passage ids committed in the manifest: the only ones a search may show."""
        stamp = _stamp(self.settings.manifest_path)
        if stamp != self._store_stamp:
            # Another process committed: re-read the vectors before showing its passages.
            self.store.refresh()
            self._store_stamp = stamp
        if not self._visible_loaded or stamp != self._visible_stamp:
            self._visible = frozenset(self.manifest.passage_ids())
            self._visible_stamp = stamp
            self._visible_loaded = True
            self._visible_generation += 1
        return self._visible


def _stamp(path: Path) -> Stamp:
    """Identity of the file now at `path`: atomic saves replace it, so every save differs."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def open_kb(settings: Settings | None = None, *, allow_model_change: bool = False) -> KnowledgeBase:
    """Open (or create) the knowledge base described by `settings`.

    A store built with another embedding model is refused unless `allow_model_change`
    (a rebuild is about to re-embed everything).
    """
    settings = settings or get_settings()
    model = settings.embedding_model
    if not allow_model_change and "embedding_model" not in settings.model_fields_set:
        # Not chosen by the user: a store built with another bundled model keeps its model.
        model = store_model(recorded_model(settings), model)
    embedder = get_embedder(model, settings.threads)
    store = PassageStore(settings, embedder.name, embedder.dim, allow_model_change)
    return KnowledgeBase(settings=settings, embedder=embedder, store=store)
