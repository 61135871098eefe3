"""Blocked-topic rules: what a reply would have to commit to in order to answer the customer.

Each rule reads folded text (see ``server.ai.text.fold``). The rules follow the labelling rules
of the development data: a price *question* anywhere blocks, a described job does not; asking
to confirm or change a slot blocks, mentioning a preferred day does not; any talk of money back
blocks; advice about one's own symptoms, case or finances blocks, procedural questions do not.
"""

from __future__ import annotations

import re

from server.ai.text import any_match, compile_all, questions, sentences
from shared.models.enums import BlockedTopic

MONEY = re.compile(
    r"[$€£¥₹₩]\s?\d|\d\s?[$€£¥₹₩]|\b(?<![\d,.])\d[\d,.]*\s?(k\s)?(usd|eur|gbp|cad|aud|dollars?|euros?|bucks|"
    r"quid|pounds?|reais|pesos|francs?)\b"
)  # a number is read from where it starts (not from each of its digits: quadratic on "1.1.1.")
_WEEKDAY = (
    r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|"
    r"thurs|fri|sat|sun)s?"
)
_WEEKDAY_INTL = (
    r"(lunes|martes|miercoles|jueves|viernes|sabado|domingo|lundi|mardi|mercredi|jeudi|"
    r"vendredi|samedi|dimanche|segunda|terca|quarta|quinta|sexta|montag|dienstag|mittwoch|"
    r"donnerstag|freitag|samstag|sonntag)"
)
_MONTH = (
    r"(january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)"
)
CLOCK = re.compile(
    r"\b\d{1,2}(:\d{2})?\s?(am|pm|a\.m\.|p\.m\.|h|uhr|o'clock)\b|\b\d{1,2}[:h]\d{2}\b|"
    r"\b(at|around|by|um|vers|a las|as|from)\s\d{1,2}(:\d{2})?(?=\s*$|\s*[?.!,;)]|\s(and|or|to|"
    r"tomorrow|today|tonight|on|this|next|in the|sharp|please|if))|\b(noon|midday|midnight|"
    r"mediodia|midi)\b"
)
SPECIFIC_DAY = re.compile(
    rf"\b(today|tonight|tomorrow|this (morning|afternoon|evening)|"
    rf"(this|next|on|coming|this coming) {_WEEKDAY}\b|{_WEEKDAY} the \d|"
    rf"{_MONTH} \d{{1,2}}(st|nd|rd|th)?\b|\d{{1,2}}(st|nd|rd|th)? (of )?{_MONTH}\b|"
    rf"the \d{{1,2}}(st|nd|rd|th)\b(?! (floor|storey|story|flat|house|grade|year|time|door))|"
    rf"\b\d{{1,2}}/\d{{1,2}}\b|"
    rf"hoy|(?<!la )manana(?!s)|aujourd'hui|demain|ce soir|hoje|amanha|heute|(?<!guten )(?<!am )mor"
    rf"gen|"
    rf"(este|el|ce|le|neste|na|no|am|diesen|nachsten) {_WEEKDAY_INTL})\b"
)

