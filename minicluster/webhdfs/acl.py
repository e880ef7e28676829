"""POSIX ACLs as HDFS keeps them: mode bits plus the extended entries.

The owner, other and (for a minimal ACL) group permissions live in the mode; once an
ACL has named entries the mode's group bits are the mask and the unnamed group
entry is stored with the named ones. Default entries are stored whole.
"""

import re

from minicluster.webhdfs.errors import AclFailure, HadoopIllegalArgument
from minicluster.webhdfs.params import invalid

Key = tuple[bool, str, str]  # (default scope, type, name)
Acl = dict[Key, int]

TYPES = ("user", "group", "mask", "other")
# dfs.webhdfs.acl.provider.permission.pattern's default, as Hadoop spells it (Java's
# class union [[A-Za-z_][A-Za-z0-9._-]] is [A-Za-z0-9._-]).
JAVA_PATTERN = ("^(default:)?(user|group|mask|other):[[A-Za-z_][A-Za-z0-9._-]]*:([rwx-]{3})?"
                "(,(default:)?(user|group|mask|other):[[A-Za-z_][A-Za-z0-9._-]]*:([rwx-]{3})?)*$")
_ONE = r"(default:)?(user|group|mask|other):[A-Za-z0-9._-]*:([rwx-]{3})?"
_SPEC = re.compile(rf"{_ONE}(,{_ONE})*")
_PERMS = re.compile(r"[r-][w-][x-]")


def perm_text(perm: int) -> str:
    return "".join(c if perm & bit else "-" for c, bit in (("r", 4), ("w", 2), ("x", 1)))


def entry_text(key: Key, perm: int | None) -> str:
    default, kind, name = key
    text = f"{'default:' if default else ''}{kind}:{name}"
    return text if perm is None else f"{text}:{perm_text(perm)}"


def _perm_value(text: str) -> int:
    return sum(bit for c, bit in zip(text, (4, 2, 1), strict=True) if c != "-")


def check_param(spec: str) -> str:
    """The `aclspec` parameter's own pattern, checked before any entry is read."""
    if not _SPEC.fullmatch(spec):
        raise invalid("aclspec", f'Invalid value: "{spec}" does not belong to the domain '
                      f"{JAVA_PATTERN}")
    return spec


def parse_entry(text: str, with_perms: bool) -> tuple[Key, int]:
    """AclEntry.parseAclEntry: Java's split(':') drops trailing empty fields, so a
    removal names `user:foo:` and an unnamed entry `user::`."""
    fields = text.split(":")
    while fields and not fields[-1]:
        fields.pop()
    default = bool(fields) and fields[0] == "default"
    index = int(default)
    if len(fields) <= index:
        raise HadoopIllegalArgument(f"Invalid <aclSpec> : {text}")
    kind = fields[index].lower()
    if kind not in TYPES:
        raise HadoopIllegalArgument(f"Invalid type of acl in <aclSpec> :{text}")
    index += 1
    name = fields[index] if len(fields) > index else ""
    index += 1
    perm = 0
    if with_perms:
        if len(fields) <= index:
            raise HadoopIllegalArgument(f"Invalid <aclSpec> : {text}")
        if not _PERMS.fullmatch(fields[index]):
            raise HadoopIllegalArgument(f"Invalid permission in <aclSpec> : {text}")
        perm = _perm_value(fields[index])
        index += 1
    if len(fields) > index:
        raise HadoopIllegalArgument(f"Invalid <aclSpec> : {text}")
    if kind in ("mask", "other") and name:
        raise AclFailure(f"Invalid ACL: this entry type must not have a name: {text}.")
    return (default, kind, name), perm


def parse_spec(spec: str | None, with_perms: bool) -> list[tuple[Key, int]]:
    """Parse an `aclspec`; removal specs name entries without permissions."""
    entries = [parse_entry(item, with_perms) for item in (spec or "").split(",") if item]
    keys = [key for key, _ in entries]
    if len(set(keys)) != len(keys):
        raise AclFailure("Invalid ACL: multiple entries with same scope, type and name.")
    return entries


def _sort_key(key: Key) -> tuple[bool, int, bool, str]:
    default, kind, name = key
    return (default, TYPES.index(kind), bool(name), name)


