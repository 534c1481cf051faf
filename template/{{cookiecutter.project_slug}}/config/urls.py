from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from apps.api.api import api
{%- if cookiecutter.generate_blog == 'y' %}
from apps.blog.sitemaps import PostSitemap
{%- endif %}
from apps.core.sitemaps import StaticViewSitemap
{%- if cookiecutter.generate_blog == 'y' %}

sitemaps = {"static": StaticViewSitemap, "blog": PostSitemap}
{%- else %}

sitemaps = {"static": StaticViewSitemap}
{%- endif %}

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", api.urls),
{%- if cookiecutter.use_stripe == 'y' %}
    path("billing/", include("apps.billing.urls")),
{%- endif %}
{%- if cookiecutter.generate_blog == 'y' %}
    path("blog/", include("apps.blog.urls")),
{%- endif %}
{%- if cookiecutter.generate_docs == 'y' %}
    path("docs/", include("apps.docs.urls")),
{%- endif %}
{%- if cookiecutter.use_ai == 'y' %}
    path("ai/", include("apps.ai.urls")),
{%- endif %}
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("", include("apps.core.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
