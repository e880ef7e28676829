"""`manage.py seed_demo [--print-logins]`: the demo's logins, its operators' e-mail
notification channel and the bill-clearing example."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from console.demo import (
    DEMO_USERS,
    demo_passwords,
    seed_bill_clearing,
    seed_demo_channel,
    seed_logins,
)


class Command(BaseCommand):
    help = ("Create the demo logins (one per role) and, on the running mini cluster, the "
            "bill-clearing service; with --print-logins, only print the logins.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--print-logins", action="store_true")

    def handle(self, print_logins: bool, **options) -> None:
        if print_logins:
            passwords = demo_passwords(settings.VAR_DIR)
            for username, role in DEMO_USERS.items():
                self.stdout.write(f"  {role.value:<15} {username:<10} {passwords[username]}")
            return
        seed_logins(settings.VAR_DIR)
        seed_demo_channel()
        service = seed_bill_clearing(settings.MINICLUSTER)
        self.stdout.write(f"demo ready: service {service} over {service.pairing}")
