"""Suggested replies of the local analyser, written only from templates.

A reply never quotes the customer: the only customer-derived pieces are a first name that is
plain letters and, when it is one of the business's own services, the service name (else the
word "request"). Templates commit to nothing: no price, date, time, availability, discount or
link. The gate (``server.workflow.gate.reply_content_problems``) checks this again in code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.ai.text import fold, words

MAX_REPLY_CHARS = 1200

_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[-'’])*$")
_TITLES = frozenset(
    "mr mrs ms miss mx dr prof sir madam sr sra srta mme mlle m herr frau dona dom".split()
)


@dataclass(frozen=True)
class _Language:
    hello_name: str
    hello: str
    service: str
    no_service: str
    inquiry: str
    follow_up: str
    emergency: str
    personal: str
    sign_off: str


_LANGUAGES: dict[str, _Language] = {
    "en": _Language(
        hello_name="Hi {name},",
        hello="Hi there,",
        service="your {service} request",
        no_service="your request",
        inquiry="Thank you for contacting {business} about {subject}. We have received your "
        "message, and a member of our team will be in touch to talk through the details with "
        "you.",
        follow_up="Thank you for following up with {business} about {subject}, and sorry for "
        "the wait. Your message has been passed to our team, and a member of the team will be "
        "in touch with you.",
        emergency="Thank you for letting {business} know about {subject}. We understand this "
        "is urgent: our team has been alerted and someone will contact you as soon as they "
        "can. If anyone is in danger, please contact your local emergency services.",
        personal="Thank you for your message to {business}. It has been passed to the team, "
        "and a member of the team will get back to you personally.",
        sign_off="Kind regards,\nThe {business} team",
    ),
    "es": _Language(
        hello_name="Hola {name}:",
        hello="Hola:",
        service="su solicitud de {service}",
        no_service="su solicitud",
        inquiry="Gracias por contactar con {business} sobre {subject}. Hemos recibido su "
        "mensaje y una persona de nuestro equipo se pondrá en contacto con usted para hablar de "
        "los detalles.",
        follow_up="Gracias por escribir de nuevo a {business} sobre {subject}, y disculpe la "
        "espera. Hemos pasado su mensaje al equipo y una persona se pondrá en contacto con "
        "usted.",
        emergency="Gracias por avisar a {business} sobre {subject}. Entendemos que es urgente: "
        "nuestro equipo ha sido avisado y alguien se pondrá en contacto con usted lo antes "
        "posible. Si alguien está en peligro, llame a los servicios de emergencia locales.",
        personal="Gracias por su mensaje a {business}. Lo hemos pasado al equipo y una persona "
        "le responderá personalmente.",
        sign_off="Un saludo,\nEl equipo de {business}",
    ),
    "fr": _Language(
        hello_name="Bonjour {name},",
        hello="Bonjour,",
        service="votre demande concernant : {service}",
        no_service="votre demande",
        inquiry="Merci d'avoir contacté {business} au sujet de {subject}. Nous avons bien reçu "
        "votre message et un membre de notre équipe reviendra vers vous pour en parler.",
        follow_up="Merci de relancer {business} au sujet de {subject}, et désolés pour "
        "l'attente. Votre message a été transmis à l'équipe et un membre de l'équipe reviendra "
        "vers vous.",
        emergency="Merci d'avoir prévenu {business} au sujet de {subject}. Nous comprenons que "
        "c'est urgent : notre équipe a été alertée et quelqu'un vous contactera dès que "
        "possible. Si une personne est en danger, contactez les services d'urgence locaux.",
        personal="Merci pour votre message à {business}. Il a été transmis à l'équipe et un "
        "membre de l'équipe vous répondra personnellement.",
        sign_off="Cordialement,\nL'équipe {business}",
    ),
    "pt": _Language(
        hello_name="Olá {name},",
        hello="Olá,",
        service="o seu pedido de {service}",
        no_service="o seu pedido",
        inquiry="Obrigado por contactar a {business} sobre {subject}. Recebemos a sua mensagem "
        "e um membro da nossa equipa vai entrar em contacto consigo para falar dos detalhes.",
        follow_up="Obrigado por voltar a contactar a {business} sobre {subject}, e pedimos "
        "desculpa pela espera. A sua mensagem foi passada à equipa e um membro da equipa vai "
        "entrar em contacto consigo.",
        emergency="Obrigado por avisar a {business} sobre {subject}. Sabemos que é urgente: a "
        "nossa equipa foi alertada e alguém vai contactá-lo logo que possível. Se alguém estiver "
        "em perigo, contacte os serviços de emergência locais.",
        personal="Obrigado pela sua mensagem à {business}. Foi passada à equipa e um membro da "
        "equipa vai responder-lhe pessoalmente.",
        sign_off="Com os melhores cumprimentos,\nA equipa {business}",
    ),
    "de": _Language(
        hello_name="Hallo {name},",
        hello="Guten Tag,",
        service="Ihre Anfrage zu {service}",
        no_service="Ihre Anfrage",
        inquiry="vielen Dank, dass Sie {business} wegen {subject} kontaktiert haben. Wir haben "
        "Ihre Nachricht erhalten, und jemand aus unserem Team meldet sich bei Ihnen, um die "
        "Einzelheiten zu besprechen.",
        follow_up="vielen Dank für Ihre Nachfrage bei {business} wegen {subject}, und "
        "entschuldigen Sie die Wartezeit. Ihre Nachricht ist an unser Team weitergegeben, und "
        "jemand aus dem Team meldet sich bei Ihnen.",
        emergency="vielen Dank, dass Sie {business} wegen {subject} informiert haben. Wir "
        "verstehen, dass es dringend ist: Unser Team ist alarmiert, und jemand meldet sich so "
        "schnell wie möglich bei Ihnen. Wenn jemand in Gefahr ist, rufen Sie bitte den örtlichen "
        "Notruf.",
        personal="vielen Dank für Ihre Nachricht an {business}. Sie ist an das Team "
        "weitergegeben, und jemand aus dem Team meldet sich persönlich bei Ihnen.",
        sign_off="Mit freundlichen Grüßen\nIhr Team von {business}",
    ),
}

_MARKERS: dict[str, frozenset[str]] = {
    "en": frozenset("the and you your is are to for my we our i have with please thanks".split()),
    "es": frozenset(
        "hola gracias necesito tengo ustedes usted para por favor que una los las mi es "
        "quiero hacen".split()
    ),
    "fr": frozenset(
        "bonjour merci je nous vous est pour les une avec mon mes des pas votre".split()
    ),
    "pt": frozenset(
        "ola obrigado obrigada estamos voces para nao uma com por favor boa tarde fazem "
        "podem preciso meu".split()
    ),
    "de": frozenset(
        "guten tag ich wir sie und das die der nicht mit fur bitte danke unsere ist".split()
    ),
}


def detect_language(text: str) -> str:
    """The customer's language among en, es, fr, pt, de (English when unsure)."""
    counts = {lang: 0 for lang in _MARKERS}
    for word in words(fold(text)):
        for lang, markers in _MARKERS.items():
            if word in markers:
                counts[lang] += 1
    best = max(counts, key=lambda lang: counts[lang])
    return best if counts[best] > counts["en"] else "en"


