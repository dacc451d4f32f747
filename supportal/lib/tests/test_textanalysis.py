from __future__ import annotations

from supportal.lib.textanalysis import MAX_TERM_LENGTH, analyze, match_words


class AnalyzeEnglishTests:
    def test_it_lowercases_stems_and_drops_stop_words(self) -> None:
        assert analyze("The Passwords were Reset") == ["password", "reset"]

    def test_it_keeps_words_that_matter_in_a_help_center(self) -> None:
        assert analyze("How do I sign up and log out?") == ["sign", "up", "log", "out"]

    def test_it_normalises_full_width_letters_and_digits(self) -> None:
        assert analyze("ＡＢＣ１２３") == ["abc123"]

    def test_it_treats_syntax_characters_as_separators(self) -> None:
        assert analyze('"pass*" NEAR(reset) title:x') == ["pass", "near", "reset", "titl", "x"]

    def test_it_returns_nothing_for_punctuation_or_empty_text(self) -> None:
        assert analyze("") == []
        assert analyze("?!... --- ***") == []

    def test_it_cuts_terms_to_the_maximum_length(self) -> None:
        assert all(len(term) <= MAX_TERM_LENGTH for term in analyze("x" * 500))


class AnalyzeKoreanTests:
    def test_it_produces_morphemes_and_bigrams(self) -> None:
        terms = analyze("비밀번호를 잊어버렸어요")
        # Morphemes (marked "~"): nouns without their particle, the verb's stem.
        assert {"~비밀", "~번호", "~잊어버리"} <= set(terms)
        assert {"비밀", "번호", "잊어"} <= set(terms)  # character bigrams

    def test_it_matches_spacing_variants_through_bigrams(self) -> None:
        assert set(analyze("배송조회")) & set(analyze("배송 조회")) >= {"배송", "조회"}

    def test_it_keeps_english_words_in_korean_text(self) -> None:
        terms = analyze("iPhone 앱에서 로그인")
        assert "iphon" in terms and "로그" in terms

    def test_it_keeps_a_single_syllable_as_a_unigram(self) -> None:
        assert "책" in analyze("책")


class AnalyzeCjkTests:
    def test_it_makes_japanese_bigrams(self) -> None:
        assert analyze("パスワード") == ["パス", "スワ", "ワー", "ード"]

    def test_it_makes_chinese_bigrams_and_keeps_a_single_character(self) -> None:
        assert analyze("重置密码") == ["重置", "置密", "密码"]
        assert analyze("码") == ["码"]

    def test_it_splits_scripts_inside_one_run(self) -> None:
        assert analyze("Wi-Fi設定") == ["wi", "fi", "設定"]

    def test_it_normalises_half_width_katakana(self) -> None:
        assert analyze("ﾊﾟｽﾜｰﾄﾞ") == analyze("パスワード")


class MatchWordsTests:
    def test_it_lists_the_query_words_without_stop_words(self) -> None:
        assert match_words("How to RESET the password") == ["reset", "password"]
