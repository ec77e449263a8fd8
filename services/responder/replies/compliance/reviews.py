"""Review and feedback phrases: requests, incentives and asks to change a review, per language."""

from __future__ import annotations

from services.responder.replies.compliance.lexicon import SAME_SENTENCE as _S
from services.responder.replies.compliance.lexicon import compile_phrases

__all__ = ["REVIEW_CHANGE", "REVIEW_INCENTIVE", "REVIEW_REQUEST"]

REVIEW_REQUEST = compile_phrases(
    {
        "en": (
            rf"\b(?:leave|write|post|submit)\b{_S}{{0,40}}\b(?:reviews?|feedback|ratings?|stars)\b",
            r"\b(?:please|kindly|could\s+you|would\s+you|can\s+you)\s+(?:\w+\s+){0,2}(?:share|give)\b"
            rf"{_S}{{0,30}}\b(?:reviews?|feedback|ratings?|stars)\b",
            r"\b(?:positive|good|great|5[- ]?star|five[- ]?star|honest|neutral)\s+(?:reviews?|feedback|ratings?)\b",
            r"\b(?:5|five)[- ]?stars?\b",
            r"\brate\s+(?:us|our|the\s+(?:product|item|seller))\b",
            r"\breview\s+(?:us|our\s+(?:product|store|shop|item))\b",
            r"\b(?:your|a)\s+(?:review|rating)\s+(?:would|means)\b",
        ),
        "de": (
            rf"\bbewertung(?:en)?\b{_S}{{0,40}}\b(?:hinterlassen|abgeben|schreiben|geben|freuen)\b",
            rf"\b(?:hinterlassen|schreiben|geben)\s+sie\b{_S}{{0,40}}(?:bewertung|rezension|feedback|sterne)",
            r"\b(?:positive|gute|5-sterne|fünf-sterne)n?\s+(?:bewertung|rezension|feedback)",
            r"\bbewerten\s+sie\s+(?:uns|den\s+artikel|das\s+produkt)\b",
            r"\b(?:5|fünf)[- ]?sterne\b",
            r"\brezension(?:en)?\b",
        ),
        "fr": (
            rf"\b(?:laisser|laissez|donner|donnez|écrire|écrivez|publier|rédiger)\b{_S}{{0,40}}"
            r"\b(?:avis(?!\s+de\s+passage)|évaluation|étoiles)\b",
            r"\bavis\s+(?:positif|favorable|5\s?étoiles|cinq\s+étoiles)\b",
            r"\b(?:5|cinq)\s?étoiles\b",
            r"\b(?:évaluez|notez)[- ]nous\b",
        ),
        "es": (
            rf"\b(?:deje|deja|dejar|escriba|escribir|publique|déjenos|déjanos|danos)\b{_S}{{0,40}}"
            r"\b(?:reseña|opinión|valoración|estrellas|calificación)\b",
            r"\b(?:reseña|opinión|valoración)\s+positiva\b",
            r"\b(?:5|cinco)\s?estrellas\b",
            r"\bval[oó]renos\b",
            r"\bcalif[ií]quenos\b",
        ),
        "it": (
            rf"\b(?:lasciare|lasci|lasciaci|scrivere|scriva|pubblicare|dare)\b{_S}{{0,40}}"
            r"\b(?:recensione|feedback|valutazione|stelle)\b",
            r"\b(?:recensione|valutazione|feedback)\s+positiv[oa]\b",
            r"\b(?:5|cinque)\s?stelle\b",
            r"\bvalutaci\b",
        ),
        "ja": (
            r"レビュー(?:を|の)?(?:書|投稿|お願い|いただけ|頂け|残|記入|して)",
            r"高評価|好評価|星\s?5|★\s?5|5つ星|星5つ|五つ星",
            r"評価(?:を|の)?(?:お願い|いただけ|頂け|して)",
            r"フィードバック(?:を|の)?(?:お願い|いただけ|頂け|残|投稿)",
        ),
        "zh": (
            r"好评",
            r"五星|5星",
            r"(?:请|麻烦|希望|能否|可否|欢迎)[^。！？\n]{0,6}(?:给|留|写|发表)[^。！？\n]{0,8}(?:评价|评论|反馈)",
        ),
    }
)

