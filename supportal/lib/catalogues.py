"""Translation catalogues: compile .po to .mo without GNU gettext, and check completeness.

python -m supportal.lib.catalogues --compile   # write every .mo
python -m supportal.lib.catalogues --check     # fail on missing, fuzzy or stale entries
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent.parent / "locale"
LOCALES = ("ko", "en", "ja", "zh_Hans")


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"


def problems(locale: str) -> list[str]:
    """Every entry that is untranslated, fuzzy, or compiled out of date, as readable lines."""
    path = po_path(locale)
    if not path.exists():
        return [f"{locale}: {path} is missing"]
    catalogue = polib.pofile(str(path))
    found = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            found.append(f"{locale}: fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            if not all(entry.msgstr_plural.values()):
                found.append(f"{locale}: untranslated plural: {entry.msgid!r}")
        elif not entry.msgstr:
            found.append(f"{locale}: untranslated: {entry.msgid!r}")
    mo = path.with_suffix(".mo")
    if not mo.exists() or _compiled(catalogue) != mo.read_bytes():
        found.append(f"{locale}: {mo.name} is out of date; run make messages")
    return found


def _compiled(catalogue: polib.POFile) -> bytes:
    return bytes(catalogue.to_binary())


def compile_all() -> None:
    for locale in LOCALES:
        path = po_path(locale)
        catalogue = polib.pofile(str(path))
        path.with_suffix(".mo").write_bytes(_compiled(catalogue))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.compile:
        compile_all()
    if args.check:
        found = [line for locale in LOCALES for line in problems(locale)]
        for line in found:
            sys.stderr.write(line + "\n")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
