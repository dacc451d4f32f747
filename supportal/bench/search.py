"""Search quality and speed, measured on a throwaway database.

    python -m supportal.bench.search [--articles 100000] [--queries 200]

Quality: imports the faq-en and faq-ko sets from ../shared/eval (read in place), runs every query
through the site's own search as an anonymous visitor and prints MRR@10, nDCG@10 and recall@5,
beside a plain BM25 on lower-cased word tokens (the baseline of the eval set's README).
Speed: generates N articles across the four languages and times search() and a GET of the
search page (Django's test client) at the 50th and 95th percentiles.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "eval"
SETS = (("faq-en", "en"), ("faq-ko", "ko"))


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


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def setup_django(var_dir: str) -> None:
    os.environ["VAR_DIR"] = var_dir
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportal.settings"
    os.environ["LOG_LEVEL"] = "WARNING"  # no request log lines among the figures
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client in (ALLOWED_HOSTS), nothing else
    from django.conf import settings

    # Pages name static files without the collected manifest: no collectstatic needed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def quality(out: Callable[[str], None]) -> None:
    from django.contrib.auth.models import AnonymousUser

    from supportal.helpcenter import importexport, search

    for name, locale in SETS:
        corpus, queries, qrels = load_set(name)
        started = time.perf_counter()
        lines = importexport.beir_lines(EVAL_DIR / name / "corpus.jsonl", locale, name, "eval")
        report = importexport.import_lines(lines)
        imported = time.perf_counter() - started
        ids = {}
        started = time.perf_counter()
        ours: dict[str, list[str]] = {}
        for query in queries:
            results = search.search(query["text"], locale=locale, user=AnonymousUser(), limit=10)
            for hit in results.hits:
                ids[hit.translation.article_id] = hit.translation.article.external_id
            ours[query["_id"]] = [ids[hit.translation.article_id] for hit in results.hits]
        per_query = (time.perf_counter() - started) / len(queries) * 1000
        base = scores(baseline(corpus, queries), qrels)
        mine = scores(ours, qrels)
        out(
            f"| {name} | {len(corpus)} docs, {len(queries)} queries | "
            + " | ".join(
                f"{mine[k]:.3f} ({base[k]:.3f})" for k in ("mrr@10", "ndcg@10", "recall@5")
            )
            + f" | import {imported:.0f} s ({report.created} created), {per_query:.1f} ms/query |"
        )


def speed(articles: int, samples: int, out: Callable[[str], None]) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.test import Client

    from supportal.helpcenter import search
    from supportal.helpcenter.management.commands.generate_articles import WORDS
    from supportal.helpcenter.models import SearchPosting

    started = time.perf_counter()
    call_command("generate_articles", "--count", str(articles), verbosity=0)
    generated = time.perf_counter() - started
    rng = random.Random(11)  # noqa: S311 - sample queries, not secrets
    queries = []
    for n in range(samples):
        locale = list(WORDS)[n % 4]
        words = WORDS[locale]
        queries.append((locale, f"{rng.choice(words['objects'])} {rng.choice(words['actions'])}"))
    visitor = AnonymousUser()
    for locale, query in queries[:8]:  # warm up (Kiwi, caches)
        search.search(query, locale=locale, user=visitor)
    direct = [
        timed(lambda q=query, loc=locale: search.search(q, locale=loc, user=visitor))
        for locale, query in queries
    ]
    client = Client()
    page = [
        timed(lambda q=query, loc=locale: client.get(f"/{loc}/help/search/", {"q": q}))
        for locale, query in queries
    ]
    p50, p95 = percentiles(direct)
    g50, g95 = percentiles(page)
    out(
        f"| {articles} generated articles, {SearchPosting.objects.count()} postings | "
        f"{p50:.1f} / {p95:.1f} ms | {g50:.1f} / {g95:.1f} ms | generate+index {generated:.0f} s |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="timed queries")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args(argv)

    def out(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    with tempfile.TemporaryDirectory(prefix="supportal-bench-") as var_dir:
        setup_django(var_dir)
        if not args.skip_quality:
            out("| set | size | MRR@10 (baseline) | nDCG@10 (baseline) | recall@5 (baseline) |")
            out("|---|---|---|---|---|---|")  # the last column: import time, time per query
            quality(out)
            out("")
        out("| index | search() p50 / p95 | search page GET p50 / p95 | notes |")
        out("|---|---|---|---|")
        speed(args.articles, args.queries, out)


if __name__ == "__main__":
    main()
