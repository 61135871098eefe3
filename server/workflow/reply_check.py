"""The gate's content check: what an automatic reply may not say (deny by default).

With a hosted model every other gate input comes from the model, so a prompt injection that
succeeds leaves this check as the last barrier. After Unicode normalisation (NFKC, accents and
look-alike letters folded, spelled-out dots undone) a reply may contain no number, sum, date,
weekday, month, clock time, relative day, link or domain, e-mail address or phone number, unless
that exact token is in the business's own profile (name, phone, address, contact e-mail, facts).
Each problem names the offending token, so the owner sees why the reply was held.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from server.ai.text import fold

MAX_REPLY_CHARS = 1200

# Letters that look like Latin ones (Cyrillic, Greek), and dots that are not full stops.
_LOOKALIKES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "к": "k",
        "м": "m", "т": "t", "в": "b", "н": "h", "α": "a", "ε": "e", "ι": "i", "κ": "k",
        "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c",
        "。": ".", "｡": ".", "․": ".", "‧": ".", "∙": ".", "⋅": ".", "٫": ".", "︒": ".",
    }
)  # fmt: skip
_TLDS = (
    "com|net|org|info|biz|io|co|xyz|top|ru|cn|de|uk|fr|es|it|nl|eu|us|ca|au|in|me|app|dev|"
    "site|online|shop|store|club|live|link|click|page|tk|ml|ga|cf|gq|pw|cc|ly|gl|su|br|pt|"
    "mx|ar|example|test|pl|ch|at|be|se|no|dk|fi|ie|nz|za|ws|to|tv|gg|sh|ai|so|vip|win|bid"
)
_SPELLED_DOT = re.compile(
    r"\s*[\[\(\{<]\s*(?:dot|punto|point|punkt|ponto|\.)\s*[\]\)\}>]\s*"
    rf"|\s+(?:dot|d0t|punto|punkt|ponto)\s+(?=(?:{_TLDS})\b)"
)
# "evil . com": a space before the dot (a sentence's full stop has none before it).
_SPACED_DOT = re.compile(rf"\s+\.\s*(?=(?:{_TLDS})\b)")
_SPELLED_AT = re.compile(r"\s*[\[\(\{<]\s*(?:at|arroba|@)\s*[\]\)\}>]\s*")
# ``fold`` shortens letter runs to two, so "www." arrives as "ww.".
_LINK = re.compile(r"\b(?:https?|hxxps?|ftp)\b(?::/{0,2}\S*)?|\bw{2,3}\.\S*", re.IGNORECASE)
_EMAIL = re.compile(r"[^\s@<>()\[\]\"',;:]{1,64}@[^\s@<>()\[\]\"',;:]{1,255}")
_HANDLE = re.compile(r"(?<!\S)@[a-z0-9_.]{2,}")
_DOMAIN = re.compile(
    r"(?<![\w@.-])[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24}\b(?:/\S*)?"
)
# A run of digits and the separators inside numbers, dates, times and phone numbers; a space
# joins only when a digit follows, and each repeat consumes a character, so this is linear.
_NUMBER = re.compile(
    r"\+?\d(?:[\d().,:/'\-]|\s(?=[\d(]))*(?:\s?(?:%|[ap]\.?m\b\.?|st\b|nd\b|rd\b|th\b))?"
)
_MONEY = re.compile(
    r"[$€£¥₹₩₽¢₺₪฿₫₱]|\b(?:usd|eur|gbp|cad|aud|nzd|chf|jpy|inr|zar|mxn|brl|sek|nok|dkk|pln)\b|"
    r"\b(?:dollars?|euros?|pounds?|bucks|quid|cents?|pence|reais|pesos|francs?|yen|"
    r"rupees?|centimos?|centimes?)\b|\bper ?cent\b|\bpercent\b|\bpour ?cent\b|\bpor ?ciento\b|"
    r"\bpor ?cento\b|\bprozent\b"
)
_WORDS: dict[str, str] = {}
for _label, _words in (
    (
        "a number",
        "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
        "fifty sixty hundred thousand dozen half tres cuatro cinco seis siete ocho nueve diez "
        "veinte treinta cien cientos mil deux trois quatre cinq sept huit neuf dix vingt trente "
        "cent mille zwei drei vier funf sechs sieben acht neun zehn zwanzig dreissig hundert "
        "tausend halbe dois duas quatro sete oito nove dez vinte trinta cem",
    ),
    (
        "a weekday",
        "monday tuesday wednesday thursday friday saturday sunday tue tues wed thu thur "
        "thurs fri sat lunes martes miercoles jueves viernes sabado domingo lundi mardi "
        "mercredi jeudi vendredi samedi dimanche montag dienstag mittwoch donnerstag freitag "
        "samstag sonntag segunda terca quarta quinta sexta",
    ),
    (
        "a month",
        "january february march april june july august september october november december "
        "jan feb apr jun jul aug sep sept oct nov dec enero febrero marzo abril mayo junio "
        "julio agosto septiembre setiembre octubre noviembre diciembre janvier fevrier mars "
        "avril mai juin juillet aout septembre octobre novembre decembre januar februar marz "
        "juni juli oktober dezember janeiro fevereiro marco maio junho julho setembro outubro "
        "novembro dezembro",
    ),
    (
        "a time",
        "noon midday midnight oclock o'clock mediodia medianoche midi minuit mittag "
        "mitternacht uhr meio-dia meia-noite",
    ),
    (
        "a day",
        "today tonight tomorrow tmrw yesterday weekend week-end hoy manana ayer aujourd'hui "
        "demain soir heute morgen ubermorgen gestern wochenende hoje amanha ontem",
    ),
):
    _WORDS.update(dict.fromkeys(_words.split(), _label))
_WORD = re.compile(r"[a-z][a-z'\-]*")
# Phrases that name a day without a listed word ("next week", "la semana que viene").
_DAY_PHRASES = re.compile(
    r"\b(?:this|next|coming) (?:week|month|year|morning|afternoon|evening)\b|"
    r"\b(?:esta|la proxima|proxima|la) semana(?: que viene)?\b|\bsemaine prochaine\b|"
    r"\bfin de semana\b|\bfim de semana\b|\bce soir\b|"
    r"\bcette semaine\b|\bnachste woche\b|\bdiese woche\b|\besta semana\b|"
    r"\bin (?:a|an|one|two|three|a few|\d+) (?:hours?|days?|weeks?)\b|\bright away\b|"
    r"\bwithin (?:the|an|a) (?:hour|day|week)\b"
)
_GREETINGS = ("guten morgen", "good morning")
_COMMITMENT = re.compile(
    r"\b(guarantee\w*|guaranty|confirmed|confirming your|we confirm|booked you|you('re| are) "
    r"booked|have booked|reserved (for )?you|your (appointment|booking|slot) (is|has been)|"
    r"all set|discount\w*|refund\w*|reimburs\w*|free of charge|no charge|at no cost|for free|"
    r"complimentary|promo(tion)? ?codes?|coupons?|vouchers?|waive\w*|price match\w*|"
    r"see you (on|at|tomorrow|today|tonight|this|next)|we will be there|we'll be there|"
    r"we can (come|be there|make it)|garantiz\w*|garanti\w*|confirmad[oa]|confirme\w*|"
    r"bestatigt|descuento|desconto|reembolso|reduction|remboursement|rabatt|ruckerstattung|"
    r"gratis|gratuit\w*|kostenlos)\b"
)


def normalise(text: str) -> str:
    """The reply as the check reads it: folded (NFKC, lower case, no accents or invisible
    characters), look-alike letters made Latin, spelled-out dots and at-signs undone."""
    folded = fold(text).translate(_LOOKALIKES)
    folded = _SPACED_DOT.sub(".", _SPELLED_DOT.sub(".", folded))
    return _SPELLED_AT.sub("@", folded)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _host_allowed(host: str, allowed_hosts: Iterable[str]) -> bool:
    host = host.lower().strip(".").removeprefix("www.")
    for allowed in allowed_hosts:
        allowed = allowed.lower().strip(".").removeprefix("www.")
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return True
    return False


def _phone_allowed(digits: str, business_phones: Iterable[str]) -> bool:
    for phone in business_phones:
        own = _digits(phone)
        if len(own) >= 7 and (digits.endswith(own[-9:]) or own.endswith(digits)):
            return True
    return False


class _Profile:
    """The business's own words: a token found here may appear in an automatic reply."""

    def __init__(
        self,
        texts: Iterable[str],
        emails: Iterable[str],
        phones: Iterable[str],
        hosts: Iterable[str],
    ) -> None:
        self.emails = {normalise(e).strip() for e in emails if e and e.strip()}
        self.phones = tuple(p for p in phones if p)
        folded = [normalise(t) for t in (*texts, *self.emails, *self.phones) if t]
        self.text = "\n".join(folded)
        self.words = set(_WORD.findall(self.text))
        self.numbers = {_digits(m.group(0)) for t in folded for m in _NUMBER.finditer(t)}
        self.hosts = (*hosts, *(e.rpartition("@")[2] for e in self.emails))

    def has_number(self, token: str) -> bool:
        digits = _digits(token)
        if digits in self.numbers:
            return True
        return len(digits) >= 7 and _phone_allowed(digits, self.phones)

    def has_host(self, host: str) -> bool:
        return _host_allowed(host, self.hosts) or host in self.text


