from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from backups import chart_views, point_views, round_views
from console import cluster_views, views

handler400 = "console.views.bad_request"
handler403 = "console.views.permission_denied"
handler404 = "console.views.not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="console/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/", views.audit_log, name="audit"),
    path("", include("console.people_urls")),
    path("clusters/", cluster_views.cluster_list, name="clusters"),
    path("clusters/new/", cluster_views.cluster_edit, name="cluster-new"),
    path("clusters/<slug:name>/edit/", cluster_views.cluster_edit, name="cluster-edit"),
    path("clusters/<slug:name>/delete/", cluster_views.cluster_delete, name="cluster-delete"),
    path("clusters/<slug:name>/state/", cluster_views.cluster_state_json, name="cluster-state"),
    path("pairings/new/", cluster_views.pairing_create, name="pairing-new"),
    path("pairings/<id:pk>/delete/", cluster_views.pairing_delete, name="pairing-delete"),
    path("pairings/<id:pk>/charts/", chart_views.pairing_charts, name="pairing-charts"),
    path("pairings/<id:pk>/charts/series/", chart_views.pairing_series_json,
         name="pairing-series"),
    path("services/", include("backups.urls")),
    path("rounds/", round_views.round_list, name="rounds"),
    path("rounds/<id:pk>/", round_views.round_detail, name="round-detail"),
    path("rounds/<id:pk>/cancel/", round_views.round_cancel, name="round-cancel"),
    path("rounds/<id:pk>/retry/", round_views.round_retry, name="round-retry"),
    path("restore-points/", point_views.point_list, name="restore-points"),
    path("restore-points/<id:pk>/", point_views.point_detail, name="restore-point"),
    path("restore-points/<id:pk>/download/", point_views.point_download,
         name="restore-point-download"),
    path("restore-points/<id:pk>/compare/", point_views.point_compare,
         name="restore-point-compare"),
    path("failover/", include("failover.urls")),
    path("userdata/", include("userdata.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/", include("console.api_urls")),
    path("admin/", admin.site.urls),
    path("django-rq/", include("django_rq.urls")),
]
