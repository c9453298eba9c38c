"""The vector store: one Chroma collection of passages, embedded on disk or on a Chroma server.

Vectors are always computed by ClusterKB and passed in; the collection has no embedding
function, so Chroma never loads (or downloads) a model of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from kb.config import Settings
from kb.models import Passage, SearchFilters
from kb.storage.chroma_format import (
    chroma_where,
    passage_from_record,
    passage_metadata,
    replacing,
    storable,
)

T = TypeVar("T")


class StoreError(RuntimeError):
    """The store cannot be used as configured (message says why and what to do)."""


class ModelMismatchError(StoreError):
    """The store was built with another embedding model."""


# Denser links than Chroma's defaults (16 neighbours, ef_construction 100, ef_search 100). On
# the benchmark's 100k-passage store, top-10 recall against exact search was 0.65 with the
# defaults, 0.96 with 64 neighbours and 0.999 with these, for about 4 ms more per query and
# about 6 ms more per passage written, against ~90 ms to encode a passage (bench/RESULTS.md).
# The links cost 1 KiB per passage in memory. Chroma fixes them when a collection is created:
# a store built with older settings keeps them until `clusterkb ingest --rebuild`.
HNSW_CONFIGURATION: dict[str, Any] = {
    "hnsw": {"space": "cosine", "max_neighbors": 128, "ef_construction": 800, "ef_search": 400}
}


def recorded_model(settings: Settings) -> str | None:
    """The embedding model an existing, non-empty store was built with (None: no such store)."""
    from chromadb.errors import NotFoundError

    try:
        collection = make_client(settings).get_collection(settings.collection)
    except (NotFoundError, ValueError):
        return None
    if not collection.count():
        return None
    built_with = (collection.metadata or {}).get("embedding_model")
    return str(built_with) if built_with else None


def make_client(settings: Settings) -> Any:
    """A Chroma client: `HttpClient` when `CLUSTERKB_CHROMA_URL` is set, else `PersistentClient`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_url}: {exc}"
            ) from exc
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def fresh_client(settings: Settings) -> Any:
    """A client that reads the embedded store from disk anew.

    Chroma shares one in-memory vector index per folder within a process, and that index never
    sees what another process (an ingest) wrote since it was loaded: searches would miss new
    documents until a restart. Forgetting the shared instance makes the next client load the
    index from disk; clients already open keep theirs, so a search running on another thread
    is not cut off.
    """
    if not settings.chroma_url:
        from chromadb.api.shared_system_client import SharedSystemClient

        shared = SharedSystemClient._identifier_to_system
        shared.pop(str(settings.chroma_path), None)
    return make_client(settings)


