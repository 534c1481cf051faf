from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse

from .models import Post


class LatestPostsFeed(Feed):
    description_template = None

    def title(self):
        return f"{settings.SITE_NAME} blog"

    def link(self):
        return reverse("blog:list")

    def description(self):
        return f"The latest posts from {settings.SITE_NAME}."

    def items(self):
        return Post.objects.published()[:20]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary or item.body[:300]

    def item_pubdate(self, item):
        return item.published_at