_PRICE = compile_all(
    [
        r"\bhow much\b(?! (time|longer|notice|experience|space|room|of (the|my|your)))",
        r"\b(what|how) (do|does|would|will|did) (you|it|that|this|they|one)( \w+){0,6} (charge|cos"
        r"t|run)\b",
        r"\b(price|prices|priced|pricing|pricelist|costs?|costing|quotes?|quotation|estimates?|"
        r"ballpark|rates?|fees?|tariffs?|packages?|financing|finance options|payment plans?|budget"
        r")\b",
        r"\b(charge|charges|afford|affordable|cheap|cheapest|expensive|pricey|pay for|installments"
        r"?|"
        r"instalments?)\b|\bwhat('s| is) the damage\b|\bwhat (are|am) (we|i) looking at\b|"
        r"\bwhat (would|will|do|does|should) (i|we|it) (be )?pay(ing)?\b",
        r"\bfree of charge\b|\bno charge\b|\bcomplimentary\b|\bfor free\b",
        r"\bcuant[oa]s? (\w+ )?(cuesta|cuestan|cobran|cobra|vale|valen|sale|saldria|seria|"
        r"costaria|costara|cobrarian)\b",
        r"\b(precio|precios|presupuesto|tarifa|tarifas|coste|costo|cotizacion|honorarios)\b",
        r"\bcombien\b(?! de (temps|jours|semaines|personnes))",
        r"\b(prix|tarif|tarifs|devis|cout|couts|coute|coutent|honoraires|(les|vos|des) frais|frais"
        r" de)\b",
        r"\bquanto (\w+ )?(custa|custam|custaria|cobram|cobra|cobrariam|fica|ficaria|sai)\b",
        r"\b(preco|precos|orcamento|valor|custo|custos)\b",
        r"\b(wie ?viel|was kostet|was kosten|kosten|kostet|preis|preise|kostenvoranschlag|angebot|"
        r"gebuhr|gebuhren|honorar|pauschale)\b",
    ]
)
_FREE_QUESTION = re.compile(
    r"(?<!feel )(?<!gluten-)(?<!sugar-)(?<!hands-)(?<!dairy-)(?<!nut-)(?<!fat-)\b(free|gratis|"
    r"gratuit|gratuita|gratuito|kostenlos|freebies?)\b(?! (time|up|to (call|contact|ask)))"
)
_AVAILABILITY_FREE = re.compile(
    r"\b(you|you're|anyone|someone|somebody|team|he|she|they|we)( \w+){0,2} (free|available)\b"
)

_DISCOUNT = compile_all(
    [
        r"\b(discounts?|discounted|promo|promos|promotion|promo ?codes?|coupons?|vouchers?|"
        r"gift (card|certificate|voucher)s?|price ?match(ing)?|refunds?|refunded|reimburse\w*|"
        r"money back|compensat\w*|waive\w*|rebate|cashback|store credit|special offers?|deals|"
        r"(special|any|good|better|best) deal)\b",
        r"\d\s?%\s?(off|discount|rabatt|descuento|desconto|de (descuento|desconto|reduction|remise"
        r"))|"
        r"\bper ?cent off\b|\bpercent off\b|\b\d+ off\b|\bhalf price\b|\bcheaper\b",
        r"\bmake (this|it|things) right\b|\bhonou?r (the|it|my|this|that|your)\b|\bfreebies?\b|"
        r"\bdeal\b(?! with)|\bbeat (the|their|a|that|my|this) (price|quote|offer)\b|"
        r"\b(charged|billed) (me |us )?(twice|double)\b|\bovercharg\w*|\bmoney-?back\b",
        r"\b(cover|pay for) (the )?(damage|repair|replacement|cost)",
        r"\bdeposit\b[^.?!]{0,40}\b(back|return\w*|refund\w*|lose|forfeit|transfer\w*|move)\b",
        r"\b(is there|do you (need|require|take|ask for|accept)|how much is|(need|require|take|"
        r"pay) (a |the )?)(a |the |any )?deposits?\b",
        r"\b(senior|student|military|sibling|family|loyalty|first[- ]time|new customer)s? (discoun"
        r"t|rate|deal|price)",
        r"\b(descuentos?|reembolso|reembolsar|devolucion|devolver el dinero|promocion|cupon|"
        r"compensacion|indemnizacion|rebaja|oferta)\b",
        r"\b(reductions?|remise|rembourse\w*|bon d'achat|bon cadeau|dedommage\w*|indemnisation|"
        r"geste commercial|promotion)\b",
        r"\b(desconto|descontos|reembolso|devolucao|promocao|cupao|cupom|vale[- ]presente|compensa"
        r"cao|"
        r"indemnizacao|indenizacao)\b",
        r"\b(rabatt|ruckerstattung|erstatten|erstattung|gutschein|entschadigung|preisnachlass|"
        r"nachlass|ermassigung|gutschrift|geld zuruck|skonto)\b",
    ]
)

