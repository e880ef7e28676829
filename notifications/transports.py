"""How a notification leaves the console: one small class per kind of channel, each with
one method, `send`, that raises TransportError in words the channel's owner can act on
(which server or URL, what it answered) and says whether trying again may help."""

import ipaddress
import json
import smtplib
import socket
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import send_mail


class TransportError(Exception):
    """A delivery that did not go through. `permanent`: trying again cannot help (the
    receiver refused this message), so no retry is scheduled."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    kind: str
    kind_label: str
    subject: str
    body: str
    url: str  # the console page it is about, absolute ("" when none)
    tenant: str | None
    created_at: str

    def text(self) -> str:
        return "\n\n".join(part for part in (self.body, self.url) if part)


class Transport(Protocol):
    def send(self, message: Message) -> None: ...


class Email:
    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses

    def send(self, message: Message) -> None:
        try:
            send_mail(f"[Lockstep] {message.subject}", message.text(),
                      settings.DEFAULT_FROM_EMAIL, self.addresses)
        except smtplib.SMTPRecipientsRefused as error:
            refused = ", ".join(sorted(error.recipients))
            raise TransportError(f"The mail server {settings.EMAIL_HOST} refused the "
                                 f"addresses {refused}.", permanent=True) from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransportError(f"The mail server {settings.EMAIL_HOST}:"
                                 f"{settings.EMAIL_PORT} could not take the e-mail: "
                                 f"{error}") from error


# The receiver's own answers that ask for another try later.
RETRIABLE_STATUSES = {408, 425, 429}


class Webhook:
    """A generic JSON POST of the whole notification."""

    def __init__(self, url: str) -> None:
        self.url = url

    def payload(self, message: Message) -> dict:
        return {"kind": message.kind, "kind_label": message.kind_label,
                "subject": message.subject, "body": message.body, "url": message.url,
                "tenant": message.tenant, "created_at": message.created_at}

    def send(self, message: Message) -> None:
        if not settings.LOCKSTEP_WEBHOOK_ALLOW_PRIVATE:
            self._refuse_private()
        timeout = settings.LOCKSTEP_WEBHOOK_TIMEOUT
        try:
            answer = requests.post(self.url, data=json.dumps(self.payload(message)),
                                   headers={"Content-Type": "application/json",
                                            "User-Agent": "Lockstep notifications"},
                                   timeout=timeout, allow_redirects=False)
        except requests.Timeout as error:
            raise TransportError(f"The webhook {self.url} did not answer within "
                                 f"{timeout:g} s.") from error
        except requests.ConnectionError as error:
            raise TransportError(f"Could not connect to the webhook {self.url}: "
                                 f"{_reason(error)}.") from error
        except requests.RequestException as error:
            raise TransportError(f"The webhook {self.url} could not be called: {error}",
                                 permanent=True) from error
        if answer.status_code >= 300:
            said = answer.text.strip()[:200].rstrip(".")
            raise TransportError(
                f"The webhook {self.url} answered {answer.status_code} {answer.reason}"
                + (f": {said}." if said else "."),
                permanent=answer.status_code < 500
                and answer.status_code not in RETRIABLE_STATUSES)


    def _refuse_private(self) -> None:
        """Whoever may add a channel (a tenant user) would otherwise make the console's
        workers call, and read the answers of, services only they can reach."""
        host = urlsplit(self.url).hostname or ""
        try:
            found = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
        except OSError as error:
            raise TransportError(f"The webhook {self.url} names a host that cannot be "
                                 f"found: {error.strerror or error}.") from error
        private = sorted(address for address in found
                         if not ipaddress.ip_address(address.split("%")[0]).is_global)
        if private:
            raise TransportError(
                f"The webhook {self.url} points to the private address "
                f"{', '.join(private)}: the console calls only public addresses unless "
                "LOCKSTEP_WEBHOOK_ALLOW_PRIVATE is set.", permanent=True)


class Slack(Webhook):
    """Slack's incoming webhooks (and Mattermost's, Rocket.Chat's): `{"text": ...}`."""

    def payload(self, message: Message) -> dict:
        lines = [f"*{message.subject}*", message.body]
        if message.url:
            lines.append(f"<{message.url}|Open in Lockstep>")
        return {"text": "\n".join(line for line in lines if line)}


def _reason(error: requests.ConnectionError) -> str:
    """The innermost cause, which names it ("Connection refused", "Name or service not
    known"), rather than urllib3's paragraph around it."""
    innermost: BaseException = error
    cause: BaseException | None = error
    while cause is not None:
        innermost = cause
        cause = cause.__cause__ or cause.__context__
    if isinstance(innermost, OSError) and innermost.args:
        return str(innermost.args[-1])
    return str(innermost)
