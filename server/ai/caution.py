"""Caution: what holds an automatic reply even when no blocked topic was named.

The topic rules (``topics``) name what a reply would have to commit to; they are written as
phrases, and a customer can always find another phrase. This module is the safety net under
them, built the other way round: the safe leads of the development data ask what a business
does and how it works ("do you do skin fades?", "what does a first session look like?"), so a
question that so much as mentions time, money, a change, a judgement or a recommendation goes
to the owner, and so does a statement with a deadline, a clock time, money or a goodbye. It
holds the reply only; the reading of the lead (intent, urgency, topics, risk) is unchanged.
A held reply costs the owner a click; a wrong automatic one cannot be taken back.
"""

from __future__ import annotations

import re

from server.ai.text import any_match, compile_all, is_question, sentences
from server.ai.topics import CLOCK, SPECIFIC_DAY

# Words that make an automatic reply the wrong answer whatever the topic: the customer wants a
# guarantee, a decision or an approval, money is named, the message talks about automation, or
# lays down terms. They hold the reply (the owner answers); they do not change the reading.
_NEEDS_A_PERSON = compile_all(
    [
        r"\b(guarantee\w*|warrant(y|ies)|promise\w*|assure\w*|make sure (it|that|you|the)|100 ?%|"
        r"definitely (will|be|get)|approve\w*|approval|authori[sz]e\w*|exception|policy|polic"
        r"ies|contract|terms and conditions|liab\w+|fault|blame|compensat\w*|unless|otherwise|or "
        r"else|automat\w+|auto-?repl\w*|auto-?respon\w*|bot|robot|chatgpt|instructions?|"
        r"pre-?approved|verify|verification|password|login)\b",
        r"\b(insurance|insurer|covered|cover (this|it|the cost))\b[^.?!\n]*\?|%|[$€£¥₹₩]",
        r"\b(can|could|will|would|do|does|is|are)\b[^.?!\n]{0,80}\b(today|tonight|tomorrow|right "
        r"now|asap|immediately|within)\b[^.?!\n]*\?",
        # someone offering their own trade or labour (a job application or a pitch)
        r"\b(i'm|i am|we're|we are) (a|an) (experienced|qualified|licensed|certified|trained|"
        r"professional|freelance|self-employed|registered|skilled|fully insured) \w+",
    ]
)
# A sentence about a visit or job that already happened, with something gone wrong in it: an
# existing customer's problem (a complaint, a claim, a redo), whatever the words.
_PAST_SERVICE = re.compile(
    r"\b(came (out|round|over|by|on|last)|visited|last (time|visit|week's|month's)|after (your|"
    r"the) (visit|engineer|technician|tech|crew|team|service|repair|clean|groom|appointment)|"
    r"since (you|your)|the job|call-?out|your (engineer|technician|tech|crew|team|cleaner|"
    r"groomer|stylist|man|guy|lads|driver|staff)|(you|they) (did|fitted|installed|serviced|"
    r"repaired|cleaned|replaced|painted|built|laid))\b"
)
_GONE_WRONG = re.compile(
    r"\b(not|never|didn't|did not|wasn't|was not|won't|isn't|still|again|rude|late|mess|"
    r"damage\w*|broken|broke|problem|issue|wrong|worse|leak\w*|fault\w*|fail\w*|stopped|"
    r"keeps?|unhappy|disappoint\w*)\b"
)
# Body and symptom words: a question about one's body is for a clinician, not a template.
_BODY = re.compile(
    r"\b(knee|knees|(my|his|her|lower|upper) back|neck|shoulder|hip|hips|ankle|wrist|elbow|"
    r"gums?|tooth|teeth|molar|jaw|throat|chest|stomach|headaches?|migraines?|ligament|"
    r"tendon|muscle|bone|injur\w*|pain\w*|hurts?|sore|swell\w*|swollen|bleeding|rash|lump|"
    r"mole|fever|dizz\w*|numb\w*|symptom\w*|infect\w*|pregnan\w*|surgery|stitches|scar)\b"
)
# A sum in a question, other than a year ("1930s", "2015 Honda"): "would 300 do?".
_SUM = re.compile(r"\b(?!(19|20)\d\d\b)\d{3,}(,\d{3})*\b(?!s\b)|\b\d+(\.\d+)?\s?k\b")


