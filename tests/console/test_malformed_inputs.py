"""Every API endpoint and every form, fed malformed values: a 4xx that names the field,
never a 500. The sweep walks each field of each endpoint through the values below."""

import inspect
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from console.roles import Role
from tests.conftest import cluster_fields

HUGE = 2**64
# What an attacker (or a broken script) sends instead of a proper JSON value.
JSON_VALUES = ["abc", "", -1, 0, HUGE, -HUGE, 1.5, 1e308, True, "false", None, [], {},
               ["x"], {"a": 1}, "\x00", "a\x00b", "9" * 30, "9999-12-31T23:59:59-14:00",
               "0001-01-01T00:00:00+00:00"]
# The same for query strings and form fields, which are always text.
TEXT_VALUES = ["abc", "", "-1", "0", str(HUGE), "1e309", "1.5", "\x00", "1\x00", "9" * 30,
               "9999-12-31T23:59:59", "0001-01-01T00:00:00", "on", "[]"]
# Raw request bodies for the JSON endpoints.
RAW_BODIES = [b"not json", b"[]", b'"text"', b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000,
              b'{"tenant": "\\u0000"}', b"null", b"1e999"]


@pytest.fixture
def admin_client(make_user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_user("ada", Role.ADMINISTRATOR, tenant="acme"))
    # West of UTC: moments near the start of time overflow when shown in this zone.
    client.cookies["tz"] = "America/New_York"
    return client


@pytest.fixture
def service(pairing, make_service):
    return make_service(pairing)


def service_body(pairing) -> dict:
    return {
        "tenant": "acme", "name": "bill clearing", "pairing": pairing.pk,
        "description": "", "data_sets": ["/data/acme/bills"],
        "first_moment": (timezone.now() + timedelta(minutes=10)).isoformat(),
        "period_seconds": 300, "retention": 12, "skew_limit_ms": 50, "direction": "pull",
        "enabled": True,
    }


def policy_form(pairing, tenant) -> dict:
    moment = (timezone.now() + timedelta(minutes=30)).astimezone(ZoneInfo("Europe/Berlin"))
    return {
        "tenant": tenant.pk, "name": "bill clearing",
        "description": "", "pairing": pairing.pk, "data_set": ["hdfs:/data/acme/bills"],
        "typed": "", "first_moment": moment.strftime("%Y-%m-%dT%H:%M:%S"),
        "time_zone": "Europe/Berlin", "period_count": "5", "period_unit": "minutes",
        "retention": "12", "skew_limit_ms": "50", "direction": "pull", "enabled": "on",
    }


