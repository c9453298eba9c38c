"""Write a synthetic store through the real write path: PassageStore, LexicalIndex, manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from bench.measure import dir_mb, peak_rss_mb, timed
from bench.synthetic import RECIPE, derive, load_real, manifest_for

STAMP = "bench-store.json"
VARIANT = "passages-chroma-defaults"
"""A vectors-only copy with Chroma's default HNSW links, to show what ClusterKB's settings buy."""
VARIANT_HNSW = {"space": "cosine", "max_neighbors": 16, "ef_construction": 100, "ef_search": 100}


def store_task(args: dict[str, Any]) -> dict[str, Any]:
    """Build (or reuse) the store of `size` passages at `home`; always rebuild and time BM25."""
    from kb.config import Settings
    from kb.storage.keyword_index import LexicalIndex
    from kb.storage.manifest import save_manifest
    from kb.storage.vectors import HNSW_CONFIGURATION, PassageStore

    home = Path(args["home"])
    size = int(args["size"])
    real, vectors = load_real(Path(args["real_dir"]))
    (passages, synthetic), gen_s = timed(lambda: derive(real, vectors, size, args["seed"]))
    settings = Settings(home=home, embedding_model=args["backend"])
    key = {
        "size": len(passages),
        "seed": args["seed"],
        "real": args["fingerprint"],
        "recipe": RECIPE,
        "hnsw": HNSW_CONFIGURATION,
        "variant": VARIANT_HNSW,
    }
    stamp = home / STAMP
    reused = stamp.exists() and json.loads(stamp.read_text())["key"] == key
    store_s = variant_s = None
    if not reused:
        shutil.rmtree(home, ignore_errors=True)
        store = PassageStore(settings, args["backend"], int(synthetic.shape[1]))
        _, store_s = timed(lambda: store.upsert(passages, synthetic))
        save_manifest(manifest_for(passages), settings.manifest_path)
        _, variant_s = timed(lambda: _write_variant(store, [p.id for p in passages], synthetic))
    index, build_s = timed(lambda: LexicalIndex.build(passages))
    _, save_s = timed(lambda: index.save(settings.bm25_path))
    result = {
        "size": len(passages),
        "reused_store": reused,
        "generate_s": gen_s,
        "store_s": store_s,
        "variant_s": variant_s,
        "bm25_build_s": build_s,
        "bm25_save_s": save_s,
        "bm25_mb": dir_mb(settings.bm25_path),
        "chroma_mb": dir_mb(settings.chroma_path),
        "peak_rss_mb": peak_rss_mb(),
    }
    if not reused:
        stamp.write_text(json.dumps({"key": key, "built": result}))
    else:
        built = json.loads(stamp.read_text())["built"]
        result["store_s"] = built["store_s"]
        result["variant_s"] = built["variant_s"]
        result["store_peak_rss_mb"] = built["peak_rss_mb"]
    return result


def _write_variant(store: Any, ids: list[str], vectors: Any) -> None:
    """The same vectors in a collection with Chroma's default HNSW settings."""
    collection = store.client.get_or_create_collection(
        VARIANT, embedding_function=None, configuration={"hnsw": VARIANT_HNSW}
    )
    for lo in range(0, len(ids), store.max_batch):
        collection.add(
            ids=ids[lo : lo + store.max_batch], embeddings=vectors[lo : lo + store.max_batch]
        )
