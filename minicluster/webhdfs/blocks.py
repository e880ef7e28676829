"""A file's blocks as HDFS reports them (GETFILEBLOCKLOCATIONS and the older
GET_BLOCK_LOCATIONS), every one on the cluster's single datanode; Spark's file listing
asks for them to plan its splits.

A file is cut at its block size, unless CONCAT joined it: HDFS then keeps each part's
blocks, so the layout is stored. An append fills the last block before starting new
ones, and a truncate cuts the layout, so the stored sizes are fitted to the file's
length whenever they are read.
"""

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


def fit(stored: list[int] | None, length: int, block_size: int) -> list[int]:
    """The sizes of a file's blocks, from a stored layout (or none) and its length."""
    sizes: list[int] = []
    done = 0
    for size in stored or []:
        if done >= length:
            break
        sizes.append(min(size, length - done))
        done += sizes[-1]
    if sizes and done < length and sizes[-1] < block_size:
        sizes[-1] += min(block_size - sizes[-1], length - done)
        done = sum(sizes)
    while done < length:
        sizes.append(min(block_size, length - done))
        done += sizes[-1]
    return sizes


def charged(sizes: list[int], block_size: int) -> int:
    """The bytes a quota charges a file while its last block is written: a block under
    construction counts whole, as HDFS allocates it."""
    return sum(sizes) - sizes[-1] + block_size if sizes else 0


def boundaries(sizes: list[int]) -> set[int]:
    ends, total = {0}, 0
    for size in sizes:
        total += size
        ends.add(total)
    return ends


def spans(sizes: list[int], offset: int, count: int | None) -> list[tuple[int, int, int]]:
    """(index, start, size) of the blocks overlapping [offset, offset + count)."""
    length = sum(sizes)
    end = length if count is None else min(length, offset + count)
    found, start = [], 0
    for index, size in enumerate(sizes):
        if start < end and start + size > offset:
            found.append((index, start, size))
        start += size
    return found


def locations_json(blocks: list[tuple[int, int, int]], node: Datanode) -> dict[str, Any]:
    return {"BlockLocations": {"BlockLocation": [
        {"length": size, "offset": start, "corrupt": False, "storageTypes": ["DISK"],
         "cachedHosts": [], "hosts": [node.host], "names": [f"{node.host}:{node.port}"],
         "topologyPaths": [f"/default-rack/{node.host}:{node.port}"]}
        for _, start, size in blocks
    ]}}


def located_json(file_id: int, sizes: list[int], blocks: list[tuple[int, int, int]],
                 node: Datanode) -> dict[str, Any]:
    def located(index: int, start: int, size: int) -> dict[str, Any]:
        return {
            "block": {"blockPoolId": BLOCK_POOL, "blockId": FIRST_BLOCK_ID + (file_id << 20)
                      + index, "numBytes": size, "generationStamp": GENERATION_STAMP},
            "blockToken": {"urlString": EMPTY_TOKEN}, "isCorrupt": False,
            "startOffset": start, "storageTypes": ["DISK"], "cachedLocations": [],
            "locations": [node.as_json()],
        }

    every = spans(sizes, 0, None)
    return {"LocatedBlocks": {
        "fileLength": sum(sizes), "isUnderConstruction": False,
        "isLastBlockComplete": bool(sizes),
        "locatedBlocks": [located(*block) for block in blocks],
        "lastLocatedBlock": located(*every[-1]) if every else None,
    }}
