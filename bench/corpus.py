"""Synthetic knowledge-base corpora for the benches, built once and cached under data/bench.

Embedding 100k chunks takes about half an hour on the 2-core machine (~50 chunks/s), so
the large corpora are made cheaply: a few thousand *distinct* synthetic support chunks
(product specs, parts, workshop notes, trail guides, store events, app release notes)
are embedded once with the real model; every further chunk is one of them plus a small
random perturbation, re-normalised (cosine ≈ 0.86 to its base, so the index holds
clusters of near-duplicates rather than exact copies). The vectors are written into the
Chroma collections of a real ``KnowledgeStore`` with the same ids, documents and
metadata that ``upsert_articles`` writes, so ``KnowledgeStore.search`` and the bot's
sentence lookup run their real code paths over them.

Cached directories carry a ``ready.json`` written last: a build that was interrupted is
rebuilt from scratch, never half-used. ``data/`` is git-ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Metadata

from knowledge.embeddings import DIM, MODEL_NAME, Embedder
from knowledge.ingest import DEMO_DIR, import_directory
from knowledge.store import KnowledgeStore, chunk_units

ROOT = Path(__file__).resolve().parent.parent
# Bump when the generator or the derivation changes: cached corpora are then rebuilt.
GENERATOR = "synthetic-v1"
NOISE = 0.6  # norm of the perturbation of a derived chunk (cosine to its base ≈ 0.86)
SENTENCE_NOISE = 0.8  # sentence vectors of filler chunks: their chunk's vector, perturbed
DISTINCT = 2000  # distinct synthetic chunks embedded with the real model
FILLER_PREFIX = "bench-filler"

Progress = Callable[[int, int, str], None]


def _quiet(done: int, total: int, label: str) -> None:
    pass


def cache_root() -> Path:
    """data/bench under the repository (or $PARLEY_BENCH_CACHE)."""
    return Path(os.environ.get("PARLEY_BENCH_CACHE") or ROOT / "data" / "bench")


# -- synthetic text ---------------------------------------------------------------------

_MODELS = [
    "Ridgeback", "Summit", "Coastline", "Alder", "Ember", "Granite", "Harbor", "Juniper",
    "Kestrel", "Lumen", "Meridian", "Nimbus", "Orchard", "Pioneer", "Quarry", "Redwood",
    "Sierra", "Tundra", "Umber", "Vesper", "Willow", "Yarrow", "Zephyr", "Basalt",
]  # fmt: skip
_KINDS = ["gravel", "road", "trail", "city", "touring", "cargo", "kids'", "folding", "e-MTB"]
_MATERIALS = ["6061 aluminium", "carbon", "chromoly steel", "titanium", "hydroformed aluminium"]
_GEARS = ["1x12 Shimano Deore", "2x11 Shimano 105", "1x11 SRAM Apex", "3x8 Altus", "Enviolo hub"]
_BRAKES = ["hydraulic disc", "mechanical disc", "rim", "coaster"]
_PARTS = [
    "bottom bracket", "headset", "rear derailleur hanger", "thru-axle", "brake rotor",
    "chainring", "cassette", "dropper post", "saddle clamp", "stem", "handlebar",
    "tubeless valve", "rim tape", "brake pads", "chain", "freehub body", "crank arm",
    "pedal", "mudguard stay", "kickstand", "rear rack", "bottle cage", "light mount",
]  # fmt: skip
_TASKS = [
    "bleed the brakes", "true a wheel", "index the gears", "replace the chain",
    "set up tubeless tyres", "adjust the headset", "grease the seatpost",
    "torque the stem bolts", "align the brake calipers", "fit mudguards",
    "swap the cassette", "adjust saddle height", "service the dropper post",
]  # fmt: skip
_TOOLS = ["4 mm hex key", "torque wrench", "chain checker", "spoke key", "bleed kit", "T25 key"]
_PLACES = [
    "Cedar Ridge", "Fox Hollow", "Miller Lake", "Stone Creek", "Eagle Point", "Pine Flats",
    "Silver Falls", "Heron Bay", "Oak Valley", "Granite Pass", "Bluebell Woods", "Mill Race",
]  # fmt: skip
_SURFACES = ["loose gravel", "rooty singletrack", "smooth tarmac", "hardpack", "sandy doubletrack"]
_CITIES = ["Portland", "Seattle", "Boise", "Eugene", "Spokane", "Tacoma", "Bend", "Salem"]
_EVENTS = [
    "a beginners' maintenance clinic", "a women's social ride", "a gravel group ride",
    "a kids' learn-to-ride morning", "an e-bike demo day", "a night ride with lights",
    "a bike-packing talk", "a wheel-building workshop",
]  # fmt: skip
_FEATURES = [
    "ride recording with heart-rate zones", "service reminders", "route sharing",
    "battery range estimates", "saved bike fits", "offline maps", "crash detection",
]  # fmt: skip
_COLOURS = ["sage", "slate", "ochre", "teal", "black"]
_STANDARDS = ["BSA 68 mm", "PF92", "12x142 mm", "15x110 mm", "31.8 mm", "27.2 mm"]
_DAYS = ["Saturday", "Sunday", "Wednesday evening", "Thursday evening", "the first Friday"]
_SEASONS = ["in spring", "after a dry spell", "in autumn", "early in the morning", "in summer"]


def _spec(r: np.random.Generator, i: int) -> tuple[str, str]:
    model, kind = r.choice(_MODELS), r.choice(_KINDS)
    year = 2016 + i % 10
    title = f"{model} {year} {kind} bike: specifications"
    body = (
        f"The {model} {year} is a {kind} bike with a {r.choice(_MATERIALS)} frame, "
        f"{r.choice(_GEARS)} gearing and {r.choice(_BRAKES)} brakes. A size "
        f"{r.choice(['S', 'M', 'L', 'XL'])} weighs {r.integers(8, 24)}.{r.integers(0, 9)} kg. "
        f"Tyre clearance is {r.integers(28, 65)} mm and the frame has "
        f"{r.integers(1, 4)} bottle mounts. It was sold in {r.choice(_COLOURS)}."
    )
    return title, body


def _part(r: np.random.Generator, i: int) -> tuple[str, str]:
    part, model = r.choice(_PARTS), r.choice(_MODELS)
    sku = f"NW-P{10000 + i}"
    title = f"Part {sku}: {part}"
    body = (
        f"{sku} is a {part} for the {model} range from {2016 + i % 10}. "
        f"It fits {r.choice(_STANDARDS)} "
        f"standards and weighs {r.integers(20, 400)} g. Tighten its bolts to "
        f"{r.integers(2, 12)} Nm. Replace it every {r.integers(2, 20)},000 km or when worn."
    )
    return title, body


def _workshop(r: np.random.Generator, i: int) -> tuple[str, str]:
    task, model = r.choice(_TASKS), r.choice(_MODELS)
    title = f"Workshop note {i}: how to {task} on the {model}"
    body = (
        f"To {task} on a {model}, put the bike in a stand and use a {r.choice(_TOOLS)}. "
        f"Start with the {r.choice(_PARTS)} and check the {r.choice(_PARTS)} as you go. "
        f"The job takes about {r.integers(10, 90)} minutes. "
        f"If the {r.choice(_PARTS)} creaks afterwards, clean and re-grease it."
    )
    return title, body


def _trail(r: np.random.Generator, i: int) -> tuple[str, str]:
    place = r.choice(_PLACES)
    title = f"Ride guide: the {place} loop ({i})"
    body = (
        f"The {place} loop is {r.integers(8, 90)} km with {r.integers(100, 1800)} m of climbing, "
        f"mostly {r.choice(_SURFACES)}. Ride it {r.choice(_SEASONS)}. "
        f"Park at the {r.choice(['trailhead', 'visitor centre', 'old mill', 'school lot'])}; "
        f"a {r.choice(_KINDS)} bike with {r.integers(32, 60)} mm tyres is ideal."
    )
    return title, body


def _event(r: np.random.Generator, i: int) -> tuple[str, str]:
    event, city = r.choice(_EVENTS), r.choice(_CITIES)
    title = f"Event {i}: {event} in {city}"
    body = (
        f"Join {event} at the {city} store on {r.choice(_DAYS)}, starting at "
        f"{r.integers(7, 19)}:{r.choice(['00', '30'])}. It lasts {r.integers(1, 4)} hours and "
        f"has room for {r.integers(6, 40)} riders. Bring a {r.choice(_KINDS)} bike and water."
    )
    return title, body


def _release(r: np.random.Generator, i: int) -> tuple[str, str]:
    version = f"{3 + i // 400}.{(i // 20) % 20}.{i % 20}"
    title = f"Northwind Ride app {version} release notes"
    body = (
        f"Version {version} of the Ride app adds {r.choice(_FEATURES)} and improves "
        f"{r.choice(_FEATURES)}. It fixes a bug where {r.choice(_FEATURES)} stopped after "
        f"{r.integers(2, 60)} minutes on {r.choice(['Android 12', 'iOS 16', 'Wear OS', 'iPadOS'])}."
    )
    return title, body


_KINDS_OF_TEXT = [_spec, _part, _workshop, _trail, _event, _release]


def synthetic_chunks(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """n distinct (title, body) support chunks about a bike shop, none of them FAQ answers."""
    r = np.random.default_rng(seed)
    out = []
    for i in range(n):
        title, body = _KINDS_OF_TEXT[i % len(_KINDS_OF_TEXT)](r, i)
        out.append((title, body))
    return out


# -- vectors ------------------------------------------------------------------------------


def _key(*parts: object) -> str:
    text = json.dumps([GENERATOR, MODEL_NAME, NOISE, SENTENCE_NOISE, *parts], default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def base_corpus(
    embedder: Embedder, n_distinct: int = DISTINCT, *, progress: Progress = _quiet
) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The distinct synthetic chunks and their real vectors (embedded once, then cached)."""
    chunks = synthetic_chunks(n_distinct)
    path = cache_root() / f"base-{n_distinct}-{_key(n_distinct)}.npy"
    if path.exists():
        vectors = np.load(path)
        if vectors.shape == (n_distinct, DIM):
            return chunks, vectors
    path.parent.mkdir(parents=True, exist_ok=True)
    vectors = np.zeros((n_distinct, DIM), dtype=np.float32)
    step = 64
    started = time.perf_counter()
    for i in range(0, n_distinct, step):
        # The text the store embeds for a chunk: its title, then its text.
        batch = [f"{t}\n{b}" for t, b in chunks[i : i + step]]
        vectors[i : i + len(batch)] = embedder.embed(batch)
        rate = (i + len(batch)) / max(1e-9, time.perf_counter() - started)
        progress(
            i + len(batch),
            n_distinct,
            f"embedding {n_distinct:,} distinct synthetic chunks ({rate:.0f}/s, once)",
        )
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)
    return chunks, vectors