class PassageStore:
    """Passages with their vectors and metadata, in one Chroma collection."""

    def __init__(
        self, settings: Settings, model_name: str, dim: int, allow_model_change: bool = False
    ) -> None:
        self.settings = settings
        self.model_name = model_name
        self.dim = dim
        self.client = make_client(settings)
        self.max_batch = int(self.client.get_max_batch_size())
        self.collection = self.client.get_or_create_collection(
            settings.collection,
            embedding_function=None,
            metadata={"embedding_model": model_name, "dim": dim},
            configuration=HNSW_CONFIGURATION,
        )
        built_with = (self.collection.metadata or {}).get("embedding_model")
        if built_with != model_name and self.count() > 0 and not allow_model_change:
            raise ModelMismatchError(
                f"the knowledge base at {self.location} was built with the embedding model "
                f"{built_with!r}, but {model_name!r} is configured (CLUSTERKB_EMBEDDING_MODEL). "
                "Run `clusterkb ingest --rebuild` to re-embed everything with the new model, "
                "or set CLUSTERKB_EMBEDDING_MODEL back."
            )

    def refresh(self) -> None:
        """Re-read the collection from disk: another process may have written to it since."""
        from chromadb.errors import NotFoundError

        client = fresh_client(self.settings)
        try:
            # Never create here: a `--rebuild` with another model may be under way.
            collection = client.get_collection(self.settings.collection)
        except NotFoundError:
            return  # dropped by a rebuild: reads see an empty store until it commits
        self.client, self.collection = client, collection

    def _read(self, read: Callable[[], T], empty: T) -> T:
        """Run a read; if another process dropped the collection (`--rebuild`), re-attach once."""
        from chromadb.errors import NotFoundError

        try:
            return read()
        except NotFoundError:
            self.refresh()
        try:
            return read()
        except NotFoundError:
            return empty

    def _get_rows(self, **request: Any) -> Any:
        return self._read(lambda: self.collection.get(**request), _NO_ROWS)

    @property
    def location(self) -> str:
        if self.settings.chroma_url:
            return self.settings.chroma_url
        return str(self.settings.chroma_path)

    def reset(self) -> None:
        """Drop every passage and record the current model (used by `--rebuild`)."""
        self.client.delete_collection(self.settings.collection)
        self.collection = self.client.get_or_create_collection(
            self.settings.collection,
            embedding_function=None,
            metadata={"embedding_model": self.model_name, "dim": self.dim},
            configuration=HNSW_CONFIGURATION,
        )

    def count(self) -> int:
        return self._read(lambda: int(self.collection.count()), 0)

    def upsert(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        for lo in range(0, len(passages), self.max_batch):
            batch = passages[lo : lo + self.max_batch]
            self.collection.upsert(
                ids=[p.id for p in batch],
                embeddings=vectors[lo : lo + len(batch)].tolist(),
                documents=[storable(p.text) for p in batch],
                metadatas=[replacing(passage_metadata(p)) for p in batch],
            )

    def update_tags(self, passages: Sequence[Passage]) -> None:
        """Rewrite metadata only (tags changed; vectors stay)."""
        for lo in range(0, len(passages), self.max_batch):
            batch = passages[lo : lo + self.max_batch]
            self.collection.update(
                ids=[p.id for p in batch],
                metadatas=[replacing(passage_metadata(p)) for p in batch],
            )

    def delete(self, ids: Sequence[str]) -> None:
        for lo in range(0, len(ids), self.max_batch):
            self.collection.delete(ids=list(ids[lo : lo + self.max_batch]))

    def get(self, ids: Sequence[str]) -> list[Passage]:
        """Passages by id, in the order asked (unknown ids are left out)."""
        found = {p.id: p for p in self.iter_get(ids)}
        return [found[i] for i in ids if i in found]

    def iter_get(self, ids: Sequence[str]) -> Iterator[Passage]:
        """Passages by id, one batch in memory at a time (order within a batch not kept)."""
        for lo in range(0, len(ids), self.max_batch):
            res = self._get_rows(
                ids=list(ids[lo : lo + self.max_batch]), include=["documents", "metadatas"]
            )
            for pid, text, meta in zip(
                res["ids"], res["documents"] or [], res["metadatas"] or [], strict=False
            ):
                yield passage_from_record(pid, text or "", dict(meta or {}))

    def iter_all(self, page_size: int = 2000) -> Iterator[Passage]:
        """Every passage in the store, page by page."""
        offset = 0
        while True:
            res = self._get_rows(limit=page_size, offset=offset, include=["documents", "metadatas"])
            if not res["ids"]:
                return
            for pid, text, meta in zip(
                res["ids"], res["documents"] or [], res["metadatas"] or [], strict=False
            ):
                yield passage_from_record(pid, text or "", dict(meta or {}))
            offset += len(res["ids"])

    def iter_with_vectors(
        self, ids: Sequence[str] | None = None, page_size: int = 2000
    ) -> Iterator[tuple[list[Passage], np.ndarray]]:
        """Passages with their stored vectors, a page at a time (all, or those of `ids`):
        re-tagging needs no re-embedding."""
        wanted = list(ids) if ids is not None else None
        offset = 0
        while True:
            include = ["documents", "metadatas", "embeddings"]
            if wanted is None:
                res = self._get_rows(limit=page_size, offset=offset, include=include)
            else:
                res = self._get_rows(ids=wanted[offset : offset + page_size], include=include)
            if res["ids"] is None or len(res["ids"]) == 0:
                return
            passages = [
                passage_from_record(pid, text or "", dict(meta or {}))
                for pid, text, meta in zip(
                    res["ids"], res["documents"] or [], res["metadatas"] or [], strict=False
                )
            ]
            yield passages, np.asarray(res["embeddings"], dtype=np.float32)
            offset += page_size if wanted is not None else len(res["ids"])
            if wanted is not None and offset >= len(wanted):
                return

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset = 0
        while True:
            res = self._get_rows(limit=10000, offset=offset, include=[])
            if not res["ids"]:
                return ids
            ids.update(res["ids"])
            offset += len(res["ids"])

    def nearest(
        self, vector: np.ndarray, n: int, filters: SearchFilters
    ) -> list[tuple[str, float]]:
        """Ids of the passages nearest to `vector` passing `filters`, with cosine similarity.

        Ids and distances only: the few passages a search shows are fetched after fusion, which
        costs less than carrying every candidate's text and metadata out of Chroma.
        """
        # No count() first: Chroma returns fewer rows when it has fewer, and counting costs
        # several milliseconds per query on a large store.
        res: Any = self._read(
            lambda: self.collection.query(
                query_embeddings=[vector.tolist()],
                n_results=n,
                where=chroma_where(filters),
                include=["distances"],
            ),
            {"ids": [[]], "distances": [[]]},
        )
        dists = (res["distances"] or [[]])[0]
        return [(pid, 1.0 - float(d)) for pid, d in zip(res["ids"][0], dists, strict=False)]


_NO_ROWS: Any = {"ids": [], "documents": [], "metadatas": []}
