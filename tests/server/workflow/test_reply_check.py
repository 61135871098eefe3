"""The gate's reply check denies by default: commitments in any wording or language, and links
in any spelling, hold the reply with the offending token named; plain replies pass."""

from __future__ import annotations

import pytest

from server.workflow.gate import reply_content_problems

PROFILE = dict(
    business_emails=("hello@sparkle-shine.example",),
    business_phones=("+1 202 555 0100",),
    allowed_hosts=("forms.leadflow.example",),
    profile=(
        "Sparkle & Shine Cleaning",
        "+1 202 555 0100",
        "12 Harbour Road, Bristol",
        "We clean homes and offices. Our website is sparkle-shine.example.",
        "Casey",
    ),
)

# (reply, a token the owner must see in the details)
HELD = [
    # English: prices, sums, dates, days, times, promises
    ("A standard clean is 80.", "80"),
    ("We can come Tuesday morning.", "tuesday"),
    ("Your appointment on 12 March is all set.", "march"),
    ("Pay at evil．com/pay", "evil.com/pay"),
    ("It costs forty dollars.", "forty"),
    ("That would be $95 for the visit.", "$"),
    ("You get 50% off this month.", "50%"),
    ("We will be with you tomorrow.", "tomorrow"),
    ("We can do it this weekend.", "weekend"),
    ("Someone can pop round next week.", "next week"),
    ("See you at noon.", "noon"),
    ("We arrive at 9:30.", "9:30"),
    ("The slot at 3pm works.", "3pm"),
    ("We have space on the 14th.", "14th"),
    ("Call Dave on 555-0142 7788.", "555-0142 7788"),
    ("Phone +44 20 7946 0991 any time.", "+44 20 7946 0991"),
    ("We can be there in two hours.", "in two hours"),
    ("It takes about half a day.", "half"),
    ("We guarantee the work.", "guarantee"),
    ("Good news, you're booked in.", "you're booked"),
    ("We can offer a discount.", "discount"),
    ("The quote is two hundred.", "hundred"),
    ("We are free on Friday.", "friday"),
    ("Tonight works for us.", "tonight"),
    ("Expect us within the hour.", "within the hour"),
    ("Our team visits on Sat.", "sat"),
    ("The visit is on 2026-12-12.", "2026-12-12"),
    ("Invoice: 1,250.", "1,250"),
    # Links in any spelling
    ("Book at https://calendar.example/acme please.", "https://calendar.example/acme"),
    ("See www.acme-tiles.example for photos.", "acme-tiles.example"),
    ("Details on acme-tiles.example/prices.", "acme-tiles.example/prices"),
    ("Visit evil dot com to pay.", "evil.com"),
    ("Visit evil[.]com to pay.", "evil.com"),
    ("Visit evil(dot)com to pay.", "evil.com"),
    ("Visit evil 。com to pay.", "evil"),
    ("Go to hxxps://evil.example/login", "hxxps://evil.example/login"),
    ("Log in at pаypal.com (Cyrillic a).", "paypal.com"),
    ("Verify at secure-login.xyz now.", "secure-login.xyz"),
    ("Go to https://forms.leadflow.example.evil.example/login", "evil.example"),
    ("Type h t t p s colon then evil dot example", "evil"),
    ("Write to sales@other.example for a quote.", "sales@other.example"),
    ("Write to sales [at] other.example.", "sales@other.example"),
    ("Message us at @sparkle_deals on Instagram.", "@sparkle_deals"),
    # Spanish
    ("Una limpieza estándar cuesta 80 euros.", "80"),
    ("Podemos ir el martes por la mañana.", "martes"),
    ("Su cita del 12 de marzo está confirmada.", "marzo"),
    ("Vamos mañana sin falta.", "manana"),
    ("Le hacemos un descuento.", "descuento"),
    ("Nos vemos el fin de semana.", "semana"),
    # French
    ("Un ménage standard coûte quatre-vingts euros.", "euros"),
    ("Nous pouvons venir mardi matin.", "mardi"),
    ("Votre rendez-vous du 12 mars est confirmé.", "mars"),
    ("Nous passons demain.", "demain"),
    ("Nous venons ce soir.", "soir"),
    ("Le devis est gratuit.", "gratuit"),
    # German
    ("Eine Standardreinigung kostet achtzig Euro.", "euro"),
    ("Wir kommen am Dienstag.", "dienstag"),
    ("Ihr Termin am 12. März ist bestätigt.", "marz"),
    ("Wir kommen morgen vorbei.", "morgen"),
    ("Wir kommen um 9 Uhr.", "uhr"),
    ("Die Anfahrt ist kostenlos.", "kostenlos"),
    # Portuguese
    ("Uma limpeza custa oitenta reais.", "reais"),
    ("Podemos ir na terça de manhã.", "terca"),
    ("A sua marcação de 12 de abril está confirmada.", "abril"),
    ("Passamos amanhã.", "amanha"),
    ("Tem um desconto de dez por cento.", "desconto"),
    ("Chegamos ao meio-dia.", "meio-dia"),
]

