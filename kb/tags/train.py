"""`tags train`: refit the learned tagger from the labelled set plus the analysts' corrections,
save it in the data folder, and re-tag the stored passages from their stored vectors.

The labelled set is read through `kb.evaluation.tags_unseen` (real spans need the reports
folder; paraphrases always resolve). When the labelled set is not given, the shipped model
(fitted on the whole labelled set) is the base, and the corrections are added to it.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from kb.encoders import Embedder
from kb.evaluation.tags_unseen import Example, Unresolved, load_unseen_set, resolve_unseen
from kb.files import sha256_file, sha256_text
from kb.models import FACETS, Passage, Tag
from kb.storage.corrections import Correction, apply_corrections, load_corrections
from kb.storage.corrections import text_hash as correction_text_hash
from kb.storage.keyword_index import LexicalIndex
from kb.storage.keyword_rows import LexicalRow
from kb.storage.knowledge import KnowledgeBase
from kb.storage.manifest import Manifest
from kb.storage.writes import writing
from kb.tags.examples import EXAMPLES_DIR, examples_hash, load_examples
from kb.tags.learned import (
    Stats,
    TagModel,
    fit,
    labels_of,
    statistics,
    tag_keys,
    with_examples,
)
from kb.tags.model_store import load_model, save_model, saved_model_path, shipped_model_path
from kb.tags.tagger import LEARNED, learned_tags, merge_tags, rule_hits
from kb.tags.taxonomy import Taxonomy, load_taxonomy
from kb.textnorm import fold
from kb.workspace.roles import Actor, acting

DEFINITION_WEIGHT = 1.0
"""A tag definition counts as one labelled passage."""


class TrainError(ValueError):
    """The tagger cannot be trained (no base model for this encoder, unreadable labels)."""


@dataclass
class TrainReport:
    path: Path
    fingerprint: str
    base: str
    labelled: int
    corrected_passages: int
    unmatched_corrections: list[str] = field(default_factory=list)
    retagged: int = 0
    changed: int = 0
    fit_seconds: float = 0.0
    retag_seconds: float = 0.0
    skipped_labels: list[str] = field(default_factory=list)


def labelled_vectors(embedder: Embedder, texts: Sequence[str], cache: Path | None) -> np.ndarray:
    """Vectors of the labelled texts, kept in `cache` (an .npz keyed by text hash) so that
    repeated evaluations and trainings do not encode them again."""
    hashes = [sha256_text(t) for t in texts]
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.is_file():
        with np.load(cache) as data:
            if str(data["encoder"]) == embedder.name:
                known = dict(zip(data["hashes"].tolist(), data["vectors"], strict=True))
    missing = [i for i, h in enumerate(hashes) if h not in known]
    if missing:
        fresh = embedder.embed_passages([texts[i] for i in missing])
        known.update({hashes[i]: v for i, v in zip(missing, fresh, strict=True)})
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            keys = sorted(known)
            with cache.open("wb") as handle:
                np.savez(
                    handle,
                    encoder=np.array(embedder.name),
                    hashes=np.array(keys),
                    vectors=np.vstack([known[k] for k in keys]),
                )
    dim = embedder.dim
    if not hashes:
        return np.zeros((0, dim), dtype=np.float32)
    return np.vstack([known[h] for h in hashes]).astype(np.float32)


def fingerprint(encoder: str, items: Sequence[tuple[str, str, Sequence[str]]]) -> str:
    """What the model was fitted on: encoder, and each example's id, text hash and labels."""
    digest = hashlib.sha256(encoder.encode())
    for ident, text_sha, labels in sorted(items):
        digest.update(f"\n{ident}\t{text_sha}\t{','.join(sorted(labels))}".encode())
    return digest.hexdigest()[:16]


def _items(examples: Sequence[Example]) -> list[tuple[str, str, list[str]]]:
    return [
        (
            ex.id,
            sha256_text(ex.text),
            [f"{f}:{t}" for f in FACETS for t in ex.entry.expected[f]],
        )
        for ex in examples
    ]


def definition_prior(
    embedder: Embedder,
    taxonomy: Taxonomy,
    keys: Sequence[str],
    cache: Path | None = None,
    examples_dir: Path = EXAMPLES_DIR,
) -> Stats:
    """Each tag's label and definition, per language, and its written examples
    (`kb.tags.examples`), each an example of that tag alone, plus the examples of untagged
    prose: the meaning the labelled passages may not cover (rare tags, other wordings)."""
    texts, rows = [], []
    for tag in taxonomy.all_tags():
        for lang, definition in tag.definition.items():
            texts.append(f"{tag.label_in(lang)}: {definition}")
            rows.append(keys.index(f"{tag.facet}:{tag.id}"))
    for example in load_examples(taxonomy, examples_dir):
        texts.append(example.text)
        rows.append(keys.index(example.key) if example.key else -1)
    labels = np.zeros((len(texts), len(keys)), dtype=bool)
    tagged = np.array([i for i, row in enumerate(rows) if row >= 0], dtype=int)
    labels[tagged, np.array(rows)[tagged]] = True
    vectors = labelled_vectors(embedder, texts, cache)
    return statistics(vectors, labels, DEFINITION_WEIGHT)


