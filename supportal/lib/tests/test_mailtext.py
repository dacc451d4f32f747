from __future__ import annotations

import time

import pytest

from supportal.lib.mailtext import (
    html_to_text,
    sanitize_email_html,
    split_quoted,
    split_quoted_html,
)
from supportal.lib.mime import parse_message
from supportal.lib.tests.mailsamples import NEW, OLD, QUOTED_SAMPLES

HTML_SAMPLES = [
    (name, parse_message(raw).html, start, must_not)
    for name, raw, start, must_not in QUOTED_SAMPLES
    if parse_message(raw).html
]
# Measured when the rules were written: every synthetic sample (mail-parser-reply 1.36: 73%).
SYNTHETIC_QUOTE_ACCURACY = 1.0


def _right(new_text: str, start: str, must_not: tuple[str, ...]) -> bool:
    return new_text.startswith(start) and not any(text in new_text for text in must_not)


class HtmlToTextTests:
    def test_it_separates_blocks_and_keeps_line_breaks(self) -> None:
        html = "<h1>Title</h1><p>One<br>two</p><p>Three</p><div>line</div><div>next</div>"
        assert html_to_text(html) == "Title\n\nOne\ntwo\n\nThree\n\nline\nnext"

    def test_it_reads_gmail_lines_as_a_browser_shows_them(self) -> None:
        html = "<div>Hi.</div><div><br></div><div>Thanks,</div><div>Alex</div>"
        assert html_to_text(html) == "Hi.\n\nThanks,\nAlex"

    def test_it_writes_list_items(self) -> None:
        html = "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul><ol start=3><li>x<li>y</ol>"
        assert html_to_text(html) == "- a\n  - b\n- c\n\n3. x\n4. y"

    def test_it_shows_a_link_target_only_when_it_differs(self) -> None:
        html = (
            '<a href="https://example.com/a">here</a> <a href="https://example.com/">'
            'example.com</a> <a href="mailto:kim@example.com">kim@example.com</a> '
            '<a href="mailto:sales@example.com">Sales</a>'
        )
        assert html_to_text(html) == (
            "here (https://example.com/a) example.com kim@example.com Sales (sales@example.com)"
        )

    def test_it_puts_a_table_row_on_a_line(self) -> None:
        html = "<table><tr><th>Item</th><th>Qty</th></tr><tr><td>Pen</td><td></td><td>2</td>"
        assert html_to_text(html) == "Item | Qty\nPen | 2"

    def test_it_drops_script_style_and_head(self) -> None:
        html = (
            "<html><head><title>T</title><style>p{}</style></head><body><script>x()</script>"
            "<p>Body</p><noscript>fallback</noscript></body></html>"
        )
        assert html_to_text(html) == "Body\n\nfallback"

    def test_it_decodes_entities_and_collapses_whitespace(self) -> None:
        assert html_to_text("<p>  a &amp;\n\n b&nbsp;&lt;c&gt;  &#x263A; </p>") == "a & b <c> ☺"

    def test_it_keeps_preformatted_text(self) -> None:
        assert html_to_text("<pre>  x = 1\n    y</pre>") == "x = 1\n    y"

    def test_it_prefixes_blockquotes(self) -> None:
        html = "<p>New</p><blockquote><p>old</p><p>older</p></blockquote>"
        assert html_to_text(html) == "New\n\n> old\n>\n> older"

    def test_it_is_empty_for_nothing(self) -> None:
        assert html_to_text("") == ""
        assert html_to_text("<p> </p><br><br>") == ""


