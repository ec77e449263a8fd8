"""Phrase patterns per rule and language (matched case-insensitively on NFKC-normalised text)."""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CLOSING",
    "ENJOY",
    "GREETING",
    "MARKETING",
    "OFF_AMAZON",
    "OFF_AMAZON_CASED",
    "SAME_SENTENCE",
    "SHIPPED",
    "THANKS",
    "Phrase",
    "compile_phrases",
]

Phrase = tuple[str, re.Pattern[str]]


def compile_phrases(table: dict[str, tuple[str, ...]], flags: int = re.IGNORECASE) -> tuple[Phrase, ...]:
    return tuple(
        (lang, re.compile(unicodedata.normalize("NFKC", p), flags)) for lang, ps in table.items() for p in ps
    )


SAME_SENTENCE = r"[^.!?。！？\n]"  # any character within the same sentence

MARKETING = compile_phrases(
    {
        "en": (
            r"\bdiscounts?\b",
            r"\b\d{1,2}\s?%\s?off\b",
            r"\bsave\s+\d{1,2}\s?%",
            r"\bcoupons?\b",
            r"\bpromo(?:tion(?:al)?)?\s*codes?\b",
            r"\bpromotions?\b",
            r"\bpromotional\b",
            r"\bvoucher\s*codes?\b",
            r"\b(?:special|exclusive|limited|great|best)\s+(?:offers?|deals?)\b",
            r"\blimited[- ]time\b",
            r"\b(?:on|big|clearance|flash|seasonal)\s+sale\b",
            r"\bcheck\s+out\s+(?:our|my)\b",
            r"\bour\s+other\s+(?:products|items|listings|brands?)\b",
            r"\bnew\s+(?:collection|arrivals?|product\s+(?:line|range))\b",
            r"\bnewsletters?\b",
            r"\bfollow\s+us\b",
            r"\bsubscribe\b",
            r"\b(?:visit|browse|explore)\s+(?:our|my)\s+(?:store|shop|storefront|brand\s+store|catalog(?:ue)?)\b",
            r"\b(?:shop|buy)\s+now\b",
            r"\byou\s+(?:might|may|will)\s+also\s+(?:like|love|enjoy)\b",
            r"\bloyalty\s+(?:program|programme|club|card|points)\b",
            r"\bbest[- ]?sellers?\b",
        ),
        "de": (
            r"\brabatt(?:e|code|aktion)?\b",
            r"\b\d{1,2}\s?%\s?(?:rabatt|nachlass)\b",
            r"\bgutschein(?:e|code)?\b",
            r"\baktionscode\b",
            r"\bsonderangebot(?:e)?\b",
            r"\b(?:exklusive[snm]?|besondere[snm]?)\s+angebot(?:e)?\b",
            r"\bunsere[nm]?\s+(?:anderen|weiteren|übrigen)\s+(?:produkte|artikel|angebote)\b",
            r"\bneuen?\s+kollektion\b",
            r"\bneuheiten\b",
            r"\bnewsletter\b",
            r"\bfolgen\s+sie\s+uns\b",
            r"\babonnieren\b",
            r"\bim\s+sale\b",
            r"\bschnäppchen\b",
            r"\btreue(?:programm|punkte|rabatt)\b",
            r"\bbesuchen\s+sie\s+unse(?:ren|re|rn)\s+(?:shop|store|markenshop|online-?shop|sortiment)\b",
            r"\bjetzt\s+(?:kaufen|zugreifen|shoppen)\b",
        ),
        "fr": (
            r"\bcodes?\s+promo(?:tionnel)?s?\b",
            r"\bpromotions?\b",
            r"\bremise\s+(?:de\s+)?\d{1,2}\s?%",
            r"\b\d{1,2}\s?%\s+de\s+(?:remise|réduction)\b",
            r"\b(?:bon|code|coupon)s?\s+de\s+réduction\b",
            r"\bréduction\s+de\s+\d",
            r"\boffres?\s+(?:spéciale|exclusive|promotionnelle)s?\b",
            r"\bnos\s+autres\s+(?:produits|articles)\b",
            r"\bnouvelle\s+collection\b",
            r"\bnouveautés\b",
            r"\blettre\s+d['’]information\b",
            r"\bsuivez[- ]nous\b",
            r"\babonnez[- ]vous\b",
            r"\bsoldes\b",
            r"\b(?:visitez|découvrez)\s+(?:notre|nos)\s+(?:boutique|magasin|gamme|produits|collection)\b",
            r"\bprogramme\s+de\s+fidélité\b",
        ),
        "es": (
            r"\bdescuentos?\b",
            r"\bcup[oó]n(?:es)?\b",
            r"\bc[oó]digos?\s+promocional(?:es)?\b",
            r"\bpromoci(?:ón|on|ones)\b",
            r"\bofertas?\s+(?:especial|exclusiva|limitada)(?:es|s)?\b",
            r"\bnuestros\s+otros\s+(?:productos|artículos)\b",
            r"\bnueva\s+colecci[oó]n\b",
            r"\bbolet[ií]n\b",
            r"\bs[ií]g(?:anos|uenos)\b",
            r"\bsuscr[ií]b(?:ase|ete)\b",
            r"\brebajas\b",
            r"\bvisit[ae]\s+nuestra\s+tienda\b",
        ),
        "it": (
            r"\bscont[oi]\b",
            r"\bcodic[ei]\s+(?:promozional[ei]|sconto)\b",
            r"\bpromozion[ei]\b",
            r"\boffert[ae]\s+(?:special[ei]|esclusiv[ae]|limitat[ae])\b",
            r"\bnostri\s+altri\s+(?:prodotti|articoli)\b",
            r"\bnuova\s+collezione\b",
            r"\bseguic[ie]\b",
            r"\biscriviti\b",
            r"\bvisit[ai]\s+il\s+nostro\s+(?:negozio|store|shop)\b",
        ),
        "ja": (
            r"割引",
            r"クーポン",
            r"セール",
            r"キャンペーン",
            r"プロモーション",
            r"新商品(?:のご案内|が登場|を発売)",
            r"新作",
            r"新コレクション",
            r"メルマガ",
            r"メールマガジン",
            r"ニュースレター",
            r"フォロー(?:してください|を?お願い|していただ)",
            r"(?:他|ほか)の(?:商品|製品)",
            r"ストア(?:ページ)?を(?:ご覧|チェック)",
            r"ポイント還元",
            r"お得な",
            r"特別(?:価格|オファー)",
            r"限定(?:価格|セール|オファー)",
        ),
        "zh": (
            r"折扣",
            r"优惠",
            r"促销",
            r"打折",
            r"新品(?:上市|上架|推荐)",
            r"新系列",
            r"关注我们",
            r"订阅",
            r"(?:其他|其它)(?:产品|商品)",
            r"(?:访问|逛逛|光临)(?:我们的)?(?:店铺|商店|网店)",
            r"限时",
            r"特价",
            r"满减",
            r"代金券",
        ),
    }
)

