"""Live events for browsers: one websocket per page, fed through the Channels layer.

Anything (a view, an RQ job, the failover monitor) calls `push`; every open page
whose user may see the event receives it. Audiences are Channels groups named here,
so that the consumer and the senders cannot disagree on a group's name.

Every event is also written to a journal (a capped Redis stream) under an id that
orders it, so that a page whose socket was down (a restarted console, a lost network)
gets what it missed when it reconnects: it asks for the events after the last id it
saw (`replay`).
"""

import asyncio
import functools
import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import redis
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from console.roles import Role

EVENT_TYPE = "console.event"
JOURNAL = "lockstep:events"
# About a day of a busy console's events (rounds publish every state and progress).
JOURNAL_LENGTH = 20_000
EVENT_ID = re.compile(r"\d{1,20}-\d{1,20}")


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


@functools.cache
def _journal() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)


def _event(group: str, kind: str, data: dict) -> dict:
    """The event, journaled: its id orders it among all events, its `at` dates it."""
    event_id = str(_journal().xadd(JOURNAL, {"group": group, "kind": kind,
                                             "data": json.dumps(data)},
                                   maxlen=JOURNAL_LENGTH, approximate=True))
    # The group travels with the event: a socket that has left it since drops the event.
    return {"type": EVENT_TYPE, "group": group, "kind": kind, "data": data, "id": event_id,
            "at": _moment(event_id)}


def _moment(event_id: str) -> str:
    milliseconds = int(event_id.partition("-")[0])
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat()


def replay(groups: list[str], after: str) -> tuple[list[dict], bool]:
    """The journaled events of `groups` after id `after`, oldest first, and whether they
    are all there (False when the journal no longer reaches back that far)."""
    journal = _journal()
    oldest = journal.xrange(JOURNAL, count=1) or []
    complete = not oldest or _key(str(oldest[0][0])) <= _key(after)
    wanted = set(groups)
    found = []
    for entry_id, fields in journal.xrange(JOURNAL, min=f"({after}") or []:
        if fields and fields["group"] in wanted:
            event_id = str(entry_id)
            found.append({"kind": fields["kind"], "group": fields["group"],
                          "data": json.loads(fields["data"]), "id": event_id,
                          "at": _moment(event_id)})
    return found, complete


def _key(event_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = event_id.partition("-")
    return int(milliseconds), int(sequence or 0)


async def push_async(group: str, kind: str, data: dict) -> None:
    """Send `{"kind": kind, "data": data}` to every page subscribed to `group`."""
    await _layer().group_send(group, await sync_to_async(_event)(group, kind, data))


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
