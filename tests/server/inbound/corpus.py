# ruff: noqa: E501, W291 - raw mail as clients write it: long HTML lines, the "-- " signature mark
"""A corpus of real-world shaped inbound mails, written for the tests: the quoting styles of
Gmail, Outlook and Apple Mail, HTML-only mail, base64 and quoted-printable bodies, non-UTF-8
charsets, attachments, out-of-office answers and delivery reports. Each case names what the
thread should show and what the mail should do.

``{to}`` is the lead's reply address, ``{irt}`` the Message-ID of the mail LeadFlow sent,
``{mid}`` a fresh Message-ID for this mail.
"""

from __future__ import annotations

import base64
import quopri
import uuid
from dataclasses import dataclass, field


@dataclass
class Case:
    name: str
    template: str
    outcome: str  # stored | auto_reply | bounce
    text: str | None = None  # the thread text of a stored reply
    attachments: list[str] = field(default_factory=list)
    charset_bytes: str = "utf-8"  # how the template is turned into bytes

    def raw(self, to: str, irt: str) -> bytes:
        mid = f"<{uuid.uuid4().hex}@mail.example.net>"
        text = self.template.replace("{to}", to).replace("{irt}", irt).replace("{mid}", mid)
        return text.replace("\n", "\r\n").encode(self.charset_bytes)


HEAD = """From: Jane Doe <jane.doe@example.net>
To: {to}
Subject: Re: We received your request
Date: Sun, 06 Dec 2026 09:30:00 +0000
Message-ID: {mid}
In-Reply-To: {irt}
References: {irt}
MIME-Version: 1.0
"""


def b64(text: str, charset: str = "utf-8") -> str:
    return base64.encodebytes(text.encode(charset)).decode()


def qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.encode(charset)).decode()


PDF = base64.encodebytes(b"%PDF-1.4\n% a tiny test document\n%%EOF\n").decode()
PNG = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 24).decode()

