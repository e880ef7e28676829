"""The Failover page, its API and the fault banner: operators and administrators see and
decide; tenants and anonymous callers are refused on the page, the API and the websocket;
every dismissal is audited with its reason."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from console import clock
from console.asgi import application
from console.clusters import EndpointCheck, zookeeper_of
from console.models import AuditEntry
from console.roles import Role
from failover.events import publish_prompt
from failover.evidence import fault_evidence, services_at_risk
from failover.faults import Moment
from failover.identity import read_identity
from failover.models import FaultPrompt, PromptState
from failover.prompts import open_prompt
from failover.status import record_status
from tests.console.test_api import bearer, send
from tests.console.test_events import HOST, ORIGIN, session_cookie

REFUSED_BY_WEBHDFS = "WebHDFS at http://127.0.0.1:9870 refused the connection"


def checks(webhdfs_ok: bool) -> list[EndpointCheck]:
    return [EndpointCheck("WebHDFS", webhdfs_ok, "snapshot root /data found" if webhdfs_ok
                          else REFUSED_BY_WEBHDFS, 0.004),
            EndpointCheck("HiveServer2", True, "answers SELECT 1", 0.12),
            EndpointCheck("ZooKeeper", True, "session connected", 0.002)]


@pytest.fixture
def fault(pairing, make_service) -> FaultPrompt:
    """site-a's WebHDFS refusing connections for a minute, recorded as the monitor records
    it and put to the operators; acme's service on the pairing has no restore point."""
    make_service(pairing)
    since = timezone.now() - timedelta(minutes=1)
    at = Moment(clock.monotonic(), timezone.now())
    seen = {}
    for cluster, ok in ((pairing.primary, False), (pairing.secondary, True)):
        with zookeeper_of(cluster) as zookeeper:
            identity = read_identity(zookeeper)
        record_status(cluster, checks(ok), identity, None if ok else since, at)
        seen[cluster.pk] = (identity, True)
    return open_prompt(pairing, since, fault_evidence(pairing, since, seen),
                       services_at_risk(pairing, timezone.now()))


@pytest.fixture
def operator(client, make_user) -> Client:
    client.force_login(make_user("otto", Role.OPERATOR))
    return client


def test_an_operator_sees_the_prompt_its_evidence_and_both_forms(operator, fault):
    page = operator.get("/failover/").content.decode()
    assert f'id="prompt-{fault.pk}"' in page
    assert "The primary site-a has failed since" in page
    assert REFUSED_BY_WEBHDFS in page
    assert "acme/bill clearing" in page and "no consistent restore point on site-b" in page
    assert 'name="typed_name"' in page and "Type <code>site-b</code> to confirm" in page
    assert f'action="/failover/prompts/{fault.pk}/dismiss/"' in page
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # both forms and the logout
    assert '<a href="/failover/" class="active">Failover</a>' in page


def test_every_page_shows_operators_the_banner_and_tenants_nothing(client, make_user, fault):
    client.force_login(make_user("otto", Role.OPERATOR))
    page = client.get("/services/").content.decode()
    assert f'<li data-prompt="{fault.pk}" role="alert">' in page
    assert "The primary site-a has failed" in page
    assert f'href="/failover/#prompt-{fault.pk}"' in page
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.get("/services/").content.decode()
    assert 'id="fault-prompts"' not in page and "site-a has failed" not in page
    assert 'href="/failover/"' not in page  # nor the link


@pytest.mark.parametrize("path", ["/failover/", "/api/failover/status/"])
def test_tenants_are_refused_and_audited(client, make_user, fault, path):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    assert client.get(path).status_code == 403
    assert AuditEntry.objects.filter(actor_name="tina", outcome="refused").exists()


def test_anonymous_callers_are_sent_to_log_in_or_refused(client, fault):
    response = client.get("/failover/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/api/failover/status/").status_code == 401
    assert client.post(f"/failover/prompts/{fault.pk}/dismiss/",
                       {"reason": "x"}).status_code == 302
    assert FaultPrompt.objects.get(pk=fault.pk).state == PromptState.OPEN


def test_tenants_can_neither_dismiss_nor_confirm(client, make_user, fault):
    tenant = make_user("tina", Role.TENANT, tenant="acme")
    client.force_login(tenant)
    for decision in ("dismiss", "confirm"):
        response = client.post(f"/failover/prompts/{fault.pk}/{decision}/",
                               {"reason": "mine", "typed_name": "site-b"})
        assert response.status_code == 403
    response = send(Client(), "post", f"/api/failover/prompts/{fault.pk}/dismiss/",
                    {"reason": "mine"}, **bearer(tenant))
    assert response.status_code == 403
    assert FaultPrompt.objects.get(pk=fault.pk).state == PromptState.OPEN


