"""Metrics for Prometheus: each service's recovery point against its target, rounds by
state, clusters, prompts and processes; for operators and administrators only, by
session or API token."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import RestorePoint, Round, RoundState
from console.models import ApiToken
from console.roles import Role
from console.tokens import issue

pytestmark = pytest.mark.django_db(transaction=True)


def test_prometheus_reads_recovery_points_with_a_token(client, make_user, make_service,
                                                       pairing):
    service = make_service(pairing)
    moment = timezone.now() - timedelta(minutes=30)
    round_ = Round.objects.create(service=service, moment=moment, state=RoundState.CONSISTENT,
                                  snapshot_name="s1", bytes=1234, started_at=moment,
                                  finished_at=moment + timedelta(seconds=7))
    RestorePoint.objects.create(service=service, round=round_, moment=moment, name="s1",
                                cluster=pairing.secondary, snapshot_roots=["/data"])
    secret = issue(ApiToken(user=make_user("prom", Role.OPERATOR), name="prometheus"))

    response = client.get("/api/metrics/", headers={"authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    labels = '{service="bill clearing",tenant="acme"}'
    age = float(re.search(rf"^lockstep_service_rpo_seconds{re.escape(labels)} (\S+)$", text,
                          re.M).group(1))
    assert 1799 < age < 1900
    assert f"lockstep_service_rpo_target_seconds{labels} 600" in text
    assert f"lockstep_service_rpo_breach{labels} 1" in text
    assert f"lockstep_service_last_round_duration_seconds{labels} 7" in text
    assert f"lockstep_service_last_round_bytes{labels} 1234" in text
    assert 'lockstep_rounds{state="consistent"} 1' in text
    assert "# TYPE lockstep_fault_prompts_open gauge\nlockstep_fault_prompts_open 0" in text
    assert 'lockstep_process_up{process="The scheduler"} 0' in text


def test_metrics_are_refused_to_tenants_and_strangers(client, make_user):
    assert client.get("/api/metrics/").status_code == 401
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    assert client.get("/api/metrics/").status_code == 403
