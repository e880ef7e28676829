from django.urls import path

from backups import views

urlpatterns = [
    path("", views.service_list, name="services"),
    path("new/", views.service_edit, name="service-new"),
    path("<int:pk>/", views.service_detail, name="service-detail"),
    path("<int:pk>/edit/", views.service_edit, name="service-edit"),
    path("<int:pk>/toggle/", views.service_toggle, name="service-toggle"),
    path("<int:pk>/delete/", views.service_delete, name="service-delete"),
]
