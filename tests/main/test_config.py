"""Configuration comes from the environment."""

import os
import stat

import pytest

from marketplace.config import ConfigError, load_config


def test_embedded_default_uses_sqlite_in_instance_and_generates_a_private_key(tmp_path):
    config = load_config(str(tmp_path), env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'cho40.sqlite3'}"
    key_file = tmp_path / "secret_key"
    assert config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert load_config(str(tmp_path), env={})["SECRET_KEY"] == config["SECRET_KEY"]


def _start_together(barrier, instance, results):
    barrier.wait()
    try:
        results.put(load_config(instance, env={})["SECRET_KEY"])
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(repr(exc))


def test_processes_starting_at_once_on_a_new_instance_share_one_key(tmp_path):
    # Two gunicorn (or test) workers first started on a fresh checkout both make the key.
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    for attempt in range(10):
        instance = tmp_path / f"instance{attempt}"
        barrier, results = ctx.Barrier(6), ctx.Queue()
        procs = [ctx.Process(target=_start_together, args=(barrier, str(instance), results))
                 for _ in range(6)]
        for proc in procs:
            proc.start()
        keys = [results.get(timeout=30) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
        assert len(set(keys)) == 1 and len(keys[0]) == 64, keys
        assert keys[0] == (instance / "secret_key").read_text().strip()
        assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]  # no drafts left
        assert stat.S_IMODE(os.stat(instance / "secret_key").st_mode) == 0o600


def test_secret_key_is_required_with_a_database_url(tmp_path):
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), env={"DATABASE_URL": "postgresql://u@h/db"})


def test_postgres_urls_use_psycopg3_and_pre_ping(tmp_path):
    config = load_config(
        str(tmp_path), env={"DATABASE_URL": "postgres://u@h/db", "SECRET_KEY": "s"}
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True, "hide_parameters": True}


def test_redis_url_moves_rate_limits_to_redis(tmp_path):
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert load_config(str(tmp_path), env=env)["RATELIMIT_STORAGE_URI"] == env["REDIS_URL"]
    assert load_config(str(tmp_path), env={})["RATELIMIT_STORAGE_URI"] == "memory://"


def test_public_base_url_and_stripe_settings(tmp_path):
    env = {"PUBLIC_BASE_URL": "https://cho.example.vn/", "STRIPE_SECRET_KEY": "sk_test_x",
           "STRIPE_API_BASE": "http://127.0.0.1:9999/"}
    config = load_config(str(tmp_path), env=env)
    assert config["PUBLIC_BASE_URL"] == "https://cho.example.vn"
    assert config["STRIPE_SECRET_KEY"] == "sk_test_x"
    assert config["STRIPE_API_BASE"] == "http://127.0.0.1:9999"
    assert load_config(str(tmp_path), env={})["STRIPE_SECRET_KEY"] is None
