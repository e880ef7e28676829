"""`manage.py tokens issue USER --name NAME | list [--user USER] | revoke ID`."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from console import tokens
from console.models import ApiToken


class Command(BaseCommand):
    help = ("Issue a user's API token for the JSON API (its secret is printed once), list "
            "tokens, or revoke one. Each issue and revoke is audited.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        issue = actions.add_parser("issue", help="issue a token acting as USER")
        issue.add_argument("username")
        issue.add_argument("--name", required=True, help="what the token is for")
        listing = actions.add_parser("list", help="every token, or USER's")
        listing.add_argument("--user", dest="owner")
        revoke = actions.add_parser("revoke", help="revoke the token with this id")
        revoke.add_argument("token_id", type=int)

    def handle(self, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _issue(self, username: str, name: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is named {username}.")
        token = ApiToken(user=user, name=name)
        try:
            # The admin's form checks the name; here the model does (a name longer than its
            # column would be kept by SQLite, refused by PostgreSQL only inside the save).
            token.full_clean(exclude=["digest", "created_by"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        secret = tokens.issue(token)
        self.stdout.write(f"{token} issued. Its secret, shown only this once:\n{secret}")

    def _list(self, owner: str | None, **options) -> None:
        listed = ApiToken.objects.select_related("user")
        if owner:
            listed = listed.filter(user__username=owner)
        for token in listed:
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(f"{token.pk:>5}  {token.user.username:<15} {token.name:<25} "
                              f"created {token.created_at:%Y-%m-%d %H:%M}  used {used}  "
                              f"{state}")

    def _revoke(self, token_id: int, **options) -> None:
        token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
        if token is None:
            raise CommandError(f"No API token has the id {token_id}: see `tokens list`.")
        if not tokens.revoke(token):
            raise CommandError(f"{token} was already revoked.")
        self.stdout.write(f"{token} revoked.")
