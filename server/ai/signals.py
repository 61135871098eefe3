"""Signals the local analyser reads from folded customer text (see ``server.ai.text.fold``).

Each function answers one question a careful human asks of a lead: is this an injection, spam,
a pitch, a job application, a complaint, a cancellation, a nudge, an emergency; does the
customer signal no time pressure; is there anything to answer at all.
"""

from __future__ import annotations

import re

from server.ai.text import any_match, compile_all, words

# Names and addresses are read from where they start, never from inside a run of their letters:
# matching from every position of "-a-a-a…" re-reads the run (quadratic time).
URL = re.compile(
    r"\bhttps?://\S+|\bwww\.\S+|(?<![a-z0-9-])(?<![a-z0-9-]\.)[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|net|org|io|co|info|biz|xyz|"
    r"example|ru|cn|top|site|online|shop|link|click|ly|me|app|dev|uk|de|fr|es|pt|br)\b(/\S*)?"
)
EMAIL = re.compile(r"(?<![a-z0-9._%+-])[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}")

_INJECTION = compile_all(
    [
        r"\b(ignore|disregard|forget|override|bypass|skip)\b[^.?!\n]{0,40}\b(instructions?|rules|"
        r"prompts?|guidelines|polic(y|ies)|directions|system prompt|(the|everything|all) above)\b",
        r"\b(note|message|instructions?|request|command|directive)s? (to|for) (the |any )?(ai|"
        r"assistant|bot|model|system|llm|gpt|chatbot|language model|automated)\b",
        r"\b(ai|assistant|bot|model|llm|gpt|chatbot)s? (reading|processing|handling|analy[sz]ing) "
        r"this\b|\bdear (ai|assistant|bot|model|chatbot)\b|\bas an ai\b|\byou are now\b",
        r"(^|\n)[^\w\n]*(system|admin|developer|assistant|operator)\s*(:|override)|"
        r"\bsystem (prompt|message|override)\b",
        r"\[\s*/?\s*(system|inst|instructions?|admin|prompt)\s*\]|<\s*/?\s*(system|instructions?|"
        r"prompt|admin|assistant|inst|rules|im_start|im_end)\b",
        r"\b(auto[_ -]?send\w*|risk[_ ]level|confidence[_ ]score|blocked[_ ]topics|suggested[_ ]re"
        r"ply|"
        r"urgency[_ ]level|system prompt|jailbreak|developer mode|prompt injection)\b",
        r"\b(mark|flag|classify|label|set)( this| the| my)? (lead|message|request|"
        r"risk|urgency|priority|status)\b[^.?!\n]{0,30}\b(as|to|=)\b",
        r"\b(mark|flag|classify|label|set|rate)( this| the| my| it)?( lead| message| request| emai"
        r"l)?"
        r" (as|to) (low|high|normal|safe|urgent|spam|not spam|approved|priority|trusted)\b|\b(hey|"
        r"hi|"
        r"hello|dear|attention|yo|ok|okay|note to( the)?) (ai|bot|assistant|chatbot|gpt|llm|model)"
        r"\b",
        r"\b(in|to|within) (your|the) (reply|response|answer|email|message)\b[^.?!\n]{0,30}\b("
        r"include|say|tell|confirm|quote|state|mention|promise|add|write|offer|put|insert)",
        r"\b(include|insert|add|paste|put) (this|the|a|my|following)( \w+)? (link|url|website|"
        r"address)\b|\btell the customer\b",
        r"\b(owner|manager|boss|management|business|company|we) (has|have)( already)? (pre-?)?("
        r"approved|authori[sz]ed|agreed to)\b|\bpre-?approved\b|\bnew instructions\b|"
        r"\bfollowing instructions\b|\bpretend (you are|you're|to be)\b|\bact as (the|an?|if)\b|"
        r"\brole-?play\b|<<\s*sys|###|\byour (instructions|prompt|programming|rules)\b|"
        r"\b(reply|respond|write back|answer)( to me)? (that|saying that)\b|\boutput (json|the "
        r"following)\b|\bin your (reply|response|answer)\b",
        r"(^|[\s,(\[])(ai|bot|assistant|chatbot|gpt|llm|admin|developer|operator|model)\s*:",
        r"\b(ignora|ignore[rz]?|ignorar|ignoriere|vergiss|olvida|oublie[rz]?|esqueca)\b[^.?!\n]{0,"
        r"40}"
        r"\b(instrucciones|instructions|instrucoes|anweisungen|regles|reglas|regras|regeln)\b",
        r"\b(instrucciones anteriores|instructions precedentes|instrucoes anteriores|"
        r"vorherigen anweisungen)\b",
    ]
)

