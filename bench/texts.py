"""Varied buyer messages for the load generator: six languages, every category, written for the bench.

Each message is an opening, a complaint core with a product and a number of days, and a closing, picked by a
seeded generator: thousands of distinct texts, so nothing downstream sees one string a thousand times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["MARKETPLACES", "BuyerMessage", "message"]

MARKETPLACES: dict[str, tuple[str, str]] = {
    "en": ("ATVPDKIKX0DER", "com"),
    "de": ("A1PA6795UKMFR9", "de"),
    "fr": ("A13V1IB3VIYZZH", "fr"),
    "es": ("A1RKKUPIHCS9HS", "es"),
    "it": ("APJ6JRA9NG5V4", "it"),
    "ja": ("A1VC38T7YXB528", "co.jp"),
}
"""Language -> (marketplace id, relay domain suffix)."""

_PRODUCTS = {
    "en": ("kettle", "desk lamp", "phone case", "backpack", "coffee grinder", "set of towels"),
    "de": ("Wasserkocher", "Schreibtischlampe", "Handyhülle", "Rucksack", "Kaffeemühle", "Handtuchset"),
    "fr": ("bouilloire", "lampe de bureau", "coque de téléphone", "sac à dos", "moulin à café"),
    "es": ("hervidor", "lámpara de escritorio", "funda del móvil", "mochila", "molinillo de café"),
    "it": ("bollitore", "lampada da scrivania", "cover del telefono", "zaino", "macinacaffè"),
    "ja": ("電気ケトル", "デスクライト", "スマホケース", "リュック", "コーヒーミル"),
}

_OPEN = {
    "en": ("Hello,", "Hi there,", "Dear seller,", "Good morning,", ""),
    "de": ("Hallo,", "Guten Tag,", "Sehr geehrte Damen und Herren,", ""),
    "fr": ("Bonjour,", "Madame, Monsieur,", "Bonsoir,", ""),
    "es": ("Hola,", "Buenos días,", "Estimado vendedor,", ""),
    "it": ("Buongiorno,", "Salve,", "Gentile venditore,", ""),
    "ja": ("こんにちは。", "お世話になっております。", ""),
}

_CLOSE = {
    "en": ("Thanks.", "Please let me know what you can do.", "Regards", "I hope to hear back soon."),
    "de": ("Danke.", "Bitte melden Sie sich.", "Viele Grüße", "Ich warte auf Ihre Antwort."),
    "fr": ("Merci.", "Merci de me répondre rapidement.", "Cordialement", "Dans l'attente de votre retour."),
    "es": ("Gracias.", "Espero su respuesta.", "Saludos", "Por favor, díganme qué hacer."),
    "it": ("Grazie.", "Attendo una vostra risposta.", "Cordiali saluti", "Fatemi sapere, per favore."),
    "ja": ("よろしくお願いします。", "ご連絡をお待ちしております。", "対応をお願いします。"),
}

# {p}: product, {d}: days. Per language and category.
_CORE: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "not_received": (
            "I ordered a {p} {d} days ago and it still has not arrived.",
            "The tracking says delivered but there is no {p} at my door.",
            "My {p} never showed up, the delivery date passed {d} days ago.",
        ),
        "not_as_described": (
            "The {p} I received is not the one in the listing, the colour and size are different.",
            "This {p} looks nothing like the pictures, it is a cheaper model.",
        ),
        "defective": (
            "The {p} stopped working after {d} days.",
            "My {p} arrived broken, the handle is cracked and it does not switch on.",
            "The {p} is faulty, it makes a burning smell when I use it.",
        ),
        "none": (
            "Can you tell me if the {p} comes with a spare part?",
            "Just wanted to say the {p} arrived and works well.",
        ),
    },
    "de": {
        "not_received": (
            "Ich habe vor {d} Tagen eine {p} bestellt und sie ist immer noch nicht angekommen.",
            "Laut Sendungsverfolgung zugestellt, aber ich habe keine {p} erhalten.",
        ),
        "not_as_described": (
            "Die gelieferte {p} entspricht nicht der Beschreibung, Farbe und Größe stimmen nicht.",
        ),
        "defective": (
            "Die {p} ist nach {d} Tagen kaputtgegangen und funktioniert nicht mehr.",
            "Die {p} kam beschädigt an und lässt sich nicht einschalten.",
        ),
        "none": ("Gibt es für die {p} auch ein Ersatzteil?",),
    },
    "fr": {
        "not_received": (
            "J'ai commandé une {p} il y a {d} jours et je ne l'ai toujours pas reçue.",
            "Le suivi indique livré mais je n'ai jamais reçu la {p}.",
        ),
        "not_as_described": ("La {p} reçue ne correspond pas à la description, ce n'est pas le bon modèle.",),
        "defective": (
            "La {p} ne fonctionne plus après {d} jours.",
            "La {p} est arrivée cassée, elle ne s'allume pas.",
        ),
        "none": ("Est-ce que la {p} est garantie un an ?",),
    },
    "es": {
        "not_received": (
            "Pedí una {p} hace {d} días y todavía no ha llegado.",
            "El seguimiento dice entregado pero no he recibido la {p}.",
        ),
        "not_as_described": ("La {p} que recibí no es la del anuncio, el color es distinto.",),
        "defective": (
            "La {p} dejó de funcionar a los {d} días.",
            "La {p} llegó rota y no enciende.",
        ),
        "none": ("¿La {p} incluye el cable de repuesto?",),
    },
    "it": {
        "not_received": (
            "Ho ordinato un {p} {d} giorni fa e non è ancora arrivato.",
            "Il tracciamento dice consegnato ma non ho ricevuto il {p}.",
        ),
        "not_as_described": ("Il {p} ricevuto non corrisponde alla descrizione, il modello è diverso.",),
        "defective": (
            "Il {p} ha smesso di funzionare dopo {d} giorni.",
            "Il {p} è arrivato rotto e non si accende.",
        ),
        "none": ("Il {p} ha la garanzia di due anni?",),
    },
    "ja": {
        "not_received": (
            "{d}日前に{p}を注文しましたが、まだ届いていません。",
            "配達済みになっていますが、{p}を受け取っていません。",
        ),
        "not_as_described": ("届いた{p}は商品説明と違います。色とサイズが異なります。",),
        "defective": (
            "{p}が{d}日で動かなくなりました。",
            "{p}が壊れた状態で届き、電源が入りません。",
        ),
        "none": ("{p}の替えの部品はありますか。",),
    },
}

# Shares: English most, then the EU marketplaces and Japan; a few messages that are no complaint.
_LANG_WEIGHTS = {"en": 40, "de": 15, "fr": 12, "es": 12, "it": 11, "ja": 10}
_CATEGORY_WEIGHTS = {"not_received": 40, "defective": 30, "not_as_described": 20, "none": 10}


@dataclass(frozen=True, slots=True)
class BuyerMessage:
    """One buyer message: its language, the category it was written for, and the text."""

    language: str
    category: str
    text: str


def message(rng: random.Random) -> BuyerMessage:
    """A buyer message drawn from ``rng``."""
    language = rng.choices(list(_LANG_WEIGHTS), weights=list(_LANG_WEIGHTS.values()))[0]
    category = rng.choices(list(_CATEGORY_WEIGHTS), weights=list(_CATEGORY_WEIGHTS.values()))[0]
    core = rng.choice(_CORE[language][category]).format(
        p=rng.choice(_PRODUCTS[language]), d=rng.randint(2, 40)
    )
    separator = "" if language == "ja" else " "
    parts = [rng.choice(_OPEN[language]), core, rng.choice(_CLOSE[language])]
    return BuyerMessage(language, category, separator.join(p for p in parts if p))