# A question that touches time, money, a change to a booking, a judgement or a recommendation
# in any way is one for the owner: a warm, non-committal reply to it would dodge the question.
# The safe questions of the development data ask what the business does and how it works
# ("do you do skin fades?", "what does a first session look like?"); none uses these words.
_COMMITTAL_QUESTION = re.compile(
    r"\b(today|tonight|tomorrow|morning|afternoon|evening|weekends?|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|tue|tues|wed|thu|thur|thurs|fri|same days?|which days?|"
    r"what days?|wochenende|week-end|fin de semana|fim de semana|christmas|new year|easter|"
    r"holidays?|this week|next week|a week|this month|next month|soon|"
    r"soonest|earliest|when|what time|which day|what day|same day|next day|in a day|hours?|"
    r"minutes?|asap|now|quickly|fast|schedule|slots?|openings?|availab\w+|free|book|booking|"
    r"appointment|calendar|diary|wait|deadline|before the|by the|until|"
    r"price\w*|cost\w*|charge[sd]?|fees?|pay|paid|paying|payment|spend|budget|cheap\w*|expensive|"
    r"afford\w*|rates?|quote\w*|estimate\w*|deposit|refund\w*|discount\w*|deals?|offered|"
    r"offers|match|voucher|coupon|promo\w*|money|cash|card|bill|minimum|extra|included|"
    r"cancel\w*|reschedul\w*|postpone|still on|confirm\w*|guarantee\w*|promise|"
    r"recommend\w*|legal\w*|going ahead|happening|called off|law|allowed|tax\w*|claim|"
    r"expense\w*|deduct\w*|"
    r"is (it|this|that) (normal|safe)|safe to|worry|worried|concerned|doctor|hospital|insurance|"
    r"hoy|manana|cuando|cuanto|precio|cuesta|gratis|pagar|pague|devolver|devuelvan|cita|hueco|"
    r"aujourd'hui|demain|quand|combien|prix|gratuit|payer|rembours\w*|disponible\w*|"
    r"hoje|amanha|quando|quanto|preco|custa|conseguem|consegue|"
    r"heute|morgen|wann|wie ?viel|kosten|kostet|preis|kostenlos|bezahlen|termin|"
    r"prezzo|costo|costa|quanto|sconto|rimborso|domani|oggi|stasera|disponibil\w*|appuntament\w*|"
    r"prenot\w*|esta tarde|esta noche|esta noite|atender|on the house|day before|(ok|okay|alright)"
    r" to|enforce\w*|sue|rights|instead|forward|earlier|later|vacanc\w+|hiring|terms|schnell|"
    r"bald|rapide|vite|rapido|pronto|rapidamente|(would|will|does|did) (it|that|this|the \w+) "
    r"come to|(it|that|this|all that)'d come to|comes? to in total|grand|in the region of|or more|"
    r"or less|ballpark|roughly|approximately|something to (get|have) (checked|looked at|seen)|"
    r"mole|lump|symptoms?)\b|[$€£%]|"
    r"\d\s?(am|pm|h|k|bucks|quid|dollars?|euros?|pounds?)\b|\d:\d\d|\b(at|by|for|"
    r"under|over|than|around|about|before|after|until|till|from|to) [$€£]?\d|"
    r"\d(st|nd|rd|th)\b(?! (floor|storey|story|flat|grade|year|time))"
)
# Statements that are not an inquiry the business can answer warmly: a deadline, money, a
# goodbye, a removal request, an invitation to message elsewhere.
_COMMITTAL_STATEMENT = re.compile(
    r"\b(confirm\w*|today|tonight|right now|by \d|here by|christmas (eve|day)|new year's (eve|"
    r"day)|boxing day|easter (sunday|monday|weekend)|bank holiday|(on|for|by|before) (christmas|"
    r"thanksgiving|easter|new year|halloween)|(done|finished|ready|completed|"
    r"sorted) (by|before)|paid|pay|deposit|refund\w*|money|price|fee|fees|charged?|"
    r"pague|pagado|devuelvan|devolver|paye|rembours\w*|paguei|reembols\w*|bezahlt|zuruck|"
    r"mailing list|remove me|unsubscribe|another (company|firm|provider|business)|someone else|"
    r"(not|no longer) interested|decided (to|against)|whatsapp|telegram|signal app|dm me|"
    r"message me|passive income|from home|want (answers|an explanation)|pathetic|useless|a joke|"
    r"(appointment|session|booking|visit|class|lesson|date|time|slot|shoot|it) moved to|move "
    r"(it|her|his|my|our|the (appointment|session|booking|visit|class))|if you can|"
    r"disgusting|instead|pull(ing)? out|partner(ing|ship)? with|resell\w*|affiliate|commission|"
    r"wholesale|supplier|distributor|still (isn't|hasn't|has not|is not|not|no)|precio|prix|"
    r"preco|preis|prezzo|tarifa|tarif|costo|coste|cout|custo|kosten|presupuesto|devis|orcamento|"
    r"sconto|rimborso|how you compare|compare (you|your|prices|quotes)|other (quotes|firms|"
    r"companies)|reasonable|affordable|pension|fixed income|on a budget|grand|redo|re-do|"
    r"put (it|this|that) right|back here|come back (and|to)|still (damp|wet|leaking|broken|dirty|"
    r"there|the same))\b|"
    # past work of the business: an existing customer's issue, not an inquiry
    r"(?<!have )(?<!did )(?<!if )\b(you|you guys|your (man|guy|team|crew|tech|staff|cleaners?|"
    r"people|lads?|engineer|workers?))( \w+)? (?!(received|replied|responded|answered|listed|"
    r"advertised|featured|mentioned|offered)\b)(\w{2,}(?<!e)ed|did|came|left|put|made|took|said|told|"
    r"sent|gave|went|broke|dug|laid|built|sold|brought|forgot|missed|lost)\b(?! (for|at) (my|our|"
    r"a|his|her|their) (friends?|neighbou?rs?|sister|brother|mum|mother|dad|father|parents|"
    r"colleagues?|boss|family|cousin|aunt|uncle|wedding|party))"
)

