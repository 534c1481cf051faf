from datetime import datetime

from ninja import Schema


class HealthOut(Schema):
    status: str


class MeOut(Schema):
    id: int
    email: str
    name: str
    date_joined: datetime
{%- if cookiecutter.use_stripe == 'y' %}
    subscription_status: str
{%- endif %}
{%- if cookiecutter.generate_blog == 'y' %}


class PostOut(Schema):
    title: str
    slug: str
    summary: str
    url: str
    published_at: datetime | None
{%- endif %}
{%- if cookiecutter.use_ai == 'y' %}


class SummarizeIn(Schema):
    text: str


class SummarizeOut(Schema):
    summary: str
{%- endif %}
