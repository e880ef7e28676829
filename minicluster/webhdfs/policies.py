"""HDFS's block storage policies (BlockStoragePolicySuite's defaults): which storage
types a file's replicas go to. The embedded cluster keeps every byte on one disk, so a
policy changes only what is reported and counted against quotas by storage type."""

from dataclasses import dataclass
from typing import Any

from minicluster.webhdfs.errors import HadoopIllegalArgument, IllegalArgument

UNSPECIFIED = 0
HOT = 7


@dataclass(frozen=True)
class Policy:
    id: int
    name: str
    storage_types: tuple[str, ...]
    creation_fallbacks: tuple[str, ...]
    replication_fallbacks: tuple[str, ...]
    copy_on_create_file: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "storageTypes": list(self.storage_types),
            "creationFallbacks": list(self.creation_fallbacks),
            "replicationFallbacks": list(self.replication_fallbacks),
            "copyOnCreateFile": self.copy_on_create_file,
        }


POLICIES = (  # GETALLSTORAGEPOLICY's order
    Policy(1, "PROVIDED", ("PROVIDED", "DISK"), ("PROVIDED", "DISK"), ("PROVIDED", "DISK")),
    Policy(2, "COLD", ("ARCHIVE",), (), ()),
    Policy(5, "WARM", ("DISK", "ARCHIVE"), ("DISK", "ARCHIVE"), ("DISK", "ARCHIVE")),
    Policy(HOT, "HOT", ("DISK",), (), ("ARCHIVE",)),
    Policy(10, "ONE_SSD", ("SSD", "DISK"), ("SSD", "DISK"), ("SSD", "DISK")),
    Policy(12, "ALL_SSD", ("SSD",), ("DISK",), ("DISK",)),
    Policy(14, "ALL_NVDIMM", ("NVDIMM",), ("DISK",), ("DISK",)),
    Policy(15, "LAZY_PERSIST", ("RAM_DISK", "DISK"), ("DISK",), ("DISK",), True),
)
BY_ID = {policy.id: policy for policy in POLICIES}
BY_NAME = {policy.name: policy for policy in POLICIES}
STORAGE_TYPES = ("RAM_DISK", "SSD", "DISK", "ARCHIVE", "PROVIDED", "NVDIMM")


def named(name: str | None) -> Policy:
    policy = BY_NAME.get((name or "").upper())
    if policy is None:
        raise HadoopIllegalArgument(f"Cannot find a block policy with the name {name}")
    return policy


def storage_type(name: str) -> str:
    kind = name.upper()
    if kind not in STORAGE_TYPES:
        raise IllegalArgument(f"No enum constant org.apache.hadoop.fs.StorageType.{kind}")
    return kind


def placement(policy_id: int, replication: int) -> dict[str, int]:
    """How many of a file's replicas each storage type holds (chooseStorageTypes: the
    policy's list, its last type repeated for the remaining replicas)."""
    types = BY_ID.get(policy_id, BY_ID[HOT]).storage_types
    counts: dict[str, int] = {}
    for index in range(replication):
        kind = types[min(index, len(types) - 1)]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def refused_after_creation(policy: Policy) -> HadoopIllegalArgument:
    described = (f"BlockStoragePolicy{{{policy.name}:{policy.id}, storageTypes=["
                 f"{', '.join(policy.storage_types)}], creationFallbacks=["
                 f"{', '.join(policy.creation_fallbacks)}], replicationFallbacks=["
                 f"{', '.join(policy.replication_fallbacks)}]}}")
    return HadoopIllegalArgument(f"Policy {described} cannot be set after file creation.")


def locked_after_creation() -> HadoopIllegalArgument:
    return HadoopIllegalArgument(
        "Existing policy LAZY_PERSIST cannot be changed after file creation.")
