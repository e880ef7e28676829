"""The fault prompt and switchover state machines: which moves are allowed, and the one
function each that makes a move.

A move is a conditional UPDATE from the allowed states: of an operator's dismissal,
another's confirmation and the monitor seeing the primary recover, or of a commit and a
rollback of one failover at the same moment, exactly one wins and the others learn it.
Every page's banner follows a prompt's move once it is committed.
"""

from django.db import transaction
from django.db.models import Model

from failover.events import publish_prompt
from failover.models import FaultPrompt, PromptState, Switchover, SwitchoverState

P, S = PromptState, SwitchoverState

PROMPT_MOVES: dict[str, set[str]] = {
    P.OPEN: {P.CONFIRMED, P.DISMISSED, P.RECOVERED},
}

SWITCHOVER_MOVES: dict[str, set[str]] = {
    # A planned switchover is committed as it ends: it lost nothing.
    S.RUNNING: {S.DONE, S.COMMITTED, S.FAILED},
    # Resumed by hand once the operator removed what failed it.
    S.FAILED: {S.RUNNING},
    # A failover's decision; ROLLED_BACK once its rollback is done.
    S.DONE: {S.COMMITTED, S.ROLLED_BACK},
}


def _move(instance: Model, moves: dict[str, set[str]], to: str, where: dict,
          fields: dict) -> bool:
    sources = [state for state, targets in moves.items() if to in targets]
    values = {"state": to, **fields}
    won = type(instance)._default_manager.filter(pk=instance.pk, state__in=sources, **where).update(
        **values)
    instance.refresh_from_db()
    return bool(won)


def move_prompt(prompt: FaultPrompt, to: str, **fields) -> bool:
    """Move `prompt` to `to` (saving `fields` with it) and publish it once committed;
    False (and `prompt` refreshed) when it had moved already."""
    won = _move(prompt, PROMPT_MOVES, to, {}, fields)
    if won:
        transaction.on_commit(lambda: publish_prompt(prompt))
    return won


def move_switchover(switchover: Switchover, to: str, where: dict | None = None,
                    **fields) -> bool:
    """Move `switchover` to `to` (saving `fields` with it) if it also still matches
    `where`; False when it had moved or changed first."""
    return _move(switchover, SWITCHOVER_MOVES, to, where or {}, fields)