def test_a_dismissal_needs_a_reason_and_is_audited_with_it(operator, fault):
    response = operator.post(f"/failover/prompts/{fault.pk}/dismiss/", {"reason": "  "},
                             follow=True)
    assert "Not dismissed: Say why the fault needs no failover" in response.content.decode()
    assert FaultPrompt.objects.get(pk=fault.pk).state == PromptState.OPEN
    refused = AuditEntry.objects.get(action="prompt.dismiss")
    assert (refused.outcome, refused.actor_name) == ("refused", "otto")

    reason = "the namenode of site-a is being restarted by the Hadoop team (change 4711)"
    response = operator.post(f"/failover/prompts/{fault.pk}/dismiss/", {"reason": reason},
                             follow=True)
    assert "Dismissed the fault prompt for site-a" in response.content.decode()
    dismissed = FaultPrompt.objects.get(pk=fault.pk)
    assert (dismissed.state, dismissed.decided_by, dismissed.reason) == (
        PromptState.DISMISSED, "otto", reason)
    assert dismissed.decided_at is not None
    entry = AuditEntry.objects.get(action="prompt.dismiss", outcome="success")
    assert (entry.actor_name, entry.detail, entry.object_repr) == ("otto", reason,
                                                                    str(dismissed))
    assert entry.address == "127.0.0.1"
    # Decided: no banner any more, and the history says who and why.
    page = response.content.decode()
    assert f'<li data-prompt="{fault.pk}"' not in page and "No open fault prompt." in page
    assert reason in page


def test_a_dismissal_without_the_csrf_token_is_refused(make_user, fault):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user("otto", Role.OPERATOR))
    response = browser.post(f"/failover/prompts/{fault.pk}/dismiss/", {"reason": "forged"})
    assert response.status_code == 403
    assert FaultPrompt.objects.get(pk=fault.pk).state == PromptState.OPEN


def test_the_api_dismisses_once_with_a_reason(client, make_user, fault):
    auth = bearer(make_user("otto", Role.OPERATOR))
    path = f"/api/failover/prompts/{fault.pk}/dismiss/"
    response = send(client, "post", path, {}, **auth)
    assert response.status_code == 400 and "reason" in response.json()["error"]
    response = send(client, "post", path, {"reason": "planned maintenance"}, **auth)
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["decided_by"]) == ("dismissed", "otto")
    assert AuditEntry.objects.filter(action="prompt.dismiss", outcome="success",
                                     detail="planned maintenance").count() == 1
    again = send(client, "post", path, {"reason": "again"}, **auth)
    assert again.status_code == 409
    assert again.json()["error"] == ("This prompt was dismissed already by otto: nothing "
                                     "was changed.")


def test_the_api_status_carries_the_pages_facts(client, make_user, fault):
    response = client.get("/api/failover/status/", **bearer(make_user("otto", Role.OPERATOR)))
    assert response.status_code == 200
    found = response.json()
    clusters = {status["cluster"]: status for status in found["clusters"]}
    assert clusters["site-a"]["healthy"] is False
    assert [clusters[site]["identity"] for site in ("site-a", "site-b")] == ["primary",
                                                                              "secondary"]
    assert clusters["site-a"]["endpoints"]["WebHDFS"]["detail"] == REFUSED_BY_WEBHDFS
    assert clusters["site-a"]["endpoints"]["HiveServer2"]["latency_ms"] == 120.0
    [pairing] = found["pairings"]
    assert (pairing["primary"], pairing["secondary"], pairing["epoch"]) == (
        "site-a", "site-b", 1)
    [service] = pairing["services"]
    assert (service["name"], service["restore_point"], service["rpo_seconds"]) == (
        "bill clearing", None, None)
    [prompt] = found["open_prompts"]
    assert prompt["id"] == fault.pk
    assert [failed["endpoint"] for failed in prompt["evidence"]["failed"]] == ["WebHDFS"]
    assert found["monitor"] == {"beat_at": None, "stale": True}
    assert found["switchovers"] == []


def test_operators_are_told_when_the_monitor_does_not_run(operator, fault):
    page = operator.get("/failover/").content.decode()
    assert "The failover monitor has never run: no cluster is being watched" in page


async def _events_of(cookies: dict[str, tuple[bytes, bytes]], prompt: FaultPrompt) -> dict:
    sockets = {}
    for name, cookie in cookies.items():
        sockets[name] = WebsocketCommunicator(application, "/ws/events/",
                                              headers=[HOST, ORIGIN, cookie])
        connected, _ = await sockets[name].connect(timeout=5)
        assert connected
        await sockets[name].receive_json_from(timeout=5)  # hello
    await sync_to_async(publish_prompt)(prompt)
    received = {}
    for name, socket in sockets.items():
        received[name] = []
        while not await socket.receive_nothing(timeout=0.5):
            received[name].append(await socket.receive_json_from())
        await socket.disconnect()
    return received


@pytest.mark.django_db(transaction=True)
def test_prompt_events_reach_operators_and_administrators_never_tenants(make_user, fault):
    cookies = {name: session_cookie(make_user(name, role, tenant=tenant))
               for name, role, tenant in (("otto", Role.OPERATOR, None),
                                          ("ada", Role.ADMINISTRATOR, None),
                                          ("tina", Role.TENANT, "acme"))}
    received = async_to_sync(_events_of)(cookies, fault)
    assert received["tina"] == []
    for name in ("otto", "ada"):
        [event] = received[name]  # once, though administrators hold every role
        assert event["kind"] == "fault_prompt" and event["data"]["id"] == fault.pk
        assert f'<li data-prompt="{fault.pk}" role="alert">' in event["data"]["banner"]
