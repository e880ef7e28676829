from django.urls import path

from backups import chart_views, round_views, views

urlpatterns = [
    path("", views.service_list, name="services"),
    path("new/", views.service_edit, name="service-new"),
    path("<id:pk>/", views.service_detail, name="service-detail"),
    path("<id:pk>/edit/", views.service_edit, name="service-edit"),
    path("<id:pk>/toggle/", views.service_toggle, name="service-toggle"),
    path("<id:pk>/delete/", views.service_delete, name="service-delete"),
    path("<id:pk>/run-now/", round_views.service_run_now, name="service-run-now"),
    path("<id:pk>/dry-run/", round_views.service_dry_run, name="service-dry-run"),
    path("<id:pk>/series/", chart_views.service_series_json, name="service-series"),
]