class SanitizeTests:
    def test_it_removes_scripts_handlers_styles_and_frames(self) -> None:
        html, _ = sanitize_email_html(
            '<p style="color:red" onclick="x()">Hi<script>alert(1)</script></p>'
            '<style>p{}</style><iframe src="https://evil.example"></iframe>'
            '<form action="/x"><input name="q"></form><img src=x onerror="alert(1)">'
        )
        assert html == "<p>Hi</p><img>"

    def test_it_keeps_safe_links_with_rel(self) -> None:
        html, _ = sanitize_email_html(
            '<a href="https://example.com">ok</a><a href="javascript:alert(1)">js</a>'
            '<a href="/relative">rel</a><a href="mailto:a@example.com">mail</a>'
        )
        assert html == (
            '<a href="https://example.com" rel="noopener noreferrer nofollow">ok</a>'
            '<a rel="noopener noreferrer nofollow">js</a>'
            '<a rel="noopener noreferrer nofollow">rel</a>'
            '<a href="mailto:a@example.com" rel="noopener noreferrer nofollow">mail</a>'
        )

    @pytest.mark.parametrize(
        ("source", "remote"),
        [
            ("https://tracker.example/p.gif", True),
            ("http://tracker.example/p.gif", True),
            ("//tracker.example/p.gif", True),
            ("HTTPS://TRACKER.EXAMPLE/P.GIF", True),
            ("data:image/png;base64,AAAA", False),
            ("/local.png", False),
        ],
    )
    def test_it_removes_every_image_source_but_cid(self, source: str, remote: bool) -> None:
        html, removed = sanitize_email_html(f'<img src="{source}" alt="a">')
        assert html == '<img alt="a">'
        assert removed is remote

    def test_it_keeps_cid_images(self) -> None:
        html, removed = sanitize_email_html('<img src="CID:part1.abc@example.com">')
        assert (html, removed) == ('<img src="cid:part1.abc@example.com">', False)

    def test_it_drops_head_and_title_content(self) -> None:
        html, _ = sanitize_email_html("<head><title>Secret title</title></head><p>x</p>")
        assert html == "<p>x</p>"

    def test_it_keeps_only_the_classes_and_ids_that_mark_quotes(self) -> None:
        html, _ = sanitize_email_html(
            '<div class="gmail_quote other" id="main">a</div><div id="divRplyFwdMsg">b</div>'
            '<blockquote type="cite" class="x">c</blockquote><blockquote type="x">d</blockquote>'
        )
        assert html == (
            '<div class="gmail_quote">a</div><div id="divRplyFwdMsg">b</div>'
            '<blockquote type="cite">c</blockquote><blockquote>d</blockquote>'
        )

    def test_it_gives_the_same_result_twice(self) -> None:
        for _, html, _, _ in HTML_SAMPLES:
            once, _ = sanitize_email_html(html)
            assert sanitize_email_html(once)[0] == once

    def test_it_sanitises_large_documents_the_same_way(self) -> None:
        html = '<p onclick="x">a &amp; b</p><img src="http://x/y.png"><!-- c -->' * 3000
        cleaned, removed = sanitize_email_html(html)
        assert cleaned == "<p>a &amp; b</p><img>" * 3000
        assert removed

    @pytest.mark.parametrize(
        "html",
        [
            "<a " * 300_000,
            "<!--" * 250_000,
            "<div>" * 100_000,
            "<dl><dt>" * 100_000,
            "<ul><li>" * 100_000,
            "<span></b>" * 80_000,
            "x&amp;" * 160_000,
            "\xa0" * 400_000,
        ],
    )
    def test_it_bounds_the_time_on_hostile_html(self, html: str) -> None:
        # CPU time, not wall time: a linear pass stays far under the bound however busy the
        # machine is (the suite runs several processes at once); a quadratic one does not.
        started = time.process_time()
        cleaned, _ = sanitize_email_html(html)
        html_to_text(cleaned)
        split_quoted_html(cleaned)
        assert time.process_time() - started < 10