_SCAM = compile_all(
    [
        r"\b(bank (details|account)|account number|routing number|wire transfer|western union|"
        r"moneygram|inheritance|next of kin|beneficiary|lottery|you (have )?won|winner|claim your|"
        r"million (usd|dollars|euros|pounds)|\d+(\.\d+)? million|bitcoin|crypto\w*|investment "
        r"opportunity|guaranteed returns|casino|viagra|cialis|replica|loans? (approved|offer)|"
        r"verify your (account|payment|identity)|suspended account|gift cards? (code|number)|"
        r"followers|guest posts?|sponsored posts?|work from home|domain (is )?(expir\w+|renewal)|"
        r"you('ve| have) been selected|claim your (reward|prize)|dating|adult content|"
        r"(earn|make) \$?\d[\d,]* (a|per) (day|week|month))\b",
        r"\b(buy now|order now|click here|free shipping|limited time offer|act now|cheap (replica|"
        r"watches|meds|pills)|100% (free|legit|guaranteed))\b",
    ]
)
_PITCH = compile_all(
    [
        r"\b(seo|search engine|first page of google|google (ranking|reviews|maps|listing)|backlink"
        r"s?|"
        r"web ?design|website (design|redesign|development)|digital marketing|marketing (agency|"
        r"services|company)|lead generation|social media (marketing|management)|five-star reviews|"
        r"5-star reviews|more (customers|leads|clients|sales|traffic)|app development)\b",
        r"\b(we|our (team|company|agency|firm)) (help|helps|offer|provide|specialize|specialise|"
        r"can help|can get|can guarantee|guarantee|get) (\w+ )?(local )?(businesses|companies|"
        r"clients|you)\b",
        r"\b(hello|dear|hi) (business owner|sir/madam|sir or madam|website owner)\b|\breply yes\b|"
        r"\b(send|share) you (the|our|a) (proposal|price list|quote|brochure|deck)\b|"
        r"\bpartnership (opportunity|proposal)\b|\bwe noticed your (website|site|listing|business)"
        r"\b|"
        r"\byour (website|site) (is|loads|has|could|needs|isn't)\b|\b(i|we) (can|could) (help )?"
        r"(you )?(grow|boost|increase|improve|double|triple) your (business|sales|revenue|ranking|"
        r"online presence|reviews|traffic|leads)\b|"
        r"\b(i|we) (was|were) (checking|looking at|reviewing) your (website|site|listing)\b|"
        r"\bunsubscribe\b",
    ]
)
_JOB = compile_all(
    [
        r"\b(apply|applying|application) (to be|to work|to join|for (a|the|any|your)? ?(job|role|"
        r"position|vacanc\w+|opening))\b|\bwould like to apply\b|\bi('d| would) like to apply\b",
        r"\b(are you|you|is your \w+) (hiring|recruiting|taking on staff)\b|\b(my|attached|find my|"
        r"send (you )?my|see my) (cv|resume|portfolio and cv)\b|\b(job|employment|work) "
        r"(opportunit\w+|openings?|vacanc\w+)\b|\bchair rent\w*\b|\blooking for (a )?(job|work|"
        r"employment)\b|\b(join|work for|work with) your team\b|\bi can start (right away|"
        r"immediately|asap|anytime)|\b(apprentice\w*|internships?|work experience|trainee "
        r"(position|role)|part[- ]time (job|work|position)|summer job)\b|\b(need|want) (any )?("
        r"extra|more) (hands|staff|workers)\b",
        r"\b(busco trabajo|empleo|curriculum vitae|mi curriculum|vacante|candidature|offre d'emplo"
        r"i|"
        r"je cherche un emploi|mon cv|emprego|meu curriculo|candidatura|bewerbung|lebenslauf|"
        r"stellenangebot|suche arbeit)\b",
    ]
)
_ACTOR = (
    r"(crew|cleaners?|tech|technician|staff|team|guys|movers?|stylist|groomer|installer|"
    r"plumber|electrician|driver|worker)"
)
_COMPLAINT: list[tuple[re.Pattern[str], int]] = [
    (
        re.compile(
            r"\b(not (happy|impressed|satisfied|pleased|acceptable)|unhappy|disappointed|disappoin"
            r"ting|"
            r"unacceptable|terrible|awful|horrible|appalling|disgusting|worst|rude|unprofessional|"
            r"furious|outraged|fed up|ripped off|rip-off|scammed|negligen\w*|complain\w*|sloppy|"
            r"shoddy|botched|poor (job|work|service|quality|workmanship)|waste of (money|time)|"
            r"speak to (the|your) (manager|owner|boss)|left a mess|not what (i|we) (asked|paid) fo"
            r"r|"
            r"(third|fourth|fifth) time (i|we)|had to chase)\b"
        ),
        2,
    ),
    (
        re.compile(
            rf"\b(your|the) {_ACTOR}\b[^.?!]{{0,120}}\b(damaged|ruined|broke|broken|bleached|stain"
            rf"ed|"
            r"scratched|cracked|wrong|late|forgot|missed|lost|hurt|nicked)\b|\b(you|you guys|they) "
            r"(damaged|ruined|broke|bleached|scratched|stained|lost|cracked|overcharged)\b"
        ),
        2,
    ),
    (
        re.compile(
            r"\b(nobody|no one|no-one|never) (showed|turned up|came|called|arrived)\b|\bno[- ]show"
            r"\b|"
            r"\b(didn't|did not|never) (show|turn up|arrive|call back)\b"
        ),
        2,
    ),
    (
        re.compile(
            r"\b(you|you guys|your (team|tech|crew)) (fixed|repaired|installed|did|cleaned|service"
            r"d|"
            r"replaced)\b[^.?!]{0,80}\b(again|still|already)\b"
        ),
        1,
    ),
    (re.compile(r"\b(leaking|broken|failing|not working|happening|same problem) again\b"), 1),
    (re.compile(r"\b(i|we) (paid|was charged|were charged)\b|\bupset\b"), 1),
    (
        re.compile(
            r"\b(my|our|to (my|our)|from (my|our)) (solicitor|lawyer|attorney)\b|\bsmall claims\b|"
            r"\b(to|in) court\b|\blegal action\b|\blawsuit\b|\bsue you\b|\btrading standards\b|"
            r"\bbetter business bureau\b|\breport you\b|\b(bad|negative|1-star|one-star|one star) "
            r"reviews?\b"
        ),
        2,
    ),
    (
        re.compile(
            r"\b(queja|reclamacion|inaceptable|decepcionad\w+|danad\w+|mal servicio|plainte|"
            r"reclamation|inacceptable|decu|decue|endommag\w+|pas satisfait|reclamacao|inaceitavel|"
            r"desiludid\w+|danificad\w+|beschwerde|inakzeptabel|enttauscht|beschadigt|verspatung|"
            r"unzufrieden|stellungnahme|fehlten|en retard|atraso|ninguem apareceu|nadie vino|"
            r"personne n'est venu|niemand kam)\b"
        ),
        2,
    ),
]
_CANCEL = compile_all(
    [
        r"\b(need|have|want|would like|had|going) to cancel\b|\bcancel (my|our|the)\b|"
        r"\bplease cancel\b|\bcancel\w* (my|our) (appointment|booking|order|session|visit|class)\b",
        r"\b(cancelar|annuler|absagen|stornieren|kundigen|desmarcar)\b",
    ]
)
_FOLLOW_UP = compile_all(
    [
        r"\b(following|follow) up\b|\bhaven't heard\b|\bhave not heard\b|\bheard (anything )?back"
        r"\b|"
        r"\bany (update|news)\b|\bchecking in\b|\bstill (interested|waiting)\b|\bdid you (get|"
        r"receive|see) my\b|\bjust (a reminder|checking|wanted to check)\b|\bas a reminder\b",
        r"\b(i|we) (sent|filled|submitted|wrote|emailed|called|messaged)\b[^.?!]{0,60}\b(last|"
        r"earlier|yesterday|ago|before|previous)\b",
        r"\b(seguimiento|no he recibido respuesta|sigo interesad\w|relance|je n'ai pas eu de repon"
        r"se|"
        r"toujours interesse|ainda nao recebi|continuo interessad\w|nachfragen|keine antwort|"
        r"noch interessiert)\b",
    ]
)
_EMERGENCY = compile_all(
    [
        r"\b(burst|bursting|flooded|flooding|water (is |was |keeps )?(everywhere|pouring|coming|"
        r"gushing|leaking|dripping|through|spraying)|pouring (in|through|out|down)|leak(ing|s)? ev"
        r"erywhere|"
        r"leaking (badly|heavily|fast)|ceiling (is )?("
        r"leaking|dripping|caving|collapsing)|"
        r"gushing|spark(s|ed|ing)?|burning smell|smell(s|ing)? (of )?(burning|gas|smoke)|smoke "
        r"(coming|everywhere|from)|on fire|caught fire|gas leak|carbon monoxide|electrocut\w*|"
        r"exposed wires?|live wires?|power (is )?out|no (power|electricity|heat|heating|hot water)|"
        r"furnace (stopped|died|broke|is out|not)|heating (stopped|broke|died|is out)|broke down|"
        r"broken down|breakdown|won't start|"
        r"stranded|locked out|hole in (the|my|our) (roof|ceiling|wall)|(tree|branch) (fell|came|"
        r"fallen|crashed)|storm damage|sewage|overflowing|collapsed?|throbbing|severe pain|"
        r"unbearable|excruciating|knocked out|abscess)\b",
    ]
)
_EMERGENCY += compile_all(
    [
        r"\b(hot water|heating|heat|power|electricity|gas|water supply|boiler|furnace)( has| is)?( "
        r"completely| totally| just)? (gone|died|stopped|failed|cut out|gone off|went off|off)\b",
    ]
)
_URGENT_WORDS = compile_all(
    [
        r"(?<!not an )(?<!not )(?<!no )(?<!family )(?<!personal )(?<!medical )\b(emergency|urgent|"
        r"urgently)\b",
        r"\b(urgente|urgencia|emergencia|inundacion|fuga de agua|sin calefaccion|urgence|fuite|"
        r"inondation|degat des eaux|plus de chauffage|emergencia|inundacao|vazamento|sem aquecimen"
        r"to|"
        r"dringend|notfall|rohrbruch|wasserschaden|keine heizung|uberschwemmung|stromausfall)\b",
    ]
)
_NO_RUSH = compile_all(
    [
        r"\b(no rush|no hurry|not in a (rush|hurry)|in no (rush|hurry)|not urgent|not an emergency|"
        r"nothing urgent|no urgency|not time[- ]sensitive|take your time|whenever (is )?convenient|"
        r"whenever suits|whenever you can|at your (convenience|leisure)|flexible on (timing|dates?|"
        r"time)|timing is flexible|dates? (are|is) flexible|later in the year|months away|"
        r"sometime next (year|month)|this (coming )?(spring|summer|autumn|fall)|"
        r"no es urgente|sin prisa|pas urgent|pas presse|rien d'urgent|"
        r"nao e urgente|sem pressa|nicht dringend|keine eile|kein notfall)\b",
        r"\b(next|this coming) (year|spring|summer|autumn|fall|winter|january|february|march|april|"
        r"may|june|july|august|september|october|november|december)\b",
        r"\b(in|within) (about |around |roughly )?(a few|a couple of|two|three|four|five|six|\d+) "
        r"months\b|\bin (the )?(spring|summer|autumn|fall)\b|\bthinking (spring|summer|autumn|fall"
        r")\b",
        r"\b(a|any) (time|day|date|weekend|week|saturday|sunday|weekday|evening) (in|during) "
        r"(january|february|march|april|may|june|july|august|september|october|november|december)"
        r"\b",
    ]
)
_EMPTY_WORDS = frozenset(
    "hi hello hey hiya yo hola bonjour ola oi hallo salut there team please thanks thank you "
    "ok okay me call contact text ring asap urgent help need want info information question "
    "interested test testing yes no hmm the a an to i we us back soon now details more "
    "gracias merci obrigado obrigada danke bitte llamame appelez rappelez ligue ligar anrufen "
    "rufen sie mich".split()
)
_CONTACT_ME = re.compile(
    r"\b(call|ring|phone|text|contact|email|llam\w+|appel\w*|rappel\w*|"
    r"lig\w+|anruf\w*|ruf\w*)\b"
)


