"""Hand-written cue phrases in seven languages, grouped into language-independent concepts.

A cue is a whole word or phrase ("stopped working", "nie angekommen", "pas conforme", "届かない", "没收到").
The text model sees one feature per concept found in a text (``cue:<concept>``, or ``cue:not_<concept>``
when a negation stands just before it: "not broken, just the wrong size"), so what it learns about
"broken" in English carries over to "kaputt", "cassé", "roto", "rotto", "壊れ" and "坏". Matches keep their
character offsets in the buyer's original text, which makes them readable explanations.

Matching runs on :func:`fold`: case-folded, Latin accents stripped, one output character per input
character (so offsets map back 1:1), apostrophes kept as word characters' neighbours.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["CONCEPTS", "CueMatch", "find_cues", "fold", "reason_of"]

# concept -> (plain-language reason, Latin-script cue patterns, CJK cue patterns).
# Latin patterns are regex fragments matched on whole words of the folded text; CJK ones as substrings.
_LEXICON: dict[str, tuple[str, str, str]] = {
    "not_arrived": (
        "the buyer says the parcel has not arrived",
        r"never (?:arrived|came|showed up|turned up|received|got|made it)|not (?:yet )?(?:arrived|received|delivered)"
        r"|(?:hasn t|has not|haven t|have not|didn t|did not|still not|never) (?:yet )?(?:arrived|come|received|got|been delivered|shown up|turned up)"
        r"|still (?:waiting|no sign|nothing|hasn t)|where (?:is|s) my (?:order|package|parcel|stuff|item|delivery)"
        r"|where is it|no package|not here|nothing arrived|didn t arrive|did not arrive|never got it|never came"
        r"|nie angekommen|nicht angekommen|noch nicht (?:da|angekommen|erhalten|geliefert)|nicht erhalten|nie erhalten"
        r"|nicht geliefert|nie (?:bekommen|gekommen)|wo bleibt|wo ist (?:mein|meine)|immer noch nicht|warte (?:immer )?noch"
        r"|kam nie|ist nie|nichts (?:angekommen|erhalten|bekommen)|keine lieferung"
        r"|pas (?:encore )?(?:recu|arrive|arrivee|livre|livree)|jamais (?:recu|arrive|arrivee|livre)|toujours pas|n est jamais"
        r"|rien recu|ou est (?:mon|ma)|toujours rien|non recu|non livre|en attente de (?:mon|ma)"
        r"|no (?:me )?ha (?:llegado|entregado)|no he recibido|nunca (?:llego|lo recibi|recibi|ha llegado)|sigue sin llegar"
        r"|sigo esperando|todavia no|donde esta (?:mi|el)|no recibido|no llego|sin llegar|no entregado"
        r"|non (?:e )?(?:ancora )?(?:arrivato|arrivata|arrivati|ricevuto|consegnato)|non ho ricevuto|mai (?:arrivato|arrivata|ricevuto)"
        r"|ancora (?:niente|nulla|in attesa)|aspetto ancora|dov e (?:il|la) mio|dove e il mio|non pervenuto",
        "届かない|届いていない|届いてない|届きません|届いていません|届いておりません|届かず|届かなかった|まだ届|未着|来ない|来てない"
        "|受け取っていない|受け取ってない|何も届|荷物どこ|没收到|未收到|还没到|没到|没送到|没有收到|还没收到|一直没到|没来"
        "|没有到|收不到|快递呢|到底在哪",
    ),
    "tracking_delivered": (
        "tracking or the carrier says delivered, but the buyer has nothing",
        r"(?:marked|shows|says|showing|listed) (?:as )?delivered|tracking|delivered to (?:the )?wrong|wrong address|neighbou?rs?"
        r"|courier|carrier|driver|postman|mailbox|porch|locker|signed for|proof of delivery"
        r"|sendungsverfolgung|tracking|zugestellt|nachbarn?|zusteller|paketbote|briefkasten|packstation|falsche adresse"
        r"|suivi|indique livre|marque (?:comme )?livre|voisins?|livreur|transporteur|boite aux lettres|mauvaise adresse|point relais"
        r"|seguimiento|pone entregado|marcado como entregado|vecinos?|repartidor|transportista|buzon|direccion equivocada"
        r"|tracciamento|tracking|risulta consegnato|vicini?|corriere|cassetta|indirizzo sbagliato|locker",
        "追跡|配達完了|配達済|置き配|配達員|隣|ポスト|宅配ボックス|違う住所|物流|签收|已送达|显示送达|快递员|邻居|快递柜|送错|单号",
    ),
    "late": (
        "the delivery is late or keeps being postponed",
        r"late|delayed|delay|overdue|expected (?:delivery|date|by)|estimated delivery|due (?:on|by|yesterday|today|last)"
        r"|supposed to (?:arrive|be here|come)|was promised|still in transit|in transit|stuck|not (?:yet )?shipped|hasn t shipped"
        r"|not even shipped|weeks? (?:ago|later)|days? (?:ago|late)|customs"
        r"|verspatet|verzogerung|lieferdatum|sollte (?:am|letzte|schon)|uberfallig|festhangt|hangt|unterwegs|noch nicht versendet"
        r"|nicht verschickt|zoll|seit (?:0|einer|zwei|drei) (?:tagen|wochen)"
        r"|en retard|retard|prevue? (?:pour|le)|devait (?:arriver|etre)|bloque|en transit|pas expedie|douane|depuis (?:0|une|deux|trois)"
        r"|retraso|retrasad[oa]|con retraso|tenia que llegar|fecha de entrega|en transito|retenido|atascado|no (?:lo )?han enviado|aduana"
        r"|ritardo|in ritardo|doveva arrivare|prevista|in transito|fermo|bloccato|non (?:e )?(?:ancora )?spedito|dogana",
        "遅延|遅れ|予定日|届く予定|延期|止まって|止まったまま|未発送|発送されない|輸送中|税関|延误|延迟|晚了|还没发货|没发货|没更新|卡在|海关|运输中|说好",
    ),
    "lost_or_empty": (
        "the parcel was lost, stolen or came empty",
        r"lost|stolen|empty|missing (?:package|parcel)|disappeared|vanished|only (?:got|received|one|the|half)|instead of (?:the|my)"
        r"|verloren|gestohlen|leer|verschwunden|fehlt (?:komplett|ganz)|nur (?:das|die|der|einer|ein)"
        r"|perdu|vole|vide|disparu|seul(?:e|ement)? (?:le|la|un)"
        r"|perdido|robado|vaci[oa]|desaparecido|desaparecio|solo (?:venia|llego|el|la)"
        r"|perso|rubato|vuot[oa]|sparito|solo (?:il|la|uno)",
        "紛失|盗まれ|空っぽ|空の|中身がな|だけで|消えた|丢件|丢了|被偷|空的|空箱|少了一|只到了|只有|不见了|消失",
    ),
    "wrong_item": (
        "the buyer received a different item, size, colour or model than ordered",
        r"wrong (?:item|size|colou?r|model|product|book|version|one|part|flavou?r|edition)|not what i ordered|sent (?:me )?the wrong"
        r"|instead of|different (?:model|item|product|colou?r|size)|got a size|ordered (?:a |the )?\w+ (?:but )?(?:got|received)"
        r"|falsche[rsn]? (?:artikel|grosse|farbe|modell|produkt|buch|version)|falsch geliefert|statt|anstatt|anderes modell"
        r"|mauvais(?:e)? (?:article|taille|couleur|modele|produit|livre|version)|au lieu d|pas (?:la bonne|le bon)|autre modele"
        r"|(?:articulo|talla|color|modelo|producto|libro) equivocad[oa]|en vez de|en lugar de|otro modelo|no es (?:la|el) (?:talla|modelo)"
        r"|(?:articolo|taglia|colore|modello|prodotto|libro) sbagliat[oa]|invece d|al posto d|modello diverso|altro modello",
        "違う商品|間違|別の商品|違うサイズ|色違い|型番が違|代わりに|のに.{0,12}が届|発错|发错|错了|不是我买的|换成了|不对|买的.{0,10}(?:发来|来的|收到)",
    ),
    "not_as_listed": (
        "the item differs from the listing, photo or description",
        r"not as (?:described|pictured|advertised|shown)|nothing like|doesn t match|does not match|different (?:from|than)"
        r"|(?:listing|description|picture|photo|ad) (?:says|said|shows|showed)|misleading|not like the (?:picture|photo)|smaller than"
        r"|looks nothing|supposed to be|advertised as|described as|listed as"
        r"|nicht wie (?:beschrieben|abgebildet)|anders als|entspricht nicht|laut (?:beschreibung|angebot)|irrefuhrend|nichts wie"
        r"|sieht (?:uberhaupt )?nicht (?:so )?aus wie|kleiner als"
        r"|pas conforme|non conforme|ne correspond pas|rien a voir|different de|l annonce (?:dit|indique)|trompeu(?:r|se)|plus petit que"
        r"|no corresponde|nada que ver|no se parece|diferente (?:a|de)|el anuncio dice|enganos[oa]|mas pequeno de"
        r"|non corrisponde|niente a che vedere|diverso da|l annuncio dice|ingannevole|piu piccolo di|non e come",
        "写真と違|説明と違|画像と違|イメージと違|掲載と異な|表示と違|と書いてある|記載|誤解を招|全然違|与描述不符|和图片不一样|和图片完全|"
        "跟图片|描述不符|不符|色差|误导|页面写|宣传",
    ),
    "counterfeit": (
        "the buyer says the item is fake or counterfeit",
        r"fake|counterfeit|knock ?off|replica|not (?:genuine|real|original|authentic)|bootleg|imitation"
        r"|falschung|gefalscht|nachmache|kopie|plagiat|contrefacon|faux|copie|imitation|falso|falsificad[oa]|imitacion"
        r"|contraffatt[oa]|falso|imitazione|tarocc[oa]",
        "偽物|偽造|パチモン|コピー品|本物じゃない|假货|假的|山寨|仿品|不是正品|高仿",
    ),
    "used_as_new": (
        "the item was used, opened or refurbished although sold as new",
        r"used|second ?hand|opened|resealed|re ?sealed|refurbished|pre ?owned|worn|display model|previous (?:owner|buyer)"
        r"|gebraucht|benutzt|geoffnet|getragen|generaluberholt|ausstellungsstuck|vorbesitzer"
        r"|usage|usagee|occasion|ouvert|reconditionne|porte(?:es?)?|ancien proprietaire|modele d exposition"
        r"|usad[oa]|segunda mano|abiert[oa]|reacondicionado|anterior dueno"
        r"|usat[oa]|aperto|ricondizionato|indossat[oa]|precedente proprietario",
        "中古|使用済|開封|再生品|整備品|使われて|履いた|二手|用过|旧的|拆过|翻新|穿过",
    ),
    "broken": (
        "the item arrived broken or damaged",
        r"broken|broke|damaged|damage|cracked|crack|shattered|smashed|dented|dent|torn|ripped|snapped|chipped|scratched|bent"
        r"|leak(?:s|ed|ing)?|fell apart|came apart|came off|in pieces|split"
        r"|kaputt|beschadigt|zerbrochen|gebrochen|gerissen|gesprungen|zerkratzt|delle|verbogen|ausgelaufen|abgebrochen|riss"
        r"|casse(?:e|s)?|abime(?:e|s)?|endommage(?:e|s)?|fissure(?:e)?|brise(?:e)?|raye(?:e)?|dechire(?:e)?|tordu|fuit|en morceaux"
        r"|rot[oa]s?|dañad[oa]|danad[oa]|rajad[oa]|roto|golpe|rayad[oa]|doblad[oa]|pierde agua|gotea|hecho pedazos"
        r"|rott[oa]|danneggiat[oa]|crepat[oa]|incrinat[oa]|graffiat[oa]|ammaccat[oa]|storto|perde|in frantumi|spezzat[oa]",
        "壊れ|割れ|破損|ひび|傷|へこみ|凹み|破れ|欠け|漏れ|折れ|曲が|坏了|碎|破了|裂|损坏|压扁|凹|划痕|漏|断了|摔坏",
    ),
    "not_working": (
        "the item does not work or stopped working",
        r"(?:doesn t|does not|don t|won t|will not|didn t|isn t|not) (?:work|working|turn on|charge|charging|power on|start|connect|pair)"
        r"|stopped (?:working|charging)|quit working|dead|died|faulty|defective|malfunction\w*|not working|no power|doa"
        r"|keeps (?:restarting|disconnecting|turning off)|unusable"
        r"|funktioniert nicht|geht nicht|defekt|lasst sich nicht|ladt nicht|kein strom|tot|reagiert nicht|ausgefallen"
        r"|ne (?:marche|fonctionne|s allume|charge) (?:pas|plus)|en panne|defectueux|defectueuse|hors service|ne repond pas"
        r"|no funciona|no enciende|defectuos[oa]|averiad[oa]|se estropeo|dejo de funcionar|no carga|no responde"
        r"|non funziona|non si accende|difettos[oa]|guast[oa]|non carica|smesso di funzionare|non va|non risponde",
        "動かない|故障|初期不良|不良品|電源が入らない|充電できない|反応しない|使えない|壊れた|止まった|不能用|故障|开不了机|不工作"
        "|没反应|用不了|充不进电|坏的|不亮|没声音|不能充电",
    ),
    "missing_parts": (
        "parts or accessories are missing from the box",
        r"missing (?:the )?(?:parts?|pieces?|screws?|charger|cable|accessor\w+|manual|instructions|remote|battery|adapter)"
        r"|(?:parts?|pieces?|screws?|charger|cable) (?:is |are |was |were )?missing|no (?:charger|cable|screws|instructions)"
        r"|fehl(?:t|en) (?:die )?(?:teile|schrauben|ladegerat|kabel|zubehor|anleitung|netzteil)|(?:teile|schrauben) fehlen"
        r"|manque (?:les )?(?:pieces|vis|chargeur|cable|accessoires|notice)|il manque|pieces manquantes"
        r"|falta(?:n)? (?:las |los )?(?:piezas|tornillos|cargador|cable|accesorios|manual)"
        r"|manca(?:no)? (?:i |le )?(?:pezzi|viti|caricabatterie|cavo|accessori|manuale)",
        "部品が足りない|足りない|ネジが|入っていな|入ってな|付属品がな|缺少|少了|缺|没有充电器|配件",
    ),
    "question": (
        "the buyer asks a question",
        r"how (?:do|can|long|much)|can i|could you|is (?:it|this|there)|does (?:it|this)|do you|when will|what is|what s"
        r"|kann ich|konnen sie|gibt es|wie lange|wann|ist (?:das|es)|passt das|wie kann"
        r"|est ce|puis je|pouvez vous|comment|combien|quand|vous (?:livrez|faites|avez)"
        r"|puedo|pueden|podeis|como (?:puedo|lo|hago)|cuanto|cuando|se puede|teneis"
        r"|posso|potete|come (?:faccio|posso)|quanto|quando|si puo|c e (?:nella|un)",
        "ですか|ますか|でしょうか|できますか|ありますか|教えて|吗|怎么|可以|能不能|多久|多少钱|什么时候|请问|有没有",
    ),
    "praise": (
        "the buyer is satisfied",
        r"love(?:s|d)? (?:it|this|them)|great|excellent|perfect(?:ly)?|amazing|happy|recommend|thank(?:s| you)|works (?:great|fine|well)"
        r"|as described|good (?:quality|value|product|seller)|five stars|5 stars|would buy again|well made"
        r"|super|toll|perfekt|empfehle|empfehlenswert|danke|zufrieden|top|gerne wieder|wie beschrieben|gute qualitat"
        r"|parfait|recommande|merci|genial|ravi|satisfait|conforme|tres bien|top"
        r"|excelente|perfecto|recomiendo|gracias|encanta|genial|contento|tal como|muy bien"
        r"|ottimo|perfetto|consiglio|consigliato|grazie|soddisfatto|contento|bellissimo|come descritto|molto bene|adoro",
        "最高|おすすめ|満足|ありがとう|気に入|良い|いい|素敵|リピ|很好|推荐|满意|谢谢|喜欢|不错|好用|回购|五星|好评|性价比",
    ),
    "refund_return": (
        "the buyer asks about a refund, return or exchange",
        r"refund|return(?:ed|ing|s)?|exchange|money back|return label|restocking"
        r"|erstattung|ruckerstattung|rucksendung|zuruckschicken|zuruckgeben|umtausch|tauschen|geld zuruck"
        r"|rembours\w*|retour(?:ner)?|renvoy\w*|echange\w*"
        r"|reembolso|devoluci\w+|devolver|devolvi|cambiar|cambio"
        r"|rimbors\w*|reso|restituir\w*|cambiar\w*|sostituzione",
        "返金|返品|交換|返送|退款|退货|换货|退钱|退回|补差价",
    ),
    "cancel_account_payment": (
        "the message is about cancelling, the account, payment or price",
        r"cancel\w*|account|password|log ?in|charged|charge|payment|card|subscription|prime|invoice|promo|coupon|voucher"
        r"|price|discount|expensive|cheaper|gift card|paypal|shipping (?:cost|fee)"
        r"|storn\w*|konto|passwort|abgebucht|zahlung|karte|abo|rechnung|gutschein|preis|rabatt|teuer|billiger|kundigung"
        r"|annul\w*|compte|mot de passe|debite|paiement|carte|abonnement|facture|prix|reduction|cher|code promo"
        r"|cancel\w*|cuenta|contrasena|cobrad[oa]|pago|tarjeta|suscripcion|factura|precio|descuento|caro|cupon"
        r"|annull\w*|account|addebit\w*|pagamento|carta|abbonamento|fattura|prezzo|sconto|costa|caro|coupon",
        "キャンセル|アカウント|ログイン|請求|支払|決済|引き落と|領収書|値段|値下|割引|クーポン|送料|取消|账号|登录|扣费|扣了|付款"
        "|支付|发票|价格|降价|优惠|运费|会员",
    ),
    "preference": (
        "taste, fit or style preference rather than a fault",
        r"my taste|for my taste|not my style|for me|too (?:big|small|tight|loose|sweet|bitter|spicy|salty)|runs (?:small|large|big)"
        r"|size up|changed my mind|prefer"
        r"|geschmack|nicht mein stil|zu (?:gross|klein|eng|weit|suss|bitter|scharf)|fallt (?:klein|gross)|anders uberlegt"
        r"|a mon gout|pas mon style|trop (?:grand|petit|serre|large|sucre|amer|epice)|taille (?:petit|grand)|change d avis"
        r"|mi gusto|no es mi estilo|demasiado (?:grande|pequeno|ancho|dulce|amargo|picante)|talla (?:pequeno|grande)|cambiado de opinion"
        r"|miei gusti|non e il mio stile|troppo (?:grande|piccolo|largo|dolce|amaro|piccante)|veste (?:piccolo|grande)|cambiato idea",
        "好み|好みじゃ|気が変わ|大きすぎ|小さめ|大きめ|甘すぎ|苦すぎ|辛すぎ|口味|不喜欢|偏大|偏小|太甜|太苦|太辣|不想要|风格",
    ),
}

_NEGATORS = frozenset(
    {"not", "no", "never", "isn", "wasn", "aren", "nicht", "kein", "keine", "nie", "pas", "ne", "jamais"}
    | {"non", "nessun", "niente", "nada", "tampoco", "ni"}
)
# Concepts whose cue describes a fault: a negation right before turns them into their opposite.
_NEGATABLE = frozenset(
    {"broken", "counterfeit", "used_as_new", "wrong_item", "lost_or_empty", "late", "not_working"}
)
_CJK_NEG_BEFORE = "不没未"

CONCEPTS: tuple[str, ...] = tuple(_LEXICON)
_LATIN_MARKS = re.compile(r"[\u0300-\u036f]")


@dataclass(frozen=True, slots=True)
class CueMatch:
    """One cue found in a text: its concept (``not_<concept>`` when negated) and its span in the original."""

    concept: str
    start: int
    end: int


def reason_of(concept: str) -> str:
    """Plain-language sentence for a concept (negated ones say so)."""
    if concept.startswith("not_") and concept[4:] in _LEXICON:
        return f"the buyer says it is not the case that {_LEXICON[concept[4:]][0].removeprefix('the ')}"
    return _LEXICON[concept][0] if concept in _LEXICON else concept


def _fold_char(ch: str) -> str:
    out = unicodedata.normalize("NFKC", ch).casefold()
    out = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", out))
    out = unicodedata.normalize("NFC", out)
    if len(out) != 1:
        return out[:1] if out else " "
    return out if (out.isalnum() or out in "?!") else " "


def fold(text: str) -> str:
    """Case- and accent-folded copy of ``text`` with exactly one character per input character.

    Punctuation (apostrophes included) becomes a space, so "doesn't" reads "doesn t" and "l'annonce" reads
    "l annonce"; offsets into the result are offsets into ``text``.
    """
    if len(_FOLD_TABLE) > _FOLD_TABLE_MAX:  # bounded even under text made of ever new characters
        _FOLD_TABLE.clear()
    return text.translate(_FOLD_TABLE)


class _FoldTable(dict[int, str]):
    """Code point -> folded character, filled on first sight (``str.translate`` consults ``__missing__``)."""

    def __missing__(self, cp: int) -> str:
        out = _fold_char(chr(cp))
        self[cp] = out
        return out


_FOLD_TABLE = _FoldTable()
_FOLD_TABLE_MAX = 50_000


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    latin = "|".join(f"(?P<{name}>{pat})" for name, (_, pat, _) in _LEXICON.items())
    cjk = "|".join(f"(?P<{name}>{pat})" for name, (_, _, pat) in _LEXICON.items())
    return re.compile(rf"(?<![^\W_])(?:{latin})(?![^\W_])"), re.compile(cjk)


_WIDE = re.compile("[\u3000-\U0010ffff]")


def _negated(folded: str, start: int, cjk: bool) -> bool:
    if cjk:
        return start > 0 and folded[start - 1] in _CJK_NEG_BEFORE
    before = folded[max(0, start - 24) : start].split()[-3:]
    return any(w in _NEGATORS for w in before)


def find_cues(text: str, *, folded: bool = False) -> list[CueMatch]:
    """Every cue in ``text`` (left to right) with offsets into ``text``; ``folded`` skips :func:`fold`."""
    folded_text = text if folded else fold(text)
    latin, cjk = _patterns()
    out: list[CueMatch] = []
    for pattern, is_cjk in ((latin, False), (cjk, True)):
        if is_cjk and not _WIDE.search(folded_text):
            # Every Chinese/Japanese cue needs a character at or above U+3000; without one, scanning the
            # long unanchored pattern at every position is most of the cost of a Latin-script text.
            continue
        for m in pattern.finditer(folded_text):
            concept = m.lastgroup or ""
            if concept in _NEGATABLE and _negated(folded_text, m.start(), is_cjk):
                concept = f"not_{concept}"
            out.append(CueMatch(concept, m.start(), m.end()))
    out.sort(key=lambda c: c.start)
    return out