_SOMEONE_COMING = (
    r"\b(is|are) (someone|anyone|somebody|the tech|your tech|you|they)( actually| still)* coming\b"
)
_BOOKING = compile_all(
    [
        r"\bconfirm\w*\b[^.?!]{0,60}\b(booking|appointment|slot|date|time|session|class|visit|"
        r"shoot|reservation|free|available|still on)\b",
        r"\b(booking|appointment|slot|date|time|session|visit|shoot|reservation)\b[^.?!]{0,40}"
        r"\b(is|are|be) confirmed\b|\b(let me know|tell me|tell the customer)\b[^.?!]{0,30}confirm"
        r"ed\b",
        r"\b(save|hold|reserve|keep|block)( me| us)? (a|my|our|the|two|\d+) (spot|spots|place|"
        r"places|seat|seats|slot|date|table|space|time)\b",
        r"\b(pencil|put|sign|book) (me|us) (in|down)\b(?! (sometime|soon|at some point))",
        r"\b(cancel|cancelling|canceling|cancellation|reschedul\w*|rebook\w*|postpone\w*)\b",
        r"\b(move|change|shift|push)( \w+){0,2} (appointment|booking|session|visit|reservation|"
        r"date|time|slot|it|event)\b[^.?!]{0,30}\b(to|later|earlier|another|different|new)\b",
        r"\b(move|change|shift|push|switch|swap)( \w+){0,2} (appointment|booking|reservation|"
        r"session|visit)s?\b|\binstead of (the|my|our|this|next|on) \w+",
        r"\b(can't|cannot|can not|won't be able to|unable to) make (it|\w+day|the|our|my|tomorrow|"
        r"today|tonight)\b|\b(can|could) (we|you|i) (change|move|switch|swap|push|bring forward) "
        r"(it|that|this|the (date|time|day))\b",
        r"\bstill on for\b|\bis (my|our|the) (appointment|booking|visit|session) still\b",
        _SOMEONE_COMING,
        r"\b(confirmar|cancelar|reprogramar|anular|confirmer|annuler|reporter|decaler|"
        r"remarcar|desmarcar|bestatigen|bestatigung|absagen|stornieren|verschieben|umbuchen)\b",
    ]
)
_AVAILABILITY = compile_all(
    [
        r"\b(any|have you got|do you have|is there|are there)( \w+){0,2} (openings?|availability|"
        r"slots?|spots?|space|room|vacanc\w+|time|appointments?)\b( \w+){0,3}\b"
        rf"(today|tonight|tomorrow|this|next|on|at|for|in|left|{_WEEKDAY})\b",
        r"\b(any|have you got|do you have)( \w+){0,2} (openings?|availability|slots? (open|free|le"
        r"ft))\b",
        r"\b(availability|available|free) (on|this|next|tomorrow|today|tonight|in the (morning|"
        r"afternoon|evening))\b|\b(next|earliest) (free|open|available) (slot|appointment|spot|"
        r"opening|date|day|time)\b|\bfree (slots?|spots?|appointments?)\b",
        r"\b(able|possible|manage) to\b[^.?!]{0,40}\b(today|tonight|tomorrow|this (morning|"
        r"afternoon|evening|week|weekend)|right now|right away|within|(on|next|this) \w+day)\b",
        r"\b(are|is) (you|anyone|someone|somebody|the team|your team)( \w+){0,2} (free|available|"
        r"open)\b|\byou('re| are) free\b",
        r"\b(can|could|will|would) (you|someone|somebody|anyone|a \w+|an \w+|your \w+|they)( \w+){"
        r"0,4}"
        r" (come|get|be|send|make it|fit|squeeze|call|arrive|fix|do|finish|start|look)\b[^.?!]{0,5"
        r"0}"
        r"\b(today|tonight|tomorrow|right now|now|right away|immediately|this (morning|afternoon|"
        r"evening|week|weekend)|within|before|by|on \w+day|at \d|in the next)\b",
        r"\b(needs? to|must|have to|has to) (call|come|be here|get here)[^.?!]{0,30}\b(today|tonig"
        r"ht|"
        r"right now|immediately|within)\b",
        r"\bwithin (the|an|the next|\d+|one|two|a few|half an) ?(hour|hours|minutes|mins|day)\b",
        r"\b(how soon|how quickly|how fast|when (can|could|would|will) (you|someone|they)|"
        r"earliest|next available|fit (me|us) in|squeeze (me|us) in|wait(ing)? ?(list|time)|"
        r"how long (is the wait|until|before you))\b",
        r"\b(disponibilidad|disponible|disponibles|hueco|huecos|hoy mismo|pueden venir|puede venir|"
        r"disponibilite|disponibles?|creneau|creneaux|des aujourd'hui|pouvez-vous venir|"
        r"disponibilidade|disponivel|podem vir|pode vir|verfugbar|verfugbarkeit|freie termine|"
        r"termin frei|heute noch|konnen sie (heute|morgen)|haben sie zeit)\b",
        _SOMEONE_COMING,
    ]
)