def _unit(rows: np.ndarray) -> np.ndarray:
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def derived(
    base: np.ndarray, start: int, n: int, *, seed: int = 11, noise: float = NOISE
) -> tuple[np.ndarray, np.ndarray]:
    """Chunks start..start+n: (index of their base chunk, unit vector = base + noise).

    The first len(base) chunks are the base chunks themselves; deterministic per index
    range, so a corpus of 100k begins with the same chunks as one of 10k.
    """
    idx = np.arange(start, start + n)
    pick = idx % len(base)
    rng = np.random.default_rng([seed, start, n])
    vectors = base[pick].astype(np.float32, copy=True)
    perturb = idx >= len(base)
    k = int(perturb.sum())
    if k:
        noise_rows = rng.standard_normal((k, base.shape[1])).astype(np.float32)
        noise_rows *= np.float32(noise / np.sqrt(base.shape[1]))
        vectors[perturb] += noise_rows
    return pick, _unit(vectors)


def _write(
    collection: Collection,
    batch: int,
    ids: list[str],
    vectors: np.ndarray,
    docs: list[str],
    metas: list[dict[str, Any]],
) -> None:
    for i in range(0, len(ids), batch):
        collection.upsert(
            ids=ids[i : i + batch],
            embeddings=vectors[i : i + batch],
            documents=docs[i : i + batch],
            metadatas=cast(list[Metadata], metas[i : i + batch]),
        )