class SplitQuotedTests:
    @pytest.mark.parametrize(
        ("name", "raw", "start", "must_not"), QUOTED_SAMPLES, ids=[s[0] for s in QUOTED_SAMPLES]
    )
    def test_it_finds_the_new_text(
        self, name: str, raw: bytes, start: str, must_not: tuple[str, ...]
    ) -> None:
        new_text, _ = split_quoted(parse_message(raw).text)
        assert _right(new_text, start, must_not), new_text

    def test_it_keeps_its_accuracy_on_the_synthetic_samples(self) -> None:
        right = sum(
            _right(split_quoted(parse_message(raw).text)[0], start, must_not)
            for _, raw, start, must_not in QUOTED_SAMPLES
        )
        assert right / len(QUOTED_SAMPLES) >= SYNTHETIC_QUOTE_ACCURACY

    def test_it_returns_the_rest_as_quoted(self) -> None:
        text = f"{NEW}\n\nOn Mon, Nov 30, 2026 at 10:00 AM Support <s@example.com> wrote:\n> {OLD}"
        new_text, quoted = split_quoted(text)
        assert new_text == NEW
        assert quoted == f"On Mon, Nov 30, 2026 at 10:00 AM Support <s@example.com> wrote:\n> {OLD}"

    def test_it_moves_the_signature_to_quoted(self) -> None:
        assert split_quoted("Thanks!\n-- \nKim\nACME") == ("Thanks!", "-- \nKim\nACME")

    def test_it_keeps_a_double_dash_that_starts_a_long_text(self) -> None:
        text = "Intro\n--\n" + "\n".join(f"line {i}" for i in range(40))
        assert split_quoted(text) == (text, "")

    def test_it_leaves_text_without_quotes_alone(self) -> None:
        assert split_quoted("  Just a question.\r\n\r\nThanks  ") == (
            "Just a question.\n\nThanks",
            "",
        )
        assert split_quoted("") == ("", "")

    def test_it_keeps_everything_when_all_of_it_is_quoted(self) -> None:
        text = "> only a quote\n> nothing else\n"
        assert split_quoted(text) == (text.strip(), "")
        header_only = "-----Original Message-----\nFrom: a\nSent: b\nSubject: c\n\nold"
        assert split_quoted(header_only) == (header_only, "")

    def test_it_keeps_answers_written_between_quoted_lines(self) -> None:
        text = "Hi,\n\n> Question one?\n\nAnswer one.\n\n> Question two?\n\nAnswer two."
        assert split_quoted(text) == (text, "")

    def test_it_cuts_below_inline_answers_at_a_later_reply_header(self) -> None:
        text = (
            "Hi,\n> Question?\nAnswer.\n\nOn Mon, Nov 30, 2026, Support <s@example.com> wrote:"
            "\n> older"
        )
        new_text, quoted = split_quoted(text)
        assert new_text == "Hi,\n> Question?\nAnswer."
        assert quoted.startswith("On Mon")

    def test_it_keeps_forwarded_messages(self) -> None:
        raw = next(raw for name, raw, _, _ in QUOTED_SAMPLES if name == "forward")
        new_text, quoted = split_quoted(parse_message(raw).text)
        assert "Invoice 99 is attached." in new_text
        assert quoted == ""

    def test_it_does_not_take_a_sentence_ending_in_a_colon_for_a_header(self) -> None:
        text = "The steps on 30 Nov 2026 at 10:00:\n1. restart\n2. retry"
        assert split_quoted(text) == (text, "")

    def test_it_bounds_the_time_on_huge_text(self) -> None:
        for text in [
            "> q\nanswer\n" * 100_000,
            "From: a\nTo: b\n" * 100_000,
            "On x wrote:\n" * 100_000,
            ("a:" * 200 + "\n") * 5000,
            "x" * 1_000_000,
        ]:
            started = time.process_time()  # CPU time, as above
            split_quoted(text)
            assert time.process_time() - started < 5


class SplitQuotedHtmlTests:
    @pytest.mark.parametrize(
        ("name", "html", "start", "must_not"), HTML_SAMPLES, ids=[s[0] for s in HTML_SAMPLES]
    )
    def test_it_cuts_at_the_quote_of_each_client(
        self, name: str, html: str, start: str, must_not: tuple[str, ...]
    ) -> None:
        new_html, quoted_html = split_quoted_html(html)
        assert _right(html_to_text(new_html), start, must_not), new_html
        assert quoted_html

    def test_it_cuts_raw_html_and_sanitises_both_halves(self) -> None:
        html = (
            '<p onclick="x()">New text<script>bad()</script></p><div class="gmail_quote">'
            'On Mon, Kim wrote:<blockquote><img src="https://t.example/x.gif">old</blockquote>'
            "</div>"
        )
        assert split_quoted_html(html) == (
            "<p>New text</p>",
            '<div class="gmail_quote">On Mon, Kim wrote:<blockquote><img>old</blockquote></div>',
        )

    def test_it_moves_the_cut_up_to_the_outlook_separator(self) -> None:
        html = (
            "<div>New</div><div id=appendonsend></div><hr><div id=divRplyFwdMsg>"
            "<b>From:</b> a<br><b>Sent:</b> b</div><div>old</div>"
        )
        new_html, quoted_html = split_quoted_html(html)
        assert new_html == "<div>New</div>"
        assert quoted_html.startswith('<div id="appendonsend"></div><hr>')

    def test_it_cuts_at_a_signature(self) -> None:
        new_html, quoted_html = split_quoted_html("<div>Thanks</div><div>-- </div><div>Kim</div>")
        assert (new_html, quoted_html) == ("<div>Thanks</div>", "<div>-- </div><div>Kim</div>")

    def test_it_gives_the_html_back_when_nothing_is_quoted(self) -> None:
        html = "<p>Just a question</p><blockquote>a quote of the docs</blockquote><p>More</p>"
        assert split_quoted_html(html) == (html, "")
        assert split_quoted_html("") == ("", "")

    def test_it_gives_the_html_back_when_all_of_it_is_quoted(self) -> None:
        html = '<div class="gmail_quote">On Mon, Kim wrote:<blockquote>old</blockquote></div>'
        assert split_quoted_html(html) == (html, "")