def taxonomy_hash() -> str:
    """The tag definitions and examples are training data too (`definition_prior`)."""
    from kb.tags.taxonomy import TAXONOMY_PATH

    return sha256_text(sha256_file(TAXONOMY_PATH) + examples_hash())


def fit_labelled(
    embedder: Embedder,
    examples: Sequence[Example],
    cache: Path | None = None,
    taxonomy: Taxonomy | None = None,
) -> TagModel:
    """The learned tagger fitted on the whole labelled set (what ships in the package)."""
    taxonomy = taxonomy or load_taxonomy()
    keys = tag_keys(taxonomy)
    vectors = labelled_vectors(embedder, [ex.text for ex in examples], cache)
    labels = labels_of([ex.entry.expected for ex in examples], keys)
    prior_cache = cache.with_name(f"definitions_{cache.name}") if cache is not None else None
    return fit(
        embedder.name,
        keys,
        vectors,
        labels,
        [ex.entry.group for ex in examples],
        [ex.id for ex in examples],
        fingerprint(embedder.name, [*_items(examples), ("taxonomy", taxonomy_hash(), [])]),
        prior=definition_prior(embedder, taxonomy, keys, prior_cache),
        ruled=rule_hits([ex.text for ex in examples], keys, taxonomy),
    )


def read_labelled(
    path: Path, realdocs_dir: Path | None = None
) -> tuple[list[Example], list[Unresolved]]:
    return resolve_unseen(load_unseen_set(path, realdocs_dir=realdocs_dir))


def _matches(correction: Correction, passage: Passage) -> bool:
    if correction_text_hash(passage.text) == correction.text_sha256:
        return True
    flat = " ".join(fold(passage.text).split())
    return bool(correction.anchor) and correction.anchor in flat


def corrected_passages(
    kb: KnowledgeBase, corrections: Sequence[Correction]
) -> tuple[list[Passage], np.ndarray, list[Correction]]:
    """The stored passages the corrections name (their current tags are the labels), with
    their stored vectors, and the corrections whose passage is gone."""
    by_doc: dict[str, list[Correction]] = defaultdict(list)
    for c in corrections:
        by_doc[c.doc_id].append(c)
    found: dict[str, tuple[Passage, np.ndarray]] = {}
    unmatched: list[Correction] = []
    manifest = kb.manifest
    for doc_id, mine in by_doc.items():
        record = manifest.docs.get(doc_id)
        if record is None:
            unmatched.extend(mine)
            continue
        rows = [
            (p, v)
            for passages, vectors in kb.store.iter_with_vectors(record.passage_ids)
            for p, v in zip(passages, vectors, strict=True)
        ]
        for c in mine:
            hit = next(((p, v) for p, v in rows if _matches(c, p)), None)
            if hit is None:
                unmatched.append(c)
            else:
                found[hit[0].id] = hit
    passages = [p for p, _ in found.values()]
    vectors = np.vstack([v for _, v in found.values()]) if found else np.zeros((0, kb.embedder.dim))
    return passages, vectors, unmatched


def base_model(
    embedder: Embedder, labelled: Sequence[Example] | None, cache: Path | None
) -> TagModel:
    if labelled is not None:
        return fit_labelled(embedder, labelled, cache)
    if shipped_model_path(embedder.name).is_file():
        shipped = load_model(shipped_model_path(embedder.name))
        if shipped.encoder == embedder.name:
            return shipped
    raise TrainError(
        f"no shipped tagger model for the encoder {embedder.name!r}: "
        "train from the labelled set (--labels)"
    )