class Sweep:
    """Sends requests and remembers every one that answered 500 (or broke the API's shape)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.failures: list[str] = []

    def send(self, method: str, path: str, label: str, **kwargs) -> None:
        response = getattr(self.client, method)(path, **kwargs)
        if response.status_code >= 500:
            self.failures.append(f"{method.upper()} {path} {label}: {response.status_code}")
        elif path.startswith("/api/") and response.status_code == 400:
            body = response.json()
            if not body.get("error") or not isinstance(body.get("problems"), list):
                self.failures.append(f"{method.upper()} {path} {label}: 400 without problems")

    def json_fields(self, method: str, path: str, base: dict) -> None:
        for field in base:
            for value in JSON_VALUES:
                body = {**base, field: value}
                self.send(method, path, f"{field}={value!r}"[:80], data=json.dumps(body),
                          content_type="application/json")
        for raw in RAW_BODIES:
            self.send(method, path, f"body {raw[:20]!r}", data=raw,
                      content_type="application/json")

    def form_fields(self, path: str, base: dict) -> None:
        for field in base:
            for value in TEXT_VALUES:
                self.send("post", path, f"{field}={value!r}", data={**base, field: value})
            self.send("post", path, f"{field} missing",
                      data={k: v for k, v in base.items() if k != field})
            self.send("post", path, f"{field} twice", data={**base, field: ["1", "2"]})

    def query(self, path: str, names: list[str]) -> None:
        for name in names:
            for value in TEXT_VALUES:
                self.send("get", path, f"?{name}={value!r}", data={name: value})

    def huge_ids(self, paths: list[str], methods=("get", "post", "put", "delete")) -> None:
        for template in paths:
            for value in (HUGE, 2**63, 10**30):
                for method in methods:
                    self.send(method, template.format(value), "huge id")

    def check(self) -> None:
        assert not self.failures, "\n".join(self.failures)


# Each target walks its endpoints; it names the fixtures it needs.

def _service_api(sweep: Sweep, pairing, service) -> None:
    sweep.json_fields("post", "/api/services/", service_body(pairing))
    sweep.json_fields("put", f"/api/services/{service.pk}/", service_body(pairing))
    sweep.query("/api/data-sets/", ["tenant", "pairing"])
    sweep.huge_ids(["/api/services/{}/"])


def _cluster_and_pairing_api(sweep: Sweep, clusters, minicluster) -> None:
    sweep.json_fields("put", "/api/clusters/site-a/", cluster_fields(minicluster, "site-a"))
    sweep.json_fields("post", "/api/pairings/", {"primary": "site-a", "secondary": "site-b"})
    sweep.huge_ids(["/api/pairings/{}/"])


def _cluster_registration_api(sweep: Sweep, minicluster) -> None:
    sweep.json_fields("post", "/api/clusters/", cluster_fields(minicluster, "site-a"))


def _service_pages(sweep: Sweep, pairing, service, tenant_data) -> None:
    form = policy_form(pairing, service.tenant)
    sweep.form_fields("/services/new/", form)
    sweep.form_fields(f"/services/{service.pk}/edit/", form)
    sweep.query("/services/new/", ["tenant", "pairing"])
    sweep.query("/rounds/", ["service", "page"])
    sweep.query("/audit/", ["actor", "action", "outcome", "page"])
    sweep.huge_ids(["/services/{}/", "/services/{}/edit/", "/rounds/{}/"], methods=("get",))
    sweep.huge_ids(["/services/{}/toggle/", "/services/{}/delete/", "/services/{}/run-now/",
                    "/services/{}/dry-run/", "/pairings/{}/delete/"], methods=("post",))


def _cluster_pages(sweep: Sweep, clusters, minicluster) -> None:
    sweep.form_fields("/clusters/site-a/edit/", cluster_fields(minicluster, "site-a"))
    sweep.form_fields("/pairings/new/", {"primary": clusters["site-a"].pk,
                                         "secondary": clusters["site-b"].pk})


def _time_zone_cookie(sweep: Sweep, service) -> None:
    for value in ["Europe", "Europe/", "../../etc/passwd", "/etc/localtime", "\x00", "x" * 300,
                  "Etc", "posixrules", "UTC/", "Europe/../UTC"]:
        sweep.client.cookies["tz"] = value
        for path in ("/", "/services/", f"/services/{service.pk}/", "/rounds/", "/clusters/",
                     "/audit/", "/api/services/"):
            sweep.send("get", path, f"tz={value!r}")


TARGETS = [_service_api, _cluster_and_pairing_api, _cluster_registration_api, _service_pages,
           _cluster_pages, _time_zone_cookie]


# Each target asks for fixtures of the mini cluster at run time, which no marker sees.
@pytest.mark.minicluster
# The service pages' sweep sends some 400 forms, each re-discovering the tenant's tables
# through HiveServer2: about 4 minutes on a quiet machine, twice that under load.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.__name__.strip("_"))
def test_no_malformed_input_answers_500(target, admin_client, request):
    names = list(inspect.signature(target).parameters)[1:]
    sweep = Sweep(admin_client)
    target(sweep, *(request.getfixturevalue(name) for name in names))
    sweep.check()


# The findings one by one: each answered 500 before.

@pytest.fixture
def stored_pairing(db):
    """A pairing as the database holds it, for tests that never reach a cluster."""
    from django.conf import settings

    from console.models import Cluster, Pairing

    layout = settings.MINICLUSTER
    primary, secondary = (Cluster.objects.create(**cluster_fields(layout, site))
                          for site in ("site-a", "site-b"))
    return Pairing.objects.create(primary=primary, secondary=secondary, created_by="test")


def send_json(client: Client, method: str, path: str, body: dict):
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def problems(response) -> str:
    assert response.status_code == 400, response.content
    return " ".join(response.json()["problems"])


def test_non_numeric_ids_are_400_naming_the_field(admin_client, stored_pairing):
    response = admin_client.get("/api/data-sets/", {"tenant": "acme", "pairing": "abc"})
    assert "`pairing` must be the id of a pairing" in problems(response)
    response = send_json(admin_client, "post", "/api/services/",
                         {**service_body(stored_pairing), "pairing": "abc"})
    assert "`pairing` must be the id of a pairing" in problems(response)
    response = admin_client.get("/api/data-sets/", {"pairing": stored_pairing.pk})
    assert "`tenant` is required" in problems(response)


def test_huge_numbers_are_400_naming_the_field(admin_client, stored_pairing):
    response = send_json(admin_client, "post", "/api/services/", {
        **service_body(stored_pairing), "period_seconds": 10**30, "retention": 2**64,
        "skew_limit_ms": -1})
    text = problems(response)
    for field in ("period_seconds", "retention", "skew_limit_ms"):
        assert f"`{field}` must be between" in text


def test_ids_beyond_64_bits_in_urls_are_404(admin_client):
    for path in (f"/api/services/{2**64}/", f"/services/{2**64}/", f"/rounds/{2**63}/"):
        assert admin_client.get(path).status_code == 404
    assert admin_client.get(f"/api/pairings/{2**64}/").json() == {"error": "Not found."}


def test_string_false_does_not_enable_a_policy(admin_client, stored_pairing, make_service):
    service = make_service(stored_pairing, enabled=False)
    response = send_json(admin_client, "put", f"/api/services/{service.pk}/",
                         {"enabled": "false"})
    assert "`enabled` must be true or false (a JSON boolean)" in problems(response)
    service.policy.refresh_from_db()
    assert not service.policy.enabled


def test_first_moment_past_the_horizon_is_refused(admin_client, stored_pairing):
    response = send_json(admin_client, "post", "/api/services/", {
        **service_body(stored_pairing), "first_moment": "9999-12-31T00:00:00+00:00"})
    assert "`first_moment` lies more than ten years ahead" in problems(response)
    response = send_json(admin_client, "post", "/api/services/", {
        **service_body(stored_pairing), "first_moment": "9999-12-31T23:00:00-14:00"})
    assert "`first_moment` is not an ISO 8601 moment" in problems(response)
    form = {**policy_form(stored_pairing, _tenant("acme")), "first_moment": "9999-12-31T23:59:59"}
    response = admin_client.post("/services/new/", form)
    assert "lies more than ten years ahead" in response.context["form"].errors["first_moment"][0]


def test_first_moment_at_the_start_of_time_is_refused(admin_client, stored_pairing):
    # Its "in the past" refusal, shown in a zone west of UTC, overflowed.
    response = send_json(admin_client, "post", "/api/services/", {
        **service_body(stored_pairing), "first_moment": "0001-01-01T00:00:00+00:00"})
    assert "`first_moment` lies before 2000" in problems(response)
    form = {**policy_form(stored_pairing, _tenant("acme")), "first_moment": "0001-01-01T00:00:00"}
    response = admin_client.post("/services/new/", form)
    assert "lies before 2000" in response.context["form"].errors["first_moment"][0]


def test_service_list_still_renders_east_of_utc_after_a_last_day_t0(admin_client, pairing,
                                                                     tenant_data):
    # Saved, a T0 of 9999-12-31 broke the list for every viewer east of UTC.
    send_json(admin_client, "post", "/api/services/", {
        **service_body(pairing), "first_moment": "9999-12-31T23:00:00+00:00"})
    admin_client.cookies["tz"] = "Asia/Tokyo"
    assert admin_client.get("/services/").status_code == 200


@pytest.mark.parametrize("zone", ["Europe", "Etc", "../../etc/passwd", "x" * 300])
def test_time_zone_cookie_that_is_no_zone_means_the_consoles_zone(admin_client, zone):
    admin_client.cookies["tz"] = zone
    assert admin_client.get("/").status_code == 200


def test_unknown_time_zone_in_the_policy_form_is_a_field_error(admin_client, stored_pairing):
    form = {**policy_form(stored_pairing, _tenant("acme")), "time_zone": "Europe"}
    response = admin_client.post("/services/new/", form)
    assert "Unknown time zone 'Europe'" in response.context["form"].errors["first_moment"][0]


def test_nul_characters_are_refused_wherever_they_come(admin_client, stored_pairing):
    response = admin_client.get("/audit/", {"actor": "ada\x00"})
    assert response.status_code == 400
    assert b"query parameter 'actor' contains a NUL character" in response.content
    response = admin_client.get("/api/data-sets/", {"tenant": "acme\x00", "pairing": "1"})
    assert "query parameter 'tenant' contains a NUL" in problems(response)
    response = send_json(admin_client, "post", "/api/services/",
                         {**service_body(stored_pairing), "name": "bills\x00"})
    assert "`name` contains a NUL character" in problems(response)
    response = admin_client.post("/pairings/new/", {"primary": "1\x00", "secondary": "2"})
    assert response.status_code == 400


def test_deeply_nested_json_is_400(admin_client):
    response = admin_client.post("/api/pairings/", data=b"[" * 100_000 + b"]" * 100_000,
                                 content_type="application/json")
    assert "nests too deeply" in problems(response)


def test_malformed_round_filter_is_400_naming_it(admin_client):
    response = admin_client.get("/rounds/", {"service": "abc"})
    assert response.status_code == 400
    assert b"?service= takes a service&#x27;s id" in response.content


def _tenant(name: str):
    from console.models import Tenant

    return Tenant.objects.get_or_create(name=name)[0]
