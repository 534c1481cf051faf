from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/api-keys/", views.create_api_key, name="create_api_key"),
    path("settings/api-keys/<int:key_id>/revoke/", views.revoke_api_key, name="revoke_api_key"),
]