_MEDICAL_ASK = compile_all(
    [
        r"\bshould (i|we|he|she)\b(?! (book|come|bring|call|schedule|contact|fill|send|make|email)"
        r")",
        r"\bis (it|this|that|he|she) (normal|safe|ok|okay|serious|bad|dangerous|worrying|infected)"
        r"\b",
        r"\b(can|could|may) (i|we|he|she) (take|use|eat|drink|mix|exercise|train|run|keep|continue|"
        r"put|apply|wait)\b",
        r"\bwhat (should|can|do) (i|we) (take|do|use|put)\b|\bice or heat\b|\bkeep going\b",
        r"\b(do|should) (i|we) (need to )?(worry|be worried|go to (the )?(hospital|er)|see a docto"
        r"r)\b",
        r"\b(debo|puedo tomar|es normal|dois-je|puis-je prendre|est-ce normal|devo|posso tomar|"
        r"e normal|soll ich|darf ich|ist das normal)\b",
    ]
)
_MEDICAL = compile_all(
    [
        r"\b(pain|painful|hurts?|hurting|ache|aching|swell\w*|swollen|bleed\w*|fever|infect\w*|"
        r"rash|numb\w*|dizz\w*|symptoms?|inflam\w*|throbbing|sore|bruis\w*|stitches|wound|lump|"
        r"medication|medicine|meds|pills?|tablets?|dose|dosage|ibuprofen|paracetamol|acetaminophen|"
        r"tylenol|advil|aspirin|antibiotics?|painkillers?|prescription|ice or heat)\b",
        r"\b(dolor|duele|hinchad\w*|fiebre|medicamento|pastillas?|douleur|gonfle\w*|fievre|"
        r"medicament|dor|inchad\w*|febre|remedio|schmerz\w*|geschwollen|fieber|tabletten?|"
        r"medikament\w*)\b",
    ]
)
_MEDICATION = re.compile(
    r"\b(medication|medicine|meds|pills?|tablets?|dose|dosage|ibuprofen|paracetamol|"
    r"acetaminophen|tylenol|advil|aspirin|antibiotics?|painkillers?|prescription|stronger|"
    r"medicamento|medicament|remedio|medikament\w*|tabletten?)\b"
)
_LEGAL = compile_all(
    [
        r"\b(can|could|should) (i|we) (sue|take (him|her|them|it) to court|press charges|evict|"
        r"withhold|break (my|the|our) (lease|contract))\b",
        r"\b(do|would) (i|we) have (a|any) (case|claim|grounds)\b|\bis (it|this|that) (legal|"
        r"lawful|illegal)\b|\bmy (legal )?rights\b|\b(am i|are we) (liable|entitled)\b",
        r"\b(can|could|is|are) (my (landlord|employer|ex|tenant|neighbou?r|boss|insurer|husband|wi"
        r"fe)"
        r"|(they|he|she) legally)( legally)? (do|evict|keep|fire|charge|withhold|refuse|sue)\b",
        r"\b(puedo demandar|es legal|mis derechos|puis-je porter plainte|est-ce legal|mes droits|"
        r"ai-je le droit|posso processar|e legal|meus direitos|kann ich klagen|ist das (legal|"
        r"rechtens|erlaubt)|meine rechte)\b",
    ]
)
_LEGAL_CONTEXT = re.compile(
    r"\b(landlord|tenant|lease|evict\w*|contract|employer|fired|dismiss\w*|court|police|custody|"
    r"divorce|inheritance|estate|lawsuit|sued|suing|(a|parking|speeding) fine|ticket|visa|immigrat"
    r"ion|arrest\w*|"
    r"charged with|insurance company|neighbou?r|my ex|ex-(husband|wife|partner)|visitation|"
    r"child support|alimony|harass\w*|discriminat\w*|injury claim|probate|last will|"
    r"(make|making|update|updating|write|writing) (a |my |our )?wills?)\b"
)
_LEGAL_ASK = re.compile(
    r"\bis (that|this|it) (allowed|legal|lawful|fair|enforceable|binding)\b|\bwhat (are|'re) my "
    r"(options|rights-?)\b|\bwhat (can|should) (i|we) do\b|\bshould (i|we) (sign|accept|pay|"
    r"agree|respond|reply|go to|fight|appeal|contest)\b|\b(can|could) (he|she|they|my \w+) "
    r"(really |legally |actually |just )*(do|evict|keep|charge|take|withhold|refuse|fire|make)\b"
)
_FINANCIAL = compile_all(
    [
        r"\b(should|can|could) (i|we) (invest|refinance|incorporate|deduct|write off|file jointly|"
        r"file separately|withdraw|set up an? (llc|company|corporation|s-corp|trust)|form an? "
        r"(llc|company)|take out (a )?(loan|mortgage))\b",
        r"\b(llc|sole proprietor\w*|s-corp|incorporat\w*)\b[^.?!]{0,30}\bor\b",
        r"\bis (it|this|that) (tax[- ])?deductible\b|\bwrite-?off\b|\b(best|better) (for|way to) "
        r"(my |our )?(tax|taxes|save|invest|retire)|\bfor tax (purposes|reasons)\b[^.?!]*\?|"
        r"\b(pay less|reduce|lower|minimi[sz]e|avoid|save on) (my |our )?tax(es)?\b",
        r"\b(invest|investment|retirement|pension|mortgage|stocks|401k)\b[^.?!]{0,40}\?",
        r"\b(debo invertir|puedo deducir|dois-je investir|puis-je deduire|devo investir|posso dedu"
        r"zir|"
        r"kann ich [^.?!]{0,30}absetzen|soll ich investieren)\b",
    ]
)