# Everyday paraphrases of the same signals (see the note in ``topics``): a new wording of a
# complaint, an instruction to the assistant, a pitch or a cancellation is still read as one.
_INJECTION += compile_all(
    [
        r"(^|\n)[^\w\n]*(assistant|ai|bot|chatbot|gpt|system|computer|model)\s*[,;:-]",
        r"\b(respond|reply|answer|write back|answer back) (with|using|by saying)\b|\bwhoever (re"
        r"ads|is reading|processes|handles|automates)\b|\b(your|the) (reply|response|answer|email)"
        r" (must|should|has to|needs to|will) (say|include|contain|state|mention|confirm|read)\b|"
        r"\binclude the (words?|phrase|sentence|text)\b|\bsay yes to\b",
    ]
)
_SCAM += compile_all(
    [
        r"\bcongratulations\b[^.?!\n]{0,80}\b(won|selected|qualif\w+|approved|eligible|winner|"
        r"chosen)\b|\b(government|federal|state|business) grants?\b|\byour (business|company|"
        r"website|domain|account) (qualifies|is eligible|has been (selected|chosen|flagged|"
        r"suspended))\b|\b(reply|respond|click|call) (now |today )?to claim\b",
    ]
)
_PITCH += compile_all(
    [
        r"\b(we|our (company|agency|team|firm|studio)|i) (build|make|create|design|develop|sell|"
        r"provide|offer|run|manage|produce)\b[^.?!\n]{0,60}\b(for (businesses|companies|service "
        r"businesses|local businesses|small businesses|brands|salons|clinics|contractors|you)|softw"
        r"are|apps?|chatbots?|websites?|marketing|ads|adverts|leads|seo|automation|platform)\b",
        r"\b(book|schedule|hop on|jump on) a (quick |short |free )?(call|demo|chat) with (us|me)\b|"
        r"\b(\d+|fifteen|ten|twenty|thirty)[- ]?min(ute)?s? (demo|call|chat)\b|\bfree (demo|trial|"
        r"audit|consultation for your business)\b",
        r"\b(boost|grow|increase|double|triple|skyrocket) your (bookings|business|sales|revenue|"
        r"customers|leads|clients|reviews|profits?)\b",
    ]
)
_PITCH += compile_all(
    [
        r"\bspare capacity\b|\b(sub-?contract\w*|send|pass) (some |any )?(work|jobs|overflow) "
        r"(to us|our way)\b|\bwe help (\w+ ){0,2}(dentists|clinics|salons|plumbers|electricians|"
        r"businesses|practices|owners|companies|contractors|brands|studios|gyms|trades\w*|"
        r"restaurants|agencies|landlords)\b|\b\w+ campaigns?\b|\bopen to a (quick )?(chat|call)\b",
        r"\b(advertis\w+|advert|sponsor\w*) (with|on|in) (us|our)\b|\bi'm (calling |writing )?"
        r"from (a|an|the) (local )?(radio|newspaper|magazine|agency|company|directory|marketing|"
        r"media)\b",
    ]
)
_FOLLOW_UP += compile_all(
    [
        r"\b(haven't|have not|never) (had|got|gotten|received) (a |any )?(reply|response|answer|"
        r"callback)\b|\bno (reply|response|answer) yet\b|\bstill keen\b|\b(weeks|days|a week) "
        r"back\b",
    ]
)
_JOB += compile_all(
    [
        r"\b(role|position|vacancy|job|opening)s? (i|we) (saw|seen|noticed|read)\b|\bsaw "
        r"advertised\b|\b(enquire|inquire|ask|asking|enquiring|inquiring) about (the|a|your) "
        r"(\w+ )?(role|position|vacancy|job|opening)\b",
        r"\blooking for (some |any )?(subcontract\w*|contract|freelance|casual|weekend|evening|part"
        r"[- ]time|full[- ]time|seasonal|summer|temporary|temp)? ?(work|shifts|jobs?|hours|employ"
        r"ment|positions?|placement)\b|\b(weekend|evening|summer|casual|extra) (shifts|work)\b|"
        r"\bsub-?contract\w*\b|\bdo you need (anyone|someone|help|staff|an extra|extra|a hand)\b",
    ]
)
_CANCEL += compile_all(
    [
        r"\bskip (my|our|the|next|this)( week's| weeks| month's)? (\w+ )?(session|class|lesson|"
        r"appointment|visit|clean|booking)\b",
        r"\bcall(ing|ed)? off\b|\b(won't|will not|wont|no longer|don't|do not)( be)? (need|needing"
        r"|want|wanting|require|requiring)\b[^.?!\n]{0,50}\b(anymore|any more|after all|now|any "
        r"longer|session|booking|appointment|visit|clean|cleans|service|job|van|class|lesson)\b|"
        r"\b(stop|pause|end|suspend|halt)( my| our| the)( \w+)? (cleans?|sessions?|visits?|"
        r"bookings?|appointments?|classes|lessons|service|subscription|plan|membership)\b",
    ]
)
_COMPLAINT += [
    (
        re.compile(
            r"\b(redo|re-do|put (it|this|that) right|come back (and|to) (fix|redo|finish|sort))\b|"
            r"\b(didn't|did not|never) (finish|complete|tidy|take away|remove|clean up|turn up)\b|"
            r"\bmore than (i|we) (expected|were (quoted|told)|agreed)\b|\bexpect an apology\b|"
            r"\b(was|were) (really |very )?rude\b"
        ),
        2,
    ),
    (
        re.compile(
            r"\b(let down|very (disappointed|upset|annoyed|angry|frustrated|unhappy|poor)|annoyed|"
            r"angry|frustrated|livid|gutted|shocking|ridiculous|disgrace\w*|not good enough|"
            r"sort (it|this) out|still waiting (on|for)|(you|they|he|she) (promised|said you would"
            r"|were supposed to|was supposed to)|(we|i) (were|was) promised|worse than (before|it "
            r"was|when)|looks worse|drove off|reversed into|ombudsman|chargeback|consumer (rights"
            r"|protection))\b"
        ),
        2,
    ),
    (
        re.compile(
            r"\b(you|your \w+|the \w+ you)( \w+)? (used|left|put|installed|fitted|laid|painted|did|"
            r"fixed|repaired|cleaned|serviced|replaced)\b[^.?!\n]{0,60}\b(peeling|cracked|broken|"
            r"leaking|wrong|falling|coming off|flaking|damaged|faulty|crooked|stained|smashed|"
            r"dented|chipped|worse|failed|stopped)\b|\b(you|your \w+|they)\b[^.?!\n]{0,40}\b("
            r"smashed|shattered|snapped|dented|chipped|gouged|scratched|ripped|tore|torn)\b"
        ),
        2,
    ),
    (
        re.compile(
            r"\b(second|2nd|third|3rd|another|fourth|4th) time\b[^.?!\n]{0,80}\b(after|since|your|"
            r"you|again)\b|\b(your|the) (groomer|stylist|barber|cleaners?|tech|technician|crew|"
            r"guys?|man|lads?|driver|workers?|staff|team|painter|gardener|plumber|electrician|movers?|"
            r"dentist|hygienist|trainer|instructor|tutor|walker|photographer|chef|roofer|fitter) "
            r"(cut|nicked|hurt|injured|burn(ed|t)|bit|scared|lost|"
            r"broke|damaged|scratched)\b|\b(second|third|fourth|fifth|another|2nd|3rd|4th|5th) "
            r"(call-?outs?|visits?|attempts?|repairs?)\b|\byour \w+[^.?!\n]{0,40}\bkeeps? ("
            r"dropping|leaking|breaking|failing|tripping|cutting out|stopping)\b|\b(packed in|"
            r"packed up|gave up|died|failed|broke|stopped working|started "
            r"leaking|fell off|came off)\b[^.?!\n]{0,40}\b(after|since) (your|the|you)\b|\b(post|"
            r"write|put|leave|share|tell)\b[^.?!\n]{0,30}\b(facebook|google|yelp|trustpilot|"
            r"tripadvisor|instagram|tiktok|nextdoor|social media|everyone|the world)\b"
        ),
        2,
    ),
    (
        re.compile(
            r"\b(isn't|is not|wasn't|was not|aren't|weren't|still not) (fixed|finished|done|"
            r"working|sorted|right|complete|completed|cleaned|repaired)\b|\bif (this|it|that) "
            r"(isn't|is not|doesn't|does not|hasn't|has not)\b"
        ),
        1,
    ),
]