def add_filler(
    store: KnowledgeStore,
    chunks: Sequence[tuple[str, str]],
    base: np.ndarray,
    n: int,
    *,
    start: int = 0,
    sentences: bool = True,
    progress: Progress = _quiet,
    label: str = "writing filler chunks",
) -> None:
    """Write filler chunks start..start+n into the store's collections.

    Ids, documents and metadata have the shape ``KnowledgeStore.upsert_articles`` writes
    (five chunks per synthetic article). With ``sentences``, each chunk also gets its
    sentence units in the sentence collection, as ingestion stores them; their vectors are
    the chunk's vector perturbed (no model run), which is enough for timing the lookup.
    """
    batch = max(1, min(5000, int(store.client.get_max_batch_size())))
    step = 5000
    done = 0
    rng = np.random.default_rng([13, start, n])
    for lo in range(start, start + n, step):
        m = min(step, start + n - lo)
        pick, vectors = derived(base, lo, m)
        ids, docs, metas = [], [], []
        s_ids: list[str] = []
        s_docs: list[str] = []
        s_metas: list[dict[str, Any]] = []
        s_vecs: list[np.ndarray] = []
        for k in range(m):
            number = lo + k
            title, body = chunks[int(pick[k])]
            slug, part = f"{FILLER_PREFIX}-{number // 5}", number % 5
            chunk_id = f"{slug}#{part}"
            text = body if number < len(base) else f"{body} (ref {number})"
            units = chunk_units(text) if sentences else []
            ids.append(chunk_id)
            docs.append(text)
            metas.append(
                {
                    "slug": slug,
                    "title": title,
                    "section": "",
                    "url": f"/help/{slug}",
                    "chunk": part,
                    "hash": "-",
                    "lang": "en",
                    "sentences": len(units),
                }
            )
            if units:
                noise = rng.standard_normal((len(units), DIM)).astype(np.float32)
                noise *= np.float32(SENTENCE_NOISE / np.sqrt(DIM))
                s_vecs.append(_unit(vectors[k] + noise))
                for j, unit in enumerate(units):
                    s_ids.append(f"{chunk_id}/{j}")
                    s_docs.append(unit)
                    s_metas.append({"slug": slug, "chunk_id": chunk_id})
        _write(store.collection, batch, ids, vectors, docs, metas)
        if s_ids:
            _write(store.sentence_collection, batch, s_ids, np.vstack(s_vecs), s_docs, s_metas)
        done += m
        progress(done, n, label)