# Everyday paraphrases of the same asks. The rules above name the topic; these catch the ways
# people talk around it ("what would that set me back", "lock in Thursday", "knock a bit off"),
# so a new wording of a known ask is still caught. Each one reads as the ask in any context.
_PRICE += compile_all(
    [
        r"\bset (me|us|you) back\b|\b(what|how much) (will|would|'d|does|do) (it|that|this|they)"
        r"('d)? (run|set) (me|us)\b|\brun (me|us) (about|around|roughly)?\b",
        r"\b(kind|sort) of (money|figure|budget|spend|price|cost)\b|\b(tell|give|send) (me|us) "
        r"(a|your|the) (number|figure|ballpark|idea of (the )?(cost|price))\b|\byour (numbers|figu"
        r"res|rate card|price list)\b|\bballpark\b|\bhow pricey\b",
        r"\b(billed|billing|invoiced|invoicing)\b|\b(the|my|our|whole|final|total) bill\b",
        r"\bpay (half|part|some|it|the rest|in full|upfront|up front|later|monthly|weekly|in "
        r"(instal|install)ments|by card|by cash|in cash|cash|after|on completion)\b|\bpayment "
        r"(terms|options|methods?|upfront)\b",
        r"\b(hourly|day rate|per (hour|day|visit|session|class|lesson|head|person|room|sq|square)|"
        r"an hour|a session|a lesson|a visit)\b[^.?!\n]*\?",
        r"\b(is|would|will|does) (it|that|this)( \w+){0,2} (be )?(more|less|over|under|above|belo"
        r"w) (than )?[$€£]?\d",
        r"\bhow much (would|will|do|does|should) (you|i|we) (want|need|ask|expect|budget)\b|"
        r"\bwhat (would|will|do) you (want|ask|expect) for\b|\bcompar\w* (with|against|to) "
        r"(others|other (companies|quotes|firms|prices))\b",
    ]
)
_DISCOUNT += compile_all(
    [
        r"\bknock(ing|ed)? (a bit|something|anything|some|a little|\w+ (pounds|dollars|euros|"
        r"quid|bucks)|\d+) off\b|\b(knock|bring|take) (the price|it|that) down\b",
        r"\b(money|payment|deposit|fee)s? (returned|back|refunded|reimbursed)\b|\b(get|want|"
        r"need|like) (my|our|the) money\b",
        r"\bcredit (my|our|the|me) (account|card|back)\b|\b(account|store) credit\b|\bcredit "
        r"note\b|\b(gift|giftcard|gift-card)s?\b",
        r"\b(you|they|he|she) (quoted|said|told (me|us))\b[^.?!\n]{0,40}\b(but|and then|then|now)"
        r" (charged|billed|invoiced|asked for|want|wants)\b|\bovercharg\w*\b",
        r"\b(mates|friends|family|cash|loyalty|returning customer|repeat customer) (rates?|price|"
        r"prices|discount|deal)\b|\bfor cash\b|\bspecials?\b|\b(any|special) offers?\b",
    ]
)
_BOOKING += compile_all(
    [
        r"\b(lock|firm|nail|tie) (in|down|it in|it down|that in|that down|this in|us in|me in)\b"
        r"|\bpencil (me |us |it |that |this )?in\b",
        r"\b(bump|push|bring|move|switch|swap|shift)( it| that| this| us| me| (our|my|the) (appoint"
        r"ment|booking|session|visit|date|time|slot|class|lesson|clean|job|shoot|day))( \w+)? "
        r"(back|forward|up|earlier|later|to (the|a|an|another|next|\d))\b",
        r"\bcall(ing|ed)? off\b|\b(won't|will not|wont|no longer|don't|do not)( be)? (need|"
        r"needing|want|wanting|require|requiring)\b|\bafter all\b|\b(stop|pause|end|suspend|"
        r"halt|drop)( my| our| the)( \w+)? (cleans?|sessions?|visits?|bookings?|appointments?|"
        r"classes|lessons|service|services|subscription|plan|membership)\b",
        r"\b(are we|we're|we are|am i|i'm|is it|is that|is this|is my|is our|is everything)( all)?"
        r"( still)? (set|booked|happening|going ahead|sorted|locked in)( for)?\b",
        r"\b(make it|change it to|switch it to|instead of) (at )?\d|\bstill (on|happening|going "
        r"ahead|good for)\b|\bconfirm\w*\b",
    ]
)
_FULL_WEEKDAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?"
_WEEKLY = r"(weekends?|weekdays?|weeknights?|mornings?|afternoons?|evenings?)"
_TIME_REF = re.compile(
    rf"\b({_FULL_WEEKDAY}|{_WEEKLY}|this (week|month)|next (week|month)|later (today|on)|first "
    rf"thing|before (the|christmas|new year|easter|friday|monday|the weekend|\w+day|end of)|"
    r"the \d{1,2}(st|nd|rd|th)(?! (floor|storey|story|flat|house|grade|year|time|door|street))|"
    r"soon|soonest|earliest|asap|right now)\b"
)
_AVAILABILITY += compile_all(
    [
        r"\b(soonest|earliest|quickest|next (opening|slot|available|free|appointment)|booked up|"
        r"fully booked|busy (this|next|on)|your (calendar|diary|schedule)|calendar look|lead time|"
        r"how far (out|ahead)|turn ?around|waiting list|wait list)\b",
        r"\b(swing|pop|drop|stop|come) (by|round|over|around|out)\b[^.?!\n]{0,40}\b(today|tonight|"
        r"tomorrow|this|before|by|on \w+day|soon|asap|first thing|later)\b",
    ]
)
_MEDICAL_ASK += compile_all(
    [
        r"\b(something|anything) to worry about\b|\bshould (i|we) be (concerned|worried)\b|"
        r"\bwhat (do|should|can) (i|we) do\b|\bis (it|this|that) (something|anything) (serious|"
        r"to worry)\b|\b(stretch|rest|ice|heat|exercise|massage)( it)? or (stretch|rest|ice|heat|"
        r"exercise|massage)\b",
    ]
)
_MEDICAL += compile_all(
    [
        r"\b(knee|knees|back|neck|shoulder|hip|ankle|wrist|elbow|gums?|tooth|teeth|molar|jaw|skin|"
        r"eye|ear|throat|chest|stomach|migraine|headache|injur\w*|swallowed|poison\w*|allergic|"
        r"reaction|clicks|clicking|locked up|cramp\w*|spasm)\b",
    ]
)
_LEGAL += compile_all(
    [
        r"\b(do|would|will|does) (i|we|it|this) need (a |an |the )?(permit|planning permission|"
        r"licen[cs]e|approval|building regs)\b|\b(allowed to|by law|legally|regulations?) [^.?!\n]"
        r"*\?",
    ]
)
_FINANCIAL += compile_all(
    [
        r"\b(lease|buy|rent|finance) or (lease|buy|rent|finance)\b[^.?!\n]*\b(tax|taxes|financial"
        r"ly|business|write)\b|\b(savings|isa|loan|debt|pension|shares|tax|taxes)\b[^.?!\n]{0,60}"
        r"\?|\bworth (putting|investing|moving|paying)\b",
    ]
)


