"""Non-compliant drafts in seven languages are blocked with the right rule ids; normal replies pass."""

from __future__ import annotations

import pytest

from services.responder.replies.compliance import RULE_IDS, lint

ORDER = "123-1234567-1234567"
M = "messaging:unexpectedProblem"

# (language, channel, draft, rule ids that must fire)
BLOCKED: list[tuple[str, str, str, set[str]]] = [
    ("en", M, f"Order {ORDER}: we are sorry for the delay. Please leave us a 5-star review once it arrives.",
     {"content.review_request"}),
    ("en", M, f"Order {ORDER}: we will refund you in full in exchange for a positive review.",
     {"content.review_incentive"}),
    ("en", "email", f"Regarding order {ORDER}: now that the issue is solved, could you please remove your negative "
     "feedback?", {"content.review_change"}),
    ("en", M, f"Order {ORDER}: sorry about that! Use coupon SAVE20 for 20% off your next purchase.",
     {"content.marketing"}),
    ("en", M, f"Order {ORDER}: sorry. Check out our other products at www.example-shop.com",
     {"content.marketing", "link.url"}),
    ("en", "email", f"Order {ORDER}: please contact us on WhatsApp at +44 7700 900123.",
     {"contact.off_amazon", "contact.phone"}),
    ("en", "email", f"Order {ORDER}: email us at support@example-shop.com and we will sort it out.",
     {"contact.email", "contact.off_amazon"}),
    ("en", "email", f"Order {ORDER}: write to support at example-shop dot com for a faster answer.", {"contact.email"}),
    ("en", M, f"Order {ORDER}: <b>Important</b>&nbsp;your parcel is delayed.", {"format.html"}),
    ("en", M, f"Order {ORDER}: we are so sorry your parcel is late 😢 we will fix it.", {"format.emoji"}),
    ("en", M, f"Order {ORDER}: sorry for the delay :) we are on it.", {"format.emoji"}),
    ("en", M, f"Order {ORDER}: see the attached celebration.gif for how to set it up.", {"format.gif"}),
    ("en", "email", f"Order {ORDER}: replacement parts are listed on example dot com.", {"link.url"}),
    ("en", M, f"Order {ORDER}: track the replacement at https://bit.ly/3xYz12 today.", {"link.url"}),
    ("en", M, f"Order {ORDER}: here is a similar item https://www.amazon.com/dp/B0C1234XYZ you may like.",
     {"link.url"}),
    ("en", "email", f"Order {ORDER}: call us on (555) 123-4567 any time.", {"contact.phone", "contact.off_amazon"}),
    ("en", M, f"Thank you for your order {ORDER}! Enjoy your purchase.", {"content.thanks_only"}),
    ("en", M, f"Good news: your order {ORDER} has been shipped. Thanks for shopping with us!", {"content.thanks_only"}),
    ("en", M, "We are sorry, the carrier lost your parcel. We will send a replacement.", {"order_id.missing"}),
    ("en", M, f"Order {ORDER}: sorry, this is the same problem as with order 111-2223334-4445556.",
     {"order_id.foreign"}),
    ("en", M, f"Order {ORDER}: follow us on Instagram and subscribe to our newsletter.",
     {"contact.off_amazon", "content.marketing"}),
    ("de", M, f"Bestellung {ORDER}: Bitte hinterlassen Sie uns eine positive Bewertung.", {"content.review_request"}),
    ("de", M, f"Bestellung {ORDER}: Sie erhalten einen Gutschein über 10 € für Ihre Bewertung.",
     {"content.review_incentive", "content.marketing"}),
    ("de", "email", f"Bestellung {ORDER}: Könnten Sie Ihre Bewertung bitte ändern oder löschen?",
     {"content.review_change"}),
    ("de", M, f"Bestellung {ORDER}: Entdecken Sie unsere neue Kollektion mit 20 % Rabatt!", {"content.marketing"}),
    ("de", "email", f"Bestellung {ORDER}: Rufen Sie uns an unter 030 12345678 oder schreiben Sie uns per WhatsApp.",
     {"contact.off_amazon", "contact.phone"}),
    ("de", "email", f"Bestellung {ORDER}: Alle Infos auf unserer Webseite www.beispiel-shop.de.",
     {"contact.off_amazon", "link.url"}),
    ("de", "email", f"Bestellung {ORDER}: Schreiben Sie bitte an info(at)beispiel-shop.de.", {"contact.email"}),
    ("fr", M, f"Commande {ORDER} : n'hésitez pas à nous laisser un avis 5 étoiles !", {"content.review_request"}),
    ("fr", "email", f"Commande {ORDER} : nous vous offrons un remboursement en échange d'un avis positif.",
     {"content.review_incentive"}),
    ("fr", "email", f"Commande {ORDER} : pourriez-vous modifier votre avis maintenant que le problème est résolu ?",
     {"content.review_change"}),
    ("fr", M, f"Commande {ORDER} : profitez de 15 % de remise avec le code promo MERCI15 !", {"content.marketing"}),
    ("fr", M, f"Commande {ORDER} : suivez-nous sur Instagram pour ne rien manquer.",
     {"content.marketing", "contact.off_amazon"}),
    ("fr", "email", f"Commande {ORDER} : appelez-nous au 01 23 45 67 89.", {"contact.off_amazon", "contact.phone"}),
    ("fr", "email", f"Commande {ORDER} : toutes les infos sur notre site web www.exemple.fr.",
     {"contact.off_amazon", "link.url"}),
    ("es", M, f"Pedido {ORDER}: por favor, déjenos una reseña positiva.", {"content.review_request"}),
    ("es", "email", f"Pedido {ORDER}: le reembolsaremos el pedido a cambio de una reseña de 5 estrellas.",
     {"content.review_incentive"}),
    ("es", "email", f"Pedido {ORDER}: ¿podría eliminar su valoración negativa?", {"content.review_change"}),
    ("es", M, f"Pedido {ORDER}: aproveche un 10 % de descuento en nuestros otros productos.", {"content.marketing"}),
    ("es", "email", f"Pedido {ORDER}: llámenos al +34 912 345 678 o escríbanos por WhatsApp.",
     {"contact.off_amazon", "contact.phone"}),
    ("it", M, f"Ordine {ORDER}: ci lasci una recensione positiva!", {"content.review_request"}),
    ("it", "email", f"Ordine {ORDER}: le offriamo un rimborso in cambio di una recensione.",
     {"content.review_incentive"}),
    ("it", "email", f"Ordine {ORDER}: potrebbe modificare la sua recensione?", {"content.review_change"}),
    ("it", M, f"Ordine {ORDER}: usi il codice sconto GRAZIE10 per la nuova collezione!", {"content.marketing"}),
    ("it", "email", f"Ordine {ORDER}: ci chiami al 02 1234 5678.", {"contact.off_amazon", "contact.phone"}),
    ("ja", M, f"ご注文番号{ORDER}について。よろしければ星5つのレビューをお願いいたします。", {"content.review_request"}),
    ("ja", "email", f"ご注文番号{ORDER}について。レビューを書いていただければ、全額返金いたします。",
     {"content.review_incentive"}),
    ("ja", "email", f"ご注文番号{ORDER}について。問題が解決しましたので、評価を削除していただけますでしょうか。",
     {"content.review_change"}),
    ("ja", M, f"ご注文番号{ORDER}について。次回使える10%割引クーポンをプレゼントします。", {"content.marketing"}),
    ("ja", "email", f"ご注文番号{ORDER}について。LINEでお問い合わせください。電話：090-1234-5678",
     {"contact.off_amazon", "contact.phone"}),
    ("ja", "email", f"ご注文番号{ORDER}について。お電話ください：０９０－１２３４－５６７８",
     {"contact.off_amazon", "contact.phone"}),
    ("ja", "email", f"ご注文番号{ORDER}について。詳しくは当社の公式サイトをご覧ください。", {"contact.off_amazon"}),
    ("zh", M, f"订单 {ORDER}：如果您满意，请给我们一个五星好评。", {"content.review_request"}),
    ("zh", "email", f"订单 {ORDER}：好评返现10元。", {"content.review_incentive"}),
    ("zh", "email", f"订单 {ORDER}：问题解决后，请您修改一下评价。", {"content.review_change"}),
    ("zh", M, f"订单 {ORDER}：关注我们的店铺，新品上市享受八折优惠！", {"content.marketing"}),
    ("zh", "email", f"订单 {ORDER}：请加我微信 abc123 或致电 13812345678。", {"contact.off_amazon", "contact.phone"}),
]  # fmt: skip

