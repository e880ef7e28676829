"""The console's websocket: live events for the logged-in user."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from console import events
from console.roles import roles_of


@database_sync_to_async
def _audience(user) -> tuple[list[str], list[str]]:
    """The groups this user's page joins, and the user's role names."""
    roles = roles_of(user)
    groups = [events.everyone(), events.user_group(user.pk)]
    groups += [events.role_group(role) for role in roles]
    groups += [events.tenant_group(pk) for pk in user.tenants.values_list("pk", flat=True)]
    return groups, sorted(str(role) for role in roles)


class EventsConsumer(AsyncJsonWebsocketConsumer):
    groups: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Closing before accept makes the handshake fail with 403.
            await self.close()
            return
        self.groups, roles = await _audience(user)
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"kind": "hello", "data": {"user": user.get_username(),
                                                         "roles": roles}})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        if content.get("kind") == "ping":
            await self.send_json({"kind": "pong", "data": {}})

    async def console_event(self, message: dict) -> None:
        await self.send_json({"kind": message["kind"], "data": message["data"]})
