"""Live events for browsers: one websocket per page, fed through the Channels layer.

Anything (a view, an RQ job, the failover monitor) calls `push`; every open page
whose user may see the event receives it. Audiences are Channels groups named here,
so that the consumer and the senders cannot disagree on a group's name.
"""

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.core.exceptions import ImproperlyConfigured

from console.roles import Role

EVENT_TYPE = "console.event"


def everyone() -> str:
    return "everyone"


def role_group(role: Role) -> str:
    return f"role-{role.value}"


def tenant_group(tenant_id: int) -> str:
    return f"tenant-{tenant_id}"


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def session_group(session_key: str) -> str:
    """The sockets of one browser session (hashed: group names are visible in Redis)."""
    return "session-" + hashlib.sha256(session_key.encode()).hexdigest()


def _layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    if layer is None:
        raise ImproperlyConfigured("settings.CHANNEL_LAYERS names no default layer")
    return layer


def _event(group: str, kind: str, data: dict) -> dict:
    # The group travels with the event: a socket that has left it since drops the event.
    return {"type": EVENT_TYPE, "group": group, "kind": kind, "data": data}


async def push_async(group: str, kind: str, data: dict) -> None:
    """Send `{"kind": kind, "data": data}` to every page subscribed to `group`."""
    await _layer().group_send(group, _event(group, kind, data))


def _send(group: str, message: dict) -> None:
    """group_send for synchronous callers, also on a thread that runs an event loop
    (synchronous code inside asynchronous code), where async_to_sync refuses to run."""
    send = async_to_sync(_layer().group_send)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        send(group, message)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(send, group, message).result()


def push(group: str, kind: str, data: dict) -> None:
    """`push_async` for synchronous callers: views, RQ jobs, the monitor."""
    _send(group, _event(group, kind, data))


def control(group: str, command: str) -> None:
    """Tell the sockets of `group` to `refresh` their audience or `close`."""
    _send(group, {"type": f"console.{command}"})
