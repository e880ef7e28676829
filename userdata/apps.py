from django.apps import AppConfig


class UserDataConfig(AppConfig):
    name = "userdata"
    verbose_name = "User data"
