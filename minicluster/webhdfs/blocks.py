"""A file's blocks as HDFS reports them (GETFILEBLOCKLOCATIONS and the older
GET_BLOCK_LOCATIONS): cut at the file's block size, every one on the cluster's single
datanode. Spark's file listing asks for them to plan its splits."""

from dataclasses import dataclass
from typing import Any

BLOCK_POOL = "BP-lockstep-127.0.0.1"
FIRST_BLOCK_ID = 1073741825
GENERATION_STAMP = 1001
# An insecure namenode's empty block token, as Hadoop encodes it: no secret.
EMPTY_TOKEN = "AAAAAA"  # noqa: S105


@dataclass(frozen=True)
class Datanode:
    host: str
    port: int

    def as_json(self) -> dict[str, Any]:
        return {
            "ipAddr": self.host, "name": f"{self.host}:{self.port}", "hostName": self.host,
            "storageID": f"lockstep-{self.host}-{self.port}", "xferPort": self.port,
            "infoPort": self.port, "infoSecurePort": 0, "ipcPort": self.port,
            "capacity": 0, "dfsUsed": 0, "remaining": 0, "blockPoolUsed": 0,
            "cacheCapacity": 0, "cacheUsed": 0, "lastUpdate": 0, "lastUpdateMonotonic": 0,
            "xceiverCount": 0, "networkLocation": "/default-rack", "adminState": "NORMAL",
            "lastBlockReportTime": 0, "lastBlockReportMonotonic": 0,
        }


def spans(length: int, block_size: int, offset: int, count: int | None) -> list[tuple[
        int, int, int]]:
    """(index, start, size) of the blocks overlapping [offset, offset + count)."""
    end = length if count is None else min(length, offset + count)
    found = []
    for index, start in enumerate(range(0, length, block_size)):
        size = min(block_size, length - start)
        if start < end and start + size > offset:
            found.append((index, start, size))
    return found


def locations_json(blocks: list[tuple[int, int, int]], node: Datanode) -> dict[str, Any]:
    return {"BlockLocations": {"BlockLocation": [
        {"length": size, "offset": start, "corrupt": False, "storageTypes": ["DISK"],
         "cachedHosts": [], "hosts": [node.host], "names": [f"{node.host}:{node.port}"],
         "topologyPaths": [f"/default-rack/{node.host}:{node.port}"]}
        for _, start, size in blocks
    ]}}


def located_json(file_id: int, length: int, block_size: int,
                 blocks: list[tuple[int, int, int]], node: Datanode) -> dict[str, Any]:
    def located(index: int, start: int, size: int) -> dict[str, Any]:
        return {
            "block": {"blockPoolId": BLOCK_POOL, "blockId": FIRST_BLOCK_ID + (file_id << 20)
                      + index, "numBytes": size, "generationStamp": GENERATION_STAMP},
            "blockToken": {"urlString": EMPTY_TOKEN}, "isCorrupt": False,
            "startOffset": start, "storageTypes": ["DISK"], "cachedLocations": [],
            "locations": [node.as_json()],
        }

    every = spans(length, block_size, 0, None)
    return {"LocatedBlocks": {
        "fileLength": length, "isUnderConstruction": False,
        "isLastBlockComplete": bool(length),
        "locatedBlocks": [located(*block) for block in blocks],
        "lastLocatedBlock": located(*every[-1]) if every else None,
    }}