def reply_content_problems(
    reply: str,
    *,
    business_emails: Iterable[str] = (),
    business_phones: Iterable[str] = (),
    allowed_hosts: Iterable[str] = (),
    profile: Iterable[str] = (),
) -> list[str]:
    """What makes ``reply`` unfit to send unseen, each naming its token (empty when fine)."""
    text = reply or ""
    if not text.strip():
        return ["the reply is empty"]
    problems: list[str] = []
    if len(text) > MAX_REPLY_CHARS:
        problems.append(f"the reply is longer than {MAX_REPLY_CHARS} characters")
    own = _Profile(profile, business_emails, business_phones, allowed_hosts)
    rest = normalise(text)

    def found(what: str, token: str) -> None:
        problem = f'it gives {what} ("{token.strip()}")'
        if problem not in problems:
            problems.append(problem)

    for match in _EMAIL.finditer(rest):
        if match.group(0).rstrip(".") not in own.emails:
            found("an e-mail address", match.group(0))
    rest = _EMAIL.sub(" ", rest)
    for match in _LINK.finditer(rest):
        url = match.group(0)
        host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
        if not (host and own.has_host(host)):
            found("a link", url)
    rest = _LINK.sub(" ", rest)
    for match in _DOMAIN.finditer(rest):
        if not own.has_host(match.group(0).split("/", 1)[0]):
            found("a web address", match.group(0))
    rest = _DOMAIN.sub(" ", rest)
    for match in _HANDLE.finditer(rest):
        found("an account name", match.group(0))
    for match in _NUMBER.finditer(rest):
        token = match.group(0).rstrip(".,:/-'")
        if not own.has_number(token):
            found("a phone number" if len(_digits(token)) >= 7 else "a number", token)
    for match in _MONEY.finditer(rest):
        if match.group(0) not in own.words and match.group(0) not in own.text:
            found("a price", match.group(0))
    scan = rest
    for greeting in _GREETINGS:
        scan = scan.replace(greeting, " ")
    for match in _DAY_PHRASES.finditer(scan):
        found("a time", match.group(0))
    for word in _WORD.findall(scan):
        label = _WORDS.get(word)
        if label and word not in own.words:
            found(label, word)
    commitment = _COMMITMENT.search(rest)
    if commitment:
        problems.append(f'it promises what only the owner can ("{commitment.group(0)}")')
    return problems
