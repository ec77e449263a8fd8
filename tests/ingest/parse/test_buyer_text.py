"""The buyer's own words: frames, footers and quoted older mail removed by structure, in any language."""

from __future__ import annotations

import pytest

from services.ingest.parse.buyer_text import extract_buyer_text, is_template_line
from services.ingest.parse.html_text import html_to_text

FRAMED = """{greeting}

# 123-1234567-1234567:
1 / Produkt | SKU-1 [ASIN: B0TEST0001]

------------- {open_words} -------------

{text}

------------- {close_words} -------------

{footer}
--------------------------
SPC-EUAmazon-1000000000000000
"""


@pytest.mark.parametrize(
    ("greeting", "open_words", "close_words", "text"),
    [
        ("You have received a message.", "Message:", "End message", "Where is my parcel?"),
        ("Je hebt een bericht ontvangen.", "Bericht:", "Einde bericht", "Waar is mijn pakket?"),
        ("Otrzymałeś wiadomość.", "Wiadomość:", "Koniec wiadomości", "Gdzie jest moja paczka?"),
        ("Du har fått ett meddelande.", "Meddelande:", "Slut på meddelandet", "Var är mitt paket?"),
        # Unknown words on both lines: the second dashed line closes the frame.
        ("Bir mesaj aldınız.", "Mesaj başlangıcı", "Mesaj", "Kargom nerede?"),
    ],
)
def test_frame_with_any_delimiter_words(greeting: str, open_words: str, close_words: str, text: str) -> None:
    body = FRAMED.format(
        greeting=greeting, open_words=open_words, close_words=close_words, text=text, footer="Footer"
    )
    found = extract_buyer_text(body)
    assert found.text == text
    assert found.framed


def test_text_above_a_quote_header_before_the_first_marker_wins() -> None:
    body = """Ok, then please refund me.

On Tue, 4 Jun 2024 at 10:12, Shop - Amazon Marketplace <abc@marketplace.amazon.co.uk> wrote:

------------- Begin message -------------
Would you like a refund or a replacement?
------------- End message -------------
"""
    assert extract_buyer_text(body).text == "Ok, then please refund me."


def test_quotes_inside_the_frame_are_cut() -> None:
    body = FRAMED.format(
        greeting="Hai ricevuto un messaggio.",
        open_words="Messaggio:",
        close_words="Fine messaggio",
        text="Va bene il reso.\n\n"
        "Il giorno 3 giu 2024, alle ore 10:12 Negozio <n@example.it> ha scritto:\n> Vuole il reso?",
        footer="",
    )
    assert extract_buyer_text(body).text == "Va bene il reso."


@pytest.mark.parametrize(
    "quote_header",
    [
        "-----Original Message-----\nFrom: Shop [mailto:[e-mail address removed]]\nSent: Mon, 3 June 2024 10:12",
        "--- Original message ---",
        "-----Ursprüngliche Nachricht-----\nVon: Shop\nGesendet: Montag, 3. Juni 2024 10:12",
        "________________________________\nFrom: Shop <shop@example.com>\nSent: 03 June 2024 10:12\nTo: Buyer",
        "From: Shop <shop@example.com>\nSent: Monday, June 3, 2024 10:12 AM\nTo: Buyer\nSubject: Re: order",
        "Am 03.06.2024 um 10:12 schrieb Shop <shop@example.de>:",
        "Le lun. 3 juin 2024 à 10:12, Boutique <b@example.fr> a écrit :",
        "El lun, 3 jun 2024 a las 10:12, Tienda <t@example.es> escribió:",
        "Em seg., 3 de jun. de 2024 às 10:12, Loja <l@example.com.br> escreveu:",
        "Op ma 3 jun. 2024 om 10:12 schreef Winkel <w@example.nl>:",
        "On Mon, Jun 3, 2024 at 10:12 AM Shop <\nshop@example.com> wrote:",
        "2024年6月3日(月) 10:12 ショップ <shop@example.jp>:",
        "2024/06/03 10:12、ショップのメッセージ:",
    ],
)
def test_quote_headers_in_many_languages(quote_header: str) -> None:
    body = f"New question about the size.\n\n{quote_header}\n> older text\nolder text continued"
    assert extract_buyer_text(body).text == "New question about the size."


def test_quoted_lines_are_dropped_and_interleaved_answers_kept() -> None:
    body = "> Which size do you need?\nSize 10 please.\n> And which colour?\nBlue."
    assert extract_buyer_text(body).text == "Size 10 please.\nBlue."


def test_buyer_lines_that_look_like_labels_are_kept() -> None:
    body = "Colour: blue\nSize: 9\nQuantity: 2\nThe left shoe is a size 8."
    assert extract_buyer_text(body).text == body


def test_only_a_close_marker() -> None:
    body = (
        "Recibiste un mensaje.\n\n# 701-1234567-2345678:\n1 / Taladro | TAL [ASIN: B0TESTMX01]\n\n"
        "¿Trae batería?\n\n------------- Finalizar mensaje -------------\nResolver caso"
    )
    found = extract_buyer_text(body)
    assert (found.text, found.framed) == ("¿Trae batería?", True)


def test_open_marker_without_close_stops_at_the_footer_rule() -> None:
    body = "------------- Message: -------------\nBroken on arrival.\n---------------------\nCopyright"
    assert extract_buyer_text(body).text == "Broken on arrival."


def test_no_frame_takes_the_first_block_before_the_footer() -> None:
    body = "--------------------------\n\nPlease cancel my order.\n\n--------------------------\nCopyright"
    found = extract_buyer_text(body)
    assert (found.text, found.framed) == ("Please cancel my order.", False)


def test_watermarks_and_blank_runs_are_cleaned() -> None:
    body = "Line one.\n\n\n\nLine two.   \n[commMgrTok:ABCDEF123]\n"
    assert extract_buyer_text(body).text == "Line one.\n\nLine two."


@pytest.mark.parametrize(
    ("line", "template"),
    [
        ("Order ID 102-5239268-9612243:", True),
        ("Order ID/Commande N°: 701-4152897-2930614:", True),
        ("# 403-1234567-1234567:", True),
        ("1 sur Bouilloire [ASIN : B0TESTFR01]", True),
        ("Hai ricevuto un messaggio.", True),
        ("My order 403-1234567-1234567 never came and I am upset.", False),
        ("It arrived broken.", False),
    ],
)
def test_template_lines(line: str, template: bool) -> None:
    assert is_template_line(line) is template


def test_html_rendering_keeps_pre_blocks_and_marks_blockquotes() -> None:
    rendered = html_to_text(
        "<html><head><style>p{color:red}</style><script>var x=1;</script></head><body>"
        "<p>Hello&nbsp;<b>there</b></p><pre>  line 1\n  line &amp; 2</pre>"
        "<blockquote><div>old</div><div>older</div></blockquote><table><tr><td>a</td><td>b</td></tr></table>"
    )
    assert rendered.pre_blocks == ("  line 1\n  line & 2",)
    assert "var x" not in rendered.text
    assert "color" not in rendered.text
    lines = rendered.text.split("\n")
    assert "Hello there" in lines
    assert "> old" in lines
    assert "> older" in lines
    assert "a b" in lines
