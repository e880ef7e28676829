from django.urls import path

from userdata import views

urlpatterns = [
    path("", views.user_data_home, name="userdata"),
    path("clusters/<slug:name>/", views.cluster_directory, name="userdata-directory"),
    path("pairings/<id:pk>/", views.pairing_user_data, name="userdata-pairing"),
    path("pairings/<id:pk>/settings/", views.pairing_settings, name="userdata-settings"),
    path("pairings/<id:pk>/sync/", views.pairing_sync, name="userdata-sync"),
    path("runs/<id:pk>/", views.run_detail, name="userdata-run"),
]