OFF_AMAZON = compile_phrases(
    {
        "any": (
            r"\bwhats\s?app\b",
            r"\btelegram\b",
            r"\bwe\s?chat\b",
            r"\bviber\b",
            r"\bskype\b",
            r"\bfacebook\b",
            r"\binstagram\b",
            r"\btik\s?tok\b",
            r"\btwitter\b",
            r"\bmessenger\b",
            r"\bkakao(?:talk)?\b",
            r"\bsignal\s+app\b",
            r"\bsnapchat\b",
            r"\bpinterest\b",
            r"\byoutube\b",
            r"\bline\s+(?:id|app)\b",
        ),
        "en": (
            r"\b(?:call|phone|ring|text|sms)\s+us\b",
            r"\bgive\s+us\s+a\s+(?:call|ring)\b",
            r"\bour\s+(?:official\s+)?(?:web\s?site|homepage|online\s+(?:shop|store)|hotline|(?:tele)?phone\s+number)\b",
            r"\b(?:e-?mail|write\s+to)\s+us\s+(?:at|on|directly)\b",
            r"\bsend\s+us\s+an?\s+e-?mail\b",
            r"\b(?:outside|off)\s+(?:of\s+)?amazon\b",
            r"\bcontact\s+us\s+directly\s+(?:at|on|via|by)\b",
            r"\bsocial\s+media\b",
        ),
        "de": (
            r"\brufen\s+sie\s+uns\b",
            r"\b(?:kontaktieren|erreichen)\s+sie\s+uns\s+(?:telefonisch|per\s+telefon|direkt\s+(?:unter|per|über))",
            r"\bunsere[rnm]?\s+(?:web(?:seite|site)|homepage|internetseite|hotline|telefonnummer|online-?shop)\b",
            r"\b(?:schreiben|senden)\s+sie\s+uns\s+(?:direkt\s+)?eine\s+e-?mail\b",
            r"\bper\s+e-?mail\s+an\s+uns\b",
            r"\baußerhalb\s+von\s+amazon\b",
            r"\bsozialen\s+medien\b",
        ),
        "fr": (
            r"\b(?:appelez|téléphonez)[- ]nous\b",
            r"\bcontactez[- ]nous\s+(?:au|par\s+téléphone|directement)\b",
            r"\bnotre\s+site\s+(?:web|internet)\b",
            r"\bsur\s+notre\s+site\b",
            r"\bnotre\s+(?:boutique\s+en\s+ligne|hotline|numéro\s+de\s+téléphone)\b",
            r"\benvoyez[- ]nous\s+un\s+(?:e-?mail|courriel|mail)\b",
            r"\ben\s+dehors\s+d['’]amazon\b",
            r"\bréseaux\s+sociaux\b",
        ),
        "es": (
            r"\bll[aá]m(?:enos|anos)\b",
            r"\bnuestr[ao]\s+(?:p[aá]gina\s+web|sitio\s+web|web|tienda\s+online|tel[eé]fono)\b",
            r"\b(?:escr[ií]b(?:anos|enos)|env[ií](?:enos|anos))\s+un\s+(?:correo|e-?mail)\b",
            r"\bfuera\s+de\s+amazon\b",
            r"\bredes\s+sociales\b",
            r"\bcont[aá]ct(?:enos|anos)\s+directamente\b",
        ),
        "it": (
            r"\bchiam(?:aci|ateci)\b",
            r"\bci\s+chiami\b",
            r"\btelefonarci\b",
            r"\bil\s+nostro\s+(?:sito(?:\s+web|\s+internet)?|negozio\s+online|numero\s+di\s+telefono)\b",
            r"\b(?:scriv|invi)(?:ici|ateci)\s+(?:una\s+|un['’]\s*)(?:e-?mail|mail)\b",
            r"\bal\s+di\s+fuori\s+di\s+amazon\b",
            r"\bsocial\s+(?:network|media)\b",
            r"\bcontattaci\s+direttamente\b",
        ),
        "ja": (
            r"お電話(?:ください|下さい|にて|で(?:お問い合わせ|ご連絡))",
            r"(?:弊社|当社|当店)の?(?:電話|ホームページ|ウェブサイト|公式サイト|サイト|メールアドレス)",
            r"公式(?:サイト|ホームページ|LINE|アカウント)",
            r"(?:Amazon|アマゾン)(?:外|以外)での?(?:ご連絡|連絡|やり取り|取引)",
            r"直接(?:メール|電話|お電話)",
            r"(?<![A-Za-z])SNS(?![A-Za-z])",
            r"インスタ",
        ),
        "zh": (
            r"微信",
            r"加我",
            r"(?:请|欢迎)(?:致电|来电|打电话)",
            r"(?:致电|打电话给)我们",
            r"电话联系",
            r"官网",
            r"我们的(?:网站|网店|电话)",
            r"私下(?:联系|交易)",
            r"(?:亚马逊|Amazon)(?:以外|之外|站外)",
            r"社交媒体",
            r"联系电话",
        ),
    }
)

