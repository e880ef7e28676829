"""The two HTTP listeners of a cluster: the namenode answers metadata operations and
redirects data operations to the datanode, which streams file bytes both ways.

Namespace work runs on one thread (the namesystem lock, as in HDFS); bytes are
received by receiver threads (upload.py) and sent with sendfile, never whole files in
memory.
"""

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlencode

from aiohttp import web

from minicluster.webhdfs import acl, blocks, checksum, policies, quotas, xattrs
from minicluster.webhdfs.attributes import Attributes
from minicluster.webhdfs.disk import is_gone
from minicluster.webhdfs.errors import (
    Authorization,
    FileNotFound,
    IllegalArgument,
    IOFailure,
    RemoteError,
)
from minicluster.webhdfs.inodes import DEFAULT_BLOCK_SIZE, DEFAULT_REPLICATION, Node
from minicluster.webhdfs.namespace import (
    LIST_LIMIT,
    MAX_MTIME,
    Namespace,
    Settings,
    split_path,
)
from minicluster.webhdfs.params import Params, invalid
from minicluster.webhdfs.permissions import Caller
from minicluster.webhdfs.snapshots import SNAPSHOT_QUOTA, Snapshots
from minicluster.webhdfs.space import Space
from minicluster.webhdfs.standby import Standby
from minicluster.webhdfs.upload import Receivers, UploadLimits, must_close, receive_body

PREFIX = "/webhdfs/v1"
DEFAULT_WEB_USER = "dr.who"  # hadoop.http.staticuser.user
log = logging.getLogger(__name__)
T = TypeVar("T")


class Cluster:
    """One cluster's namespace, its addresses, and the thread its metadata work runs on."""

    def __init__(self, settings: Settings, host: str, namenode_port: int,
                 datanode_port: int, limits: UploadLimits | None = None,
                 standby: Standby | None = None, capacity: int | None = None) -> None:
        self.namespace = Namespace(settings)
        self.standby = standby or Standby(None)
        self.snapshots = Snapshots(self.namespace)
        self.attributes = Attributes(self.namespace)
        self.host = host
        self.namenode_port = namenode_port
        self.datanode_port = datanode_port
        self.datanode = blocks.Datanode(host, datanode_port)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="namesystem")
        self.receivers = Receivers(limits)
        self.space = Space(str(settings.root), capacity)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, partial(function, *args))

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self.receivers.close()
        self.standby.close()
        self.namespace.close()


@dataclass(frozen=True)
class Call:
    path: str
    params: Params
    caller: Caller
    user: str
    doas: str | None


def parse_call(request: web.Request, namespace: Namespace) -> Call:
    raw = request.rel_url.raw_path[len(PREFIX):]
    # Percent-decoding only: a '+' in a path is a plus, as in Hadoop.
    path = "/" + "/".join(split_path(unquote(raw) or "/"))
    params = Params.from_query(request.rel_url.raw_query_string)
    params.check_types()
    user = params.text("user.name") or DEFAULT_WEB_USER
    doas = params.text("doas")
    if doas and doas != user and not namespace.caller(user).superuser:
        raise Authorization(f"User: {user} is not allowed to impersonate {doas}")
    return Call(path, params, namespace.caller(doas or user), user, doas)


def read_range(size: int, call: Call) -> tuple[int, int]:
    """OPEN's (offset, count) within a file of `size` readable bytes."""
    offset = call.params.integer("offset", 0, minimum=0) or 0
    length = call.params.integer("length", None, minimum=0)
    if offset > size:
        raise IOFailure(f"Offset={offset} out of the range [0, {size}); OPEN, path={call.path}")
    remaining = size - offset
    return offset, remaining if length is None else min(length, remaining)


def create_options(params: Params) -> tuple[bool, int, int, int]:
    """CREATE's overwrite, permission, replication and block size."""
    overwrite = params.boolean("overwrite", False)
    mode = params.permission(0o644)
    replication = params.integer("replication", DEFAULT_REPLICATION)
    block_size = params.integer("blocksize", DEFAULT_BLOCK_SIZE)
    params.integer("buffersize", None, minimum=1)
    assert replication is not None and block_size is not None
    return overwrite, mode, replication, block_size


def empty() -> web.Response:
    return web.Response(status=200)