def first_name(customer_name: str) -> str | None:
    """The first plain-letters word of the name that is not a title, or None."""
    for token in customer_name.replace(".", " ").split():
        if fold(token) in _TITLES:
            continue
        if _NAME.match(token) and len(token) <= 40:
            return token[0].upper() + token[1:]
        return None
    return None


def own_service(service_needed: str | None, services: list[str] | tuple[str, ...]) -> str | None:
    """The business's own spelling of ``service_needed`` when it is one of its services (equal
    after folding case, accents and spacing), else None: mail never repeats a submitter's text."""
    wanted = fold(service_needed or "")
    for service in services:
        if wanted and isinstance(service, str) and fold(service) == wanted:
            return service
    return None


def build_reply(
    *, kind: str, language: str, customer_name: str, business_name: str, service: str | None
) -> str:
    """A reply of ``kind`` (inquiry, follow_up, emergency, personal) in ``language``."""
    lang = _LANGUAGES.get(language, _LANGUAGES["en"])
    name = first_name(customer_name)
    hello = lang.hello_name.format(name=name) if name else lang.hello
    subject = lang.service.format(service=service) if service else lang.no_service
    body = getattr(lang, kind).format(business=business_name, subject=subject)
    sign_off = lang.sign_off.format(business=business_name)
    reply = f"{hello}\n\n{body}\n\n{sign_off}"
    if len(reply) > MAX_REPLY_CHARS:
        reply = f"{hello}\n\n{lang.personal.format(business='us')}"
    return reply[:MAX_REPLY_CHARS]
