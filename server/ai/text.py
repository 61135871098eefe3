"""Text normalisation shared by the local analyser's rules.

Customer text arrives in any case, with accents, emoji, zero-width characters and chat-style
spelling. The rules match one canonical form: NFKC-folded, lower-case, accents removed, common
shorthand expanded. Rules are written against that form (plain ASCII, no accents).
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_QUOTES = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "´": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "«": '"',
        "»": '"',
        "–": "-",
        "—": "-",
        "\u00a0": " ",
    }
)
_REPEATS = re.compile(r"([a-z])\1{2,}")
_SPACES = re.compile(r"[ \t\r\f\v]+")

# Chat shorthand and frequent misspellings, replaced word by word.
_SHORTHAND = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "thx": "thanks",
    "ty": "thanks",
    "wat": "what",
    "whats": "what is",
    "hows": "how is",
    "cn": "can",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmw": "tomorrow",
    "tomoz": "tomorrow",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "tomorow": "tomorrow",
    "tommorow": "tomorrow",
    "tommorrow": "tomorrow",
    "tomorrw": "tomorrow",
    "2day": "today",
    "2nite": "tonight",
    "tonite": "tonight",
    "appt": "appointment",
    "appts": "appointments",
    "avail": "available",
    "availablity": "availability",
    "availabilty": "availability",
    "avaliable": "available",
    "availible": "available",
    "discout": "discount",
    "dicount": "discount",
    "disount": "discount",
    "pirce": "price",
    "prise": "price",
    "quoate": "quote",
    "qoute": "quote",
    "cuz": "because",
    "coz": "because",
    "b4": "before",
    "wk": "week",
    "wknd": "weekend",
    "hrs": "hours",
    "hr": "hour",
    "mins": "minutes",
    "emergancy": "emergency",
    "emergeny": "emergency",
    "urgant": "urgent",
    "recieve": "receive",
    "wanna": "want to",
    "gonna": "going to",
    "im": "i'm",
    "dont": "don't",
    "cant": "can't",
    "wont": "won't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "havent": "haven't",
    "youre": "you're",
}
_WORD = re.compile(r"[a-z0-9']+")


def fold(text: str) -> str:
    """The canonical form the rules match: lower-case ASCII-ish text with shorthand expanded."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text).translate(_QUOTES)
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("œ", "oe")
    text = _REPEATS.sub(r"\1\1", text)
    text = _WORD.sub(lambda m: _SHORTHAND.get(m.group(0), m.group(0)), text)
    return _SPACES.sub(" ", text).strip()


_ASIDE = re.compile(r"\([^()\n]*\)")
_SENTENCE = re.compile(r"[^.!?\n¿¡]+[.!?\n]*|[¿¡][^?!\n]*[?!]*")
_QUESTION_START = re.compile(
    r"^\W*((how|what|whats|when|where|which|who|why|cuanto|cuanta|cuando|donde|como|"
    r"combien|quand|pouvez|est-ce|avez|faites|quanto|quando|podem|wie|wann|konnen|gibt)\b|"
    r"(can|could|do|does|did|is|are|will|would|should|have|has|may|might|shall|puede|pueden|"
    r"tienen|hacen|fazem|tem|haben|ist|sind|bieten) (you|i|we|it|they|he|she|there|this|that|"
    r"these|those|your|my|our|the|a|an|anyone|someone|somebody|ustedes|usted|voces|sie|ihr)\b)"
)


def sentences(text: str) -> list[str]:
    """Split folded text into sentences, keeping their end punctuation.

    Punctuation inside a parenthesised aside ("(maybe 6?)") does not end a sentence.
    """
    text = _ASIDE.sub(lambda m: re.sub(r"[.!?]", " ", m.group(0)), text)
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def is_question(sentence: str) -> bool:
    """A question mark outside a parenthesised aside, or a sentence opening like a question."""
    plain = _ASIDE.sub("", sentence)
    return "?" in plain or bool(_QUESTION_START.match(plain))


def questions(text: str) -> list[str]:
    return [s for s in sentences(text) if is_question(s)]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def any_match(patterns: list[re.Pattern[str]], text: str) -> bool:
    return any(p.search(text) for p in patterns)


def compile_all(patterns: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]
