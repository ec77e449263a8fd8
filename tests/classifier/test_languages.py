"""Per-language behaviour of the text model on messages written for these tests (not training rows)."""

from __future__ import annotations

import pytest

from services.classifier.engine import Classifier

CASES: list[tuple[str, str, str]] = [
    ("en", "NOT_RECEIVED", "Two weeks and my parcel is still not here, the tracking stopped updating."),
    ("en", "NOT_AS_DESCRIBED", "The shirt I got is a completely different colour from the one I picked."),
    ("en", "DEFECTIVE", "My new toaster stopped heating after three days."),
    ("en", "OTHER", "Could you tell me how to swap my order for a bigger size?"),
    ("de", "NOT_RECEIVED", "Meine Sendung ist seit zwei Wochen unterwegs und kommt einfach nicht an."),
    ("de", "NOT_AS_DESCRIBED", "Das Hemd hat eine völlig andere Farbe als die, die ich ausgewählt habe."),
    ("de", "DEFECTIVE", "Der neue Toaster heizt nach drei Tagen nicht mehr."),
    ("de", "OTHER", "Können Sie mir sagen, wie ich meine Bestellung gegen eine größere Größe tausche?"),
    ("fr", "NOT_RECEIVED", "Deux semaines et mon colis n'est toujours pas là, le suivi ne bouge plus."),
    ("fr", "NOT_AS_DESCRIBED", "La chemise reçue est d'une couleur totalement différente de celle choisie."),
    ("fr", "DEFECTIVE", "Mon grille-pain neuf ne chauffe plus après trois jours."),
    ("fr", "OTHER", "Pouvez-vous m'expliquer comment échanger ma commande contre une taille plus grande ?"),
    ("es", "NOT_RECEIVED", "Dos semanas y mi paquete sigue sin llegar, el seguimiento no se mueve."),
    ("es", "NOT_AS_DESCRIBED", "La camisa que me llegó es de un color totalmente distinto al que elegí."),
    ("es", "DEFECTIVE", "Mi tostadora nueva dejó de calentar a los tres días."),
    ("es", "OTHER", "¿Me podéis decir cómo cambio mi pedido por una talla más grande?"),
    ("it", "NOT_RECEIVED", "Due settimane e il mio pacco non è ancora arrivato, il tracking è fermo."),
    (
        "it",
        "NOT_AS_DESCRIBED",
        "La camicia che ho ricevuto è di un colore completamente diverso da quello scelto.",
    ),
    ("it", "DEFECTIVE", "Il tostapane nuovo non scalda più dopo tre giorni."),
    ("it", "OTHER", "Mi dite come posso cambiare il mio ordine con una taglia più grande?"),
    ("ja", "NOT_RECEIVED", "二週間経っても荷物が届きません。追跡も止まったままです。"),
    ("ja", "NOT_AS_DESCRIBED", "届いたシャツの色が選んだものと全く違います。"),
    ("ja", "DEFECTIVE", "新しいトースターが三日で温まらなくなりました。"),
    ("ja", "OTHER", "注文を大きいサイズに交換する方法を教えてください。"),
    ("zh", "NOT_RECEIVED", "两个星期了包裹还没到，物流也不更新了。"),
    ("zh", "NOT_AS_DESCRIBED", "收到的衬衫颜色和我选的完全不一样。"),
    ("zh", "DEFECTIVE", "新买的烤面包机用了三天就不热了。"),
    ("zh", "OTHER", "请问怎么把我的订单换成大一号的？"),
]


@pytest.mark.parametrize(("language", "label", "text"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_language_and_label(classifier: Classifier, language: str, label: str, text: str) -> None:
    verdict = classifier.classify_texts([text], explain=True)[0]
    assert verdict.label == label
    assert verdict.language == language
    features = [r for r in verdict.reasons if r.rule_id == "text.feature"]
    assert features, "every verdict names the text features behind it"
    assert all(r.weight is not None and r.weight > 0 for r in features)


def test_batch_and_single_paths_agree(classifier: Classifier) -> None:
    texts = [text for _, _, text in CASES]
    batch = classifier.classify_texts(texts)
    single = [classifier.classify_texts([t])[0] for t in texts]
    assert [(v.label, v.confidence) for v in batch] == [(v.label, v.confidence) for v in single]


def test_language_hints_fill_in_when_detection_fails(classifier: Classifier) -> None:
    verdicts = classifier.classify_texts(["ok", "ok"], languages=["it", None])
    assert [v.language for v in verdicts] == ["it", None]
