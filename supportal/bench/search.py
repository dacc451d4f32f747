"""Search quality and speed, measured on throwaway databases, SQLite and PostgreSQL.

    python -m supportal.bench.search [--articles 100000] [--queries 200]
        [--database sqlite|postgres|both] [--reuse] [--reindex] [--skip-quality] [--skip-speed]

Quality: imports the faq-en and faq-ko sets from ../shared/eval (read in place) into an empty
scratch database, embeds them (one batch run with a progress bar, as `supportal embed` does),
runs every query through the site's own search as an anonymous visitor and prints MRR@10,
nDCG@10 and recall@5 of four rankings side by side: a plain BM25 on lower-cased word tokens
(the baseline of the eval set's README), our lexical ranking (search(dense=False)), the
dense one alone (cosine to the query's vector) and the hybrid one the site uses.
Speed: generates N articles across the four languages, embeds them (a set kept with --reuse
keeps its vectors; above EMBED_ALL_UP_TO articles, a sample is embedded and the rest get its
vectors with noise, see sampled_vectors) and times search(), a GET of the search page,
suggest() and a GET of the suggestion list (Django's test client, in process) at the 50th
and 95th percentiles, each with the query's vector not yet cached (so the query's embedding
is in the figure), beside the lexical ranking alone, and one rate-limit count (the page's
cache write) on its own.

The generated set lives in var/bench-search.sqlite3 and in the PostgreSQL database
"supportal_bench_search"; the quality runs use var/bench-search-eval.sqlite3 and
"supportal_bench_search_eval" (made and dropped here; no other database is touched). With
--reuse a generated set of the same size is kept; --reindex then rebuilds its search index
(after a change to the index). With --database both, each database runs in its own process
and the figures are printed side by side at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from supportal.bench import ROOT, out

EVAL_DIR = ROOT.parent / "shared" / "eval"
SETS = (("faq-en", "en"), ("faq-ko", "ko"))
RANKINGS = (
    ("base", "plain BM25"),
    ("lexical", "lexical (ours)"),
    ("dense", "dense alone"),
    ("hybrid", "hybrid"),
)
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
# Never "supportal" or "supportal_test": those are someone's data.
NAMES = {"speed": "supportal_bench_search", "quality": "supportal_bench_search_eval"}
SQLITE_PATHS = {
    "speed": ROOT / "var" / "bench-search.sqlite3",
    "quality": ROOT / "var" / "bench-search-eval.sqlite3",
}


# --- Quality -------------------------------------------------------------------------------------


def load_set(name: str) -> tuple[list[dict], list[dict], dict[str, set[str]]]:
    folder = EVAL_DIR / name
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        corpus = [json.loads(line) for line in handle if line.strip()]
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        queries = [json.loads(line) for line in handle if line.strip()]
    qrels: dict[str, set[str]] = defaultdict(set)
    with (folder / "qrels.tsv").open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            query_id, doc_id, score = line.rstrip("\n").split("\t")
            if int(score) > 0:
                qrels[query_id].add(doc_id)
    return corpus, queries, qrels


def scores(rankings: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    """MRR@10, nDCG@10 (binary relevance) and recall@5, averaged over the queries."""
    mrr = ndcg = recall = 0.0
    for query_id, ranked in rankings.items():
        relevant = qrels.get(query_id, set())
        if not relevant:
            continue
        top = ranked[:10]
        for rank, doc_id in enumerate(top, start=1):
            if doc_id in relevant:
                mrr += 1 / rank
                break
        dcg = sum(1 / math.log2(rank + 1) for rank, d in enumerate(top, start=1) if d in relevant)
        ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(relevant), 10) + 1))
        ndcg += dcg / ideal
        recall += len(set(ranked[:5]) & relevant) / len(relevant)
    count = sum(1 for query_id in rankings if qrels.get(query_id))
    return {"mrr@10": mrr / count, "ndcg@10": ndcg / count, "recall@5": recall / count}


def baseline(corpus: list[dict], queries: list[dict]) -> dict[str, list[str]]:
    """Plain BM25 (k1 1.2, b 0.75) over lower-cased word tokens of title and text."""

    def tokens(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    docs = [Counter(tokens(f"{doc.get('title', '')} {doc.get('text', '')}")) for doc in corpus]
    lengths = [sum(doc.values()) for doc in docs]
    average = sum(lengths) / len(lengths)
    postings: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(docs):
        for term in doc:
            postings[term].append(i)
    total = len(docs)
    rankings: dict[str, list[str]] = {}
    for query in queries:
        found: dict[int, float] = defaultdict(float)
        for term in set(tokens(query["text"])):
            hits = postings.get(term, [])
            idf = math.log(1 + (total - len(hits) + 0.5) / (len(hits) + 0.5))
            for i in hits:
                tf = docs[i][term]
                found[i] += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * lengths[i] / average))
        best = sorted(found.items(), key=lambda item: (-item[1], item[0]))[:10]
        rankings[query["_id"]] = [corpus[i]["_id"] for i, _score in best]
    return rankings


def embed_articles() -> float:
    """Every missing article vector, in batches with a progress bar (what `supportal embed`
    does); the seconds it took."""
    from tqdm import tqdm

    from supportal.helpcenter import vectors
    from supportal.semantic import services

    started = time.perf_counter()
    with tqdm(
        total=len(services.missing_ids(vectors.KIND)), unit="text", desc="embed", file=sys.stderr
    ) as bar:
        services.embed_missing(vectors.KIND, progress=bar.update)
    return time.perf_counter() - started


def dense_alone(text: str, locale: str, among: Any) -> list[int]:
    """Translation ids by cosine alone, among the locale's documents (all public here)."""
    from supportal.helpcenter import vectors
    from supportal.semantic import embedding, index

    vector = embedding.query_vector(text)
    if vector is None:
        return []
    return [pk for pk, _score in index.nearest(vectors.KIND, vector, among=among, limit=10)]


