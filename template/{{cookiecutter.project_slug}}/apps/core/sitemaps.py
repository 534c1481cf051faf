from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class StaticViewSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
{%- if cookiecutter.use_stripe == 'y' and cookiecutter.generate_docs == 'y' %}
        return ["core:landing", "billing:pricing", "docs:index"]
{%- elif cookiecutter.use_stripe == 'y' %}
        return ["core:landing", "billing:pricing"]
{%- elif cookiecutter.generate_docs == 'y' %}
        return ["core:landing", "docs:index"]
{%- else %}
        return ["core:landing"]
{%- endif %}

    def location(self, item):
        return reverse(item)
