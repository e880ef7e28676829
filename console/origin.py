"""The websocket's origin check: only the console's own pages may open its socket.

Channels' AllowedHostsOriginValidator compares host names only, so a page served from
another port of the same host (any local user's web server) could open the socket
with the browser's session. Here an origin must match scheme, host and port of the
console as the socket reached it (its Host header, itself one of ALLOWED_HOSTS), or
one of CSRF_TRUSTED_ORIGINS (a TLS proxy in front of the console).
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}
# The page's scheme for the socket's: a ws:// socket belongs to an http:// page.
PAGE_SCHEMES = {"ws": "http", "wss": "https"}

Origin = tuple[str, str, int]


def parse_origin(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) origin or URL, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def console_origins(host: str, socket_scheme: str) -> set[Origin]:
    """The console's own origin for a socket opened to `host`, and the trusted ones."""
    found = [parse_origin(origin) for origin in settings.CSRF_TRUSTED_ORIGINS]
    domain, _ = split_domain_port(host)
    if domain and validate_host(domain, settings.ALLOWED_HOSTS):
        found.append(parse_origin(f"{PAGE_SCHEMES.get(socket_scheme, 'http')}://{host}"))
    return {origin for origin in found if origin is not None}


def _header(scope: dict, name: bytes) -> str:
    values = [value for key, value in scope.get("headers", []) if key == name]
    return values[-1].decode("latin1") if values else ""


class SameOriginValidator:
    """ASGI middleware: deny the handshake unless the Origin is the console's own."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        origin = parse_origin(_header(scope, b"origin"))
        allowed = console_origins(_header(scope, b"host"), scope.get("scheme", "ws"))
        if origin is None or origin not in allowed:
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
