"""A tenant finds a restore point from the navigation, walks its snapshot down and back up
by the breadcrumbs, and compares it with the service's next point."""

import pytest
from playwright.sync_api import expect

from console.roles import Role
from tests.backups.conftest import restore_point_of
from tests.conftest import BROWSED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tenant_browses_a_restore_point_and_compares_two(
        log_in, make_user, browsed_service, browsed_files):
    service = browsed_service
    first = restore_point_of(service)
    browsed_files.write(f"{BROWSED}/2026-11/bill-0002.csv", b"new\n")
    second = restore_point_of(service)
    make_user("tina", Role.TENANT, tenant="acme")
    page = log_in("tina")
    page.get_by_role("link", name="Restore points").click()
    expect(page.locator("#point-rows tr")).to_have_count(2)
    page.select_option("#point-filters select[name=service]", str(service.pk))
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(f"/restore-points/?q=&service={service.pk}&since=&until=")
    page.reload()
    expect(page.locator("#point-filters select[name=service]")).to_have_value(str(service.pk))
    page.locator(f"#point-rows tr[data-point='{first.pk}'] td a").first.click()
    expect(page.locator("#point-summary")).to_contain_text(first.name)
    page.locator("#point-data-sets a").click()
    page.get_by_role("link", name="2026-11/").click()
    expect(page.locator("#point-crumbs")).to_contain_text("2026-11")
    expect(page.locator("#point-listing")).to_contain_text("bill-0001.csv")
    expect(page.locator("#point-listing")).not_to_contain_text("bill-0002.csv")
    with page.expect_download() as download:
        page.get_by_role("link", name="bill-0001.csv").click()
    assert download.value.suggested_filename == "bill-0001.csv"
    page.locator("#point-crumbs").get_by_role("link", name=BROWSED).click()
    expect(page.locator("#point-listing")).to_contain_text("keep.csv")
    page.select_option("#point-compare select[name=with]", second.name)
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-summary")).to_contain_text(second.name)
    created = page.locator("#compare-changes tr.created")
    expect(created).to_have_count(1)
    expect(created).to_contain_text(f"{BROWSED}/2026-11/bill-0002.csv")