# An advice question typed without its question mark ("... what do I do").
_ASK_WITHOUT_MARK = re.compile(
    r"\bwhat (do|should|can) (i|we) do\b|\bshould (i|we)\b|\bis (it|this|that) (normal|safe|ok|"
    r"okay|serious)\b"
)


def _price(text: str, qs: list[str]) -> bool:
    if any(p.search(text) for p in _PRICE):
        return True
    for q in qs:
        if MONEY.search(q):
            return True
        if _FREE_QUESTION.search(q) and not _AVAILABILITY_FREE.search(q):
            return True
    return False


_BOOK_WORD = re.compile(
    r"\b(book|reserve|schedule|confirm|pencil|hold|slot|appointment|reservation|reservar|cita|"
    r"agendar|marcar|reserver|rendez-vous|rdv|termin|buchen)\w*"
)


def _booking(text: str) -> bool:
    if any_match(_BOOKING, text):
        return True
    # "Book me in on Monday at 10" - a booking word next to a specific day or clock time.
    return any(
        (SPECIFIC_DAY.search(s) or CLOCK.search(s)) and _BOOK_WORD.search(s)
        for s in sentences(text)
    )


def _availability(text: str, qs: list[str]) -> bool:
    if any_match(_AVAILABILITY, text):
        return True
    # "Can you do it on the 14th at 3?" - a question about a specific slot asks for availability.
    return any(
        (CLOCK.search(q) or SPECIFIC_DAY.search(q) or _TIME_REF.search(q))
        and re.search(
            r"\b(can|could|are|is|do|does|will|would|any|works?|ok|okay|possible|doable|free|"
            r"around|available|look)\b",
            q,
        )
        and "still on" not in q
        for q in qs
    )