def quality() -> dict[str, Any]:
    import numpy as np
    from django.contrib.auth.models import AnonymousUser

    from supportal.helpcenter import importexport, search
    from supportal.helpcenter.models import SearchDocument
    from supportal.semantic import embedding

    found: dict[str, Any] = {}
    for name, locale in SETS:
        corpus, queries, qrels = load_set(name)
        started = time.perf_counter()
        lines = importexport.beir_lines(EVAL_DIR / name / "corpus.jsonl", locale, name, "eval")
        importexport.import_lines(lines)
        imported = time.perf_counter() - started
        embedded = embed_articles()
        external = dict(
            SearchDocument.objects.filter(locale=locale).values_list(
                "translation_id", "article__external_id"
            )
        )
        among = np.array(sorted(external), dtype=np.int64)
        rankings: dict[str, dict[str, list[str]]] = {"lexical": {}, "dense": {}, "hybrid": {}}
        started = time.perf_counter()
        for query in queries:
            for key, dense in (("lexical", False), ("hybrid", True)):
                results = search.search(
                    query["text"], locale=locale, user=AnonymousUser(), limit=10, dense=dense
                )
                rankings[key][query["_id"]] = [external[hit.translation.pk] for hit in results.hits]
            rankings["dense"][query["_id"]] = [
                external[pk] for pk in dense_alone(query["text"], locale, among)
            ]
        per_query = (time.perf_counter() - started) / len(queries) * 1000
        found[name] = {
            "size": f"{len(corpus)} docs, {len(queries)} queries",
            "model": embedding.model_name() or "none",
            "base": scores(baseline(corpus, queries), qrels),
            **{key: scores(ranked, qrels) for key, ranked in rankings.items()},
            "import_s": imported,
            "embed_s": embedded,
            "ms_per_query": per_query,
        }
        out(f"{name}: {found[name]}")
    return found