def expand(perm: int, stored: tuple[str, ...]) -> Acl:
    """The full logical ACL of an inode."""
    acl: Acl = {(False, "user", ""): perm >> 6 & 7, (False, "other", ""): perm & 7}
    entries = parse_spec(",".join(stored), True) if stored else []
    acl.update(entries)
    extended = any(not key[0] for key, _ in entries)
    acl[(False, "mask" if extended else "group", "")] = perm >> 3 & 7
    return acl


def _group_class(key: Key) -> bool:
    """Named users and all groups: the entries the mask limits."""
    _, kind, name = key
    return kind == "group" or (kind == "user" and bool(name))


def _has_named(acl: Acl, default: bool) -> bool:
    return any(d == default and name for d, _, name in acl)


def _recompute_masks(acl: Acl, dirty: set[bool], explicit: set[bool]) -> None:
    for scope in (False, True):
        mask = (scope, "mask", "")
        if not _has_named(acl, scope):
            if scope not in explicit:
                acl.pop(mask, None)
            continue
        if scope in explicit or (mask in acl and scope not in dirty):
            continue
        acl[mask] = 0
        for key, value in acl.items():
            if key[0] == scope and _group_class(key):
                acl[mask] |= value


def _fill_defaults(acl: Acl) -> None:
    if not any(default for default, _, _ in acl):
        return
    for kind in ("user", "group", "other"):
        acl.setdefault((True, kind, ""), acl[(False, kind, "")])


def collapse(acl: Acl, sticky: int) -> tuple[int, tuple[str, ...]]:
    """Mode bits and stored entries for a logical ACL, which must be complete."""
    for scope in (False, True):
        if scope and not any(d for d, _, _ in acl):
            continue
        if any((scope, kind, "") not in acl for kind in ("user", "group", "other")):
            raise AclFailure("Invalid ACL: the user, group and other entries are required.")
    mask = acl.get((False, "mask", ""))
    group_bits = acl[(False, "group", "")] if mask is None else mask
    perm = sticky | acl[(False, "user", "")] << 6 | group_bits << 3 | acl[(False, "other", "")]
    extended = mask is not None
    stored = [
        key for key in acl
        if key[0] or (extended and _group_class(key))
    ]
    return perm, tuple(entry_text(key, acl[key]) for key in sorted(stored, key=_sort_key))


def transform(op: str, perm: int, stored: tuple[str, ...], spec: str | None) -> tuple[
        int, tuple[str, ...]]:
    """Apply SETACL, MODIFYACLENTRIES, REMOVEACLENTRIES, REMOVEDEFAULTACL or REMOVEACL."""
    sticky = perm & 0o1000
    acl = expand(perm, stored)
    if op == "REMOVEACL":
        return sticky | (perm & 0o707) | acl[(False, "group", "")] << 3, ()
    if op == "REMOVEDEFAULTACL":
        return collapse({key: value for key, value in acl.items() if not key[0]}, sticky)
    entries = parse_spec(spec, with_perms=op != "REMOVEACLENTRIES")
    scopes = {key[0] for key, _ in entries}
    explicit = {key[0] for key, _ in entries if key[1] == "mask"}
    if op == "SETACL":
        acl = {key: value for key, value in acl.items() if key[0] not in scopes}
        acl.update(entries)
    elif op == "MODIFYACLENTRIES":
        acl.update(entries)
    else:
        for key, _ in entries:
            if not key[2] and key[1] != "mask" and not key[0]:
                raise AclFailure("Invalid ACL: the user, group and other entries are required.")
            acl.pop(key, None)
        explicit = set()
    _fill_defaults(acl)
    _recompute_masks(acl, dirty=scopes, explicit=explicit)
    return collapse(acl, sticky)


def inherit(parent_stored: tuple[str, ...], mode: int, is_dir: bool) -> tuple[
        int, tuple[str, ...]]:
    """A new child's mode and entries under a parent that may carry a default ACL."""
    defaults = {key: value for key, value in parse_spec(",".join(parent_stored), True)
                if key[0]} if parent_stored else {}
    if not defaults:
        return mode, ()
    acl: Acl = {(False, kind, name): value for (_, kind, name), value in defaults.items()}
    acl[(False, "user", "")] &= mode >> 6 & 7
    acl[(False, "other", "")] &= mode & 7
    group_key = (False, "mask", "") if (False, "mask", "") in acl else (False, "group", "")
    acl[group_key] &= mode >> 3 & 7
    if is_dir:
        acl.update(defaults)
    return collapse(acl, mode & 0o1000)