def boolean(value: bool) -> web.Response:
    return web.json_response({"boolean": value})


# ---------------------------------------------------------------------------- namenode

Handler = Callable[[Cluster, Call, web.Request], Awaitable[web.StreamResponse]]


def redirect(cluster: Cluster, call: Call, op: str) -> web.Response:
    """Send a data operation to the datanode, carrying the user and the op's parameters."""
    query = [("op", op), ("user.name", call.user)]
    if call.doas:
        query.append(("doas", call.doas))
    query += [(key, value) for key, value in call.params.items()
              if key not in ("op", "user.name", "doas", "noredirect")]
    location = (f"http://{cluster.host}:{cluster.datanode_port}{PREFIX}"
                f"{quote(call.path, safe='/')}?{urlencode(query)}")
    if call.params.boolean("noredirect", False):
        return web.json_response({"Location": location})
    return web.Response(status=307, headers={"Location": location})


async def nn_create(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    overwrite, _mode, replication, block_size = create_options(call.params)
    await cluster.run(cluster.namespace.check_create, call.caller, call.path, overwrite,
                      replication, block_size)
    return redirect(cluster, call, "CREATE")


async def nn_append(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    call.params.integer("buffersize", None, minimum=1)
    await cluster.run(cluster.namespace.check_append, call.caller, call.path)
    return redirect(cluster, call, "APPEND")


def _check_readable(namespace: Namespace, call: Call, ranged: bool) -> None:
    stream, _, size = namespace.open_file(call.caller, call.path)
    with stream:
        if ranged:
            read_range(size, call)


async def nn_open(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    await cluster.run(_check_readable, cluster.namespace, call, True)
    return redirect(cluster, call, "OPEN")


async def nn_checksum(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    await cluster.run(_check_readable, cluster.namespace, call, False)
    return redirect(cluster, call, "GETFILECHECKSUM")


async def get_file_status(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    node = await cluster.run(cluster.namespace.status, call.caller, call.path)
    return web.json_response({"FileStatus": node.file_status("")})


async def list_status(cluster: Cluster, call: Call, _request: web.Request) -> web.Response:
    listing, _ = await cluster.run(cluster.namespace.list_status, call.caller, call.path)
    statuses = [node.file_status(name) for name, node in listing]
    return web.json_response({"FileStatuses": {"FileStatus": statuses}})


async def list_status_batch(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    listing, remaining = await cluster.run(
        cluster.namespace.list_status, call.caller, call.path,
        call.params.text("startafter"), LIST_LIMIT,
    )
    statuses = [node.file_status(name) for name, node in listing]
    return web.json_response({"DirectoryListing": {
        "partialListing": {"FileStatuses": {"FileStatus": statuses}},
        "remainingEntries": remaining,
    }})


async def content_summary(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    summary = await cluster.run(cluster.namespace.content_summary, call.caller, call.path)
    return web.json_response({"ContentSummary": {
        **summary, "ecPolicy": "", "snapshotDirectoryCount": 0, "snapshotFileCount": 0,
        "snapshotLength": 0, "snapshotSpaceConsumed": 0}})


async def quota_usage(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    quota, used = await cluster.run(cluster.attributes.quota_usage, call.caller, call.path)
    return web.json_response({"QuotaUsage": {"fileAndDirectoryCount": used.count,
                                             **quotas.as_json(quota, used)}})


async def set_quota(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    namespace = call.params.integer("namespacequota", quotas.DONT_SET, minimum=-1)
    space = call.params.integer("storagespacequota", quotas.DONT_SET, minimum=-1)
    assert namespace is not None and space is not None
    await cluster.run(cluster.attributes.set_quota, call.caller, call.path, namespace, space,
                      None)
    return empty()


async def set_type_quota(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    kind = policies.storage_type(call.params.required("storagetype"))
    space = call.params.integer("storagespacequota", quotas.DONT_SET, minimum=-1)
    assert space is not None
    await cluster.run(cluster.attributes.set_quota, call.caller, call.path, quotas.DONT_SET,
                      space, kind)
    return empty()


async def server_defaults(_: Cluster, __: Call, ___: web.Request) -> web.Response:
    return web.json_response({"FsServerDefaults": {
        "blockSize": DEFAULT_BLOCK_SIZE, "bytesPerChecksum": checksum.BYTES_PER_CRC,
        "writePacketSize": 65536, "replication": DEFAULT_REPLICATION,
        "fileBufferSize": 4096, "encryptDataTransfer": False, "trashInterval": 0,
        "checksumType": 2, "keyProviderUri": "", "defaultStoragePolicyId": policies.HOT}})


async def check_access(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    symbol = call.params.required("fsaction")
    if not re.fullmatch(r"[r-][w-][x-]", symbol):
        raise invalid("fsaction", f'Invalid value: "{symbol}" does not belong to the domain '
                      "[r-][w-][x-]")
    action = sum(bit for char, bit in zip(symbol, (4, 2, 1), strict=True) if char != "-")
    await cluster.run(cluster.attributes.check, call.caller, call.path, action)
    return empty()


async def storage_policy(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    found = await cluster.run(cluster.attributes.storage_policy, call.caller, call.path)
    return web.json_response({"BlockStoragePolicy": found.as_json()})


async def all_storage_policies(_: Cluster, __: Call, ___: web.Request) -> web.Response:
    return web.json_response({"BlockStoragePolicies": {
        "BlockStoragePolicy": [policy.as_json() for policy in policies.POLICIES]}})


async def set_storage_policy(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    name = call.params.text("storagepolicy")
    if name is None:
        raise IllegalArgument("Storage policy name is empty.")
    await cluster.run(cluster.attributes.set_storage_policy, call.caller, call.path,
                      policies.named(name))
    return empty()


async def unset_storage_policy(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    await cluster.run(cluster.attributes.set_storage_policy, call.caller, call.path, None)
    return empty()


def _blocks(namespace: Namespace, call: Call) -> tuple[Node, list[int], list[tuple[
        int, int, int]]]:
    stream, node, size = namespace.open_file(call.caller, call.path)
    stream.close()
    offset = call.params.integer("offset", 0, minimum=0) or 0
    length = call.params.integer("length", None, minimum=0)
    sizes = namespace.block_sizes(node, size)
    return node, sizes, blocks.spans(sizes, offset, length)


async def block_locations(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    found = (await cluster.run(_blocks, cluster.namespace, call))[2]
    return web.json_response(blocks.locations_json(found, cluster.datanode))


async def located_blocks(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    node, sizes, found = await cluster.run(_blocks, cluster.namespace, call)
    return web.json_response(blocks.located_json(node.file_id, sizes, found,
                                                  cluster.datanode))


async def get_xattrs(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    encoding = xattrs.encoding_of(call.params.required("encoding"))
    names = [xattrs.canonical(name) for name in call.params.every("xattr.name")]
    found = await cluster.run(cluster.attributes.get_xattrs, call.caller, call.path, names)
    return web.json_response(xattrs.as_json(found, encoding))


async def list_xattrs(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    names = await cluster.run(cluster.attributes.list_xattrs, call.caller, call.path)
    return web.json_response(xattrs.names_json(names))


async def set_xattr(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    name = xattrs.canonical(call.params.required("xattr.name"))
    value = xattrs.decode(call.params.text("xattr.value"))
    flags = xattrs.flags_of(call.params.required("flag"))
    await cluster.run(cluster.attributes.set_xattr, call.caller, call.path, name, value, flags)
    return empty()


async def remove_xattr(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    name = xattrs.canonical(call.params.required("xattr.name"))
    await cluster.run(cluster.attributes.remove_xattr, call.caller, call.path, name)
    return empty()


async def concat(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    sources = call.params.required("sources").split(",")
    await cluster.run(cluster.namespace.concat, call.caller, call.path, sources)
    return empty()


async def truncate(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    call.params.required("newlength")
    length = call.params.integer("newlength", None, minimum=0)
    assert length is not None
    return boolean(await cluster.run(cluster.namespace.truncate, call.caller, call.path,
                                     length))


async def fs_status(cluster: Cluster, _: Call, __: web.Request) -> web.Response:
    """GETSTATUS (Hadoop 3.4): the cluster's capacity, use and room."""
    loop = asyncio.get_running_loop()
    status = await loop.run_in_executor(None, cluster.space.status)
    return web.json_response({"FsStatus": status})


async def home_directory(_: Cluster, call: Call, __: web.Request) -> web.Response:
    return web.json_response({"Path": f"/user/{call.caller.name}"})


async def trash_root(_: Cluster, call: Call, __: web.Request) -> web.Response:
    return web.json_response({"Path": f"/user/{call.caller.name}/.Trash"})


async def acl_status(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    node = await cluster.run(cluster.namespace.acl_status, call.caller, call.path)
    return web.json_response({"AclStatus": {
        "entries": list(node.acl),
        "group": node.group,
        "owner": node.owner,
        "permission": format(node.perm, "o"),
        "stickyBit": bool(node.perm & 0o1000),
    }})


async def snapshot_diff_listing(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    old = call.params.text("oldsnapshotname") or ""
    new = call.params.text("snapshotname") or ""
    start = call.params.integer("snapshotdiffindex", -1, minimum=-1)
    listing = await cluster.run(cluster.snapshots.diff_listing, call.caller, call.path, old,
                                new, max(start or 0, 0))
    lists: dict[str, list[dict]] = {"modifyList": [], "createList": [], "deleteList": []}
    for name, entry in listing.entries:
        lists[name].append(entry)
    last = listing.entries[-1][1]["sourcePath"] if listing.next_index != -1 else ""
    return web.json_response({"SnapshotDiffReportListing": {
        **lists, "isFromEarlier": listing.from_earlier, "lastIndex": listing.next_index,
        "lastPath": last}})


async def snapshot_diff(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    old = call.params.text("oldsnapshotname") or ""
    new = call.params.text("snapshotname") or ""
    changes = await cluster.run(cluster.snapshots.diff, call.caller, call.path, old, new)
    return web.json_response({"SnapshotDiffReport": {
        "diffList": [change.as_json() for change in changes],
        "fromSnapshot": old,
        "snapshotRoot": call.path,
        "toSnapshot": new,
    }})


async def snapshottable_list(cluster: Cluster, call: Call, _request: web.Request
                             ) -> web.Response:
    dirs = await cluster.run(cluster.snapshots.snapshottable_dirs, call.caller)
    listing = []
    for found in dirs:
        parent, _, name = found.path.rpartition("/")
        listing.append({
            "dirStatus": found.node.file_status(name),
            "parentFullPath": parent or ("/" if name else ""),
            "snapshotNumber": found.snapshot_count,
            "snapshotQuota": SNAPSHOT_QUOTA,
        })
    return web.json_response({"SnapshottableDirectoryList": listing})


async def snapshot_list(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    infos = await cluster.run(cluster.snapshots.snapshot_list, call.caller, call.path)
    return web.json_response({"SnapshotList": [
        {"dirStatus": info.root.file_status(info.name), "fullPath": call.path,
         "snapshotID": info.snap_id, "deletionStatus": "ACTIVE"}
        for info in infos
    ]})


async def mkdirs(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    mode = call.params.permission(0o755)
    return boolean(await cluster.run(cluster.namespace.mkdirs, call.caller, call.path, mode))


async def rename(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    destination = call.params.text("destination")
    if not destination or not destination.startswith("/"):
        raise invalid("destination", f'Invalid parameter value: destination = "{destination}" '
                      "is not an absolute path.")
    destination = "/" + "/".join(split_path(destination))
    return boolean(await cluster.run(cluster.namespace.rename, call.caller, call.path,
                                     destination))


async def delete(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    recursive = call.params.boolean("recursive", False)
    return boolean(await cluster.run(cluster.namespace.delete, call.caller, call.path,
                                     recursive))


async def set_owner(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    owner, group = call.params.text("owner"), call.params.text("group")
    if owner is None and group is None:
        raise IllegalArgument("Both owner and group are empty.")
    await cluster.run(cluster.namespace.set_owner, call.caller, call.path, owner, group)
    return empty()


async def set_permission(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    mode = call.params.permission(0o755)
    await cluster.run(cluster.namespace.set_permission, call.caller, call.path, mode)
    return empty()


async def set_times(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    mtime = call.params.integer("modificationtime", -1, minimum=-1, maximum=MAX_MTIME)
    atime = call.params.integer("accesstime", -1, minimum=-1)
    await cluster.run(cluster.namespace.set_times, call.caller, call.path, mtime, atime)
    return empty()


async def set_replication(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    replication = call.params.integer("replication", DEFAULT_REPLICATION)
    return boolean(await cluster.run(cluster.namespace.set_replication, call.caller,
                                     call.path, replication))


def acl_handler(op: str) -> Handler:
    async def change_acl(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
        spec = None
        if op in ("SETACL", "MODIFYACLENTRIES", "REMOVEACLENTRIES"):
            spec = acl.check_param(call.params.required("aclspec"))
        await cluster.run(cluster.namespace.change_acl, call.caller, call.path, op, spec)
        return empty()

    return change_acl


async def allow_snapshot(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    await cluster.run(cluster.snapshots.allow, call.caller, call.path)
    return empty()


async def disallow_snapshot(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    await cluster.run(cluster.snapshots.disallow, call.caller, call.path)
    return empty()


async def create_snapshot(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    # When it was asked for, not when the namesystem thread gets to it: a snapshot of
    # the same directory under way by then serves it (snapshots.py).
    requested = time.time_ns() // 1_000_000
    path = await cluster.run(cluster.snapshots.create, call.caller, call.path,
                             call.params.text("snapshotname"), requested)
    return web.json_response({"Path": path})


async def rename_snapshot(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    await cluster.run(cluster.snapshots.rename, call.caller, call.path,
                      call.params.text("oldsnapshotname"), call.params.text("snapshotname"))
    return empty()


async def delete_snapshot(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    await cluster.run(cluster.snapshots.delete, call.caller, call.path,
                      call.params.text("snapshotname"))
    return empty()


NAMENODE_OPS: dict[str, dict[str, Handler]] = {
    "GET": {
        "GETFILESTATUS": get_file_status,
        "LISTSTATUS": list_status,
        "LISTSTATUS_BATCH": list_status_batch,
        "GETCONTENTSUMMARY": content_summary,
        "GETSTATUS": fs_status,
        "GETFILECHECKSUM": nn_checksum,
        "OPEN": nn_open,
        "GETHOMEDIRECTORY": home_directory,
        "GETTRASHROOT": trash_root,
        "GETACLSTATUS": acl_status,
        "GETSNAPSHOTDIFF": snapshot_diff,
        "GETSNAPSHOTTABLEDIRECTORYLIST": snapshottable_list,
        "GETSNAPSHOTLIST": snapshot_list,
        "GETSNAPSHOTDIFFLISTING": snapshot_diff_listing,
        "GETFILEBLOCKLOCATIONS": block_locations,
        "GET_BLOCK_LOCATIONS": located_blocks,
        "GETSERVERDEFAULTS": server_defaults,
        "CHECKACCESS": check_access,
        "GETQUOTAUSAGE": quota_usage,
        "GETSTORAGEPOLICY": storage_policy,
        "GETALLSTORAGEPOLICY": all_storage_policies,
        "GETXATTRS": get_xattrs,
        "LISTXATTRS": list_xattrs,
    },
    "PUT": {
        "CREATE": nn_create,
        "MKDIRS": mkdirs,
        "RENAME": rename,
        "SETOWNER": set_owner,
        "SETPERMISSION": set_permission,
        "SETTIMES": set_times,
        "SETREPLICATION": set_replication,
        **{op: acl_handler(op) for op in ("SETACL", "MODIFYACLENTRIES", "REMOVEACLENTRIES",
                                          "REMOVEDEFAULTACL", "REMOVEACL")},
        "ALLOWSNAPSHOT": allow_snapshot,
        "DISALLOWSNAPSHOT": disallow_snapshot,
        "CREATESNAPSHOT": create_snapshot,
        "RENAMESNAPSHOT": rename_snapshot,
        "SETQUOTA": set_quota,
        "SETQUOTABYSTORAGETYPE": set_type_quota,
        "SETSTORAGEPOLICY": set_storage_policy,
        "SETXATTR": set_xattr,
        "REMOVEXATTR": remove_xattr,
    },
    "POST": {"APPEND": nn_append, "CONCAT": concat, "TRUNCATE": truncate,
             "UNSETSTORAGEPOLICY": unset_storage_policy},
    "DELETE": {"DELETE": delete, "DELETESNAPSHOT": delete_snapshot},
}


# ---------------------------------------------------------------------------- datanode

async def _staged_write(cluster: Cluster, request: web.Request,
                        commit: Callable[[str], Any]) -> None:
    with cluster.receivers.upload_from(request.remote or ""), \
            cluster.namespace.staging() as (staged, fd):
        await receive_body(cluster.receivers, request, fd)
        await cluster.run(commit, staged)


async def dn_create(cluster: Cluster, call: Call, request: web.Request) -> web.Response:
    overwrite, mode, replication, block_size = create_options(call.params)
    namespace = cluster.namespace
    await cluster.run(namespace.check_create, call.caller, call.path, overwrite, replication,
                      block_size)
    await _staged_write(cluster, request, lambda staged: namespace.commit_create(
        call.caller, call.path, staged, overwrite, mode, replication, block_size))
    location = f"webhdfs://{cluster.host}:{cluster.namenode_port}{quote(call.path, safe='/')}"
    return web.Response(status=201, headers={"Location": location})


async def dn_append(cluster: Cluster, call: Call, request: web.Request) -> web.Response:
    namespace = cluster.namespace
    await cluster.run(namespace.check_append, call.caller, call.path)
    await _staged_write(cluster, request, lambda staged: namespace.commit_append(
        call.caller, call.path, staged))
    return empty()


async def dn_open(cluster: Cluster, call: Call, request: web.Request) -> web.StreamResponse:
    stream, _, size = await cluster.run(cluster.namespace.open_file, call.caller, call.path)
    with stream:
        offset, count = read_range(size, call)
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = count
        await response.prepare(request)
        try:
            if count:
                transport = request.transport
                if transport is None:
                    raise ConnectionResetError("client went away")
                await asyncio.get_running_loop().sendfile(transport, stream, offset, count)
            await response.write_eof()
        except ConnectionError:
            # A reader may stop early (a seek, a footer read, a cancelled job): routine.
            log.info("%s closed the connection while reading %s", request.remote, call.path)
    return response


async def dn_checksum(cluster: Cluster, call: Call, _: web.Request) -> web.Response:
    stream, node, size = await cluster.run(cluster.namespace.open_file, call.caller,
                                           call.path)
    with stream:
        loop = asyncio.get_running_loop()
        sizes = await cluster.run(cluster.namespace.block_sizes, node, size)
        result = await loop.run_in_executor(None, checksum.file_checksum, stream, sizes)
    return web.json_response({"FileChecksum": result})


DATANODE_OPS: dict[str, dict[str, Handler]] = {
    "GET": {"OPEN": dn_open, "GETFILECHECKSUM": dn_checksum},
    "PUT": {"CREATE": dn_create},
    "POST": {"APPEND": dn_append},
}


# ---------------------------------------------------------------------------- wiring

def build_app(cluster: Cluster, ops: dict[str, dict[str, Handler]]) -> web.Application:
    async def dispatch(request: web.Request) -> web.StreamResponse:
        response = await answer(request)
        if must_close(request):
            response.force_close()
        return response

    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            call = parse_call(request, cluster.namespace)
            if request.method != "GET":
                cluster.standby.check(call.caller)
            table = ops.get(request.method, {})
            handler = table[call.params.op(request.method, table)]
            return await handler(cluster, call, request)
        except RemoteError as error:
            return web.json_response(error.body(), status=error.status)
        except OSError as error:
            failure = _disk_failure(request, error)
            return web.json_response(failure.body(), status=failure.status)
        except Exception as error:
            log.exception("error serving %s", request.rel_url)
            failure = RemoteError(str(error))
            return web.json_response(failure.body(), status=failure.status)

    app = web.Application()
    app.router.add_route("*", PREFIX + "{tail:.*}", dispatch)
    return app


def _disk_failure(request: web.Request, error: OSError) -> RemoteError:
    if is_gone(error):
        # The path changed between its check and its use: a concurrent writer, or a
        # directory swapped for a symbolic link, which is never followed.
        return FileNotFound(f"File does not exist: {request.path[len(PREFIX):] or '/'} "
                            "(it changed while being used; try again)")
    # Hadoop reports other disk trouble as an IOException.
    log.exception("I/O error serving %s", request.rel_url)
    return IOFailure(str(error))
