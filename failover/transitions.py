"""The fault prompt state machine: which moves are allowed, and the one function that
makes a move.

A move is a conditional UPDATE from the allowed states: of an operator's dismissal,
another's confirmation and the monitor seeing the primary recover, exactly one wins, and
the others learn that the prompt was decided. Every page's banner follows the move once
it is committed.
"""

from django.db import transaction

from failover.events import publish_prompt
from failover.models import FaultPrompt, PromptState

P = PromptState

PROMPT_MOVES: dict[str, set[str]] = {
    P.OPEN: {P.CONFIRMED, P.DISMISSED, P.RECOVERED},
}


def move_prompt(prompt: FaultPrompt, to: str, **fields) -> bool:
    """Move `prompt` to `to` (saving `fields` with it) and publish it once committed;
    False (and `prompt` refreshed) when it had moved already."""
    sources = [state for state, targets in PROMPT_MOVES.items() if to in targets]
    won = FaultPrompt.objects.filter(pk=prompt.pk, state__in=sources).update(state=to,
                                                                             **fields)
    prompt.refresh_from_db()
    if won:
        transaction.on_commit(lambda: publish_prompt(prompt))
    return bool(won)
