from django.urls import path

from console import people_views

urlpatterns = [
    path("users/", people_views.user_list, name="users"),
    path("users/new/", people_views.user_new, name="user-new"),
    path("users/<id:pk>/", people_views.user_edit, name="user-edit"),
    path("tenants/", people_views.tenant_list, name="tenants"),
    path("tenants/new/", people_views.tenant_edit, name="tenant-new"),
    path("tenants/<slug:name>/edit/", people_views.tenant_edit, name="tenant-edit"),
    path("tenants/<slug:name>/delete/", people_views.tenant_delete, name="tenant-delete"),
    path("tokens/", people_views.token_list, name="tokens"),
    path("tokens/new/", people_views.token_new, name="token-new"),
    path("tokens/<id:pk>/revoke/", people_views.token_revoke, name="token-revoke"),
]
