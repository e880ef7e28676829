"""The setup flows as people do them in a browser: an administrator registers and pairs
the two mini-cluster sites, a tenant defines a service, another tenant cannot see it."""

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import dateformat
from playwright.sync_api import Locator, Page, expect

from backups.models import Service
from console.models import Cluster, Tenant
from console.roles import Role
from minicluster.layout import SITES, Layout
from tests.conftest import _clear_identities, cluster_fields

pytestmark = pytest.mark.browser


@pytest.fixture
def identities_cleared(minicluster: Layout) -> Iterator[None]:
    """For tests that pair through the page: the ZooKeepers forget the pairing afterwards."""
    yield
    _clear_identities(minicluster)


def fill_cluster_form(page: Page, fields: dict) -> None:
    for name, value in fields.items():
        page.locator(f"[name={name}]").fill(str(value))


def cluster_row(page: Page, site: str):
    return page.locator(f"tr[data-cluster='{site}']")


def row_value(table: Locator, heading: str) -> Locator:
    """The value cell of the row whose heading cell reads exactly `heading`."""
    header = table.page.locator("th", has_text=re.compile(rf"^{re.escape(heading)}$"))
    return table.locator("tr", has=header).locator("td")


def test_administrator_registers_both_sites_and_pairs_them(
    page, log_in, make_user, minicluster, identities_cleared
):
    make_user("ada", Role.ADMINISTRATOR)
    log_in("ada")
    for site in SITES:
        page.goto("/clusters/")
        page.get_by_role("link", name="Register a cluster").click()
        expect(page.get_by_role("heading", name="Register a cluster")).to_be_visible()
        fill_cluster_form(page, cluster_fields(minicluster, site))
        page.get_by_role("button", name="Check and save").click()
        expect(page).to_have_url(re.compile(r"/clusters/$"))
        expect(page.locator(".messages")).to_contain_text(
            f"Cluster {site} saved: every endpoint answered.")
    for site in SITES:
        # Filled in by the page's fetch of the live state, asked of the site's ZooKeeper.
        expect(cluster_row(page, site).locator("td.identity")).to_have_text("unpaired")

    page.locator("select[name=primary]").select_option(label="site-a")
    page.locator("select[name=secondary]").select_option(label="site-b")
    page.get_by_role("button", name="Pair").click()

    expect(page.locator(".messages")).to_contain_text("Paired")
    expect(page.locator(".messages")).to_contain_text("identities written to both ZooKeepers")
    site_a, site_b = cluster_row(page, "site-a"), cluster_row(page, "site-b")
    expect(site_a).to_contain_text("primary of site-b")
    expect(site_b).to_contain_text("secondary of site-a")
    expect(site_a.locator("td.identity")).to_have_text(re.compile(r"^primary \(epoch \d+\)$"))
    expect(site_b.locator("td.identity")).to_have_text(re.compile(r"^secondary \(epoch \d+\)$"))
    for row in (site_a, site_b):
        expect(row.locator("td.endpoints")).to_contain_text("✔ HiveServer2")
        expect(row.locator("td.endpoints")).not_to_contain_text("✘")


def test_refused_registration_names_hiveserver2_and_saves_nothing(
    page, log_in, make_user, minicluster
):
    make_user("ada", Role.ADMINISTRATOR)
    log_in("ada")
    closed_port = minicluster.sites["site-a"].hiveserver2 + 500
    page.goto("/clusters/new/")
    fill_cluster_form(page, {**cluster_fields(minicluster, "site-a"),
                             "hiveserver2_port": closed_port})
    page.get_by_role("button", name="Check and save").click()

    errors = page.locator("form .errorlist")
    expect(errors).to_contain_text("HiveServer2 check failed")
    expect(errors).to_contain_text(str(closed_port))
    expect(errors).not_to_contain_text("WebHDFS")
    # What was typed stays on the form, to be corrected.
    expect(page.locator("[name=hiveserver2_port]")).to_have_value(str(closed_port))
    page.goto("/clusters/")
    expect(page.locator("#clusters")).to_contain_text("No cluster registered yet.")
    assert not Cluster.objects.exists()


