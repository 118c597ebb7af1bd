"""The one place that reads the environment.

Everything a deployment can change is read here, so that a partnership can see at a
glance what it may configure: the database, the data folder, the secret key, debug.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def data_dir() -> Path:
    path = Path(os.environ.get("PATHWAYS_DATA_DIR", REPO_ROOT / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'pathways.sqlite3'}"


def secret_key() -> str:
    """The key from the environment, or one made once and kept in the data folder.

    A key kept in the data folder means the embedded demo survives a restart without
    anyone having to invent a secret; a real deployment sets PATHWAYS_SECRET_KEY.
    """
    from_env = os.environ.get("PATHWAYS_SECRET_KEY")
    if from_env:
        return from_env
    path = data_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def text(name: str, default: str) -> str:
    return os.environ.get(name, default)