def is_injection(text: str) -> bool:
    return any_match(_INJECTION, text)


def url_count(text: str) -> int:
    return len(URL.findall(EMAIL.sub(" ", text)))


def is_scam(text: str) -> bool:
    return any_match(_SCAM, text) or url_count(text) >= 2


def is_pitch(text: str) -> bool:
    return any_match(_PITCH, text)


def is_job_application(text: str) -> bool:
    return any_match(_JOB, text)


def complaint_score(text: str) -> int:
    """Weighted complaint cues; 2 or more reads as a complaint."""
    return sum(weight for p, weight in _COMPLAINT if p.search(text))


def is_cancellation(text: str) -> bool:
    return any_match(_CANCEL, text)


def is_follow_up(text: str) -> bool:
    return any_match(_FOLLOW_UP, text)


def is_emergency(text: str) -> bool:
    """An emergency or active damage described in so many words."""
    return any_match(_EMERGENCY, text)


def says_urgent(text: str) -> bool:
    return any_match(_URGENT_WORDS, text)


def signals_no_rush(text: str) -> bool:
    return any_match(_NO_RUSH, text)


def content_words(text: str) -> list[str]:
    """Words that carry a request (greetings, fillers and contact asks removed)."""
    return [w for w in words(text) if len(w) > 1 and w not in _EMPTY_WORDS and not w.isdigit()]


def asks_for_contact(text: str) -> bool:
    return bool(_CONTACT_ME.search(text))
