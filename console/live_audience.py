"""Keeping open websockets to what their user may see now.

A logout closes the sockets of that browser session; a change of a user's roles,
tenants or account (deactivated, password changed, deleted) makes that user's sockets
look again (`EventsConsumer.console_refresh`). Messages go after the commit, so the
sockets read the new state.
"""

import logging

from channels.exceptions import ChannelFull
from django.contrib.auth.models import Group, User
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from redis.exceptions import RedisError

from console import events
from console.models import Tenant

logger = logging.getLogger(__name__)


def _send(group: str, command: str) -> None:
    def send() -> None:
        # The change itself stands when the event bus is down: log, do not fail it.
        try:
            events.control(group, command)
        except (OSError, RedisError, ChannelFull) as error:
            logger.warning("Could not tell the sockets of %s to %s: %s", group, command, error)

    transaction.on_commit(send)


def _refresh_users(user_pks) -> None:
    for pk in user_pks:
        _send(events.user_group(pk), "refresh")


@receiver(user_logged_out)
def _close_session_sockets(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        _send(events.session_group(session_key), "close")


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=Tenant.members.through)
def _membership_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, User):
        _refresh_users([instance.pk])
    elif pk_set is not None:
        _refresh_users(pk_set)
    else:  # a group or tenant cleared of all its members: whom is not known any more
        _send(events.everyone(), "refresh")


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def _account_changed(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) == {"last_login"}:
        return  # a login: nothing an open socket depends on changed
    _refresh_users([instance.pk])


@receiver(post_delete, sender=Group)
@receiver(post_delete, sender=Tenant)
def _audience_deleted(sender, instance, **kwargs) -> None:
    _send(events.everyone(), "refresh")
