from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import views

handler403 = "console.views.permission_denied"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="console/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/", views.audit_log, name="audit"),
    path("admin/", admin.site.urls),
    path("django-rq/", include("django_rq.urls")),
]