# --- Speed ---------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(action: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    start = clock()
    action()
    return clock() - start


# Above this many articles the speed run samples vectors (sampled_vectors): embedding every
# generated article here takes about 0.14 s each (100,000: about 4 hours on one core).
EMBED_ALL_UP_TO = 5_000
SAMPLED = 500  # articles embedded for real when sampling
NOISE = 0.03  # per component: a copy's cosine to its original is about 0.86


def sampled_vectors(sample: int = SAMPLED) -> float:
    """Vectors for every article without embedding them all: `sample` articles (spread over
    the four languages) are embedded for real, and every other one gets one of those with
    noise, so the matrix has the size, the layout and about the spread of cosines (E5's are
    compressed, 0.8-0.95 between related texts) of the real thing. Only for the speed
    figures: what is found is meaningless. The seconds it took."""
    import numpy as np
    from tqdm import tqdm

    from supportal.helpcenter import vectors
    from supportal.semantic import embedding, services
    from supportal.semantic.models import Embedding

    started = time.perf_counter()
    todo = services.missing_ids(vectors.KIND)
    model = embedding.model_name()
    if not todo or model is None:
        return 0.0
    chosen = sorted(random.Random(7).sample(todo, min(sample, len(todo))))  # noqa: S311
    with tqdm(total=len(chosen), unit="text", desc="embed sample", file=sys.stderr) as bar:
        for start in range(0, len(chosen), 64):
            bar.update(services.embed_now(vectors.KIND, chosen[start : start + 64]) or 0)
    dim = embedding.backend().dim  # type: ignore[union-attr]
    real = np.stack(
        [
            embedding.from_bytes(data, dim)
            for data in Embedding.objects.filter(
                kind=vectors.KIND, object_id__in=chosen
            ).values_list("vector", flat=True)
        ]
    )
    taken = set(chosen)
    rest = [pk for pk in todo if pk not in taken]
    noise = np.random.default_rng(7)
    with tqdm(total=len(rest), unit="vector", desc="spread", file=sys.stderr) as bar:
        for start in range(0, len(rest), 5000):
            chunk = rest[start : start + 5000]
            rows = real[noise.integers(len(real), size=len(chunk))]
            rows = rows + noise.normal(0.0, NOISE, rows.shape).astype(np.float32)
            rows /= np.linalg.norm(rows, axis=1, keepdims=True)
            Embedding.objects.bulk_create(
                [
                    Embedding(
                        kind=vectors.KIND,
                        object_id=pk,
                        model=model,
                        digest="sampled",
                        vector=embedding.to_bytes(row),
                    )
                    for pk, row in zip(chunk, rows, strict=True)
                ]
            )
            bar.update(len(chunk))
    services._changed(vectors.KIND)
    return time.perf_counter() - started


def generated_articles() -> int | None:
    from django.db import DatabaseError, connection

    from supportal.helpcenter.models import Article

    try:
        return Article.objects.count()
    except DatabaseError:
        connection.close()
        return None


def prepare(database: str, articles: int, reuse: bool, reindex: bool) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from supportal.helpcenter import search
    from supportal.helpcenter.cache import bump_content_version

    found = generated_articles() if reuse else None
    if found != articles:
        connection.close()
        recreate(database, "speed")
    notes: dict[str, Any] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    notes["migrate_s"] = time.perf_counter() - started
    if found == articles:
        out(f"Reusing the {articles:,} generated articles ({database}).")
        if reindex:
            started = time.perf_counter()
            search.reindex_all()
            bump_content_version()
            notes["reindex_s"] = time.perf_counter() - started
            out(f"Reindexed in {notes['reindex_s']:.0f} s.")
        else:
            notes["fill_text_s"] = fill_text()
    else:
        started = time.perf_counter()
        call_command("generate_articles", "--count", str(articles), verbosity=0)
        notes["generate_s"] = time.perf_counter() - started
        out(f"Generated and indexed in {notes['generate_s']:.0f} s.")
    # Vectors as the worker would have made them (the generator's tasks are queued, not run);
    # sampled above EMBED_ALL_UP_TO articles.
    if articles > EMBED_ALL_UP_TO:
        notes["sampled_s"] = sampled_vectors()
    else:
        notes["embed_s"] = embed_articles()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would, after a bulk load
    return notes