CORPUS: list[Case] = [
    Case(
        "gmail plain top-post",
        HEAD
        + """Content-Type: text/plain; charset="UTF-8"

Yes, Tuesday at 10 works for me.

On Sat, Dec 5, 2026 at 10:00 AM Acme Plumbing <noreply@leadflow.test> wrote:

> Hi Jane,
>
> Thank you for contacting Acme Plumbing.
""",
        "stored",
        "Yes, Tuesday at 10 works for me.",
    ),
    Case(
        "gmail multipart alternative with gmail_quote",
        HEAD
        + """Content-Type: multipart/alternative; boundary="000000000000abc"

--000000000000abc
Content-Type: text/plain; charset="UTF-8"

Could you come before noon?

On Sat, Dec 5, 2026 at 10:00 AM Acme Plumbing <noreply@leadflow.test> wrote:

> Hi Jane,
> We received your request.

--000000000000abc
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">Could you come before noon?</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Sat, Dec 5, 2026 at 10:00 AM Acme Plumbing &lt;noreply@leadflow.test&gt; wrote:<br></div><blockquote class="gmail_quote">Hi Jane,<br>We received your request.</blockquote></div>

--000000000000abc--
""",
        "stored",
        "Could you come before noon?",
    ),
    Case(
        "gmail html-only with quote",
        HEAD
        + """Content-Type: text/html; charset="UTF-8"

<div dir="ltr">Please call me on <b>0171 555 0100</b>.</div><br><div class="gmail_quote"><div class="gmail_attr">On Sat, Dec 5, 2026 at 10:00 AM Acme Plumbing &lt;noreply@leadflow.test&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0 0 0 .8ex">Hi Jane,<br>We received your request.</blockquote></div>
""",
        "stored",
        "Please call me on 0171 555 0100.",
    ),
    Case(
        "outlook desktop original message separator",
        HEAD
        + """Content-Type: text/plain; charset="us-ascii"

Thanks, we will be home all day on Friday.

-----Original Message-----
From: Acme Plumbing <noreply@leadflow.test>
Sent: Saturday, December 5, 2026 10:00 AM
To: Jane Doe <jane.doe@example.net>
Subject: We received your request

Hi Jane,
""",
        "stored",
        "Thanks, we will be home all day on Friday.",
    ),
    Case(
        "outlook.com underscore separator",
        HEAD
        + """Content-Type: text/plain; charset="Windows-1252"
Content-Transfer-Encoding: quoted-printable

The leak is under the sink, not the tap.

________________________________
From: Acme Plumbing <noreply@leadflow.test>
Sent: Saturday, December 5, 2026 10:00
To: Jane Doe <jane.doe@example.net>
Subject: We received your request

Hi Jane,
""",
        "stored",
        "The leak is under the sink, not the tap.",
    ),
    Case(
        "outlook html-only with divRplyFwdMsg",
        HEAD
        + """Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

<html><head><style>p {margin:0}</style></head><body><div>We need the work done by the 20th.</div>=
<hr style=3D"display:inline-block;width:98%"><div id=3D"divRplyFwdMsg"><b>From:</b> Acme Plumbi=
ng &lt;noreply@leadflow.test&gt;<br><b>Sent:</b> Saturday, December 5, 2026 10:00<br><b>To:</b>=
 Jane Doe<br><b>Subject:</b> We received your request</div><div>Hi Jane,</div></body></html>
""",
        "stored",
        "We need the work done by the 20th.",
    ),
    Case(
        "apple mail quote",
        HEAD
        + """Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Perfect, see you then.

> On 5 Dec 2026, at 10:00, Acme Plumbing <noreply@leadflow.test> wrote:
>
> Hi Jane,
> We received your request.
""",
        "stored",
        "Perfect, see you then.",
    ),
    Case(
        "iphone with sent-from line",
        HEAD
        + """Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

Ok thanks!

Sent from my iPhone

> On Dec 5, 2026, at 10:00 AM, Acme Plumbing <noreply@leadflow.test> wrote:
>
> Hi Jane,
""",
        "stored",
        "Ok thanks!",
    ),
    Case(
        "quoted-printable utf-8 french",
        HEAD
        + """Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

"""
        + qp(
            "Oui, mardi à 10h me convient très bien.\n\nLe sam. 5 déc. 2026 à 10:00, Acme Plumbing <noreply@leadflow.test> a écrit :\n> Bonjour Jane,\n"
        ),
        "stored",
        "Oui, mardi à 10h me convient très bien.",
    ),
    Case(
        "base64 utf-8",
        HEAD
        + """Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

"""
        + b64(
            "Yes — the boiler is a Worcester 30i.\n\nOn Sat, Dec 5, 2026 at 10:00 AM Acme Plumbing <noreply@leadflow.test> wrote:\n> Hi Jane,\n"
        ),
        "stored",
        "Yes — the boiler is a Worcester 30i.",
    ),
    Case(
        "iso-8859-1 german with schrieb",
        HEAD
        + """Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: 8bit

Vielen Dank, Dienstag passt gut. Grüße aus Köln

Am 05.12.2026 um 10:00 schrieb Acme Plumbing <noreply@leadflow.test>:
> Hallo Jane,
""",
        "stored",
        "Vielen Dank, Dienstag passt gut. Grüße aus Köln",
        charset_bytes="iso-8859-1",
    ),
    Case(
        "windows-1252 curly quotes",
        HEAD
        + """Content-Type: text/plain; charset=windows-1252
Content-Transfer-Encoding: 8bit

It’s the “hot” tap – it drips all night.
""",
        "stored",
        "It’s the “hot” tap – it drips all night.",
        charset_bytes="windows-1252",
    ),
    Case(
        "iso-2022-jp japanese",
        HEAD
        + """Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

"""
        + "はい、火曜日で大丈夫です。".encode("iso-2022-jp").decode("ascii")
        + "\n",
        "stored",
        "はい、火曜日で大丈夫です。",
    ),
    Case(
        "koi8-r russian base64",
        HEAD
        + """Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: base64

"""
        + b64("Да, вторник подходит.", "koi8-r"),
        "stored",
        "Да, вторник подходит.",
    ),
    Case(
        "unknown charset falls back to utf-8",
        HEAD
        + """Content-Type: text/plain; charset=x-unknown-charset
Content-Transfer-Encoding: 8bit

Thursday is fine — thanks.
""",
        "stored",
        "Thursday is fine — thanks.",
    ),
    Case(
        "html-only with paragraphs and entities",
        HEAD
        + """Content-Type: text/html; charset=utf-8

<html><body><p>Hello,</p><p>Smith &amp; Sons recommended you.<br>Is Monday possible?</p></body></html>
""",
        "stored",
        "Hello,\n\nSmith & Sons recommended you.\nIs Monday possible?",
    ),
    Case(
        "html with script and style is text only",
        HEAD
        + """Content-Type: text/html; charset=utf-8

<html><head><style>.x{color:red}</style><script>alert('x')</script></head><body><div>Just the text, please.</div></body></html>
""",
        "stored",
        "Just the text, please.",
    ),
    Case(
        "thunderbird mixed with pdf attachment",
        HEAD
        + """Content-Type: multipart/mixed; boundary="------------tb01"

This is a multi-part message in MIME format.
--------------tb01
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

The quote from the other company is attached.

On 05/12/2026 10:00, Acme Plumbing wrote:
> Hi Jane,

--------------tb01
Content-Type: application/pdf; name="quote.pdf"
Content-Disposition: attachment; filename="quote.pdf"
Content-Transfer-Encoding: base64

"""
        + PDF
        + """
--------------tb01--
""",
        "stored",
        "The quote from the other company is attached.",
        ["quote.pdf"],
    ),
    Case(
        "inline signature logo is not an attachment",
        HEAD
        + """Content-Type: multipart/related; boundary="rel01"

--rel01
Content-Type: text/html; charset=utf-8

<div>See you Monday.</div><img src="cid:logo@example.net">
--rel01
Content-Type: image/png; name="logo.png"
Content-Disposition: inline; filename="logo.png"
Content-ID: <logo@example.net>
Content-Transfer-Encoding: base64

"""
        + PNG
        + """
--rel01--
""",
        "stored",
        "See you Monday.",
    ),
    Case(
        "rfc 2231 non-ascii attachment name",
        HEAD
        + """Content-Type: multipart/mixed; boundary="mix02"

--mix02
Content-Type: text/plain; charset=utf-8

Foto anbei.
--mix02
Content-Type: image/png
Content-Disposition: attachment; filename*=UTF-8''Bad%20f%C3%BCr%20Jane.png
Content-Transfer-Encoding: base64

"""
        + PNG
        + """
--mix02--
""",
        "stored",
        "Foto anbei.",
        ["Bad für Jane.png"],
    ),
    Case(
        "a forwarded mail attached as a file",
        HEAD
        + """Content-Type: multipart/mixed; boundary="mix04"

--mix04
Content-Type: text/plain; charset=utf-8

Here is the other company's offer.
--mix04
Content-Type: message/rfc822
Content-Disposition: attachment

From: Other Plumbers <offers@other.example>
To: jane.doe@example.net
Subject: Old quote
Message-ID: <old-quote@other.example>

We can do it for 200.
--mix04--
""",
        "stored",
        "Here is the other company's offer.",
        ["Old quote.eml"],
    ),
    Case(
        "attachment only",
        HEAD
        + """Content-Type: multipart/mixed; boundary="mix03"

--mix03
Content-Type: application/pdf; name="plan.pdf"
Content-Disposition: attachment; filename="plan.pdf"
Content-Transfer-Encoding: base64

"""
        + PDF
        + """
--mix03--
""",
        "stored",
        "(attachments only)",
        ["plan.pdf"],
    ),
    Case(
        "signature dashes are cut",
        HEAD
        + """Content-Type: text/plain; charset=utf-8

Wednesday afternoon works best.

-- 
Jane Doe
Flat 3, 12 High Street
""",
        "stored",
        "Wednesday afternoon works best.",
    ),
    Case(
        "spanish escribió",
        HEAD
        + """Content-Type: text/plain; charset=utf-8

Sí, el martes está bien.

El sáb, 5 dic 2026 a las 10:00, Acme Plumbing (<noreply@leadflow.test>) escribió:
> Hola Jane,
""",
        "stored",
        "Sí, el martes está bien.",
    ),
    Case(
        "auto-submitted no is a person",
        HEAD
        + """Auto-Submitted: no
Content-Type: text/plain; charset=utf-8

I wrote this myself.
""",
        "stored",
        "I wrote this myself.",
    ),
    Case(
        "no message-id is stored by content",
        HEAD.replace("Message-ID: {mid}\n", "")
        + """Content-Type: text/plain; charset=utf-8

A mail without a Message-ID.
""",
        "stored",
        "A mail without a Message-ID.",
    ),
    Case(
        "nul byte in the body",
        HEAD
        + """Content-Type: text/plain; charset=utf-8

Hello\x00 there.
""",
        "stored",
        "Hello there.",
    ),
    Case(
        "outlook out of office",
        HEAD.replace(
            "Subject: Re: We received your request",
            "Subject: Automatic reply: We received your request",
        )
        + """Auto-Submitted: auto-generated
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=utf-8

I am out of the office until 14 December with limited access to email.
""",
        "auto_reply",
    ),
    Case(
        "gmail vacation responder",
        HEAD
        + """Auto-Submitted: auto-replied
Precedence: bulk
Content-Type: text/plain; charset=utf-8

Thanks for your mail. I am on holiday.
""",
        "auto_reply",
    ),
    Case(
        "x-autoreply",
        HEAD
        + """X-Autoreply: yes
Content-Type: text/plain; charset=utf-8

This is an automatic answer.
""",
        "auto_reply",
    ),
    Case(
        "precedence list",
        HEAD
        + """Precedence: list
Content-Type: text/plain; charset=utf-8

Digest of the neighbourhood list.
""",
        "auto_reply",
    ),
    Case(
        "precedence junk",
        HEAD
        + """Precedence: junk
Content-Type: text/plain; charset=utf-8

Something automatic.
""",
        "auto_reply",
    ),
    Case(
        "out of office subject without headers",
        HEAD.replace(
            "Subject: Re: We received your request",
            "Subject: Out of Office: We received your request",
        )
        + """Content-Type: text/plain; charset=utf-8

Back on Monday.
""",
        "auto_reply",
    ),
    Case(
        "postfix dsn with rfc822 headers",
        """From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Date: Sun, 06 Dec 2026 09:30:00 +0000
Message-ID: {mid}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn01"

--dsn01
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.
I'm sorry to have to inform you that your message could not be delivered.

--dsn01
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Sun,  6 Dec 2026 09:29:59 +0000 (UTC)

Final-Recipient: rfc822; jane.doe@example.net
Original-Recipient: rfc822;jane.doe@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <jane.doe@example.net>: Recipient address rejected: User unknown

--dsn01
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Acme Plumbing <noreply@leadflow.test>
To: jane.doe@example.net
Subject: We received your request
Message-ID: {irt}

--dsn01--
""",
        "bounce",
    ),
    Case(
        "gmail dsn with the whole message",
        """From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: {to}
Subject: Delivery Status Notification (Failure)
Date: Sun, 06 Dec 2026 09:30:00 +0000
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: multipart/report; boundary="dsn02"; report-type=delivery-status

--dsn02
Content-Type: text/plain; charset="UTF-8"

Address not found
Your message wasn't delivered to jane.doe@example.net because the address couldn't be found.

--dsn02
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com

Final-Recipient: rfc822; jane.doe@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.

--dsn02
Content-Type: message/rfc822

From: Acme Plumbing <noreply@leadflow.test>
To: jane.doe@example.net
Subject: We received your request
Message-ID: {irt}
Content-Type: text/plain

Hi Jane,

--dsn02--
""",
        "bounce",
    ),
    Case(
        "delay notice is not a bounce",
        """From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: {to}
Subject: Delayed Mail (still being retried)
Date: Sun, 06 Dec 2026 09:30:00 +0000
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn03"

--dsn03
Content-Type: text/plain; charset=us-ascii

Your message has been delayed and is still being retried.

--dsn03
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; jane.doe@example.net
Action: delayed
Status: 4.4.1

--dsn03--
""",
        "auto_reply",
    ),
]