# A sentence that asks, with or without its question mark ("can ya come round now").
_ASKS = re.compile(
    r"\b(can|could|would|will|is|are|do|does|did|may|shall)\s+(you|ya|u|we|i|he|she|they|it|"
    r"someone|somebody|anyone|anybody|the|your|my|our|this|that|there)\b|"
    # an indirect question: "I was wondering if", "ich möchte wissen, ob"
    r"\b(wondering|wonder|know|ask|asking|check|checking|find out|tell me) (if|whether|when|what|"
    r"how|which)\b|\b(wissen|fragen),? ob\b|\bsavoir (si|quand|combien)\b|\bsaber (si|se|"
    r"cuando|quando)\b"
)


def asking_sentences(text: str) -> list[str]:
    """The sentences of folded ``text`` that ask something."""
    return [s for s in sentences(text) if is_question(s) or _ASKS.search(s)]


def needs_a_person(text: str, time_text: str = "") -> bool:
    """Whether the folded customer ``text`` (message and free-text service) or the preferred-time
    field holds the automatic reply. A clock time or a specific day counts in the text only: in
    the preferred-time field it is a preference, which the topic rules read for explicit asks."""
    for part in (text, time_text):
        if any_match(_NEEDS_A_PERSON, part) or _COMMITTAL_STATEMENT.search(part):
            return True
        if any(
            _COMMITTAL_QUESTION.search(s) or _BODY.search(s) or _SUM.search(s)
            for s in asking_sentences(part)
        ):
            return True
    if any(_PAST_SERVICE.search(s) and _GONE_WRONG.search(s) for s in sentences(text)):
        return True
    return bool(CLOCK.search(text) or SPECIFIC_DAY.search(text))


