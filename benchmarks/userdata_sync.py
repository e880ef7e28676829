"""The user-data sync of a directory of 10,000 users and 500 tenants (20 members each):
the first sync, which adds all of them to an empty secondary, and syncs after 1% of the
users changed (60% of them changed, 20% new, 20% removed, with their tenants'
memberships), against an `ldapsearch` dump of the same directory (the baseline). The
sync right after the first reads everything again (the first one's writes are all
newer than its start) and is reported apart; the incremental syncs read what may
differ since the sync before them.

Only the two sites' slapd run. The sync is the console's own (`sync_pairing`): it reads
both directories with paged searches, compares them, writes the differences pipelined,
audits each change and records the drift. The incremental sync is measured three
times, after three different 1% changes; its median is judged.
"""

import os
import random
import statistics
import subprocess
import time

from benchmarks.roundkit import Bench, load, report

NAME = "userdata_sync"
OFFSET = 5300
USERS = int(os.environ.get("BENCH_USERS", "10000"))
TENANTS = int(os.environ.get("BENCH_TENANTS", "500"))
INCREMENTAL_RUNS = 3


def seed(bench, cluster) -> float:
    """USERS people and TENANTS tenants on site-a, written as its administrator."""
    from adapters.ldap import Ldap, Write
    from userdata.directories import entry_dn
    from userdata.entries import TENANT, USER, make_entry

    layout = bench.layout
    users = [make_entry(USER, f"user{n:05d}", cn=f"User {n}", sn="User",
                        mail=f"user{n:05d}@example.com", uidNumber=str(100000 + n),
                        gidNumber="100000", homeDirectory=f"/home/user{n:05d}")
             for n in range(USERS)]
    per_tenant = -(-USERS // TENANTS)
    tenants = [make_entry(TENANT, f"tenant{t:03d}", gidNumber=str(200000 + t),
                          memberUid=[u.key for u in users[t * per_tenant:(t + 1) * per_tenant]])
               for t in range(TENANTS)]
    started = time.perf_counter()
    with Ldap(layout.ldap_url("site-a"), layout.ldap_admin_dn("site-a"),
              layout.ldap_password()).session() as session:
        results = list(session.apply(
            Write("add", entry_dn(cluster, e.kind, e.key), e.add_attributes(), e.object_classes)
            for e in users + tenants))
    assert all(result.ok for result in results), [r for r in results if not r.ok][:3]
    return time.perf_counter() - started


def change_one_percent(bench, cluster, rng: random.Random, round_no: int) -> dict[str, int]:
    """1% of the users: 60% get a new mail, 20% are new (each joins a tenant), 20% are
    removed (and leave their tenant)."""
    from adapters.ldap import Ldap, Write
    from userdata.directories import entry_dn, read_directory
    from userdata.entries import TENANT, USER

    layout = bench.layout
    current = read_directory(cluster)
    chosen = rng.sample(sorted(current[USER]), USERS // 100)
    chosen = [key for key in chosen if key.startswith("user")]
    writes: list[Write] = []
    members: dict[str, set[str]] = {}
    by_member = {uid: t for t in current[TENANT].values() for uid in t.members}
    counts = {"changed": 0, "created": 0, "removed": 0}
    for index, key in enumerate(chosen):
        kind = index % 5
        if kind < 3:
            writes.append(Write("modify", entry_dn(cluster, USER, key),
                                {"mail": [f"{key}.{round_no}@example.org"]}))
            counts["changed"] += 1
        elif kind == 3:
            uid = f"new{round_no}x{index:04d}"
            writes.append(Write("add", entry_dn(cluster, USER, uid), {
                "uid": [uid], "cn": [uid], "sn": ["New"],
                "uidNumber": [str(900000 + round_no * 1000 + index)], "gidNumber": ["100000"],
                "homeDirectory": [f"/home/{uid}"]}, ("inetOrgPerson", "posixAccount")))
            tenant = by_member[key]
            members.setdefault(tenant.key, set(tenant.members)).add(uid)
            counts["created"] += 1
        else:
            writes.append(Write("delete", entry_dn(cluster, USER, key)))
            left = by_member.get(key)
            if left is not None:
                members.setdefault(left.key, set(left.members)).discard(key)
            counts["removed"] += 1
    writes += [Write("modify", entry_dn(cluster, TENANT, name), {"memberUid": sorted(uids)})
               for name, uids in members.items()]
    counts["tenants_changed"] = len(members)
    with Ldap(layout.ldap_url("site-a"), layout.ldap_admin_dn("site-a"),
              layout.ldap_password()).session() as session:
        results = list(session.apply(writes))
    assert all(result.ok for result in results), [r for r in results if not r.ok][:3]
    return counts


def ldapsearch_dump(bench) -> tuple[float, int]:
    """Seconds for `ldapsearch` to dump site-a's users and tenants, paged as the sync
    reads them, as the console's account (best of three)."""
    layout = bench.layout
    password_file = layout.var_dir / "lockstep-password"
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        dump = subprocess.run(
            ["ldapsearch", "-x", "-LLL", "-H", layout.ldap_url("site-a"),
             "-D", layout.ldap_console_dn("site-a"), "-y", str(password_file),
             "-b", layout.ldap_suffix("site-a"), "-E", "pr=500/noprompt",
             "(|(objectClass=inetOrgPerson)(objectClass=posixGroup))",
             "uid", "cn", "sn", "mail", "uidNumber", "gidNumber", "homeDirectory",
             "loginShell", "memberUid", "description"],
            capture_output=True, check=True)
        elapsed = time.perf_counter() - started
        best = min(best, elapsed)
    entries = dump.stdout.count(b"\ndn: ") + dump.stdout.startswith(b"dn: ")
    return best, entries


def timed_sync(pairing, **options):
    from userdata.syncing import sync_pairing

    started = time.perf_counter()
    run = sync_pairing(pairing, by="benchmark", **options)
    elapsed = time.perf_counter() - started
    assert run.state in ("synced", "compared"), (run.state, run.reason, run.counts)
    return run, elapsed


def main() -> None:
    rng = random.Random(20261130)
    with Bench(NAME, OFFSET, kinds=("ldap",)) as bench:
        from console.models import AuditEntry, Pairing
        from userdata.models import SyncSettings
        from userdata.reading import CLOCK_MARGIN

        clusters = bench.register()
        pairing = Pairing.objects.create(primary=clusters["site-a"],
                                         secondary=clusters["site-b"], created_by="benchmark")
        SyncSettings.objects.create(pairing=pairing, remove_missing=True)
        seed_s = seed(bench, clusters["site-a"])
        dump_s, dumped = ldapsearch_dump(bench)

        load_first = load()
        first, first_s = timed_sync(pairing)
        assert first.counts == {"add": USERS + TENANTS}, first.counts
        audited = AuditEntry.objects.filter(action="userdata.add").count()
        assert audited == USERS + TENANTS, audited
        # The next sync reads everything again: the first one's writes are newer than
        # its start. After that, a sync reads what changed since the one before it
        # began (less the clock margin), as rounds every few minutes do.
        time.sleep(CLOCK_MARGIN.total_seconds() + 2)
        settle, settle_s = timed_sync(pairing)
        assert settle.counts == {} and settle.since is None, (settle.counts, settle.since)

        incremental = []
        for number in range(1, INCREMENTAL_RUNS + 1):
            changes = change_one_percent(bench, clusters["site-a"], rng, number)
            load_incremental = load()
            run, elapsed = timed_sync(pairing)
            expected = {"update": changes["changed"] + changes["tenants_changed"],
                        "add": changes["created"], "remove": changes["removed"]}
            assert run.counts == expected, (run.counts, expected)
            assert run.since is not None, "read every entry"
            incremental.append({"s": round(elapsed, 3), "counts": run.counts,
                                "loadavg": load_incremental})
        check, check_s = timed_sync(pairing, dry_run=True)
        assert check.counts == {}, check.counts  # the directories now agree

    median = statistics.median(item["s"] for item in incremental)
    figures = {
        "users": USERS, "tenants": TENANTS, "members_per_tenant": -(-USERS // TENANTS),
        "first_sync_s": round(first_s, 3), "first_sync_audit_entries": audited,
        "sync_after_first_s": round(settle_s, 3),
        "incremental_sync_s": incremental, "incremental_median_s": median,
        "dry_run_after_s": round(check_s, 3), "seed_by_admin_s": round(seed_s, 3),
        "loadavg_at_first": load_first, "startup_s": round(bench.startup_s, 1),
    }
    baseline = {"ldapsearch_dump_s": round(dump_s, 3), "entries": dumped,
                "method": "ldapsearch -E pr=500 of site-a's users and tenants, the "
                          "attributes the sync reads, as the console's account; best of 3"}
    targets = {"first_sync_s": "< 60", "incremental_median_s": "< 5"}
    report(NAME, figures, baseline, targets, first_s < 60 and median < 5)


if __name__ == "__main__":
    main()
