from django.apps import AppConfig


class DocsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.docs"
    label = "docs"