def train(
    kb: KnowledgeBase,
    labelled: Sequence[Example] | None = None,
    *,
    retag: bool = True,
    cache: Path | None = None,
    actor: Actor | None = None,
) -> TrainReport:
    """Fit (labelled set or shipped base, plus corrections), save, and re-tag the store, as
    `actor` (an editor; default: the local admin); raises `PermissionDenied` otherwise."""
    acting(actor, "tags.train", kb.settings.user)
    started = time.perf_counter()
    taxonomy = load_taxonomy()
    base = base_model(kb.embedder, labelled, cache)
    corrections = load_corrections(kb.settings.corrections_path)
    passages, vectors, unmatched = corrected_passages(kb, corrections)
    keys = list(base.keys)
    labels = labels_of([{f: frozenset(p.tag_ids(f)) for f in FACETS} for p in passages], keys)
    print_ = fingerprint(
        base.fingerprint,
        [
            (p.id, correction_text_hash(p.text), [f"{t.facet}:{t.tag_id}" for t in p.tags])
            for p in passages
        ],
    )
    model = with_examples(base, vectors, labels, [p.id for p in passages], print_)
    path = saved_model_path(kb.settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(model, path)
    report = TrainReport(
        path=path,
        fingerprint=model.fingerprint,
        base="labelled set" if labelled is not None else "shipped model",
        labelled=round(float(base.stats.xtx[-1, -1])),
        corrected_passages=len(passages),
        unmatched_corrections=[f"{c.passage_id} by {c.user} on {c.time}" for c in unmatched],
        fit_seconds=time.perf_counter() - started,
    )
    if retag:
        started = time.perf_counter()
        report.retagged, report.changed = retag_store(kb, model, taxonomy)
        report.retag_seconds = time.perf_counter() - started
    return report


def retagged(
    passages: Sequence[Passage], vectors: np.ndarray, model: TagModel, taxonomy: Taxonomy
) -> list[Passage]:
    """Passages with the learned tags of `model`; their rule tags (derived from the text at
    ingest) stay, corrections are applied afterwards by the caller. A passage whose tags come
    out the same is returned as it was (copying a passage costs more than scoring it)."""
    body = [i for i, p in enumerate(passages) if p.is_body]
    learned = dict(zip(body, learned_tags(model, vectors[body], taxonomy), strict=True))
    out = []
    for i, p in enumerate(passages):
        kept: list[Tag] = [t for t in p.tags if t.origin not in (LEARNED, "human")]
        tags = merge_tags(kept, learned.get(i, [])) if p.is_body else ()
        out.append(p if tags == p.tags else replace(p, tags=tags))
    return out


def retag_store(
    kb: KnowledgeBase,
    model: TagModel,
    taxonomy: Taxonomy | None = None,
    page_size: int = 2000,
    write_batch: int | None = None,
) -> tuple[int, int]:
    """Re-tag every committed passage from its stored vector; returns (seen, changed).

    Changed passages are written `write_batch` at a time (default: the store's largest batch),
    across pages. The keyword index only gets the passages whose tag ids changed: it keeps ids,
    not reasons or scores, and the text is the same, so re-stemming the others would rebuild
    identical rows. It takes them a batch at a time in memory (stems are smaller than the
    passages) and is saved once, last.
    """
    taxonomy = taxonomy or load_taxonomy()
    by_doc = _corrections_by_doc(kb)
    batch = max(1, write_batch or kb.store.max_batch)
    seen = changed = 0
    pending: list[Passage] = []
    new_rows: list[Passage] = []
    index: LexicalIndex | None = None
    with writing(kb, reread_store=False) as writer:
        for passages, vectors in _pages(kb, writer.manifest, set(by_doc), page_size):
            fresh = _with_corrections(retagged(passages, vectors, model, taxonomy), by_doc)
            for new, old in zip(fresh, passages, strict=True):
                if new.tags != old.tags:
                    pending.append(new)
                    if LexicalRow.of(new) != LexicalRow.of(old):
                        new_rows.append(new)
            while len(pending) >= batch:
                writer.retag(pending[:batch])
                changed += batch
                del pending[:batch]
            if len(new_rows) >= batch:
                index = (kb.lexical if index is None else index).with_passages(new_rows)
                new_rows = []
            seen += len(passages)
        if pending:
            writer.retag(pending)
            changed += len(pending)
        if new_rows:
            index = (kb.lexical if index is None else index).with_passages(new_rows)
        if index is not None:
            kb.set_lexical(index)
    return seen, changed


def _pages(
    kb: KnowledgeBase, manifest: Manifest, corrected: set[str], page_size: int
) -> Iterator[tuple[list[Passage], np.ndarray]]:
    """The committed passages with their vectors, a page at a time; a document with
    corrections comes whole and in passage order, so they apply as at ingest (a correction's
    anchor may also occur in a neighbouring passage, on the other side of a page edge)."""
    whole = sorted(d for d in corrected if d in manifest.docs)
    held = {pid for d in whole for pid in manifest.docs[d].passage_ids}
    rest = sorted(manifest.passage_ids() - held)
    if rest:  # Chroma refuses an empty list of ids
        yield from kb.store.iter_with_vectors(rest, page_size)
    for doc in whole:
        rows = [
            (p, v)
            for passages, vectors in kb.store.iter_with_vectors(manifest.docs[doc].passage_ids)
            for p, v in zip(passages, vectors, strict=True)
        ]
        if rows:
            rows.sort(key=lambda row: row[0].index)
            yield [p for p, _ in rows], np.vstack([v for _, v in rows])


def _corrections_by_doc(kb: KnowledgeBase) -> dict[str, list[Correction]]:
    by_doc: dict[str, list[Correction]] = defaultdict(list)
    for c in load_corrections(kb.settings.corrections_path):
        by_doc[c.doc_id].append(c)
    return by_doc


def _with_corrections(
    passages: list[Passage], by_doc: dict[str, list[Correction]]
) -> list[Passage]:
    """Corrections always win: re-applied, in log order, to the passages they name."""
    docs = {p.doc_id for p in passages} & set(by_doc)
    if not docs:
        return passages
    current = {p.id: p for p in passages}
    for doc in docs:
        mine = [p for p in passages if p.doc_id == doc]
        for p in apply_corrections(mine, by_doc[doc]).passages:
            current[p.id] = p
    return [current[p.id] for p in passages]
