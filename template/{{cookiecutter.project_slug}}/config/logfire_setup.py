"""Pydantic Logfire: traces for Django requests and PostgreSQL queries."""
import logfire


def init_logfire(token: str, environment: str = "production") -> None:
    logfire.configure(
        token=token,
        service_name={{ cookiecutter.project_slug|jsonify }},
        environment=environment,
        send_to_logfire="if-token-present",
    )
    logfire.instrument_django()
    logfire.instrument_psycopg()
