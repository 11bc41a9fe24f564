"""The one settings object: ``REPAIRLENS_*`` environment variables and an optional ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
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
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins the booking API answers cross-origin, e.g. ["https://shop.example"].',
    )
    api_token_secret: SecretStr | None = Field(
        None,
        min_length=32,
        description="Signing key of staff tokens; a random per-run key when unset.",
    )
    api_token_minutes: int = Field(15, ge=1, le=720, description="Lifetime of a staff token.")
    api_rate_limit_per_minute: int = Field(
        60, ge=0, description="Requests per minute per client on public API routes (0: off)."
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
