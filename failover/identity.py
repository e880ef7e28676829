"""A cluster's identity, as recorded in that cluster's own ZooKeeper.

The epoch grows on every reversal, so a returning old primary (lower epoch) can be
told apart from the current one and fenced.
"""

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum

from adapters.zookeeper import ZooKeeper

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
        )


def read_identity(zookeeper: ZooKeeper) -> Identity | None:
    document = zookeeper.read_json(IDENTITY_NODE)
    return None if document is None else Identity.from_json(document)


def write_identity(zookeeper: ZooKeeper, identity: Identity) -> None:
    zookeeper.write_json(IDENTITY_NODE, identity.to_json())


def clear_identity(zookeeper: ZooKeeper) -> None:
    zookeeper.delete(IDENTITY_NODE)