def detect_topics(message: str, time_text: str = "") -> tuple[list[BlockedTopic], bool]:
    """Blocked topics in the folded message (and service), plus whether a medical ask involves
    medication. The preferred-time field is read only for explicit asks ("please confirm
    Friday 9am"): a bare time there is a preference, not a question."""
    qs = questions(message)
    text = f"{message}\n{time_text}" if time_text else message
    found: list[BlockedTopic] = []
    if _price(text, qs):
        found.append(BlockedTopic.PRICE_COMMITMENT)
    booking = _booking(text)
    if booking:
        found.append(BlockedTopic.BOOKING_CONFIRMATION)
    if _availability(text, qs):
        found.append(BlockedTopic.AVAILABILITY_PROMISE)
        # Asking for a slot at a clock time is asking for it to be confirmed as well.
        if not booking and CLOCK.search(message):
            found.append(BlockedTopic.BOOKING_CONFIRMATION)
    if any_match(_DISCOUNT, text):
        found.append(BlockedTopic.REFUND_OR_DISCOUNT)
    if any_match(_LEGAL, text) or (_LEGAL_CONTEXT.search(text) and _LEGAL_ASK.search(text)):
        found.append(BlockedTopic.LEGAL_ADVICE)
    asks = bool(qs) or bool(_ASK_WITHOUT_MARK.search(text))
    medical = asks and any_match(_MEDICAL_ASK, text) and any_match(_MEDICAL, text)
    if medical:
        found.append(BlockedTopic.MEDICAL_ADVICE)
    if any_match(_FINANCIAL, text):
        found.append(BlockedTopic.FINANCIAL_ADVICE)
    order = list(BlockedTopic)
    found = sorted(set(found), key=order.index)
    return found, bool(medical and _MEDICATION.search(text))
