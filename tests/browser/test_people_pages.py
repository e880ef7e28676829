"""An administrator sets up a tenant and its first user through the console's own pages
(no Django admin), and the Users list's filters survive a reload."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from console.models import Tenant
from console.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_administrator_creates_a_tenant_and_a_user_and_filters_users(page, log_in, make_user):
    make_user("ada", Role.ADMINISTRATOR)
    make_user("otto", Role.OPERATOR)
    log_in("ada")

    page.locator("header nav").get_by_role("link", name="Tenants").click()
    page.get_by_role("link", name="New tenant").click()
    page.get_by_label("Name", exact=True).fill("acme")
    page.get_by_label("Display name").fill("ACME Corp")
    page.get_by_label("HDFS roots").fill("/data/acme\n/archive/acme")
    page.get_by_label("Databases").fill("acme")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/tenants/$"))
    expect(page.locator(".messages")).to_contain_text("Tenant acme saved")
    expect(page.locator("#tenants")).to_contain_text("/data/acme, /archive/acme")

    # A second tenant inside the first one's root is refused, naming the first.
    page.get_by_role("link", name="New tenant").click()
    page.get_by_label("Name", exact=True).fill("globex")
    page.get_by_label("HDFS roots").fill("/data/acme/ledger")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist")).to_contain_text(
        "/data/acme/ledger overlaps acme's /data/acme: a directory belongs to one tenant only.")

    page.locator("header nav").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("E-mail").fill("alice@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-new-password")
    page.get_by_label("Password confirmation").fill("a-long-new-password")
    page.locator("input[name=roles][value=tenants]").check()
    page.get_by_label("ACME Corp").check()
    page.get_by_role("button", name="Create the user").click()
    expect(page.locator(".messages")).to_contain_text("User alice created.")
    expect(page.get_by_role("heading", name="User alice")).to_be_visible()

    page.locator("header nav").get_by_role("link", name="Users").click()
    acme = Tenant.objects.get(name="acme")
    page.select_option("#user-filters select[name=role]", "tenants")
    page.select_option("#user-filters select[name=tenant]", str(acme.pk))
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(f"/users/?q=&role=tenants&tenant={acme.pk}")
    page.reload()
    expect(page.locator("#user-filters select[name=role]")).to_have_value("tenants")
    expect(page.locator("#user-filters select[name=tenant]")).to_have_value(str(acme.pk))
    expect(page.locator("#users tbody tr")).to_have_count(1)
    expect(page.locator("#users tbody tr")).to_contain_text("alice")
    expect(page.locator("#users tbody tr")).to_contain_text("tenants")


def test_audit_date_filters_survive_a_reload(page, log_in, make_user):
    make_user("ada", Role.ADMINISTRATOR)
    log_in("ada")
    today = date.today()
    since, until = str(today - timedelta(days=1)), str(today + timedelta(days=1))
    page.goto("/audit/")
    page.locator("#audit-filters input[name=action]").fill("login")
    page.locator("#audit-filters input[name=since]").fill(since)
    page.locator("#audit-filters input[name=until]").fill(until)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(f"/audit/?actor=&action=login&outcome=&since={since}&until={until}")
    page.reload()
    expect(page.locator("#audit-filters input[name=since]")).to_have_value(since)
    expect(page.locator("#audit-filters input[name=until]")).to_have_value(until)
    expect(page.locator("table tbody tr").first).to_contain_text("ada")
