"""What a sync reads of a pairing's two directories.

Every entry of both, when asked to, when no comparison of the pair is recent or
when much changed. Otherwise only what may differ since the last comparison (`since`,
less a margin for the servers' clocks): the entries modified or created on either side
since then, the entries found on one side only (names are listed, a page at a time,
and nothing else of the rest is read), the entries that still differed then (the
drift), and the entries holding the identity numbers of all these on the other side,
so that a conflict with an unchanged entry is still seen. Every comparison leaves each
difference it did not settle in the drift, and the sync's own writes are modified
after its start: so an entry outside this set is equal on both sides, and comparing
the set finds every difference a full comparison would.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.ldap import LdapSession, changed_since
from console.models import Cluster, Pairing
from userdata.directories import (
    BATCH,
    list_keys,
    open_directory,
    read_directory,
    read_where,
)
from userdata.entries import KINDS, Entry, Kind, Snapshot

# The directories' clocks may differ from the console's (a cluster's hosts keep one time,
# within seconds): entries modified this long before the last comparison began are read
# again.
CLOCK_MARGIN = timedelta(minutes=1)
# Past this share of a directory's entries (and a few batches), reading all of them is
# cheaper than asking for them by name.
SELECTIVE_SHARE = 0.25
SELECTIVE_MINIMUM = 4 * BATCH


@dataclass(frozen=True)
class Reading:
    primary: Snapshot
    secondary: Snapshot
    # The entries changed since this moment were read (and those around them); None:
    # every entry.
    since: datetime | None


def read_pair(pairing: Pairing, since: datetime | None,
              drift: dict[Kind, set[str]]) -> Reading:
    """The pairing's two directories: what may differ since `since` (None: every
    entry); `drift` names, by kind, the folded keys that still differed then."""
    if since is not None:
        reading = _read_selectively(pairing, since - CLOCK_MARGIN, drift)
        if reading is not None:
            return reading
    # Side by side: each read waits mostly on its own server.
    with ThreadPoolExecutor(max_workers=2) as pool:
        reads = [pool.submit(read_directory, cluster)
                 for cluster in (pairing.primary, pairing.secondary)]
        return Reading(reads[0].result(), reads[1].result(), None)


Side = tuple[LdapSession, Cluster]


def _read_selectively(pairing: Pairing, since: datetime,
                      drift: dict[Kind, set[str]]) -> Reading | None:
    """The entries that may differ, or None when so many may that reading every entry
    is cheaper."""
    primary: Snapshot = {}
    secondary: Snapshot = {}
    with open_directory(pairing.primary) as first, open_directory(pairing.secondary) as second:
        for kind in KINDS:
            found = _kind_selectively(kind, (first, pairing.primary),
                                      (second, pairing.secondary), since,
                                      drift.get(kind, set()))
            if found is None:
                return None
            primary[kind], secondary[kind] = found
    return Reading(primary, secondary, since)


def _kind_selectively(kind: Kind, primary: Side, secondary: Side, since: datetime,
                      drift: set[str]) -> tuple[dict[str, Entry], dict[str, Entry]] | None:
    sides = (primary, secondary)

    def names(side: Side) -> tuple[set[str], set[str]]:
        return list_keys(*side, kind), list_keys(*side, kind, changed_since(since))

    # Side by side: each listing waits mostly on its own server.
    with ThreadPoolExecutor(max_workers=2) as pool:
        (keys_p, changed_p), (keys_s, changed_s) = pool.map(names, sides)
    keys, changed = (keys_p, keys_s), (changed_p, changed_s)
    wanted = changed[0] | changed[1] | (keys[0] ^ keys[1]) | drift
    if len(wanted) > max(SELECTIVE_MINIMUM, SELECTIVE_SHARE * max(map(len, keys))):
        return None
    found = [read_where(*side, kind, kind.key, wanted & keys[n])
             for n, side in enumerate(sides)]
    # The secondary's holders of the primary's numbers, and the primary's entries of the
    # same names: an unchanged pair is equal, so one step covers every conflict.
    holders = read_where(*secondary, kind, kind.identity,
                         {entry.identity for entry in found[0].values() if entry.identity})
    found[1].update(holders)
    found[0].update(read_where(*primary, kind, kind.key, (set(holders) & keys[0]) - set(
        found[0])))
    return found[0], found[1]
