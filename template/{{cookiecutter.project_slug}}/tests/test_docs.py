from django.urls import reverse


def test_docs_index_redirects_to_the_first_page(client):
    response = client.get(reverse("docs:index"))
    assert response.status_code == 302
    assert response.url == reverse("docs:page", args=["introduction"])


def test_docs_page_renders_markdown_with_navigation(client):
    response = client.get(reverse("docs:page", args=["getting-started"]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1" in content and "Getting started" in content
    assert reverse("docs:page", args=["introduction"]) in content
    assert reverse("docs:page", args=["faq"]) in content
    assert 'rel="prev"' in content and 'rel="next"' in content


def test_unknown_docs_page_is_404(client):
    assert client.get(reverse("docs:page", args=["no-such-page"])).status_code == 404


def test_docs_pages_are_ordered_by_file_number():
    from apps.docs.pages import all_pages

    assert [page.slug for page in all_pages()][:3] == ["introduction", "getting-started", "faq"]