# Ordinary complaint replies: order ids, dates, times, prices, tracking numbers, allowed links, and words
# that look like forbidden ones ("feedback", "review", "point", "avis de passage", "Gutschrift").
CLEAN: list[tuple[str, str, str]] = [
    ("en", "email", f"""Hello Sam,

Thank you for your message about order {ORDER}. We are sorry the parcel is late. DHL tracking number \
00340434161234567890 shows it left our warehouse on 2024-05-10 at 14:30; the latest delivery date is 14 May \
2024. If it has not arrived by then, we will refund the full 24.99 USD or send a replacement. You can follow it \
under Your Orders on amazon.com.

Thank you for your feedback. We will share your feedback with our quality team and will review your case today.

Kind regards,
Northwind Home"""),
    ("en", "email", f"Hi, about order {ORDER}: you can follow the parcel here: https://www.dhl.de/de/privatkunden/"
     "pakete-empfangen/verfolgen.html?piececode=00340434161234567890 and see the order at "
     "https://www.amazon.co.uk/gp/your-account/order-history. From our point of view the delivery point was "
     "correct. We have reviewed the photos and will update you once we hear back from the carrier."),
    ("en", M, f"We are contacting you about order {ORDER}. The carrier reported your parcel (2 x 750 ml bottles, "
     "1,299.00 EUR) as lost on 12/05/2024. We will send a replacement between 9:00 and 18:00 on 15 May or refund "
     "you in full, as you prefer. Please reply to this message with your choice."),
    ("de", "email", f"""Guten Tag Frau Müller,

vielen Dank für Ihre Nachricht zur Bestellung {ORDER}. Die Sendungsnummer 00340434161234567890 zeigt, dass das \
Paket am 12.05.2024 an die Packstation 10115 Berlin geliefert wurde. Die Gutschrift über 1.299,00 € haben wir \
veranlasst. Ein wichtiger Punkt in der Liste ist noch offen, wir prüfen das und melden uns bis spätestens \
14:00 Uhr bei Ihnen.

Mit freundlichen Grüßen
Northwind Home"""),
    ("fr", "email", f"""Bonjour,

Merci pour votre message concernant la commande {ORDER}. Le transporteur a pu laisser un avis de passage dans \
votre boîte aux lettres ; la remise du colis est prévue le 14/05/2024. Numéro de suivi : 6A12345678901. Nous \
vous rembourserons 19,99 € si le colis n'arrive pas. De notre point de vue, le point relais est le bon.

Cordialement,
Northwind Home"""),
    ("es", M, f"Nos ponemos en contacto con usted en relación con su pedido {ORDER}. Desde nuestro punto de vista el "
     "paquete se ha perdido: el número de seguimiento 1Z999AA10123456784 no se actualiza desde el 12/05/2024. Le "
     "enviaremos un artículo nuevo o le reembolsaremos 24,99 €, como usted prefiera. Le informaremos de cualquier "
     "novedad."),
    ("it", M, f"La contattiamo in merito al suo ordine {ORDER}. Il corriere ha segnalato un problema con il pacco "
     "(numero di tracciamento 123456789012) previsto per il 14/05/2024. Possiamo inviarle un articolo sostitutivo "
     "oppure rimborsarle 29,90 €, come preferisce. Ci sono novità sulla spedizione che le comunicheremo appena "
     "possibile."),
    ("ja", "email", f"""山田 様

ご注文（注文番号：{ORDER}）についてご連絡いただき、ありがとうございます。ヤマト運輸の追跡番号 1234-5678-9012 を確認した\
ところ、2024年5月12日に配達済みとなっております。新品をお送りするか、2,980円を返金いたします。配送業者から直接ご連絡が\
入る場合もございます。引き続き状況をフォローしております。フィードバックをいただき、ありがとうございます。

今後ともよろしくお願いいたします。
Northwind Home"""),
    ("zh", "email", f"""尊敬的王女士：

感谢您就订单 {ORDER} 与我们联系。运单号 SF1234567890123 显示包裹已于2024年5月12日签收。我们将为您寄送一件新品，或退还198元。\
快递员可能会来电与您确认。感谢您给我们的反馈，我们会把您的反馈转给质检部门。

祝好，
Northwind Home"""),
]  # fmt: skip


