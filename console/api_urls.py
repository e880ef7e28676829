from django.urls import path

from backups import api as backups_api
from backups import round_api
from console import cluster_api, metrics
from failover import api as failover_api
from userdata import api as userdata_api

urlpatterns = [
    path("metrics/", metrics.metrics, name="api-metrics"),
    path("clusters/", cluster_api.clusters, name="api-clusters"),
    path("clusters/<slug:name>/", cluster_api.cluster, name="api-cluster"),
    path("clusters/<slug:name>/state/", cluster_api.cluster_live_state, name="api-cluster-state"),
    path("pairings/", cluster_api.pairings, name="api-pairings"),
    path("pairings/<id:pk>/", cluster_api.pairing, name="api-pairing"),
    path("services/", backups_api.services, name="api-services"),
    path("services/<id:pk>/", backups_api.service, name="api-service"),
    path("services/<id:pk>/run-now/", round_api.service_run_now, name="api-service-run-now"),
    path("rounds/<id:pk>/", round_api.round_detail, name="api-round"),
    path("rounds/<id:pk>/cancel/", round_api.round_cancel, name="api-round-cancel"),
    path("rounds/<id:pk>/retry/", round_api.round_retry, name="api-round-retry"),
    path("data-sets/", backups_api.candidates, name="api-candidates"),
    path("failover/status/", failover_api.status, name="api-failover-status"),
    path("failover/prompts/<id:pk>/dismiss/", failover_api.prompt_dismiss,
         name="api-prompt-dismiss"),
    path("failover/confirm/", failover_api.confirm, name="api-failover-confirm"),
    path("failover/switchovers/", failover_api.switchovers, name="api-switchovers"),
    path("failover/switchover/", failover_api.switchover_planned,
         name="api-switchover-planned"),
    path("failover/switchovers/<id:pk>/", failover_api.switchover, name="api-switchover"),
    path("failover/switchovers/<id:pk>/rollback/", failover_api.rollback,
         name="api-switchover-rollback"),
    path("failover/switchovers/<id:pk>/commit/", failover_api.commit,
         name="api-switchover-commit"),
    path("failover/switchovers/<id:pk>/resume/", failover_api.resume,
         name="api-switchover-resume"),
    path("clusters/<slug:name>/directory/", userdata_api.cluster_directory,
         name="api-cluster-directory"),
    path("pairings/<id:pk>/user-data/", userdata_api.pairing_user_data,
         name="api-pairing-user-data"),
    path("pairings/<id:pk>/user-data/sync/", userdata_api.pairing_sync,
         name="api-pairing-user-data-sync"),
    path("user-data/runs/<id:pk>/", userdata_api.run_detail, name="api-user-data-run"),
]