def fill_text() -> float:
    """Snippet text for documents indexed before SearchDocument.text existed (what a reindex
    would write), so that the pages are timed as on a fresh index."""
    from django.db import transaction

    from supportal.helpcenter.models import ArticleTranslation, SearchDocument
    from supportal.lib.markdown import plain_text

    started = time.perf_counter()
    while True:
        ids = list(SearchDocument.objects.filter(text="").values_list("pk", flat=True)[:5000])
        if not ids:
            break
        with transaction.atomic():
            for translation in ArticleTranslation.objects.filter(pk__in=ids).only("body"):
                text = plain_text(translation.body) or " "
                SearchDocument.objects.filter(pk=translation.pk).update(text=text)
    return time.perf_counter() - started


def sample_queries(samples: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Two-word queries, and what a visitor has typed so far (the last word cut short)."""
    from supportal.helpcenter.management.commands.generate_articles import WORDS

    rng = random.Random(11)  # noqa: S311 - sample queries, not secrets
    queries, typed = [], []
    for n in range(samples):
        locale = list(WORDS)[n % 4]
        words = WORDS[locale]
        obj, action = rng.choice(words["objects"]), rng.choice(words["actions"])
        queries.append((locale, f"{obj} {action}"))
        cut = max(2, min(len(obj), rng.randint(2, 6)))
        typed.append((locale, f"{action} {obj[:cut]}" if n % 2 else obj[:cut]))
    return queries, typed


def speed(samples: int) -> dict[str, Any]:
    from django.contrib.auth.models import AnonymousUser
    from django.test import Client

    from supportal.core import ratelimit
    from supportal.helpcenter import ranking, search
    from supportal.helpcenter.models import SearchDocument, SearchPosting
    from supportal.semantic import embedding
    from supportal.semantic.models import Embedding

    queries, typed = sample_queries(samples)
    visitor = AnonymousUser()
    for locale, query in queries[:8]:  # warm up (Kiwi, caches)
        search.search(query, locale=locale, user=visitor)
    client = Client()
    statuses: Counter[int] = Counter()

    def get(path: str, params: dict[str, str], n: int) -> None:
        # A different address for each request: the rate limits are counted (their cost is
        # part of the page) but never reached.
        response = client.get(
            path, params, REMOTE_ADDR=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        )
        statuses[response.status_code] += 1

    figures: dict[str, Any] = {}
    # Cold: the first query after a publish in that language (the process reloads the
    # language's document table and the lists the query reads).
    cold = []
    for loc, q in queries[: max(20, samples // 4)]:
        ranking.clear()
        cold.append(timed(lambda q=q, loc=loc: search.search(q, locale=loc, user=visitor)))
    figures["search_cold"] = percentiles(cold)
    for loc, q in queries:  # every list the timed queries read, in memory
        search.search(q, locale=loc, user=visitor)

    # The query vector is cached per process: every timed call below starts without it, so
    # the figures include embedding the query (as for a query this process has not seen).
    def uncached(action: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            embedding._queries.clear()
            return action()

        return run

    figures["search"] = percentiles(
        [
            timed(uncached(lambda q=q, loc=loc: search.search(q, locale=loc, user=visitor)))
            for loc, q in queries
        ]
    )
    figures["search_cpu"] = percentiles(
        [
            timed(
                uncached(lambda q=q, loc=loc: search.search(q, locale=loc, user=visitor)),
                time.process_time,
            )
            for loc, q in queries
        ]
    )
    figures["search_lexical"] = percentiles(
        [
            timed(lambda q=q, loc=loc: search.search(q, locale=loc, user=visitor, dense=False))
            for loc, q in queries
        ]
    )
    figures["embed_query"] = percentiles(
        [timed(uncached(lambda q=q: embedding.query_vector(q))) for _loc, q in queries]
    )
    figures["exhaustive"] = percentiles(
        [
            timed(lambda q=q, loc=loc: search.search(q, locale=loc, user=visitor, reference=True))
            for loc, q in queries[: max(20, samples // 4)]
        ]
    )
    figures["page"] = percentiles(
        [
            timed(uncached(lambda q=q, loc=loc, n=n: get(f"/{loc}/help/search/", {"q": q}, n)))
            for n, (loc, q) in enumerate(queries)
        ]
    )
    figures["page10"] = percentiles(
        [
            timed(
                uncached(
                    lambda q=q, loc=loc, n=n: get(f"/{loc}/help/search/", {"q": q, "page": "10"}, n)
                )
            )
            for n, (loc, q) in enumerate(queries[: max(20, samples // 4)])
        ]
    )
    figures["suggest"] = percentiles(
        [
            timed(uncached(lambda q=q, loc=loc: search.suggest(q, locale=loc, user=visitor)))
            for loc, q in typed
        ]
    )
    figures["suggest_lexical"] = percentiles(
        [
            timed(
                lambda q=q, loc=loc: search.search(
                    q, locale=loc, user=visitor, limit=5, prefix=True, dense=False
                )
            )
            for loc, q in typed
        ]
    )
    figures["suggest_get"] = percentiles(
        [
            timed(
                uncached(
                    lambda q=q, loc=loc, n=n: get(
                        f"/{loc}/help/search/suggest/", {"q": q}, 100_000 + n
                    )
                )
            )
            for n, (loc, q) in enumerate(typed)
        ]
    )
    figures["ratelimit"] = percentiles(
        [
            timed(lambda n=n: ratelimit.hit("search", [f"address:10.9.{n // 256}.{n % 256}"]))
            for n in range(samples)
        ]
    )
    figures["statuses"] = dict(statuses)
    figures["cached_postings"] = ranking._cached_postings
    figures["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    figures["documents"] = SearchDocument.objects.count()
    figures["postings"] = SearchPosting.objects.count()
    figures["vectors"] = Embedding.objects.count()
    return figures


# --- Databases and processes ---------------------------------------------------------------------


def database_url(database: str, purpose: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{SQLITE_PATHS[purpose]}"
    return f"{PG_SERVER}/{NAMES[purpose]}"


def recreate(database: str, purpose: str) -> None:
    """An empty scratch database: the SQLite file removed, or the PostgreSQL one made again."""
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATHS[purpose]}{suffix}").unlink(missing_ok=True)
        SQLITE_PATHS[purpose].parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    name = NAMES[purpose]
    assert name.startswith("supportal_bench_search")  # noqa: S101 - the only ones it may drop
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop(database: str, purpose: str) -> None:
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATHS[purpose]}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NAMES[purpose]} WITH (FORCE)")


def setup_django(database: str, purpose: str) -> None:
    os.environ["DATABASE_URL"] = database_url(database, purpose)
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="supportal-bench-search-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportal.settings"
    os.environ["LOG_LEVEL"] = "WARNING"  # no request log lines among the figures
    os.environ.pop("REDIS_URL", None)  # the same cache on both databases: the database's own
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client in (ALLOWED_HOSTS), nothing else
    # Pages name static files without the collected manifest: no collectstatic needed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    """One database, one phase, in this process (Django is set up once per process)."""
    if args.phase == "quality":
        recreate(args.database, "quality")
        setup_django(args.database, "quality")
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        try:
            return quality()
        finally:
            connection.close()
            drop(args.database, "quality")
    setup_django(args.database, "speed")
    notes = prepare(args.database, args.articles, args.reuse, args.reindex)
    return {**notes, **speed(args.queries)}


def run_child(args: argparse.Namespace, database: str, phase: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_path = handle.name
    command = [sys.executable, "-m", "supportal.bench.search", "--database", database]
    command += ["--phase", phase, "--articles", str(args.articles), "--queries", str(args.queries)]
    command += ["--reuse"] * args.reuse + ["--reindex"] * args.reindex
    command += ["--result", result_path]
    subprocess.run(command, cwd=ROOT, check=True)
    with open(result_path, encoding="utf-8") as handle:
        result = json.load(handle)
    os.unlink(result_path)
    return result


def report(databases: list[str], results: dict[str, dict[str, Any]], articles: int) -> None:
    if any("quality" in results[db] for db in databases):
        out("\n| set | database | ranking | MRR@10 | nDCG@10 | recall@5 |")
        out("|---|---|---|---:|---:|---:|")
        for name, _locale in SETS:
            for db in databases:
                row = results[db].get("quality", {}).get(name)
                if not row:
                    continue
                for key, label in RANKINGS:
                    cells = " | ".join(
                        f"{row[key][k]:.3f}" for k in ("mrr@10", "ndcg@10", "recall@5")
                    )
                    out(f"| {name} ({row['size']}) | {db} | {label} | {cells} |")
        for name, _locale in SETS:
            for db in databases:
                row = results[db].get("quality", {}).get(name)
                if row:
                    out(
                        f"{name} on {db}: model {row['model']}, import {row['import_s']:.0f} s, "
                        f"embedding {row['embed_s']:.0f} s, {row['ms_per_query']:.1f} ms a query "
                        "(lexical, hybrid and dense alone together)"
                    )
    if not any("speed" in results[db] for db in databases):
        return
    out(f"\n{articles:,} generated articles; p50 / p95 in ms\n")
    out("| measure | " + " | ".join(databases) + " |")
    out("|---|" + "---:|" * len(databases))
    labels = (
        ("search", "search() (hybrid, query embedded)"),
        ("search_cpu", "search(), CPU time"),
        ("search_lexical", "search(), lexical only"),
        ("embed_query", "embedding the query alone"),
        ("search_cold", "search(), first query after a publish"),
        ("exhaustive", "search(), SQL reference path"),
        ("page", "search page GET"),
        ("page10", "search page GET, page 10"),
        ("suggest", "suggest() (the model when the words leave the list short)"),
        ("suggest_lexical", "suggest(), lexical only"),
        ("suggest_get", "suggestions GET"),
        ("ratelimit", "one rate-limit count"),
    )
    for key, label in labels:
        cells = []
        for db in databases:
            value = results[db]["speed"].get(key)
            cells.append(f"{value[0]:.1f} / {value[1]:.1f}" if value else "")
        out(f"| {label} | " + " | ".join(cells) + " |")
    for key in (
        "cached_postings",
        "max_rss_mb",
        "documents",
        "postings",
        "vectors",
        "statuses",
        "generate_s",
        "embed_s",
        "sampled_s",
        "migrate_s",
        "fill_text_s",
        "reindex_s",
    ):
        cells = []
        for db in databases:
            value = results[db]["speed"].get(key)
            cells.append(f"{value:.0f} s" if isinstance(value, float) else str(value or ""))
        out(f"| {key} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="timed queries")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--reuse", action="store_true", help="keep a generated set of that size")
    parser.add_argument("--reindex", action="store_true", help="with --reuse: rebuild the index")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--phase", choices=("quality", "speed"), help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        result = run_one(args)
        with open(args.result, "w", encoding="utf-8") as handle:
            json.dump(result, handle)
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results: dict[str, dict[str, Any]] = {db: {} for db in databases}
    for db in databases:
        if not args.skip_quality:
            results[db]["quality"] = run_child(args, db, "quality")
        if not args.skip_speed:
            results[db]["speed"] = run_child(args, db, "speed")
    report(databases, results, args.articles)


if __name__ == "__main__":
    main()
