from django.urls import path

from . import views

app_name = "ai"

urlpatterns = [
    path("summarize/", views.summarize_view, name="summarize"),
]
