from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.blog.models import Post


@pytest.fixture
def published(db, user):
    return Post.objects.create(
        title="Hello world",
        summary="The first post.",
        body="Some **bold** words.",
        status=Post.Status.PUBLISHED,
        author=user,
    )


@pytest.fixture
def draft(db):
    return Post.objects.create(title="Secret plans", body="Not yet.", status=Post.Status.DRAFT)


def test_list_shows_published_posts_only(client, published, draft):
    response = client.get(reverse("blog:list"))
    assert response.status_code == 200
    assert b"Hello world" in response.content
    assert b"Secret plans" not in response.content


def test_detail_renders_markdown(client, published):
    response = client.get(published.get_absolute_url())
    assert response.status_code == 200
    assert b"<strong>bold</strong>" in response.content


def test_drafts_and_future_posts_are_not_found(client, draft):
    future = Post.objects.create(
        title="Tomorrow", body="x", status=Post.Status.PUBLISHED, published_at=timezone.now() + timedelta(days=1)
    )
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(future.get_absolute_url()).status_code == 404


def test_rss_feed_lists_posts(client, published):
    response = client.get(reverse("blog:feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    assert b"Hello world" in response.content


def test_sitemap_lists_posts(client, published):
    response = client.get("/sitemap.xml")
    assert published.get_absolute_url().encode() in response.content


def test_posts_api_needs_a_key_and_lists_posts(client, api_key, published):
    assert client.get("/api/posts").status_code == 401
    response = client.get("/api/posts", headers={"X-API-Key": api_key})
    assert response.status_code == 200
    assert [post["slug"] for post in response.json()] == ["hello-world"]