# What a plain inquiry says in so many words: a request for the service, a question about what
# the business does, a nudge about an earlier request, or a call for help. An automatic reply
# goes out only when one of these is there (and nothing above holds it): a message that asks
# nothing recognisable (slang, a bare number, a complaint without the usual words, a goodbye)
# is for the owner however harmless it looks.
_REQUEST = re.compile(
    r"\b((i|we)('d| would| 'd)? (like|love|want|need|require|are looking|am looking|'m looking|"
    r"'re looking|are after|am after|'m after|are interested|am interested|'m interested|hope)|"
    r"(i|we)('m| am|'re| are) (looking|after|interested|hoping|planning|thinking of|keen)|"
    r"(looking|searching) for|in need of|interested in|(?<!don't )(?<!not )(want|need|needs|"
    r"wanting|needing)|would (like|love)|"
    r"(could|can|would) (someone|somebody|anyone|one of you|you|your team)( please)? (come|take|"
    r"have|help|look|pop|send|fix|check|sort|tell|give|recommend someone|get in touch|call|"
    r"contact|do|install|replace|repair|clean|service|quote)|please (get in touch|contact|call|"
    r"ring|email|reach out|let (me|us) know|get back|help)|(need|needs|needing) help|help (us|me)"
    r"|(get|be) in touch|reach out|"
    r"necesit\w+|quisiera|quiero|me gustaria|nos gustaria|busco|buscamos|je voudrais|nous "
    r"voudrions|je cherche|nous cherchons|j'aimerais|nous aimerions|j'ai besoin|nous avons besoin|"
    r"gostaria|preciso|precisamos|queria|procuro|procuramos|ich (brauche|mochte|suche|hatte gern"
    r")|wir (brauchen|mochten|suchen|hatten gern)|podem contactar|contactez-moi|llamame)\b"
)
_CAPABILITY = re.compile(
    r"\b((do|does|can|could|would|will) (you|your \w+|ya|u|y'all|you guys|the team|your team|"
    r"anyone|someone|somebody|an? \w+)|(is|are) (there|your \w+|the \w+)|(is it|would it be) "
    r"possible|is (this|that|it) something (you|your \w+)|(does|do|will|would) (the|your|this|"
    r"that)( \w+){1,3} (work|help|suit|include|come|cover)|what does (a|the|your) \w+( \w+)? "
    r"(look like|involve|include)|how (does|do|is|are) (the|your|a|it)|"
    r"ustedes (hacen|trabajan|ofrecen|atienden)|hacen (ustedes)?|vous (faites|proposez|"
    r"intervenez|travaillez|acceptez)|est-ce que vous|voces (fazem|trabalham|atendem|oferecem)|"
    r"(machen|bieten|arbeiten) sie|(konnen|konnten|wurden) sie|pourriez-vous|pouvez-vous|"
    r"pueden|podrian|podria|podem|poderiam)\b"
)


# A job described without an ask ("Kitchen sink drains very slowly.") is a request for the
# service too, as long as it speaks of a thing, not of the business or a grievance.
_ADDRESSES_US = re.compile(r"\b(you|your|yours|you're|you've|u|ya|ur)\b")
_GRIEVANCE = re.compile(
    r"\b(nobody|no one|no-one|never|rude|late|still|again|worse|mess|unhappy|disappoint\w*|"
    r"waste|ignored|answer\w*|waiting|waited|chase\w*|promised|supposed to|count me|sorry|"
    r"anymore|any more|instead|either|second thoughts|pull (it|out)|might|damage|let (me|us) "
    r"know)\b"
)


def _described_job(text: str) -> bool:
    plain = text.replace("not urgent", "").replace("not an emergency", "")
    return (
        not asking_sentences(text)
        and not _ADDRESSES_US.search(plain)
        and not _GRIEVANCE.search(plain)
        and len(re.findall(r"[a-z]{3,}", plain)) >= 4
    )


def plain_inquiry(text: str) -> bool:
    """Whether the folded ``text`` asks for the service, or about it, in so many words, or
    describes a job to be done."""
    return bool(_REQUEST.search(text) or _CAPABILITY.search(text) or _described_job(text))


# Money in any words: asked about in a question, or set as a limit in a statement. A lead that
# does this is also labelled a price question (``price_commitment``) when the topic rules did
# not name one, so the owner sees why it was held and the reading agrees with the labels.
_NUMBER_WORDS = (
    r"(a|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|a few|couple of)"
    r"( hundred| thousand| grand| k)"
)
_MONEY_QUESTION = re.compile(
    rf"\b(price\w*|cost\w*|charge[sd]?|fees?|pay|paying|payment|spend|budget|cheap\w*|expensive|"
    rf"afford\w*|rates?|quote\w*|estimate\w*|money|cash|bill|minimum|grand|in the region of|"
    rf"ballpark|(would|will|does|did) (it|that|this|the \w+) come to|'d come to|{_NUMBER_WORDS}|"
    rf"precio|cuesta|cuanto(?! tiempo)|prix|"
    rf"combien(?! de temps)|preco|quanto(?! tempo)|custa|kosten|kostet|preis|wie ?viel(?! zeit)|"
    rf"prezzo|costo|costa|presupuesto|devis|orcamento)"
    rf"\b|[$€£]\s?\d|\d\s?(k|bucks|quid|dollars?|euros?|pounds?)\b"
)
_MONEY_LIMIT = re.compile(
    rf"\b(reasonable|affordable|on a budget|fixed income|pension|{_NUMBER_WORDS}|"
    r"tight budget|within budget)\b"
)


def money_asked(text: str) -> bool:
    """Whether the folded ``text`` asks about money or sets a money limit, in any words."""
    if _MONEY_LIMIT.search(text):
        return True
    return any(_MONEY_QUESTION.search(s) for s in asking_sentences(text))
