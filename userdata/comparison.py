"""What differs between the primary's directory and the secondary's, entry by entry.

A pure function of two snapshots: the sync, its dry run and the drift report all read
the same list. The secondary should become the primary; an entry whose identity number
disagrees is never made to agree by overwriting it (files and processes on the
secondary carry that number), so it is a conflict for a person to settle.
"""

from dataclasses import dataclass
from enum import StrEnum

from userdata.entries import KINDS, Entry, Kind, Snapshot, fold


class Action(StrEnum):
    ADD = "add"
    UPDATE = "update"
    RENAME = "rename"
    REMOVE = "remove"
    # Only on the secondary, and removal is off for the pairing: left there.
    KEEP = "keep"
    CONFLICT = "conflict"


# What a sync writes; KEEP and CONFLICT are reported and left alone.
WRITING = (Action.RENAME, Action.ADD, Action.UPDATE, Action.REMOVE)


@dataclass(frozen=True)
class Difference:
    kind: Kind
    action: Action
    # The entry's key on the primary; for REMOVE and KEEP, on the secondary.
    key: str
    before: Entry | None  # the secondary's entry, as it is
    after: Entry | None  # the primary's entry, as the secondary should hold it
    # CONFLICT: what disagrees and how to settle it.
    problem: str = ""

    @property
    def wanted(self) -> Entry:
        """The primary's entry, which an addition, update, rename or conflict has."""
        if self.after is None:
            raise ValueError(f"a {self.action} of {self.key} has no entry on the primary")
        return self.after

    @property
    def found(self) -> Entry:
        """The secondary's entry, which an update, rename, removal or kept entry has."""
        if self.before is None:
            raise ValueError(f"a {self.action} of {self.key} has no entry on the secondary")
        return self.before

    @property
    def changed(self) -> dict[str, tuple[list[str], list[str]]]:
        """Each attribute whose values differ: (before, after)."""
        before = self.before.values if self.before else {}
        after = self.after.values if self.after else {}
        return {name: (list(before.get(name, ())), list(after.get(name, ())))
                for name in self.kind.synced if before.get(name) != after.get(name)}

    @property
    def summary(self) -> str:
        """One line for people: what the sync does or why it does not."""
        if self.action is Action.CONFLICT:
            return self.problem
        if self.action in (Action.REMOVE, Action.KEEP):
            return "only on the secondary"
        if self.action is Action.ADD:
            identity = self.wanted.identity
            return f"new, {self.kind.identity} {identity}" if identity else "new"
        parts = [_change_text(name, *values) for name, values in self.changed.items()]
        if self.action is Action.RENAME:
            parts.insert(0, f"renamed from {self.found.key}")
        return "; ".join(parts)


def _change_text(name: str, before: list[str], after: list[str]) -> str:
    if name == "memberUid":
        gone, new = sorted(set(before) - set(after)), sorted(set(after) - set(before))
        return "members " + " ".join([*(f"+{uid}" for uid in new),
                                      *(f"-{uid}" for uid in gone)])
    return f"{name}: {', '.join(before) or '(none)'} → {', '.join(after) or '(none)'}"


def compare(primary: Snapshot, secondary: Snapshot, remove: bool,
            names: tuple[str, str] = ("the primary", "the secondary")) -> list[Difference]:
    """Every difference, kind by kind (users first); `names` name the two clusters in
    the conflicts' messages."""
    found = []
    for kind in KINDS:
        found += _compare_kind(kind, primary.get(kind, {}), secondary.get(kind, {}), remove,
                               names)
    return found


def _compare_kind(kind: Kind, primary: dict[str, Entry], secondary: dict[str, Entry],
                  remove: bool, names: tuple[str, str]) -> list[Difference]:
    by_identity = {entry.identity: entry for entry in secondary.values() if entry.identity}
    unmatched = {key for key in secondary if key not in primary}
    found = []
    for key, entry in primary.items():
        there = secondary.get(key)
        holder = by_identity.get(entry.identity) if entry.identity else None
        if there is None and holder is not None and fold(holder.key) in unmatched:
            # The same number under another name, a name the primary no longer has:
            # the primary renamed the entry.
            unmatched.discard(fold(holder.key))
            found.append(Difference(kind, Action.RENAME, entry.key, holder, entry))
        elif holder is not None and holder is not there:
            found.append(_conflict(kind, entry, there, _taken(kind, entry, holder, names)))
        elif there is None:
            found.append(Difference(kind, Action.ADD, entry.key, None, entry))
        elif there.identity and entry.identity and there.identity != entry.identity:
            found.append(_conflict(kind, entry, there, _renumbered(kind, entry, there, names)))
        elif there.values != entry.values:
            found.append(Difference(kind, Action.UPDATE, entry.key, there, entry))
    for key in sorted(unmatched):
        entry = secondary[key]
        found.append(Difference(kind, Action.REMOVE if remove else Action.KEEP, entry.key,
                                entry, None))
    return found


def _conflict(kind: Kind, entry: Entry, there: Entry | None, problem: str) -> Difference:
    return Difference(kind, Action.CONFLICT, entry.key, there, entry, problem)


def _renumbered(kind: Kind, entry: Entry, there: Entry, names: tuple[str, str]) -> str:
    return (f"{kind} {entry.key} has {kind.identity} {entry.identity} on {names[0]} but "
            f"{there.identity} on {names[1]}: they are two identities under one name, and "
            f"files on {names[1]} belong to {there.identity}. Settle on one number (change "
            f"it on one cluster and hand that cluster's files to it), then sync again.")


def _taken(kind: Kind, entry: Entry, holder: Entry, names: tuple[str, str]) -> str:
    return (f"{kind} {entry.key} has {kind.identity} {entry.identity} on {names[0]}, which "
            f"{holder.key} holds on {names[1]}: copying it would hand {holder.key}'s files "
            f"there to {entry.key}. Give one of them another number (and its files), or "
            f"remove {holder.key} from {names[1]} if it is stale, then sync again.")