def _ready(path: Path, key: str) -> bool:
    marker = path / "ready.json"
    try:
        return bool(json.loads(marker.read_text()).get("key") == key)
    except (OSError, ValueError):
        return False


def _mark_ready(path: Path, key: str, info: dict[str, Any]) -> None:
    (path / "ready.json").write_text(json.dumps({"key": key, **info}, indent=2))


def describe(n_distinct: int = DISTINCT) -> str:
    """One line on how the synthetic corpora are made (printed with the figures)."""
    return (
        f"{n_distinct:,} distinct synthetic support chunks (specs, parts, workshop notes, "
        f"ride guides, events, release notes) embedded with the real model; every further "
        f"chunk is one of them + Gaussian noise of norm {NOISE} re-normalised (cosine ≈ "
        f"{1 / np.sqrt(1 + NOISE**2):.2f} to its base), written into the store's Chroma "
        f"collections with the metadata upsert_articles writes"
    )


def retrieval_corpus(
    embedder: Embedder, size: int, *, n_distinct: int = DISTINCT, progress: Progress = _quiet
) -> Path:
    """A cached Chroma directory holding ``size`` synthetic chunks (no sentence vectors)."""
    key = _key("retrieval", size, n_distinct)
    path = cache_root() / f"retrieval-{size}-{key}"
    if _ready(path, key):
        return path
    shutil.rmtree(path, ignore_errors=True)
    chunks, base = base_corpus(embedder, n_distinct, progress=progress)
    store = KnowledgeStore(path, embedder=embedder, sentence_vectors=False)
    started = time.perf_counter()
    add_filler(
        store,
        chunks,
        base,
        size,
        sentences=False,
        progress=progress,
        label=f"building the {size:,}-chunk retrieval corpus (once, cached)",
    )
    _mark_ready(path, key, {"chunks": store.count(), "seconds": time.perf_counter() - started})
    return path


def _demo_fingerprint() -> str:
    h = hashlib.sha1()
    for p in sorted(DEMO_DIR.rglob("*.md")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def bot_kb(
    embedder: Embedder, size: int, *, n_distinct: int = DISTINCT, progress: Progress = _quiet
) -> tuple[Path, dict[str, int]]:
    """A cached Chroma directory: the demo articles (really ingested) + filler up to ``size``.

    Returns the directory and its counts. Copy it to ``<data dir>/chroma`` before seeding:
    the seed then finds the demo chunks unchanged and embeds nothing.
    """
    key = _key("bot-kb", size, n_distinct, _demo_fingerprint())
    path = cache_root() / f"bot-kb-{size}-{key}"
    if _ready(path, key):
        info = json.loads((path / "ready.json").read_text())
        return path, {"real": int(info["real"]), "filler": int(info["filler"])}
    shutil.rmtree(path, ignore_errors=True)
    store = KnowledgeStore(path, embedder=embedder)
    progress(0, 0, "ingesting the demo knowledge base for the bot's KB (once, cached)")
    import_directory(DEMO_DIR, store, public_url="http://template", show_progress=False)
    real = store.count()
    filler = max(0, size - real)
    chunks, base = base_corpus(embedder, n_distinct, progress=progress)
    add_filler(
        store,
        chunks,
        base,
        filler,
        progress=progress,
        label=f"adding {filler:,} filler chunks to the bot's KB (once, cached)",
    )
    _mark_ready(path, key, {"real": real, "filler": filler})
    return path, {"real": real, "filler": filler}