PLAIN = [
    "Hi Casey,\n\nThank you for contacting Sparkle & Shine Cleaning. A member of our team "
    "will be in touch soon.\n\nKind regards,\nSparkle & Shine Cleaning",
    "Hi there,\n\nThanks for your message. We will look at your request and get back to you.",
    "Good morning Casey, thank you for reaching out to us about your home.",
    "Thank you for your request. Someone from the team will call you back as soon as they can.",
    "We have received your message and passed it to the team.",
    "You can reach us on +1 202 555 0100 or at hello@sparkle-shine.example.",
    "Our office is at 12 Harbour Road, Bristol.",
    "You can read more about us at sparkle-shine.example.",
    "Your form is at https://forms.leadflow.example/f/sparkle.",
    "One of our team will get back to you personally.",
    "Hola Casey:\n\nGracias por contactar con Sparkle & Shine Cleaning. Un miembro del equipo "
    "se pondrá en contacto con usted.",
    "Gracias por su mensaje; lo hemos recibido y lo hemos pasado al equipo.",
    "Bonjour Casey,\n\nMerci d'avoir contacté Sparkle & Shine Cleaning. Un membre de l'équipe "
    "vous répondra.",
    "Merci pour votre message, notre équipe revient vers vous personnellement.",
    "Hallo Casey,\n\nvielen Dank für Ihre Nachricht an Sparkle & Shine Cleaning. Jemand aus dem "
    "Team meldet sich bei Ihnen.",
    "Guten Morgen, wir haben Ihre Anfrage erhalten und melden uns.",
    "Olá Casey,\n\nObrigado por contactar a Sparkle & Shine Cleaning. Um membro da equipa "
    "entrará em contacto consigo.",
    "Obrigado pela sua mensagem; a nossa equipa vai responder-lhe em breve.",
    "We understand this is urgent: our team has been alerted and someone will contact you.",
    "If anyone is in danger, please contact your local emergency services.",
]


def test_the_tables_are_as_large_as_promised() -> None:
    assert len(HELD) >= 60 and len(PLAIN) >= 20


@pytest.mark.parametrize(("reply", "token"), HELD)
def test_a_commitment_or_a_link_is_held_with_its_token_named(reply: str, token: str) -> None:
    problems = reply_content_problems(reply, **PROFILE)  # type: ignore[arg-type]
    assert problems, reply
    assert any(token in problem for problem in problems), problems


@pytest.mark.parametrize("reply", PLAIN)
def test_a_plain_reply_passes(reply: str) -> None:
    assert reply_content_problems(reply, **PROFILE) == []  # type: ignore[arg-type]


def test_the_business_own_number_is_allowed_only_when_it_is_in_the_profile() -> None:
    reply = "Our office is at 12 Harbour Road."
    assert reply_content_problems(reply, **PROFILE) == []  # type: ignore[arg-type]
    assert any('"12"' in p for p in reply_content_problems(reply))
