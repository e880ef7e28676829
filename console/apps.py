from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Lockstep console"

    def ready(self) -> None:
        from django.urls import register_converter

        from console import (
            audit,  # noqa: F401  (connects the login/logout receivers)
            live_audience,  # noqa: F401  (keeps open websockets current)
        )
        from console.converters import IdConverter

        # `<id:pk>` in every app's URLs, registered before any URL module is loaded.
        register_converter(IdConverter, "id")
