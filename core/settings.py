"""The one settings object: ``REPAIRLENS_*`` environment variables and an optional ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPAIRLENS_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Runtime state: ops DB, warehouse, models.")
    ops_db_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the operational database; defaults to an embedded "
        "SQLite file in the data directory.",
    )
    warehouse_keep_versions: int = Field(
        2, ge=1, description="Published warehouse files kept beside the current one."
    )

    @field_validator("ops_db_url")
    @classmethod
    def _supported_engine(cls, url: str | None) -> str | None:
        if url is None or url.startswith(("sqlite://", "postgresql")):
            return url
        raise ValueError("REPAIRLENS_OPS_DB_URL must start with sqlite:// or postgresql+psycopg://")

    @property
    def ops_url(self) -> str:
        """The operational database URL in effect (the embedded file unless configured)."""
        return self.ops_db_url or f"sqlite:///{(self.data_dir / 'ops.sqlite').resolve()}"

    @property
    def warehouse_path(self) -> Path:
        """The published warehouse file that readers open."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


@lru_cache
def get_settings() -> Settings:
    """Settings read once per process (tests call ``get_settings.cache_clear()``)."""
    return Settings()
