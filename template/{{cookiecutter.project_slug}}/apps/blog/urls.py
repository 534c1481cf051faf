from django.urls import path

from . import views
from .feeds import LatestPostsFeed

app_name = "blog"

urlpatterns = [
    path("", views.PostListView.as_view(), name="list"),
    path("feed/", LatestPostsFeed(), name="feed"),
    path("<slug:slug>/", views.PostDetailView.as_view(), name="detail"),
]
