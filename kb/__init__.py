"""ClusterKB: a comparative knowledge base of cluster-development policy.

The public API, by feature:

    from kb import open_kb, search, compare, SearchFilters
    kb = open_kb()                                  # settings from CLUSTERKB_* variables
    hits = search(kb, "coordinación", k=5, filters=SearchFilters(countries=("Chile",)))

Sub-packages: `encoders` (text to vectors), `storage` (the knowledge base, vectors, keyword
index, manifest, corrections, lock, check, writes), `tags`, `retrieval`, `briefs`, `learning`,
`evaluation`. Names below load on first use, so importing one record does not start the store.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it
_API = {
    "Settings": "kb.config",
    "get_settings": "kb.config",
    "Document": "kb.models",
    "DocumentMeta": "kb.models",
    "Page": "kb.models",
    "Section": "kb.models",
    "Passage": "kb.models",
    "Tag": "kb.models",
    "Hit": "kb.models",
    "SearchFilters": "kb.models",
    "KnowledgeBase": "kb.storage.knowledge",
    "open_kb": "kb.storage.knowledge",
    "search": "kb.retrieval.search",
    "compare": "kb.retrieval.compare",
    "Comparison": "kb.retrieval.compare",
    "build_map": "kb.retrieval.evidence_map",
    "Brief": "kb.briefs.brief",
    "load_taxonomy": "kb.tags.taxonomy",
    "Taxonomy": "kb.tags.taxonomy",
    "default_tagger": "kb.tags.tagger",
}

__all__ = [
    "Brief",
    "Comparison",
    "Document",
    "DocumentMeta",
    "Hit",
    "KnowledgeBase",
    "Page",
    "Passage",
    "SearchFilters",
    "Section",
    "Settings",
    "Tag",
    "Taxonomy",
    "build_map",
    "compare",
    "default_tagger",
    "get_settings",
    "load_taxonomy",
    "open_kb",
    "search",
]

if TYPE_CHECKING:
    from kb.briefs.brief import Brief
    from kb.config import Settings, get_settings
    from kb.models import Document, DocumentMeta, Hit, Page, Passage, SearchFilters, Section, Tag
    from kb.retrieval.compare import Comparison, compare
    from kb.retrieval.evidence_map import build_map
    from kb.retrieval.search import search
    from kb.storage.knowledge import KnowledgeBase, open_kb
    from kb.tags.tagger import default_tagger
    from kb.tags.taxonomy import Taxonomy, load_taxonomy


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'kb' has no attribute {name!r}")
    value = getattr(import_module(_API[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value