def test_tenant_defines_a_service_and_sees_its_next_round(
    page, log_in, make_user, pairing, tenant_data
):
    make_user("tina", Role.TENANT, tenant="acme")
    Tenant.objects.filter(name="acme").update(hdfs_roots="/data/acme\n/archive/acme")
    log_in("tina")
    page.goto("/services/")
    page.get_by_role("link", name="Define a service to back up").click()
    expect(page.get_by_role("heading", name="Define a service to back up")).to_be_visible()

    page.get_by_label("Service to be backed up").fill("bill clearing")
    for locator in (tenant_data.bills, tenant_data.customers, tenant_data.settlements):
        page.get_by_role("checkbox", name=locator, exact=True).check()
    mode = page.locator("#mode")
    expect(mode).to_have_text("atomic")
    expect(page.locator("#mode-why")).to_contain_text("every data set lies under /data")

    # A directory outside the snapshot root makes the round synchronized, as it is typed...
    typed = page.locator("[name=typed]")
    typed.fill("/archive/acme")
    expect(mode).to_have_text("synchronized")
    expect(page.locator("[name=skew_limit_ms]")).to_be_editable()
    typed.fill("")
    expect(mode).to_have_text("atomic")
    # ... or picked among the data sets discovered under the tenant's second root.
    archive = page.get_by_role("checkbox", name=tenant_data.archive, exact=True)
    archive.check()
    expect(mode).to_have_text("synchronized")
    archive.uncheck()
    expect(mode).to_have_text("atomic")

    # T0 as the page offers it: about five minutes ahead, in the browser's time zone.
    first_moment = page.get_by_label("First backup moment (T0)").input_value()
    expect(page.locator("#zone-name")).to_have_text("(Europe/Berlin)")
    page.get_by_label("Every", exact=True).fill("5")
    page.locator("select[name=period_unit]").select_option("minutes")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/services/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("Service bill clearing saved.")
    expect(page.get_by_role("heading", name="bill clearing")).to_be_visible()
    typed_moment = datetime.fromisoformat(first_moment).replace(tzinfo=ZoneInfo("Europe/Berlin"))
    # Shown back in the browser's own zone.
    shown = dateformat.format(typed_moment, "Y-m-d H:i:s T")
    details = page.locator(".card table")
    expect(row_value(details, "First backup moment (T0)")).to_have_text(shown)
    expect(row_value(details, "Next round")).to_have_text(shown)
    expect(row_value(details, "Period")).to_have_text("every 5 minutes")
    expect(row_value(details, "Consistency")).to_have_text(re.compile(r"^atomic\b"))
    expect(row_value(details, "Policy")).to_have_text("enabled")
    group = page.locator("#protection-group")
    for locator in (tenant_data.bills, tenant_data.customers, tenant_data.settlements):
        expect(group).to_contain_text(locator)
    expect(group.locator("tbody tr")).to_have_count(3)


def test_another_tenant_neither_sees_nor_opens_the_service(
    page, log_in, make_user, pairing, make_service
):
    theirs = make_service(pairing, tenant="acme", name="bill clearing")
    make_service(pairing, tenant="globex", name="ledger", paths=("/data/globex/ledger",))
    make_user("gina", Role.TENANT, tenant="globex")
    log_in("gina")
    page.goto("/services/")
    services = page.locator("main table")
    expect(services.get_by_role("link", name="ledger")).to_be_visible()
    expect(services).not_to_contain_text("bill clearing")
    expect(services).not_to_contain_text("acme")

    response = page.goto(f"/services/{theirs.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text("bill clearing")
    response = page.goto(f"/services/{theirs.pk}/edit/")
    assert response is not None and response.status == 404
    assert Service.objects.filter(pk=theirs.pk).exists()
