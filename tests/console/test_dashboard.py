"""The Overview is a dashboard: every service a user may see, judged against its target
(in breach first), with its last and next round and restore points; operators and
administrators also see the clusters, open fault prompts and the console's processes."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import RestorePoint, Round, RoundState
from console.models import Heartbeat
from console.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def restore_point(service, minutes_ago: int, state=RoundState.CONSISTENT) -> Round:
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    round_ = Round.objects.create(service=service, moment=moment, state=state,
                                  snapshot_name=f"s{minutes_ago}")
    if state == RoundState.CONSISTENT:
        RestorePoint.objects.create(service=service, round=round_, moment=moment,
                                    cluster=service.pairing.secondary, snapshot_roots=["/data"],
                                    name=f"s{minutes_ago}")
    return round_


def rows(page: str) -> dict[str, str]:
    """Service name → its row's verdict."""
    found = re.findall(r'class="verdict-row ([a-z-]+)">\s*<td><a [^>]+>([^<]+)</a>', page)
    return {name: verdict for verdict, name in found}


def test_each_service_is_judged_and_a_tenant_sees_only_its_own(client, make_user,
                                                               make_service, pairing):
    safe = make_service(pairing, name="safe one", paths=("/data/acme/a",))
    restore_point(safe, 2)
    missed = make_service(pairing, name="missed one", paths=("/data/acme/b",))
    restore_point(missed, 9)
    failing = make_service(pairing, name="failing one", paths=("/data/acme/c",))
    restore_point(failing, 3)
    restore_point(failing, 1, RoundState.FAILED)
    breached = make_service(pairing, name="breached one", paths=("/data/acme/d",))
    restore_point(breached, 30)
    make_service(pairing, tenant="globex", name="theirs", paths=("/data/globex/x",))

    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.get("/").content.decode()
    assert rows(page) == {"acme/breached one": "breach", "acme/failing one": "at-risk",
                          "acme/missed one": "at-risk", "acme/safe one": "safe"}
    assert next(iter(rows(page))) == "acme/breached one"  # what needs attention first
    assert "the last round ended failed" in page and "a round was missed" in page
    assert 'id="clusters"' not in page and 'id="processes"' not in page
    assert re.search(r"<strong>1</strong> in breach.*<strong>2</strong> at risk.*"
                     r"<strong>1</strong> safe", page, re.S)


def test_operators_see_clusters_and_processes_with_their_heartbeats(client, make_user,
                                                                    pairing):
    Heartbeat.objects.create(name="scheduler", beat_at=timezone.now(), pid=1)
    client.force_login(make_user("otto", Role.OPERATOR))
    page = client.get("/").content.decode()
    assert 'id="clusters"' in page and 'id="processes"' in page
    processes = page[page.index('id="processes"'):]
    assert re.search(r"The scheduler</td><td class=\"success\">✔ running", processes)
    assert re.search(r"The failover monitor</td><td class=\"failed\">✘ down", processes)
