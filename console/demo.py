"""The demo: one login per role, and the patent's bill-clearing example on site-a.

Every step is idempotent, so `./lockstep demo` can run again over an existing demo.
"""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from adapters.webhdfs import WebHdfs
from backups.models import Service
from backups.protection import ServiceRequest, save_service
from backups.scheduling import next_whole_minute
from console.accounts import ensure_user
from console.models import Cluster, Pairing, Tenant
from console.pairing import pair
from console.roles import Role
from minicluster.layout import CONSOLE_USER, HOST, SITES, SNAPSHOT_ROOT, Layout
from minicluster.services import hiveserver2_client
from notifications.models import CHOSEN_KINDS, Channel, Transport
from userdata.applying import apply_differences
from userdata.comparison import compare
from userdata.directories import read_directory
from userdata.entries import TENANT, USER, make_entry

DEMO_USERS = {"admin": Role.ADMINISTRATOR, "operator": Role.OPERATOR, "alice": Role.TENANT}
DEMO_TENANT = "acme"
BILLS_DIR = f"{SNAPSHOT_ROOT}/acme/bills"
APP_BILLS = f"{BILLS_DIR}/app"
CUSTOMERS = [(1, "Ada Lovelace"), (2, "Grace Hopper"), (3, "Edsger Dijkstra"),
             (4, "Barbara Liskov"), (5, "Donald Knuth")]
SERVICE_NAME = "bill clearing"
# The demo tenant's people in site-a's directory: (uid, name, uidNumber). Site-b's starts
# without them; the first consistent round's user-data sync brings them there.
DEMO_PEOPLE = [("alice", "Alice Liddell", "2001"), ("bob", "Bob Marley", "2002"),
               ("carol", "Carol Shaw", "2003"), ("dave", "Dave Cutler", "2004")]
DEMO_TENANT_GID = "3001"
DEMO_CHANNEL = "operators on call (demo)"


def demo_passwords(var_dir: Path) -> dict[str, str]:
    """The demo users' passwords, generated on first use and kept (mode 600) in var/."""
    path = var_dir / "demo-logins.json"
    if path.exists():
        return json.loads(path.read_text())
    passwords = {name: secrets.token_urlsafe(9) for name in DEMO_USERS}
    var_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(passwords, handle)
    return passwords


def seed_logins(var_dir: Path) -> dict[str, str]:
    tenant, _ = Tenant.objects.get_or_create(
        name=DEMO_TENANT, defaults={"display_name": "ACME Billing"}
    )
    passwords = demo_passwords(var_dir)
    for username, role in DEMO_USERS.items():
        ensure_user(username, role, passwords[username],
                    tenant if role is Role.TENANT else None)
    return passwords


def register_sites(layout: Layout) -> dict[str, Cluster]:
    clusters = {}
    for number, site in enumerate(SITES, start=1):
        ports = layout.sites[site]
        clusters[site], _ = Cluster.objects.update_or_create(name=site, defaults={
            "location": f"data centre {number} (loopback)",
            "description": "embedded mini cluster",
            "webhdfs_url": layout.webhdfs_url(site), "webhdfs_user": CONSOLE_USER,
            "hiveserver2_host": HOST, "hiveserver2_port": ports.hiveserver2,
            "hiveserver2_password": layout.account_password(CONSOLE_USER),
            "zookeeper_hosts": layout.zookeeper_hosts(site), "ldap_url": layout.ldap_url(site),
            "ldap_base_dn": layout.ldap_suffix(site), "ldap_bind_dn": layout.ldap_console_dn(site),
            "ldap_password": layout.account_password(CONSOLE_USER),
            "snapshot_root": SNAPSHOT_ROOT,
            "table_location_prefix": f"file:{layout.site_root(site)}",
            "nodes": 1, "cores": os.cpu_count(),
        })
    return clusters


