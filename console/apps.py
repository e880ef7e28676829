from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Lockstep console"

    def ready(self) -> None:
        from console import audit  # noqa: F401  (connects the login/logout receivers)
