"""Text analysis for help-center search: text in, index terms out.

Pure (no models). The same analysis runs on articles and on queries, whatever their language,
because a Korean article may contain English words and a Japanese one Chinese characters.

- Latin, other alphabets and digits: words, English stop words removed, Snowball stemming.
- Hangul: content morphemes from Kiwi (nouns, verb and adjective stems, roots, numbers) plus
  character bigrams, which catch spelling and spacing variants the morphemes miss. Measured on
  faq-ko (see docs/benchmarks.md): both together rank best.
- Han and Kana (Chinese, Japanese): character bigrams; a lone character stays a unigram.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

import snowballstemmer

MAX_TERM_LENGTH = 64

_HANGUL = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff"
_CJK = (
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002ffff\u3005"
)
_RUNS = re.compile(rf"(?P<hangul>[{_HANGUL}]+)|(?P<cjk>[{_CJK}]+)|(?P<word>[^\W_{_HANGUL}{_CJK}]+)")

# Snowball's English stop-word list, without the words that carry meaning in a help center
# ("not", "off", "out", "up", "down", "again" as in "sign up", "log out", "turn off").
STOP_WORDS = frozenset(
    """
    a about above after against all am an and any are as at be because been before being below
    between both but by can could did do does doing during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor of on once only or other our ours ourselves over own same she
    should so some such than that the their theirs them themselves then there these they this
    those through to too under until very was we were what when where which while who whom why
    will with would you your yours yourself yourselves s t d ll m o re ve y
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Kiwi part-of-speech tags kept as terms: nouns, pronoun-free content words, verb/adjective
# stems, roots, numbers and foreign words written in Hangul.
_KIWI_TAGS = frozenset(
    {"NNG", "NNP", "NR", "SN", "SL", "SH", "VV", "VA", "XR", "MAG", "VV-R", "VV-I", "VA-R",
     "VA-I"}
)  # fmt: skip

_stemmer_lock = threading.Lock()
_stemmer = snowballstemmer.stemmer("english")
_kiwi: Any = None
_kiwi_lock = threading.Lock()

# Which Korean terms to produce; tuned on faq-ko (bench/search.py measures the variants).
KOREAN_MORPHEMES = True
KOREAN_BIGRAMS = True


def _get_kiwi() -> Any:
    """Kiwi takes about a second to load: once per process, on first use."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                _kiwi = Kiwi()
    return _kiwi


def warm() -> None:
    """Loads Kiwi now: a web process calls it before it takes requests (gunicorn's
    post_worker_init), so no visitor's first Korean search waits a second or more for it."""
    analyze("비밀번호를 바꾸려면")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    with _stemmer_lock:
        return _stemmer.stemWord(word)


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=200_000)
def _korean_run_morphemes(run: str) -> tuple[str, ...]:
    """Content morphemes of one Hangul word; cached, as help-center text repeats its words."""
    kiwi = _get_kiwi()
    with _kiwi_lock:
        tokens = kiwi.tokenize(run)
    return tuple(token.form for token in tokens if str(token.tag) in _KIWI_TAGS)


def _korean_morphemes(runs: list[str]) -> list[str]:
    terms: list[str] = []
    for run in runs:
        terms.extend(_korean_run_morphemes(run))
    return terms


def analyze(
    text: str,
    *,
    korean_morphemes: bool | None = None,
    korean_bigrams: bool | None = None,
) -> list[str]:
    """The index terms of a text, in order, repeats kept (term frequency counts them)."""
    use_morphemes = KOREAN_MORPHEMES if korean_morphemes is None else korean_morphemes
    use_bigrams = KOREAN_BIGRAMS if korean_bigrams is None else korean_bigrams
    terms: list[str] = []
    hangul_runs: list[str] = []
    for match in _RUNS.finditer(normalize(text)):
        kind = match.lastgroup
        run = match.group()
        if kind == "word":
            if run in STOP_WORDS:
                continue
            terms.append(stem(run))
        elif kind == "cjk":
            terms.extend(_bigrams(run))
        else:
            hangul_runs.append(run)
            if use_bigrams or not use_morphemes:
                terms.extend(_bigrams(run))
    if hangul_runs and use_morphemes:
        # Morphemes are marked so that a stem and a bigram with the same letters stay apart.
        terms.extend("~" + term for term in _korean_morphemes(hangul_runs))
    return [term[:MAX_TERM_LENGTH] for term in terms if term]


def match_words(text: str) -> list[str]:
    """The words of a query as typed (normalised), for highlighting in snippets."""
    words: list[str] = []
    for match in _RUNS.finditer(normalize(text)):
        run = match.group()
        if match.lastgroup == "word" and run in STOP_WORDS:
            continue
        words.append(run)
    return words
