"""When failed probes make a fault, when a fault calls for a prompt, and when it is over.

The monitor tells each cluster's `FaultTimer` the outcome of every probe, at a `Moment`
read from the monotonic clock (for the timing) and the wall clock (for the records).

- A fault begins with the first failed probe while there is none.
- It is due, worth a prompt, while the cluster is unhealthy and the fault is at least
  the grace period old: a primary that is back within the grace opens nothing.
- It ends only once the cluster has answered every probe for the recovery period without
  a break. A primary that flaps (down, back for a moment, down again) is therefore one
  fault: a short recovery neither restarts its grace nor closes its prompt, so it can
  neither escape a prompt by coming back now and then nor open a second one.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class Moment:
    monotonic: float
    wall: datetime

    def at(self, monotonic: float) -> "Moment":
        """Another moment, given by the monotonic clock, with its wall time."""
        return Moment(monotonic, self.wall + timedelta(seconds=monotonic - self.monotonic))


class Change(StrEnum):
    BEGAN = "began"
    ENDED = "ended"


@dataclass
class FaultTimer:
    grace: float
    recovery: float
    # The fault's first failed probe (None: no fault); its wall time names the fault in
    # the records (ClusterStatus.unhealthy_since, FaultPrompt.fault_since).
    began: Moment | None = None
    # During a fault: the first probe of the current unbroken run of healthy ones.
    healthy_from: Moment | None = None
    # The run of healthy probes that ended the last fault began here.
    recovered_from: Moment | None = None

    @property
    def unhealthy(self) -> bool:
        return self.began is not None and self.healthy_from is None

    def resume(self, since: datetime, now: Moment) -> None:
        """Carry on a fault recorded by an earlier run of the monitor (so that a prompt
        already dismissed for it is not put again); its grace counts from `now`, since
        nothing was watched in between."""
        self.began, self.healthy_from = Moment(now.monotonic, since), None

    def observe(self, healthy: bool, at: Moment) -> Change | None:
        """Take one probe's outcome; say whether a fault began or ended with it."""
        if not healthy:
            self.healthy_from = None
            if self.began is None:
                self.began = at
                return Change.BEGAN
            return None
        if self.began is None:
            return None
        if self.healthy_from is None:
            self.healthy_from = at
        if at.monotonic - self.healthy_from.monotonic >= self.recovery:
            self.recovered_from, self.began, self.healthy_from = self.healthy_from, None, None
            return Change.ENDED
        return None

    def due_at(self) -> float | None:
        """The monotonic time from which the fault calls for a prompt; None while there is
        no fault or the cluster answers."""
        return self.began.monotonic + self.grace if self.began and self.unhealthy else None

    def due(self, now: float) -> bool:
        due_at = self.due_at()
        return due_at is not None and now >= due_at
