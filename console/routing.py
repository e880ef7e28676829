from django.urls import path

from console.consumers import EventsConsumer

websocket_urlpatterns = [
    # Django's stubs type path() for views only; Channels routes ASGI applications with it.
    path("ws/events/", EventsConsumer.as_asgi()),  # type: ignore[arg-type]
]
