"""The demo's sample application on the failover client library (failover/client.py): the
bill-clearing writer. Every few seconds it adds customer n to acme.customers through
HiveServer2, then bill n naming that customer through WebHDFS, on whichever cluster is
primary, and logs where. After a failover or a planned switchover it writes to the new
primary within seconds, without a change to its configuration; the Failover page lists it
with the cluster it uses.

Each write is idempotent (the customer is inserted only if absent, the bill overwritten),
so an operation cut by a switch is simply retried on the new primary.
"""

import logging
import threading
from collections.abc import Callable

from failover.client import Active, FollowingClient, NoPrimary, Switching

log = logging.getLogger(__name__)
BILLS = "/data/acme/bills/app"  # console/demo.py makes it, alice's


def next_customer(client: FollowingClient) -> int:
    """One past the highest customer id (10,000 at least: clear of the demo's own)."""
    rows = client.retry(lambda active: active.hiveserver2.query(
        "SELECT max(id) FROM acme.customers"))
    return max(10_000, (rows[0][0] or 0) + 1)


def write_customer_and_bill(customer: int) -> Callable[[Active], str]:
    def write(active: Active) -> str:
        active.hiveserver2.query(
            f"INSERT INTO acme.customers SELECT {customer}, 'customer {customer}' "  # noqa: S608
            f"WHERE NOT EXISTS (SELECT 1 FROM acme.customers WHERE id = {customer})")
        active.webhdfs.write(f"{BILLS}/bill-{customer}.csv",
                             f"bill,customer\n{customer},{customer}\n".encode(), overwrite=True)
        return f"{active.name} (epoch {active.epoch})"

    return write


def run(client: FollowingClient, interval: float, stopping: threading.Event) -> None:
    """Write a customer and its bill every `interval` seconds until `stopping` is set."""
    customer = next_customer(client)
    while not stopping.is_set():
        try:
            where = client.retry(write_customer_and_bill(customer), deadline=60)
        except (Switching, NoPrimary) as error:
            log.warning("customer %d not written yet: %s", customer, error)
        except Exception as error:
            log.warning("customer %d not written: %s; trying again", customer, error)
        else:
            log.info("customer %d and bill-%d.csv written to %s", customer, customer, where)
            customer += 1
        stopping.wait(interval)
