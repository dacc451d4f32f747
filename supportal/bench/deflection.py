"""Deflection on the demo data path: what the request form (and the chat widget's pre-chat
form, which asks the same view) suggests for each demo request, lexical against hybrid.

    python -m supportal.bench.deflection [--database sqlite|postgres]

Loads the demo (`supportal demo`) into a scratch database ("supportal_bench_deflection"),
embeds its articles, then, as each demo request's requester, asks the request form's
suggestion view (tickets:suggest, Django's test client) for the request's subject and opens
the first suggestion through tickets:deflect with a form key, as a visitor would. It prints,
per request, the suggestions with and without the dense side, and counts the Deflection rows
the clicks wrote (the click-through tracking works end to end). It also types each subject
into the help center's search box and opens its first suggestion (a SearchLog row of source
"suggestion"). The chat widget's pre-chat form asks the request form's view with its own form
key (chat/tests/test_widget.py follows that path to a Deflection row marked when the chat
starts).

What it is not: a click-through rate. Whether a suggestion is clicked, and whether the form
is then left unsent, needs real visitors; the site records both (Deflection rows with
`submitted`, SearchLog.clicked_article for the search page and the search box). What this
measures is how many demo requests get a suggestion at all and which one is on top.
"""

from __future__ import annotations

import argparse
import re

from supportal.bench import fresh_database, out


def run() -> dict[str, int]:
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import translation

    from supportal.helpcenter import search, vectors
    from supportal.helpcenter.models import SearchLog
    from supportal.semantic import services
    from supportal.tickets.demo import REQUESTS
    from supportal.tickets.models import Deflection

    call_command("demo", verbosity=0)
    services.embed_missing(vectors.KIND)
    from supportal.accounts.models import User

    counts = {
        "requests": 0,
        "lexical_any": 0,
        "hybrid_any": 0,
        "clicks_recorded": 0,
        "box_any": 0,
        "box_clicks_recorded": 0,
    }
    client = Client()
    out("| request | language | lexical suggestions | hybrid suggestions |")
    out("|---|---|---|---|")
    for n, spec in enumerate(REQUESTS):
        user = User.objects.get(email=spec.requester)
        locale = user.language
        lexical = search.search(
            spec.subject, locale=locale, user=user, limit=5, prefix=True, dense=False
        )
        client.force_login(user)
        with translation.override(locale):
            html = client.get(reverse("tickets:suggest"), {"subject": spec.subject}).content
        links = re.findall(rb'href="([^"]*/new/article/\d+)[^"]*"[^>]*>([^<]+)', html)
        counts["requests"] += 1
        counts["lexical_any"] += bool(lexical.hits)
        counts["hybrid_any"] += bool(links)
        if links:
            key = f"bench-deflection-{n:04d}-{'0' * 16}"
            client.get(links[0][0].decode(), {"form": key, "q": spec.subject})
        # The help center's search box (search.js follows the option's data-href).
        with translation.override(locale):
            box = client.get(reverse("helpcenter:search_suggest"), {"q": spec.subject}).content
        options = re.findall(rb'data-href="([^"]+)"', box)
        counts["box_any"] += bool(options)
        if options:
            client.get(options[0].decode().replace("&amp;", "&"))
        out(
            f"| {spec.subject} | {locale} | "
            + "; ".join(hit.translation.title for hit in lexical.hits)
            + " | "
            + "; ".join(title.decode().strip() for _href, title in links)
            + " |"
        )
    counts["clicks_recorded"] = Deflection.objects.count()
    counts["box_clicks_recorded"] = SearchLog.objects.filter(
        source=SearchLog.Source.SUGGESTION, clicked_article__isnull=False
    ).count()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args(argv)
    fresh_database(args.database, name="supportal_bench_deflection")
    from django.conf import settings
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    counts = run()
    out(f"\n{counts}")


if __name__ == "__main__":
    main()
