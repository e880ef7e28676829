"""Extended attributes, quotas, storage policies and CHECKACCESS over the namespace, with
HDFS's permission rules (FSDirXAttrOp, FSDirAttrOp, FSNamesystem.checkAccess)."""

from minicluster.webhdfs import policies, quotas, xattrs
from minicluster.webhdfs.errors import AccessControl, FileNotFound, IOFailure
from minicluster.webhdfs.inodes import Node
from minicluster.webhdfs.namespace import Namespace
from minicluster.webhdfs.permissions import (
    READ,
    READ_EXECUTE,
    WRITE,
    Caller,
    check_access,
    check_owner,
)
from minicluster.webhdfs.targets import Target


class XAttrNotFound(IOFailure):
    java_class = "org.apache.hadoop.hdfs.protocol.XAttrNotFoundException"


class PathIsNotDirectory(IOFailure):
    java_class = "org.apache.hadoop.fs.PathIsNotDirectoryException"


def quota_command(namespace: int, space: int) -> str:
    """FSDirAttrOp.getQuotaCommand: how HDFS names a quota change in its refusal."""
    if namespace == quotas.RESET and space == quotas.DONT_SET:
        return "clearQuota"
    if namespace == quotas.DONT_SET and space == quotas.RESET:
        return "clearSpaceQuota"
    return "setQuota" if space == quotas.DONT_SET else "setSpaceQuota"


class Attributes:
    def __init__(self, namespace: Namespace) -> None:
        self.ns = namespace
        self.store = namespace.store

    def _found(self, caller: Caller, path: str, message: str, write: bool = False
               ) -> tuple[Target, Node]:
        target = self.ns.resolve(caller, path, write=write)
        if target.node is None:
            raise FileNotFound(message)
        return target, target.node

    # ------------------------------------------------------------------ xattrs

    def _xattr_target(self, caller: Caller, path: str, name: str, write: bool,
                      value: bytes | None = None) -> tuple[Target, Node]:
        xattrs.check_api(caller, name, value)
        target, node = self._found(caller, path, f"cannot find {path}", write)
        if write:
            self._check_xattr_change(caller, target, node)
        else:
            check_access(caller, node, target.path, READ)
        return target, node

    def _check_xattr_change(self, caller: Caller, target: Target, node: Node) -> None:
        if node.is_dir and node.perm & 0o1000:
            check_owner(caller, node, target.path)
            return
        check_access(caller, node, target.path, WRITE)

    def set_xattr(self, caller: Caller, path: str, name: str, value: bytes,
                  flags: set[str]) -> None:
        xattrs.check_size(name, value)
        _, node = self._xattr_target(caller, path, name, write=True, value=value)
        if name == xattrs.UNREADABLE and node.is_dir:
            raise IOFailure(f"Can only set '{xattrs.UNREADABLE}' on a file.")
        current = self.store.xattrs(node.file_id)
        xattrs.check_set(current, name, value, flags)
        self.store.set_xattr(node.file_id, name, value)

    def remove_xattr(self, caller: Caller, path: str, name: str) -> None:
        _, node = self._xattr_target(caller, path, name, write=True)
        if name == xattrs.UNREADABLE:
            raise AccessControl(f"The xattr '{xattrs.UNREADABLE}' can not be deleted.")
        if name not in self.store.xattrs(node.file_id):
            raise IOFailure("No matching attributes found for remove operation")
        self.store.set_xattr(node.file_id, name, None)

    def get_xattrs(self, caller: Caller, path: str, names: list[str]) -> dict[str, bytes]:
        for name in names:
            xattrs.check_api(caller, name)
        target, node = self._found(caller, path, f"cannot find {path}")
        check_access(caller, node, target.path, READ)
        stored = target.xattrs(self.ns)
        if not names:
            return {name: value for name, value in stored.items() if xattrs.visible(caller, name)}
        if any(name not in stored for name in names):
            raise XAttrNotFound("At least one of the attributes provided was not found.")
        return {name: stored[name] for name in names}

    def list_xattrs(self, caller: Caller, path: str) -> list[str]:
        target, node = self._found(caller, path, f"cannot find {path}")
        check_access(caller, node, target.path, READ)
        return [name for name in target.xattrs(self.ns) if xattrs.visible(caller, name)]

    # ------------------------------------------------------------------ quotas

    def quota_usage(self, caller: Caller, path: str) -> tuple[quotas.Quota, quotas.Usage]:
        target, node = self._found(caller, path, f"File/Directory does not exist: {path}")
        if node.is_dir:
            check_access(caller, node, target.path, READ_EXECUTE)
        return self.ns.quota_of(node), self.ns.subtree_usage(target)

    def set_quota(self, caller: Caller, path: str, namespace: int, space: int,
                  kind: str | None) -> None:
        if not caller.superuser:
            raise AccessControl(f"Access denied for user {caller.name}. Superuser privilege "
                                f"is required for operation {quota_command(namespace, space)}")
        target, node = self._found(caller, path, f"Directory does not exist: {path}",
                                   write=True)
        if not node.is_dir:
            raise PathIsNotDirectory(f"`{target.path}': Is not a directory")
        wanted = quotas.parse_new(namespace, space, kind, self.ns.quota_of(node))
        if target.path == "/":
            # HDFS's root always keeps a namespace quota, which cannot be cleared.
            wanted = quotas.Quota(quotas.DONT_SET if wanted.namespace == quotas.RESET
                                  else wanted.namespace, wanted.space, wanted.types)
        self.store.set_quota(node.file_id, wanted.namespace, wanted.space, wanted.types)

    # ------------------------------------------------------------------ storage policies

    def storage_policy(self, caller: Caller, path: str) -> policies.Policy:
        target, node = self._found(caller, path, f"File/Directory does not exist: {path}")
        check_access(caller, node, target.path, READ)
        found = self.ns.effective_policy(target.chain, node)
        return policies.BY_ID[found or policies.HOT]

    def set_storage_policy(self, caller: Caller, path: str, policy: policies.Policy | None
                           ) -> None:
        target, node = self._found(caller, path, f"File/Directory does not exist: {path}",
                                   write=True)
        check_access(caller, node, target.path, WRITE)
        current = self.store.policies([node.file_id]).get(node.file_id, policies.UNSPECIFIED)
        if not node.is_dir and policy is not None and policy.copy_on_create_file:
            raise policies.refused_after_creation(policy)
        if not node.is_dir and current == policies.BY_NAME["LAZY_PERSIST"].id:
            raise policies.locked_after_creation()
        self.store.set_policy(node.file_id, policy.id if policy else policies.UNSPECIFIED)

    # ------------------------------------------------------------------ CHECKACCESS

    def check(self, caller: Caller, path: str, action: int) -> None:
        target = self.ns.resolve(caller, path)
        if target.node is None:
            raise FileNotFound(f"Path not found: {path}")
        check_access(caller, target.node, target.path, action)
