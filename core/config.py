"""One settings object for every process (API, worker, CLI), read from the environment.

Local mode generates development keys into the state directory on first use; any other
mode refuses to start without keys supplied by the environment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_ROLE = "recoveryos_app"


def _b64key(raw: str, name: str) -> bytes:
    key = base64.b64decode(raw)
    if len(key) != 32:
        raise ValueError(f"{name}: keys must be 32 bytes (base64), got {len(key)}")
    return key


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECOVERYOS_", extra="ignore")

    environment: Literal["local", "test", "production"] = "local"
    state_dir: Path = Path(".recoveryos")

    # Owner connection: runs migrations and admin commands. Unset in local mode means
    # "start the embedded PostgreSQL".
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "RECOVERYOS_DATABASE_URL")
    )
    # The API and activities connect as the unprivileged role; by default the owner URL
    # with the role's name and password swapped in.
    app_database_url: str | None = None
    app_db_password: str | None = None

    temporal_address: str | None = Field(
        default=None, validation_alias=AliasChoices("TEMPORAL_ADDRESS", "RECOVERYOS_TEMPORAL_ADDRESS")
    )
    temporal_namespace: str = "default"
    task_queue: str = "recoveryos"
    # How long a POST that starts a process waits for the worker before answering 202.
    process_wait_seconds: float = 15.0
    # The resident journey (workflows/admission/journey.py): how long a waitlisted person has to
    # accept a freed bed, how long a resident may be unaccounted for before the workflow discharges
    # them as "left without notice", and the least time staff get after reporting it to cancel.
    admission_offer_hours: int = Field(default=48, ge=1)
    admission_unaccounted_hours: int = Field(default=72, ge=1)
    admission_grace_hours: int = Field(default=24, ge=0)
    # House safety (workflows/operations): the key of the random drug-test draw (base64, 32
    # bytes; unset outside production: derived from the audit key, so a local draw is still
    # reproducible), and how late a resident on a pass may be before it escalates.
    drug_test_draw_key: str | None = None
    pass_grace_minutes: int = Field(default=15, ge=0, le=240)

    # Key rings: {"key-id": "<base64 32 bytes>"}; the active id encrypts, all ids decrypt.
    codec_keys: dict[str, str] = Field(default_factory=dict)
    codec_active_key: str | None = None
    field_keys: dict[str, str] = Field(default_factory=dict)
    field_active_key: str | None = None
    blind_index_key: str | None = None
    audit_hmac_key: str | None = None
    # Keys that signed older audit entries: kept only to verify them after a key change.
    audit_hmac_previous_keys: list[str] = Field(default_factory=list)

    # Ports: one place. The public URL, the UI's codec endpoint and the codec CORS origins
    # are derived from them unless set explicitly (RECOVERYOS_PUBLIC_BASE_URL,
    # RECOVERYOS_CODEC_CORS_ORIGINS).
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # uvicorn worker processes for `recoveryos api`: one per core (README "Deployment").
    api_workers: int = Field(default=1, ge=1)
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    public_base_url: str = ""
    # Browser origins allowed to call the codec endpoint (the Temporal Web UI). Only
    # localhost by default: the session cookie is SameSite=Lax on the API's host (localhost),
    # so a UI opened at 127.0.0.1 never sends it and every decode would be a 401.
    codec_cors_origins: list[str] = Field(default_factory=list)

    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    # Set (pk_test_… / pk_live_…): the payment page collects the card with Stripe.js
    # (https://js.stripe.com/v3) and confirms the PaymentIntent in the browser. Unset: a plain
    # card form posts to our server, which confirms the same PaymentIntent (test mode only).
    stripe_publishable_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("STRIPE_PUBLISHABLE_KEY", "RECOVERYOS_STRIPE_PUBLISHABLE_KEY"),
    )

    # Outgoing e-mail (dunning reminders and escalations): unset host = recorded, not sent.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "billing@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None

    # Outgoing webhooks (README "Webhooks"). Outside local mode a receiver must be https and
    # resolve to public addresses only; these host:port pairs are exempt (a receiver on this
    # machine in tests or staging). A receiver gets this long to answer, or the attempt failed.
    webhook_allowed_targets: list[str] = Field(default_factory=list)
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=60)

    # Text messages (core/sms.py): Twilio's Messages API, or the local stand-in at
    # twilio_base_url (core/sms_standin.py). Unset account: texts are recorded, not sent.
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_base_url: str | None = None

    # Document files: "local" keeps them under files_dir (default <state_dir>/files); "s3"
    # writes them to s3_bucket (boto3 reads AWS_* credentials from the environment).
    file_store: Literal["local", "s3"] = "local"
    files_dir: Path | None = None
    s3_bucket: str = "recoveryos-documents"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"

    log_json: bool = False
    log_level: str = "INFO"
    session_ttl_hours: int = 12

    # --- Security (README "Security") ---
    # HIPAA §164.312(a)(2)(iii) automatic logoff: a session unused this long is over.
    session_idle_minutes: float = Field(default=15, gt=0)
    # last_seen_at is written at most this often, so reads through a session cost no write.
    session_touch_seconds: float = Field(default=60, ge=0)
    # A transaction whose only writes are the audit events of the PHI it read commits without
    # waiting for the WAL flush (README "Read performance"); false makes every commit wait.
    read_audit_async_commit: bool = True
    # A password-only session waiting for its second factor lives this long.
    mfa_pending_minutes: float = Field(default=5, gt=0)
    mfa_issuer: str = "RecoveryOS"
    # Failed sign-ins: free attempts, then base·2^n seconds of delay up to the maximum.
    login_source_free_failures: int = Field(default=10, ge=0)
    login_account_free_failures: int = Field(default=5, ge=0)
    login_base_delay_seconds: float = Field(default=1, gt=0)
    login_max_delay_seconds: float = Field(default=900, gt=0)
    login_failure_window_seconds: float = Field(default=900, gt=0)
    # Addresses (or CIDR networks) of the reverse proxies whose X-Forwarded-For is believed.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Interactive docs and /openapi.json in production (always on in local and test).
    docs_in_production: bool = False
    hsts_max_age_seconds: int = 31_536_000

    @model_validator(mode="after")
    def _check_proxies(self) -> Settings:
        for net in self.trusted_proxies:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {net!r} is not an IP address or network") from None
        return self

    @model_validator(mode="after")
    def _derive_urls(self) -> Settings:
        self.public_base_url = (self.public_base_url or f"http://localhost:{self.api_port}").rstrip("/")
        self.codec_cors_origins = self.codec_cors_origins or [self.temporal_ui_origin]
        return self

    @property
    def temporal_ui_origin(self) -> str:
        return f"http://localhost:{self.temporal_ui_port}"

    @property
    def codec_endpoint(self) -> str:
        return f"{self.public_base_url}/codec"

    @model_validator(mode="after")
    def _fill_keys(self) -> Settings:
        missing = not (self.codec_keys and self.field_keys and self.blind_index_key and self.audit_hmac_key)
        if missing:
            if self.environment == "production":
                raise ValueError(
                    "production needs RECOVERYOS_CODEC_KEYS, RECOVERYOS_FIELD_KEYS, "
                    "RECOVERYOS_BLIND_INDEX_KEY and RECOVERYOS_AUDIT_HMAC_KEY"
                )
            dev = load_or_create_dev_keys(self.state_dir)
            self.codec_keys = self.codec_keys or dev["codec_keys"]
            self.field_keys = self.field_keys or dev["field_keys"]
            self.blind_index_key = self.blind_index_key or dev["blind_index_key"]
            self.audit_hmac_key = self.audit_hmac_key or dev["audit_hmac_key"]
            self.app_db_password = self.app_db_password or dev["app_db_password"]
        if self.app_db_password is None:
            if self.environment == "production" and self.app_database_url is None:
                raise ValueError("production needs RECOVERYOS_APP_DB_PASSWORD or RECOVERYOS_APP_DATABASE_URL")
            self.app_db_password = load_or_create_dev_keys(self.state_dir)["app_db_password"]
        self.codec_active_key = self.codec_active_key or sorted(self.codec_keys)[-1]
        self.field_active_key = self.field_active_key or sorted(self.field_keys)[-1]
        for name, ring, active in (
            ("codec_keys", self.codec_keys, self.codec_active_key),
            ("field_keys", self.field_keys, self.field_active_key),
        ):
            if active not in ring:
                raise ValueError(f"{name}: active key id {active!r} is not in the ring")
            for kid, raw in ring.items():
                _b64key(raw, f"{name}[{kid}]")
        return self

    def codec_keyring(self) -> dict[str, bytes]:
        return {kid: _b64key(v, "codec_keys") for kid, v in self.codec_keys.items()}

    def field_keyring(self) -> dict[str, bytes]:
        return {kid: _b64key(v, "field_keys") for kid, v in self.field_keys.items()}

    def blind_key(self) -> bytes:
        assert self.blind_index_key is not None
        return _b64key(self.blind_index_key, "blind_index_key")

    def audit_key(self) -> bytes:
        assert self.audit_hmac_key is not None
        return _b64key(self.audit_hmac_key, "audit_hmac_key")

    def draw_key(self) -> bytes:
        """The random drug-test draw's key: never in a workflow's history, only read by the
        activity that draws and the auditor's recomputation."""
        if self.drug_test_draw_key:
            return _b64key(self.drug_test_draw_key, "drug_test_draw_key")
        if self.environment == "production":
            raise ValueError("production needs RECOVERYOS_DRUG_TEST_DRAW_KEY")
        return hmac.new(self.audit_key(), b"recoveryos drug-test draw", hashlib.sha256).digest()

    def audit_previous_keys(self) -> list[bytes]:
        return [_b64key(k, "audit_hmac_previous_keys") for k in self.audit_hmac_previous_keys]


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def load_or_create_dev_keys(state_dir: Path) -> dict[str, Any]:
    """Development keys live next to the embedded database and are never committed."""
    path = state_dir / "dev-keys.json"
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    state_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "codec_keys": {"dev-codec-1": _new_key()},
        "field_keys": {"dev-field-1": _new_key()},
        "blind_index_key": _new_key(),
        "audit_hmac_key": _new_key(),
        "app_db_password": secrets.token_urlsafe(24),
    }
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    tmp.replace(path)
    return data


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