# Brand names written in capitals only: "LINE" the messenger, "QQ"; the lower-case words are ordinary.
OFF_AMAZON_CASED = compile_phrases(
    {"any": (r"(?<![A-Za-z])LINE(?![A-Za-z])", r"(?<![A-Za-z])QQ(?![A-Za-z])")}, 0
)

THANKS = re.compile(
    r"\b(?:thank|thanks|danke|dank|merci|gracias|grazie)\b|ありがと|感谢|谢谢|多谢", re.IGNORECASE
)
GREETING = re.compile(
    r"^\W*(?:hello|hi|dear|hallo|guten\s+tag|sehr\s+geehrte[rs]?|liebe[rs]?|bonjour|bonsoir|madame|monsieur|"
    r"hola|estimad[oa]s?|buenos\s+d[ií]as|buongiorno|gentile|car[oa]|salve)\b|様|こんにちは|您好|你好|亲爱的",
    re.IGNORECASE,
)
CLOSING = re.compile(
    r"\b(?:regards|sincerely|cheers|best\s+wishes|mit\s+freundlichen\s+grüßen|viele\s+grüße|beste\s+grüße|"
    r"cordialement|bien\s+à\s+vous|saludos|atentamente|cordiali\s+saluti|distinti\s+saluti)\b|"
    r"よろしくお願い|敬具|此致|祝好|顺祝",
    re.IGNORECASE,
)
SHIPPED = re.compile(
    r"\b(?:has|have)\s+(?:been\s+)?(?:shipped|dispatched)\b|\bis\s+on\s+(?:its|the)\s+way\b|"
    r"\bwurde\s+(?:versandt|verschickt)|\bist\s+unterwegs\b|\ba\s+été\s+(?:expédiée?|envoyée?)|"
    r"\bha\s+sido\s+enviado|\bè\s+stato\s+spedito|発送(?:しました|いたしました|致しました)|已发货|已经发货",
    re.IGNORECASE,
)
ENJOY = re.compile(
    r"\benjoy\s+your\b|\bviel\s+spaß\b|\bprofitez\s+bien\b|\bdisfrute\b|お楽しみ|祝您使用愉快|\bhope\s+you\s+(?:like|love)\b",
    re.IGNORECASE,
)
