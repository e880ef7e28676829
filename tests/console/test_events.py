"""The console websocket: refused without a login or from another origin, live events
for logged-in users only while their session and roles last."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.urls import reverse

from console import events
from console.asgi import application
from console.consumers import SESSION_ENDED
from console.roles import Role
from tests.conftest import PASSWORD

# The console as the browser reached it, and the origin of its own pages.
HOST = (b"host", b"127.0.0.1:8000")
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())


async def handshake(headers: list[tuple[bytes, bytes]]) -> tuple[bool, dict | None]:
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    hello = await communicator.receive_json_from(timeout=5) if connected else None
    await communicator.disconnect()
    return connected, hello


@pytest.mark.django_db(transaction=True)
def test_anonymous_websocket_is_refused(minicluster):
    connected, _ = async_to_sync(handshake)([HOST, ORIGIN])
    assert not connected


@pytest.mark.django_db(transaction=True)
def test_logged_in_websocket_is_accepted_and_greeted(minicluster, make_user):
    user = make_user("otto", Role.OPERATOR)
    connected, hello = async_to_sync(handshake)([HOST, ORIGIN, session_cookie(user)])
    assert connected
    assert hello == {"kind": "hello", "data": {"user": "otto", "roles": ["operators"]}}


@pytest.mark.django_db(transaction=True)
def test_websocket_from_a_foreign_origin_is_refused(minicluster, make_user):
    user = make_user("otto", Role.OPERATOR)
    connected, _ = async_to_sync(handshake)([HOST, (b"origin", b"http://evil.example"),
                                             session_cookie(user)])
    assert not connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin", [b"http://127.0.0.1:9999", b"http://127.0.0.1",
                                    b"https://127.0.0.1:8000", b"null", b""])
def test_websocket_from_another_port_or_scheme_of_the_host_is_refused(minicluster, make_user,
                                                                      origin):
    # Any local user's web server on another port would otherwise ride the session.
    user = make_user("otto", Role.OPERATOR)
    connected, _ = async_to_sync(handshake)([HOST, (b"origin", origin), session_cookie(user)])
    assert not connected


@pytest.mark.django_db(transaction=True)
def test_websocket_to_a_host_not_allowed_is_refused(minicluster, make_user):
    user = make_user("otto", Role.OPERATOR)
    connected, _ = async_to_sync(handshake)([(b"host", b"evil.example:8000"),
                                             (b"origin", b"http://evil.example:8000"),
                                             session_cookie(user)])
    assert not connected


@pytest.mark.django_db(transaction=True)
@override_settings(CSRF_TRUSTED_ORIGINS=["https://console.example"])
def test_websocket_from_a_trusted_origin_is_accepted(minicluster, make_user):
    # Behind a TLS proxy the page is https://console.example, the socket plain ws.
    user = make_user("otto", Role.OPERATOR)
    connected, _ = async_to_sync(handshake)([HOST, (b"origin", b"https://console.example"),
                                             session_cookie(user)])
    assert connected


async def receive_pushes(headers, pushes) -> list[dict]:
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await communicator.receive_json_from(timeout=5)  # hello
    for group, text in pushes:
        await events.push_async(group, "notice", {"text": text})
    received = []
    while not await communicator.receive_nothing(timeout=0.5):
        received.append(await communicator.receive_json_from())
    await communicator.disconnect()
    return received


@pytest.mark.django_db(transaction=True)
def test_pushed_events_reach_only_their_audience(minicluster, make_user):
    tenant_user = make_user("tina", Role.TENANT, tenant="acme")
    other_tenant = make_user("tom", Role.TENANT, tenant="globex")
    pushes = [
        (events.everyone(), "for all"),
        (events.role_group(Role.OPERATOR), "for operators"),
        (events.tenant_group(tenant_user.tenants.get().pk), "for acme"),
        (events.tenant_group(other_tenant.tenants.get().pk), "for globex"),
    ]
    received = async_to_sync(receive_pushes)([HOST, ORIGIN, session_cookie(tenant_user)],
                                             pushes)
    assert [event["data"]["text"] for event in received] == ["for all", "for acme"]


def logged_in_browser(username: str) -> Client:
    """A browser that logged in through the login page, as a person does."""
    browser = Client()
    response = browser.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def cookie_of(browser: Client) -> tuple[bytes, bytes]:
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())


async def open_socket(browser: Client) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/events/",
                                         headers=[HOST, ORIGIN, cookie_of(browser)])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await communicator.receive_json_from(timeout=5)  # hello
    return communicator


async def received_texts(communicator: WebsocketCommunicator) -> list[str]:
    texts = []
    while not await communicator.receive_nothing(timeout=0.5):
        output = await communicator.receive_output()
        if output["type"] == "websocket.close":
            texts.append(f"closed {output.get('code')}")
            break
        texts.append(json.loads(output["text"])["data"]["text"])
    return texts


@pytest.mark.django_db(transaction=True)
def test_logout_closes_the_sessions_socket_and_stops_its_events(minicluster, make_user):
    make_user("otto", Role.OPERATOR)
    browser, other_browser = logged_in_browser("otto"), logged_in_browser("otto")

    async def scenario() -> tuple[list[str], list[str]]:
        socket, other_socket = await open_socket(browser), await open_socket(other_browser)
        await sync_to_async(browser.post)(reverse("logout"))
        await events.push_async(events.role_group(Role.OPERATOR), "notice",
                                {"text": "after logout"})
        texts, other_texts = await received_texts(socket), await received_texts(other_socket)
        await other_socket.disconnect()
        return texts, other_texts

    texts, other_texts = async_to_sync(scenario)()
    assert texts == [f"closed {SESSION_ENDED}"]
    # The same user's session in another browser stays open.
    assert other_texts == ["after logout"]


@pytest.mark.django_db(transaction=True)
def test_socket_stops_receiving_operator_events_when_the_role_is_taken(minicluster, make_user):
    otto = make_user("otto", Role.OPERATOR)
    browser = logged_in_browser("otto")

    async def scenario() -> list[str]:
        socket = await open_socket(browser)
        await events.push_async(events.role_group(Role.OPERATOR), "notice",
                                {"text": "while operator"})
        await sync_to_async(otto.groups.remove)(
            await sync_to_async(Group.objects.get)(name=Role.OPERATOR))
        # Sent at once, before the socket could have handled the change.
        await events.push_async(events.role_group(Role.OPERATOR), "notice",
                                {"text": "after the role was taken"})
        await events.push_async(events.everyone(), "notice", {"text": "for everyone"})
        texts = await received_texts(socket)
        await socket.disconnect()
        return texts

    assert async_to_sync(scenario)() == ["while operator", "for everyone"]


@pytest.mark.django_db(transaction=True)
def test_socket_joins_a_tenant_given_while_open(minicluster, make_user):
    tina = make_user("tina", Role.TENANT, tenant="acme")
    globex = make_user("gil", Role.TENANT, tenant="globex").tenants.get()
    browser = logged_in_browser("tina")

    async def scenario() -> list[str]:
        socket = await open_socket(browser)
        await sync_to_async(globex.members.add)(tina)
        await socket.receive_nothing(timeout=0.5)  # let the socket look again
        await events.push_async(events.tenant_group(globex.pk), "notice", {"text": "globex"})
        await sync_to_async(globex.members.remove)(tina)
        await events.push_async(events.tenant_group(globex.pk), "notice", {"text": "gone"})
        texts = await received_texts(socket)
        await socket.disconnect()
        return texts

    assert async_to_sync(scenario)() == ["globex"]


@pytest.mark.django_db(transaction=True)
def test_deactivated_users_socket_is_closed(minicluster, make_user):
    otto = make_user("otto", Role.OPERATOR)
    browser = logged_in_browser("otto")

    async def scenario() -> list[str]:
        socket = await open_socket(browser)
        otto.is_active = False
        await sync_to_async(otto.save)()
        await events.push_async(events.everyone(), "notice", {"text": "after deactivation"})
        return await received_texts(socket)

    assert async_to_sync(scenario)() == [f"closed {SESSION_ENDED}"]


async def push_after_idle(headers, idle_s: float) -> dict:
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await communicator.receive_json_from(timeout=5)  # hello
    assert await communicator.receive_nothing(timeout=idle_s)
    await events.push_async(events.everyone(), "notice", {"text": "after a quiet spell"})
    event = await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()
    return event


@pytest.mark.django_db(transaction=True)
def test_an_idle_socket_stays_open_and_still_gets_events(minicluster, make_user):
    # The channel layer blocks 5 s on Redis for a socket's next event; a Redis client
    # that gives up reading after 5 s itself broke every idle socket about every 6 s.
    user = make_user("otto", Role.OPERATOR)
    event = async_to_sync(push_after_idle)([HOST, ORIGIN, session_cookie(user)], 12)
    assert (event["kind"], event["data"]) == ("notice", {"text": "after a quiet spell"})


async def replayed_after(headers, after: str) -> list[dict]:
    communicator = WebsocketCommunicator(application, f"/ws/events/?after={after}",
                                         headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    received = []
    while not await communicator.receive_nothing(timeout=0.5):
        received.append(await communicator.receive_json_from())
    await communicator.disconnect()
    return received


@pytest.mark.django_db(transaction=True)
def test_a_reconnecting_socket_gets_what_its_audience_missed_and_nothing_else(
    minicluster, make_user
):
    tenant_user = make_user("tina", Role.TENANT, tenant="acme")
    other_tenant = make_user("tom", Role.TENANT, tenant="globex")
    headers = [HOST, ORIGIN, session_cookie(tenant_user)]
    seen = async_to_sync(receive_pushes)(headers, [(events.everyone(), "seen")])
    # While the page was away:
    events.push(events.tenant_group(tenant_user.tenants.get().pk), "notice", {"text": "acme"})
    events.push(events.tenant_group(other_tenant.tenants.get().pk), "notice",
                {"text": "globex"})
    events.push(events.everyone(), "notice", {"text": "all"})
    received = async_to_sync(replayed_after)(headers, seen[0]["id"])
    assert [event["kind"] for event in received] == ["hello", "notice", "notice", "replayed"]
    assert [event["data"]["text"] for event in received[1:3]] == ["acme", "all"]
    assert received[1]["id"] != seen[0]["id"] and received[1]["at"]
    assert received[3]["data"] == {"events": 2, "complete": True}


@pytest.mark.django_db(transaction=True)
def test_a_socket_that_names_no_valid_event_is_not_replayed_anything(minicluster, make_user):
    user = make_user("otto", Role.OPERATOR)
    events.push(events.everyone(), "notice", {"text": "old news"})
    received = async_to_sync(replayed_after)([HOST, ORIGIN, session_cookie(user)],
                                             "0-0%27%20OR%201")
    assert [event["kind"] for event in received] == ["hello"]
