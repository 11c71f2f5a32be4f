"""docker-compose.yml cannot run here (no Docker engine); these tests check that its services
and their environment wiring agree with each other and with our settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from core.config import APP_ROLE, Settings

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "POSTGRES_PASSWORD": "owner-pw",
    "RECOVERYOS_APP_DB_PASSWORD": "app-pw",
    "RECOVERYOS_CODEC_KEYS": '{"codec-1":"' + "A" * 43 + '="}',
    "RECOVERYOS_FIELD_KEYS": '{"field-1":"' + "B" * 43 + '="}',
    "RECOVERYOS_BLIND_INDEX_KEY": "C" * 43 + "=",
    "RECOVERYOS_AUDIT_HMAC_KEY": "D" * 43 + "=",
}


def _interpolate(value: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(3)
        return SECRETS.get(name) or (default or "")

    return re.sub(r"\$\{(\w+)(:-([^}]*)|:\?[^}]*)?\}", sub, value)


def compose() -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for svc in raw["services"].values():
        svc["environment"] = {k: _interpolate(str(v)) for k, v in (svc.get("environment") or {}).items()}
    return raw


def test_compose_has_every_part_of_the_deployment() -> None:
    assert set(compose()["services"]) == {"postgres", "temporal", "temporal-ui", "migrate", "api", "worker"}


def test_api_and_worker_reach_temporal_and_postgres_as_the_app_role() -> None:
    c = compose()["services"]
    pg = c["postgres"]["environment"]
    for name in ("api", "worker"):
        env = c[name]["environment"]
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
        assert "7233:7233" in c["temporal"]["ports"]
        url = make_url(env["RECOVERYOS_APP_DATABASE_URL"])
        assert (url.host, url.port, url.database) == ("postgres", 5432, pg["POSTGRES_DB"])
        assert url.username == APP_ROLE
        assert "DATABASE_URL" not in env, f"{name} must not hold the owner's credentials"
        assert env["RECOVERYOS_TASK_QUEUE"] == c["worker"]["environment"]["RECOVERYOS_TASK_QUEUE"]
    owner = make_url(c["migrate"]["environment"]["DATABASE_URL"])
    assert owner.username == pg["POSTGRES_USER"] and owner.password == pg["POSTGRES_PASSWORD"]
    assert (
        c["migrate"]["environment"]["RECOVERYOS_APP_DB_PASSWORD"]
        == make_url(c["api"]["environment"]["RECOVERYOS_APP_DATABASE_URL"]).password
    )


def test_temporal_persists_to_postgres() -> None:
    c = compose()["services"]
    t = c["temporal"]["environment"]
    assert t["DB"].startswith("postgres") and t["POSTGRES_SEEDS"] == "postgres"
    assert t["POSTGRES_USER"] == c["postgres"]["environment"]["POSTGRES_USER"]
    assert t["POSTGRES_PWD"] == c["postgres"]["environment"]["POSTGRES_PASSWORD"]


def test_temporal_ui_decodes_through_the_api_codec_endpoint() -> None:
    c = compose()["services"]
    ui = c["temporal-ui"]["environment"]
    api = c["api"]["environment"]
    assert ui["TEMPORAL_ADDRESS"] == api["TEMPORAL_ADDRESS"]
    assert ui["TEMPORAL_CODEC_ENDPOINT"] == api["RECOVERYOS_PUBLIC_BASE_URL"] + "/codec"
    assert "8000:8000" in c["api"]["ports"]
    ui_origin = f"http://localhost:{ui['TEMPORAL_UI_PORT']}"
    assert f"{ui['TEMPORAL_UI_PORT']}:{ui['TEMPORAL_UI_PORT']}" in c["temporal-ui"]["ports"]
    assert ui_origin in api["RECOVERYOS_CODEC_CORS_ORIGINS"]


def test_services_start_in_order() -> None:
    c = compose()["services"]
    for name in ("api", "worker"):
        assert c[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert c["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_api_and_worker_environment_is_a_valid_production_configuration(monkeypatch: Any) -> None:
    env = compose()["services"]["api"]["environment"]
    for k in list(__import__("os").environ):
        if k.startswith("RECOVERYOS_") or k in ("DATABASE_URL", "TEMPORAL_ADDRESS"):
            monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = Settings()
    assert s.environment == "production"
    assert s.codec_active_key == "codec-1" and s.field_active_key == "field-1"
    assert s.codec_cors_origins == ["http://localhost:8080"]


def test_production_refuses_to_start_without_keys(monkeypatch: Any, tmp_path: Path) -> None:
    import pydantic
    import pytest

    for k in list(__import__("os").environ):
        if k.startswith("RECOVERYOS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("RECOVERYOS_ENVIRONMENT", "production")
    monkeypatch.setenv("RECOVERYOS_STATE_DIR", str(tmp_path))
    with pytest.raises(pydantic.ValidationError, match="production needs"):
        Settings()
    assert not (tmp_path / "dev-keys.json").exists()
