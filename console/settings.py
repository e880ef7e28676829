"""Django settings, read from the environment with defaults for one machine."""

from datetime import timedelta
from pathlib import Path

from console.env import (
    database_from_url,
    env_bool,
    env_list,
    env_str,
    keep_private,
    secret_key,
    zookeeper_auth,
)
from minicluster.layout import Layout

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LOCKSTEP_VAR", str(BASE_DIR / "var")))
# The embedded clusters' ports and directories (see minicluster/layout.py).
MINICLUSTER = Layout.from_env(VAR_DIR / "minicluster")
# Every process of the console (and every server it starts) reads settings first.
keep_private(VAR_DIR, MINICLUSTER.var_dir)

SECRET_KEY = secret_key(VAR_DIR)
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_rq",
    "axes",
    "console",
    "backups",
    "failover",
    "userdata",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (Django's admin, django-rq) from the apps themselves, under daphne too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "console.middleware.RefuseNulCharacters",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page requires a login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "console.middleware.UserTimeZone",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into console.lockout's answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"
ASGI_APPLICATION = "console.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.roles.roles_context",
                "console.navigation.navigation",
                "console.heartbeats.health",
                "failover.prompts.prompt_banner",
                "notifications.access.unread",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL", "")
if _database_url:
    DATABASES = {"default": database_from_url(_database_url)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "lockstep.sqlite3",
            # Workers and daphne write concurrently; wait for the lock rather than fail.
            # WAL: readers never wait for a writer nor a writer for readers; IMMEDIATE:
            # a write transaction takes the lock at its start, so two never deadlock.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"},
            "TEST": {"NAME": VAR_DIR / "test-lockstep.sqlite3"},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out caller before any password or token is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Scripts' `Authorization: Bearer <token>` on the JSON API (console/api.py).
    "console.tokens.TokenBackend",
]

# Brute-force protection (django-axes): after LOCKSTEP_LOGIN_FAILURES failed logins as one
# username from one address, that username is refused from that address for
# LOCKSTEP_LOCKOUT_MINUTES after the last failure (0: until an administrator unlocks it).
AXES_FAILURE_LIMIT = int(env_str("LOCKSTEP_LOGIN_FAILURES", "5"))
_lockout_minutes = float(env_str("LOCKSTEP_LOCKOUT_MINUTES", "15"))
AXES_COOLOFF_TIME = timedelta(minutes=_lockout_minutes) if _lockout_minutes > 0 else None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Attempts while locked out are refused but not counted, so that the time the lockout
# message names stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "console.lockout.lockout_response"
# The console's audit log already records every login and logout.
AXES_DISABLE_ACCESS_LOG = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"  # where `collectstatic` puts them, for a proxy to serve
# WhiteNoise warns at every start while it is missing, even with nothing to collect.
STATIC_ROOT.mkdir(exist_ok=True)
# Served straight from each app's static directory: nothing to collect before a start.
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Without REDIS_URL, the mini cluster's Redis with its password.
REDIS_URL = env_str("REDIS_URL", "") or MINICLUSTER.redis_url
# What the console writes in a cluster's ZooKeeper (identities) only this credential may
# change; anyone may read.
ZOOKEEPER_AUTH = zookeeper_auth(VAR_DIR)

# How long a cluster endpoint may take to answer a health check, in seconds.
LOCKSTEP_ENDPOINT_TIMEOUT = float(env_str("LOCKSTEP_ENDPOINT_TIMEOUT", "3"))
# How long a WebHDFS call of a round may stall (connect, or between bytes) before it fails.
LOCKSTEP_WEBHDFS_TIMEOUT = float(env_str("LOCKSTEP_WEBHDFS_TIMEOUT", "60"))
# How long connecting to HiveServer2, or one read of a statement's answer, may stall.
LOCKSTEP_HIVESERVER2_TIMEOUT = float(env_str("LOCKSTEP_HIVESERVER2_TIMEOUT", "120"))
# Pairing and every round are refused above this clock skew between console and cluster.
LOCKSTEP_MAX_CLOCK_SKEW = float(env_str("LOCKSTEP_MAX_CLOCK_SKEW", "2"))
# A round is prepared (recorded, its snapshot job enqueued) this long before its moment T.
LOCKSTEP_ROUND_LEAD = float(env_str("LOCKSTEP_ROUND_LEAD", "30"))
# Synchronized mode: how often a point is re-taken when the group changed between snapshots.
LOCKSTEP_VERIFY_ATTEMPTS = int(env_str("LOCKSTEP_VERIFY_ATTEMPTS", "3"))
# A replication task that fails is retried after these many seconds, one retry each.
LOCKSTEP_TASK_RETRY_INTERVALS = [
    int(seconds) for seconds in env_str("LOCKSTEP_TASK_RETRY_INTERVALS", "1,3,6").split(",")
]
# The scheduler's reaper: a round whose jobs are gone is looked at once its moment is this
# many seconds past; a lost copy job is enqueued again this many times at most; a round
# not ended this many seconds after its moment is failed.
LOCKSTEP_REAPER_GRACE = float(env_str("LOCKSTEP_REAPER_GRACE", "60"))
LOCKSTEP_REAPER_MAX_RESUMES = int(env_str("LOCKSTEP_REAPER_MAX_RESUMES", "3"))
LOCKSTEP_ROUND_DEADLINE = float(env_str("LOCKSTEP_ROUND_DEADLINE", "21600"))
# A snapshot taken more than this many seconds from its moment T is flagged as late.
LOCKSTEP_MOMENT_BOUND = float(env_str("LOCKSTEP_MOMENT_BOUND", "1"))
# A process whose heartbeat is older than this many seconds is shown as down.
LOCKSTEP_HEARTBEAT_STALE = float(env_str("LOCKSTEP_HEARTBEAT_STALE", "60"))
# The failover monitor probes every cluster this often (seconds). A primary that stays
# unhealthy this long (seconds) is put to the operators as a fault prompt; a fault ends,
# and its prompt closes as recovered, only once the cluster has answered every probe for
# LOCKSTEP_FAULT_RECOVERY seconds without a break, so that a flapping primary is one fault.
LOCKSTEP_MONITOR_INTERVAL = float(env_str("LOCKSTEP_MONITOR_INTERVAL", "2"))
LOCKSTEP_FAULT_GRACE = float(env_str("LOCKSTEP_FAULT_GRACE", "10"))
LOCKSTEP_FAULT_RECOVERY = float(env_str("LOCKSTEP_FAULT_RECOVERY", "30"))
# How long one answer of a cluster's LDAP may take during a user-data sync, in seconds.
LOCKSTEP_LDAP_TIMEOUT = float(env_str("LOCKSTEP_LDAP_TIMEOUT", "30"))
# A user-data sync still running this many seconds after it started is taken to have
# died with its worker: the next sync of its pairing takes over.
LOCKSTEP_USERDATA_SYNC_TIMEOUT = float(env_str("LOCKSTEP_USERDATA_SYNC_TIMEOUT", "1800"))
# A service is in breach when its newest consistent restore point is older than this many periods.
LOCKSTEP_RPO_BREACH_PERIODS = float(env_str("LOCKSTEP_RPO_BREACH_PERIODS", "2"))
# After an unplanned failover, how many seconds an operator may still roll it back.
LOCKSTEP_FAILOVER_WINDOW = float(env_str("LOCKSTEP_FAILOVER_WINDOW", "86400"))
# How many seconds a failover waits for the rounds it stopped to stop writing to the
# secondary before it gives up for now (and is resumed later).
LOCKSTEP_FAILOVER_ROUND_WAIT = float(env_str("LOCKSTEP_FAILOVER_ROUND_WAIT", "120"))

# Notifications (notifications/): e-mails go through Django's mail backend, the console
# backend by default, which writes them to the log (the demo); set EMAIL_BACKEND to
# django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST (…) for real mail.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env_str("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = float(env_str("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "lockstep@localhost")
# Where people reach the console: e-mails and webhooks link to its pages from here.
LOCKSTEP_CONSOLE_URL = env_str("LOCKSTEP_CONSOLE_URL", "http://127.0.0.1:8000").rstrip("/")
# A delivery that fails for a reason that may pass (a webhook answering 500, a mail
# server away) is tried again after these many seconds, one retry each.
LOCKSTEP_NOTIFY_RETRY_INTERVALS = [
    int(seconds) for seconds in env_str("LOCKSTEP_NOTIFY_RETRY_INTERVALS", "10,60,300").split(",")
]
# How long a webhook may take to answer, in seconds.
LOCKSTEP_WEBHOOK_TIMEOUT = float(env_str("LOCKSTEP_WEBHOOK_TIMEOUT", "10"))
# Webhooks on loopback and private networks are refused unless this is set: anyone who
# may add a channel would otherwise reach, through the workers, what only they can reach.
LOCKSTEP_WEBHOOK_ALLOW_PRIVATE = env_bool("LOCKSTEP_WEBHOOK_ALLOW_PRIVATE")

# One RQ queue per site, named after its cluster: a round's snapshot runs on its
# source's queue, its copies on its target's (pull) or source's (push), whichever
# cluster is primary at the time. `control` carries the rest. Each site needs a worker.
LOCKSTEP_SITES = env_list("LOCKSTEP_SITES", ["site-a", "site-b"])
CONTROL_QUEUE = "control"
RQ_QUEUES = {
    name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}
    for name in (CONTROL_QUEUE, *LOCKSTEP_SITES)
}
# Its scheduler and work horses die with it (console/workers.py).
RQ = {"WORKER_CLASS": "console.workers.Worker"}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # A socket waits for its next event in a 5 s blocking read on Redis; the Redis
        # client's own read timeout (5 s by default) must be longer, or idle sockets die.
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # pyhive logs every statement, thrift every refused connection (with a traceback),
    # hdfs and kazoo every call and connection:
    # the adapters turn those into errors of their own.
    "loggers": {
        "pyhive": {"level": "WARNING"},
        "thrift": {"level": "CRITICAL"},
        "hdfs": {"level": "WARNING"},
        "kazoo": {"level": "WARNING"},
        # django-axes announces itself at every start; failures and lockouts are warnings.
        "axes": {"level": "WARNING"},
    },
}
