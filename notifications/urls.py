from django.urls import path

from notifications import views

urlpatterns = [
    path("", views.notification_list, name="notifications"),
    path("channels/", views.channel_list, name="notification-channels"),
    path("channels/new/", views.channel_edit, name="notification-channel-new"),
    path("channels/<id:pk>/", views.channel_detail, name="notification-channel"),
    path("channels/<id:pk>/edit/", views.channel_edit, name="notification-channel-edit"),
    path("channels/<id:pk>/test/", views.channel_test, name="notification-channel-test"),
    path("channels/<id:pk>/delete/", views.channel_delete, name="notification-channel-delete"),
]