_REVIEW_EN = r"(?:reviews?|feedback|ratings?)"
REVIEW_INCENTIVE = compile_phrases(
    {
        "en": (
            rf"\bin\s+(?:exchange|return)\s+for\s+(?:a|an|your)?\s*(?:\w+\s+){{0,2}}{_REVIEW_EN}\b",
            rf"\b(?:refund|gift|discount|free|reward|voucher|coupon|bonus|cash|money)\b{_S}{{0,50}}"
            rf"\b(?:for|after)\s+(?:leaving|writing|posting|your|a)\s+(?:\w+\s+){{0,2}}{_REVIEW_EN}\b",
            rf"\b{_REVIEW_EN}\b{_S}{{0,50}}\b(?:we\s+will|we'll|and\s+we)\s+(?:refund|send\s+you\s+a\s+gift|reward)\b",
        ),
        "de": (
            r"\b(?:im\s+austausch|als\s+dank|als\s+gegenleistung)\s+für\s+(?:eine|ihre)?\s*(?:\w+\s+)?"
            r"(?:bewertung|rezension|feedback)",
            rf"\b(?:gutschein|erstattung|geschenk|rückerstattung|belohnung|gratis)\b{_S}{{0,50}}"
            r"\b(?:für|gegen)\s+(?:eine|ihre)\s+(?:\w+\s+)?(?:bewertung|rezension)",
        ),
        "fr": (
            r"\ben\s+échange\s+d['’](?:un|une)\s+(?:\w+\s+)?(?:avis|évaluation|commentaire)",
            rf"\b(?:remboursement|cadeau|bon|geste)\b{_S}{{0,50}}\b(?:contre|pour)\s+(?:un|votre)\s+(?:\w+\s+)?"
            r"(?:avis|évaluation)",
        ),
        "es": (
            r"\ba\s+cambio\s+de\s+(?:una|su)\s+(?:\w+\s+)?(?:reseña|opinión|valoración|comentario)",
            rf"\b(?:reembolso|regalo|descuento)\b{_S}{{0,50}}\bpor\s+(?:dejar|escribir|su)\s+(?:\w+\s+)?"
            r"(?:reseña|opinión|valoración)",
        ),
        "it": (
            r"\bin\s+cambio\s+di\s+(?:una|sua)\s+(?:\w+\s+)?(?:recensione|valutazione|feedback)",
            rf"\b(?:rimborso|regalo|omaggio|buono)\b{_S}{{0,50}}\bper\s+(?:una|la\s+sua)\s+(?:\w+\s+)?"
            r"(?:recensione|valutazione)",
        ),
        "ja": (
            r"(?:レビュー|評価)[^。\n]{0,20}(?:返金|プレゼント|特典|ギフト|無料|キャッシュバック|ポイント)",
            r"(?:返金|プレゼント|特典|ギフト|キャッシュバック)[^。\n]{0,20}(?:レビュー|評価)",
        ),
        "zh": (
            r"(?:好评|评价|评论)[^。\n]{0,10}(?:返现|红包|退款|礼品|赠品|奖励)",
            r"(?:返现|红包|礼品|赠品|奖励)[^。\n]{0,10}(?:好评|评价|评论)",
        ),
    }
)

REVIEW_CHANGE = compile_phrases(
    {
        "en": (
            r"\b(?:change|revise|amend|edit|remove|delete|withdraw|retract|take\s+down|reconsider|update)\s+"
            r"(?:\w+\s+){0,2}(?:your|the|this|that|negative|neutral|bad|1-star|one-star)\s+(?:\w+\s+)?"
            rf"{_REVIEW_EN}\b",
        ),
        "de": (
            rf"\b(?:bewertung|rezension|feedback)\b{_S}{{0,40}}\b(?:ändern|entfernen|löschen|zurückziehen|"
            r"zurücknehmen|anpassen|überdenken|korrigieren)\b",
        ),
        "fr": (
            r"\b(?:modifier|retirer|supprimer|changer|reconsidérer|mettre\s+à\s+jour)\s+(?:votre|cet|cette|l['’])"
            r"\s*(?:\w+\s+)?(?:avis|évaluation|commentaire)",
        ),
        "es": (
            r"\b(?:modificar|cambiar|eliminar|retirar|borrar|actualizar|reconsiderar)\s+(?:su|esta|la)\s+"
            r"(?:\w+\s+)?(?:reseña|opinión|valoración|comentario)",
        ),
        "it": (
            r"\b(?:modificare|cambiare|rimuovere|eliminare|ritirare|aggiornare|riconsiderare)\s+"
            r"(?:la\s+sua|il\s+suo|questa|la|il)\s+(?:\w+\s+)?(?:recensione|valutazione|feedback)",
        ),
        "ja": (
            r"(?:レビュー|評価|フィードバック)(?:を|の)?[^。\n]{0,10}(?:削除|変更|修正|取り消|取り下げ|見直|書き直|編集)",
        ),
        "zh": (
            r"(?:修改|删除|撤销|撤回|更改|追加)[^。\n]{0,6}(?:评价|评论|差评|反馈)",
            r"(?:差评|评价)[^。\n]{0,6}(?:删除|修改|撤销|撤回)",
        ),
    }
)
