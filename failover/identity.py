"""A cluster's identity, as recorded in that cluster's own ZooKeeper.

The epoch grows on every reversal, so a returning old primary (lower epoch) can be
told apart from the current one and fenced.
"""

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum

from adapters.zookeeper import ABSENT, ZooKeeper

IDENTITY_NODE = "identity"


class ClusterRole(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


@dataclass(frozen=True)
class Identity:
    role: ClusterRole
    epoch: int
    since: datetime
    by: str
    cluster: str
    peer: str
    # A primary whose application writes are refused (WebHDFS and Spark SQL) while a
    # planned switchover makes its final rounds.
    fenced: bool = False

    def to_json(self) -> dict:
        return {**asdict(self), "role": self.role.value, "since": self.since.isoformat()}

    @classmethod
    def from_json(cls, document: dict) -> "Identity":
        return cls(
            role=ClusterRole(document["role"]),
            epoch=int(document["epoch"]),
            since=datetime.fromisoformat(document["since"]),
            by=document["by"],
            cluster=document["cluster"],
            peer=document["peer"],
            fenced=bool(document.get("fenced", False)),
        )


@dataclass(frozen=True)
class Recorded:
    """An identity as read, with the node's version for a compare-and-set write."""

    identity: Identity | None
    version: int


def read_identity(zookeeper: ZooKeeper) -> Identity | None:
    return load_identity(zookeeper).identity


def load_identity(zookeeper: ZooKeeper) -> Recorded:
    """The identity, or None when there is none or the node holds no identity a console
    wrote (a node made by another hand before the console protected it): such a record
    names no pairing, and the version still guards replacing it."""
    document, version = zookeeper.read_versioned(IDENTITY_NODE)
    return Recorded(identity_from(document), version)


def identity_from(document: dict | None) -> Identity | None:
    """The identity a node's JSON object holds; None for no node, or for a node that
    holds no identity a console wrote."""
    try:
        return None if document is None else Identity.from_json(document)
    except (KeyError, TypeError, ValueError):
        return None


def write_identity(zookeeper: ZooKeeper, identity: Identity, over: Recorded) -> Recorded:
    """Replace the identity `over` was read from, only if nobody changed it since
    (raises VersionConflict otherwise): two consoles or pairings never both win. The
    node where applications' clients report themselves is made with it."""
    written = zookeeper.write_versioned(IDENTITY_NODE, identity.to_json(), over.version)
    zookeeper.open_clients()
    return Recorded(identity, written)


def clear_identity(zookeeper: ZooKeeper, over: Recorded | None = None) -> None:
    """Remove the identity (only the one `over` was read from, when given)."""
    zookeeper.delete(IDENTITY_NODE, over.version if over else ABSENT)