def write_bill_clearing_data(layout: Layout, site: str = "site-a") -> None:
    """Customers (Hive), settlements (SparkSQL) and bill files naming those customers."""
    hive = hiveserver2_client(layout, site, "alice")
    hive.query("CREATE DATABASE IF NOT EXISTS acme")
    hive.query("CREATE TABLE IF NOT EXISTS acme.customers (id INT, name STRING) "
               "STORED AS PARQUET")
    hive.query("CREATE TABLE IF NOT EXISTS acme.settlements (bill INT, amount DOUBLE, "
               "day STRING) USING parquet PARTITIONED BY (day)")
    if not hive.query("SELECT id FROM acme.customers LIMIT 1"):
        rows = ", ".join(f"({cid}, '{name}')" for cid, name in CUSTOMERS)
        hive.query(f"INSERT INTO acme.customers VALUES {rows}")  # noqa: S608 (our constants)
    webhdfs = WebHdfs(layout.webhdfs_url(site), CONSOLE_USER)
    webhdfs.makedirs(BILLS_DIR)
    # Where the sample application (manage.py bill_clearing_app) writes, as alice.
    webhdfs.makedirs(APP_BILLS)
    webhdfs.set_owner(APP_BILLS, "alice")
    for bill in range(1, 21):
        customer = CUSTOMERS[bill % len(CUSTOMERS)][0]
        path = f"{BILLS_DIR}/bill-{bill:05d}.csv"
        if webhdfs.status(path, strict=False) is None:
            webhdfs.write(path, f"bill,customer,amount\n{bill},{customer},{bill * 9.5}\n".encode())
    if not hive.query("SELECT bill FROM acme.settlements LIMIT 1"):
        hive.query("INSERT INTO acme.settlements VALUES (1, 9.5, '2026-11-24'), "
                   "(2, 19.0, '2026-11-25')")


def seed_directory(cluster: Cluster) -> None:
    """The demo tenant and its people in the cluster's directory (changed only where they
    differ, and audited like a sync's changes)."""
    people = {name: make_entry(USER, name, cn=cn, sn=cn.split()[-1], mail=f"{name}@acme.example",
                               uidNumber=number, gidNumber=DEMO_TENANT_GID,
                               homeDirectory=f"/home/{name}", loginShell="/bin/bash")
              for name, cn, number in DEMO_PEOPLE}
    tenant = make_entry(TENANT, DEMO_TENANT, gidNumber=DEMO_TENANT_GID,
                        memberUid=[name for name, _, _ in DEMO_PEOPLE],
                        description="ACME Billing")
    wanted = {USER: people, TENANT: {DEMO_TENANT: tenant}}
    apply_differences(compare(wanted, read_directory(cluster), remove=False), cluster,
                      by="seed_demo")


def seed_bill_clearing(layout: Layout, by: str = "admin") -> Service:
    """Register and pair the two sites, write the data and define the service."""
    clusters = register_sites(layout)
    seed_directory(clusters["site-a"])
    pairing = Pairing.objects.filter(primary=clusters["site-a"]).first() or pair(
        clusters["site-a"], clusters["site-b"], by=by)
    write_bill_clearing_data(layout)
    tenant = Tenant.objects.get(name=DEMO_TENANT)
    existing = Service.objects.filter(tenant=tenant, name=SERVICE_NAME).first()
    if existing is not None:
        return existing
    return save_service(ServiceRequest(
        tenant=tenant, name=SERVICE_NAME, pairing=pairing,
        description="Bill details (HDFS), customers (Hive), settlements (SparkSQL)",
        data_sets=[("hdfs", BILLS_DIR), ("hive", "acme.customers"),
                   ("sparksql", "acme.settlements")],
        first_moment=next_whole_minute(timezone.now()) + timedelta(minutes=1),
        period=timedelta(minutes=5), retention=12,
    ), by=by)


def seed_demo_channel() -> Channel:
    """An e-mail channel of the operators for every kind: with the console mail backend
    (the demo's), each notification's e-mail shows in the workers' logs."""
    return Channel.objects.get_or_create(name=DEMO_CHANNEL, defaults={
        "transport": Transport.EMAIL, "target": "oncall@lockstep.invalid",
        "role": Role.OPERATOR.value, "kinds": [kind.value for kind in CHOSEN_KINDS],
        "created_by": "admin"})[0]

