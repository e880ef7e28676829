"""Making the secondary's directory what the differences say, and auditing each change.

Writes go out in three phases, each pipelined and each of independent writes: renames
first (a renamed entry is then changed under its new name), then additions and changes,
then removals. Every difference's outcome is audited once it is known, in batches:
who, what, before and after, and for a refused write the directory's reason and a fix.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib.auth.models import User

from adapters.ldap import LdapSession, Write, WriteResult, rdn
from console import audit
from console.models import AuditEntry, Cluster
from userdata.comparison import WRITING, Action, Difference
from userdata.directories import entry_dn, open_directory, unit_dn

AUDIT_BATCH = 200


class Result:
    APPLIED = "applied"
    REFUSED = "refused"
    PLANNED = "planned"  # a dry run's difference: nothing was written
    LEFT = "left"  # a conflict or an entry kept on the secondary: reported, not written


@dataclass(frozen=True)
class Outcome:
    difference: Difference
    result: str
    # Refused: the directory's reason and what to do about it.
    message: str = ""

    @property
    def settled(self) -> bool:
        return self.result == Result.APPLIED


def left_alone(difference: Difference, dry_run: bool) -> Outcome:
    """The outcome of a difference that is not written."""
    writes = difference.action in WRITING
    return Outcome(difference, Result.PLANNED if dry_run and writes else Result.LEFT)


def _modify(dn: str, difference: Difference) -> Write | None:
    """The change that gives the entry at `dn` the primary's values, or None."""
    before, after = difference.found, difference.wanted
    changed = {name: values[1] for name, values in difference.changed.items()}
    if not changed:
        return None
    numbered = difference.kind.numbered_class
    gains = bool(numbered and after.identity and not before.identity)
    loses = bool(numbered and before.identity and not after.identity)
    return Write("modify", dn, changed, (numbered,) if gains else (),
                 (numbered,) if loses else ())


def _rename(difference: Difference, target: Cluster) -> Write | None:
    """Phase one: a rename."""
    if difference.action is Action.RENAME:
        kind = difference.kind
        return Write("rename", entry_dn(target, kind, difference.found.key),
                     new_rdn=rdn(kind.key, difference.wanted.key))
    return None


def _add_or_change(difference: Difference, target: Cluster) -> Write | None:
    """Phase two: an addition, or a change (of a renamed entry, under its new name)."""
    kind = difference.kind
    if difference.action is Action.ADD:
        entry = difference.wanted
        return Write("add", entry_dn(target, kind, entry.key), entry.add_attributes(),
                     entry.object_classes)
    if difference.action is Action.UPDATE:
        return _modify(entry_dn(target, kind, difference.found.key), difference)
    if difference.action is Action.RENAME:
        return _modify(entry_dn(target, kind, difference.wanted.key), difference)
    return None


def _remove(difference: Difference, target: Cluster) -> Write | None:
    """Phase three: a removal."""
    if difference.action is Action.REMOVE:
        return Write("delete", entry_dn(target, difference.kind, difference.found.key))
    return None


PHASES: tuple[Callable[[Difference, Cluster], Write | None], ...] = (
    _rename, _add_or_change, _remove)


def refusal_fix(result: WriteResult, difference: Difference, target: Cluster) -> str:
    """The directory's reason for refusing a write, and what a person can do about it."""
    unit = unit_dn(target, difference.kind)
    reason = f"{target}'s directory refused to {result.write.operation} {result.write.dn}: " \
             f"{result.code}{f' ({result.message})' if result.message else ''}."
    fixes = {
        "insufficientAccessRights":
            f"The console's account ({target.ldap_bind_dn}) may not write this entry: grant "
            f"it write access to {unit} (an access rule of the directory), or make the "
            f"change on {target} by hand.",
        "noSuchObject": f"{unit} is missing on {target}: create it (an organizationalUnit), "
                        "then sync again.",
        "entryAlreadyExists": f"It appeared on {target} while the sync ran: the next sync "
                              "compares it again.",
        "objectClassViolation": f"{target}'s directory lacks a schema the entry needs "
                                "(inetOrgPerson, and nis for posixAccount and posixGroup).",
        "undefinedAttributeType": f"{target}'s directory lacks a schema the entry needs "
                                  "(inetOrgPerson, and nis for posixAccount and posixGroup).",
    }
    return f"{reason} {fixes.get(result.code, 'Fix the cause named, then sync again.')}"


def actor_of(by: str) -> User | None:
    """The console user `by` names; None for a process (a round, manage.py)."""
    return User.objects.filter(username=by).first()


class _Trail:
    """Audit entries of one sync, saved in batches (a first sync changes thousands)."""

    def __init__(self, by: str, target: Cluster, run_id: int | None) -> None:
        self.actor = actor_of(by)
        self.by = by
        self.target = target
        self.run_id = run_id
        self.pending: list[AuditEntry] = []

    def note(self, outcome: Outcome, writes: list[WriteResult]) -> None:
        difference = outcome.difference
        detail = {
            "run": self.run_id, "cluster": self.target.name,
            "dn": [result.write.dn for result in writes],
            "before": difference.before.as_dict() if difference.before else None,
            "after": difference.after.as_dict() if difference.after else None,
        }
        if outcome.message:
            detail["refused"] = outcome.message
        self.pending.append(audit.unsaved(
            self.by, f"userdata.{difference.action}",
            f"{self.target} {difference.kind} {difference.key}",
            audit.Outcome.SUCCESS if outcome.settled else audit.Outcome.FAILED,
            json.dumps(detail), self.actor))
        if len(self.pending) >= AUDIT_BATCH:
            self.flush()

    def flush(self) -> None:
        AuditEntry.objects.bulk_create(self.pending)
        self.pending = []


def apply_differences(differences: list[Difference], target: Cluster, by: str,
                      run_id: int | None = None) -> list[Outcome]:
    """Write every difference that writes to `target`'s directory; the outcome of each,
    in the order of `differences`. Raises DirectoryUnavailable when the directory
    cannot be reached or stops answering (what was written so far is audited)."""
    done: dict[int, list[WriteResult]] = {index: [] for index in range(len(differences))}
    refused: dict[int, str] = {}
    trail = _Trail(by, target, run_id)
    try:
        with open_directory(target) as session:
            for phase in PHASES:
                for index, result in _run_phase(session, phase, differences, target, refused):
                    done[index].append(result)
                    if not result.ok:
                        refused[index] = refusal_fix(result, differences[index], target)
    finally:
        outcomes = _outcomes(differences, done, refused, trail)
        trail.flush()
    return outcomes


def _run_phase(session: LdapSession, phase: Callable[[Difference, Cluster], Write | None],
               differences: list[Difference], target: Cluster,
               refused: dict[int, str]) -> Iterator[tuple[int, WriteResult]]:
    """(index of the difference, result) of each write of the phase; a difference whose
    earlier write was refused writes nothing more."""
    planned = [(index, write) for index, difference in enumerate(differences)
               if index not in refused and (write := phase(difference, target)) is not None]
    results = session.apply(write for _, write in planned)
    for (index, _), result in zip(planned, results, strict=True):
        yield index, result


def _outcomes(differences: list[Difference], done: dict[int, list[WriteResult]],
              refused: dict[int, str], trail: _Trail) -> list[Outcome]:
    outcomes = []
    for index, difference in enumerate(differences):
        if not done[index]:
            outcomes.append(left_alone(difference, dry_run=False))
            continue
        outcome = Outcome(difference, Result.REFUSED if index in refused else Result.APPLIED,
                          refused.get(index, ""))
        trail.note(outcome, done[index])
        outcomes.append(outcome)
    return outcomes
