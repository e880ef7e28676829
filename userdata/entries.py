"""Users, tenants and groups as a cluster's directory holds them.

Users are `inetOrgPerson` entries under `ou=people` (with `posixAccount` when they have
a uidNumber); tenants and groups are RFC 2307 `posixGroup` entries under `ou=tenants`
and `ou=groups`, their members named by uid (`memberUid`), as Hadoop's LDAP group
mapping reads them. Names, not DNs, tie members to groups, so an entry means the same
in two directories with different suffixes.
"""

from dataclasses import dataclass

from adapters.ldap import LdapEntry


@dataclass(frozen=True)
class Kind:
    """One kind of entry: where it lives, what names it and what the sync copies."""

    name: str
    unit: str  # the organizational unit below the base DN
    key: str  # the naming attribute (the RDN)
    # The number that files and processes carry: two entries with one name but different
    # numbers are different people, whatever else they share.
    identity: str
    object_class: str
    # Added when the entry has an identity number, removed when it loses it.
    numbered_class: str
    synced: tuple[str, ...]

    def __str__(self) -> str:
        return self.name

    @property
    def filter(self) -> str:
        return f"(objectClass={self.object_class})"

    @property
    def attributes(self) -> list[str]:
        return [self.key, *self.synced]


USER = Kind("user", "people", "uid", "uidNumber", "inetOrgPerson", "posixAccount",
            ("cn", "sn", "mail", "uidNumber", "gidNumber", "homeDirectory", "loginShell"))
TENANT = Kind("tenant", "tenants", "cn", "gidNumber", "posixGroup", "",
              ("gidNumber", "memberUid", "description"))
GROUP = Kind("group", "groups", "cn", "gidNumber", "posixGroup", "",
             ("gidNumber", "memberUid", "description"))
# In the order a sync writes them: a group names its members, so users come first.
KINDS = (USER, TENANT, GROUP)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}


@dataclass(frozen=True)
class Entry:
    kind: Kind
    key: str  # as the directory writes it; compared without regard to case, as LDAP does
    # The synced attributes that have values, each as a sorted tuple (multi-valued
    # attributes such as memberUid compare as sets).
    values: dict[str, tuple[str, ...]]

    @property
    def identity(self) -> str:
        """The uidNumber or gidNumber, or '' when the entry has none."""
        return self.values.get(self.kind.identity, ("",))[0]

    @property
    def members(self) -> tuple[str, ...]:
        return self.values.get("memberUid", ())

    def as_dict(self) -> dict[str, list[str]]:
        """The entry as JSON: its key and synced values (audit, runs, API)."""
        return {self.kind.key: [self.key], **{name: list(v) for name, v in self.values.items()}}

    def add_attributes(self) -> dict[str, list[str]]:
        """What an LDAP add needs to create the entry (its object classes aside)."""
        values = self.as_dict()
        if self.kind is USER and "sn" not in values:
            values["sn"] = [self.key]  # inetOrgPerson requires a surname
        if self.kind is USER and "cn" not in values:
            values["cn"] = [self.key]
        return values

    @property
    def object_classes(self) -> tuple[str, ...]:
        numbered = self.kind.numbered_class if self.identity else ""
        return (self.kind.object_class, *((numbered,) if numbered else ()))


def fold(key: str) -> str:
    """The form two keys are compared in: LDAP matches uid and cn without regard to case."""
    return key.casefold()


def entry_from_ldap(kind: Kind, found: LdapEntry) -> Entry | None:
    """The entry, or None when it lacks its naming attribute."""
    by_name = {name.lower(): values for name, values in found.attributes.items()}
    keys = by_name.get(kind.key.lower(), [])
    if not keys:
        return None
    values = {name: tuple(sorted(by_name[name.lower()])) for name in kind.synced
              if by_name.get(name.lower())}
    return Entry(kind, keys[0], values)


def make_entry(kind: Kind, key: str, **values: str | list[str]) -> Entry:
    """An entry from keyword values (the demo, tests and benchmarks write these)."""
    return Entry(kind, key, {
        name: tuple(sorted([value] if isinstance(value, str) else value))
        for name, value in values.items() if value})


# A directory as read: per kind, the entries by folded key.
Snapshot = dict[Kind, dict[str, Entry]]
