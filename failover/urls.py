from django.urls import path

from failover import views

urlpatterns = [
    path("", views.failover_page, name="failover"),
    path("prompts/<id:pk>/dismiss/", views.prompt_dismiss, name="prompt-dismiss"),
    path("prompts/<id:pk>/confirm/", views.prompt_confirm, name="prompt-confirm"),
    path("pairings/<id:pk>/switchover/", views.switchover_start, name="switchover-start"),
]
