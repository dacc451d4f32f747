"""The placeholder substitution of saved texts (macros): finding, checking and filling in."""

from __future__ import annotations

from supportal.lib import placeholders


class PlaceholderTests:
    def test_it_finds_each_placeholder_once_with_inner_spaces_ignored(self) -> None:
        text = (
            "Hi {{ requester.name }}, see {{article:42}} and {{requester.name}} {{ article : 7 }}"
        )
        assert placeholders.names(text) == ["requester.name", "article:42", "article:7"]
        assert placeholders.article_numbers([text, "{{article:42}}"]) == [42, 7]

    def test_it_reports_unknown_placeholders_but_not_articles(self) -> None:
        text = "{{requester.name}} {{requester.nmae}} {{article:3}} {{article:x}} {{ }} {{a b}}"
        assert placeholders.unknown(text, ["requester.name"]) == [
            "requester.nmae",
            "article:x",
            "",
            "ab",
        ]

    def test_it_fills_in_known_values_and_leaves_the_rest(self) -> None:
        values = {"requester.name": "김지우", "ticket.number": "1042"}
        text = "{{ requester.name }}님 #{{ticket.number}} {{agent.name}}"
        assert placeholders.render(text, values) == "김지우님 #1042 {{agent.name}}"

    def test_it_never_evaluates_what_the_author_wrote(self) -> None:
        values = {"requester.name": "{{ticket.number}} {% debug %}"}
        rendered = placeholders.render("{{requester.name}} {{ticket.number}}", values)
        assert rendered == "{{ticket.number}} {% debug %} {{ticket.number}}"

    def test_it_takes_the_first_word_of_western_names_only(self) -> None:
        assert placeholders.first_name("Casey  Customer") == "Casey"
        assert placeholders.first_name("김지우") == "김지우"
        assert placeholders.first_name("佐藤 健二") == "佐藤 健二"
        assert placeholders.first_name("王 芳") == "王 芳"
        assert placeholders.first_name("") == ""