@pytest.mark.parametrize(("lang", "channel", "text", "expected"), BLOCKED)
def test_non_compliant_draft_is_blocked(lang: str, channel: str, text: str, expected: set[str]) -> None:
    result = lint(text, channel=channel, locale=lang, order_id=ORDER)
    assert not result.ok
    assert expected <= result.rule_ids, [(v.rule_id, v.excerpt) for v in result.violations]
    assert result.rule_ids <= RULE_IDS
    for v in result.violations:
        assert text[v.start : v.end].startswith(v.excerpt.rstrip("…"))


def test_blocked_drafts_cover_every_language_and_content_rule() -> None:
    langs = {lang for lang, *_ in BLOCKED}
    assert langs == {"en", "de", "fr", "es", "it", "ja", "zh"}
    for lang in langs:
        fired = set().union(*(exp for lg, _c, _t, exp in BLOCKED if lg == lang))
        assert {"content.review_request", "content.review_incentive", "content.review_change"} <= fired, lang
        assert {"content.marketing", "contact.off_amazon"} <= fired, lang


@pytest.mark.parametrize(("lang", "channel", "text"), CLEAN)
def test_normal_complaint_reply_passes(lang: str, channel: str, text: str) -> None:
    result = lint(text, channel=channel, locale=lang, order_id=ORDER)
    assert result.ok, [(v.rule_id, v.excerpt) for v in result.violations]


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        (f"Order {ORDER}: call +49 30 1234567 please.", "+49 30 1234567"),
        (f"ご注文{ORDER}の件、０９０－１２３４－５６７８までお電話ください。", "０９０－１２３４－５６７８"),
        (f"Order {ORDER}: mail j\u200bohn@example.com now.", "j\u200bohn@example.com"),
    ],
)
def test_spans_point_into_the_original_text(text: str, excerpt: str) -> None:
    result = lint(text, channel="email", locale=None, order_id=ORDER)
    hits = [v for v in result.violations if v.rule_id in ("contact.phone", "contact.email")]
    assert [text[v.start : v.end] for v in hits] == [excerpt]
