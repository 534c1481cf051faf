"""Configuration from the environment (twelve-factor), with an optional .env file."""
import os
from pathlib import Path


def load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from path into os.environ, never overriding it."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def env(name: str, default: str = "") -> str:
    """The variable's value; default when it is unset or empty.

    An empty value (`DATABASE_URL=` in a copied .env.example) means "not
    set" everywhere the project reads its environment.
    """
    value = os.environ.get(name, "").strip()
    return value if value else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on", "y"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]
