"""The console's websocket: live events for the logged-in user, while they may see them.

A socket's audience (its groups) is the user's at the time: `console.live_audience`
closes the sockets of a session that logs out, and asks a user's sockets to look again
when the user's roles, tenants or account change. Every event is checked against the
audience held at that moment, so an event queued before the change arrived is dropped
too, and the session is re-read now and then, so an expired one closes its socket.

A page that reconnects names the last event it saw (`/ws/events/?after=ID`): the socket
first sends what the user's audience missed since (from the journal, console.events),
then `replayed`, then live events; the page drops the ones it has seen already.
"""

import time
from importlib import import_module
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest

from console import events
from console.roles import roles_of

# At most this often (seconds) an event makes the socket re-read its session.
SESSION_RECHECK_SECONDS = 60.0
# Close code for "your session ended or changed": the page's script reconnects, and a
# logged-out browser is then refused at the handshake.
SESSION_ENDED = 4401


@database_sync_to_async
def _audience(user, session_key: str) -> tuple[list[str], list[str]]:
    """The groups this user's page joins, and the user's role names."""
    roles = roles_of(user)
    groups = [events.everyone(), events.user_group(user.pk), events.session_group(session_key)]
    groups += [events.role_group(role) for role in roles]
    groups += [events.tenant_group(pk) for pk in user.tenants.values_list("pk", flat=True)]
    return groups, sorted(str(role) for role in roles)


@database_sync_to_async
def _session_user(session_key: str | None):
    """Whom the session belongs to now, read afresh from the session store: anonymous
    after a logout, expiry, password change or deactivation."""
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return auth.get_user(request)


def _outgoing(event: dict) -> dict:
    return {"kind": event["kind"], "data": event["data"], "id": event["id"], "at": event["at"]}


class EventsConsumer(AsyncJsonWebsocketConsumer):
    groups: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Closing before accept makes the handshake fail with 403.
            await self.close()
            return
        self.user_pk = user.pk
        session_key = self.scope["session"].session_key
        assert session_key is not None  # the session a signed-in user came from is stored
        self.session_key = session_key
        self.checked_at = time.monotonic()
        audience, roles = await _audience(user, self.session_key)
        await self._join(audience)
        await self.accept()
        await self.send_json({"kind": "hello", "data": {"user": user.get_username(),
                                                         "roles": roles}})
        after = self._after()
        if after is not None:
            await self._replay(after)

    def _after(self) -> str | None:
        """The id of the last event the reconnecting page saw, if it names a valid one."""
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        after = (query.get("after") or [""])[0]
        return after if events.EVENT_ID.fullmatch(after) else None

    async def _replay(self, after: str) -> None:
        # Joined first: what is pushed meanwhile comes after, live (the page drops repeats).
        missed, complete = await sync_to_async(events.replay)(self.groups, after)
        for event in missed:
            await self.send_json(_outgoing(event))
        await self.send_json({"kind": "replayed", "data": {"events": len(missed),
                                                           "complete": complete}})

    async def receive_json(self, content: dict, **kwargs) -> None:
        if content.get("kind") == "ping":
            await self.send_json({"kind": "pong", "data": {}})

    async def console_event(self, message: dict) -> None:
        if time.monotonic() - self.checked_at > SESSION_RECHECK_SECONDS:
            await self.console_refresh({})
        # Sent to a group this socket has left since (a role lost a moment ago): drop it.
        if message.get("group") in self.groups:
            await self.send_json(_outgoing(message))

    async def console_refresh(self, message: dict) -> None:
        """The user's roles, tenants or account changed: join what they may see now."""
        self.checked_at = time.monotonic()
        user = await _session_user(self.session_key)
        if not user.is_authenticated or user.pk != self.user_pk:
            await self.console_close(message)
            return
        audience, _ = await _audience(user, self.session_key)
        await self._join(audience)

    async def console_close(self, message: dict) -> None:
        """The session logged out (or ended): no more events, and close."""
        await self._join([])
        await self.close(code=SESSION_ENDED)

    async def _join(self, wanted: list[str]) -> None:
        """Be in exactly the groups `wanted`."""
        current = set(getattr(self, "groups", None) or [])
        for group in current - set(wanted):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in set(wanted) - current:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups = list(wanted)
