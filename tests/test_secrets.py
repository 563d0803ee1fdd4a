"""Secrets: the environment password read undecoded and only when needed; forgotten once the key is derived."""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from spyglass import cli
from spyglass.acquisitions.ios_crypto import WrongPassword, derive_key, write_key_file
from spyglass.acquisitions.ios_decrypt import decrypt_backup
from spyglass.check import check
from spyglass.errors import SpyglassError
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.secrets import ENV_PASSWORD, Secrets
from tests.builders.full_backup import indicator_bundle
from tests.builders.ios_artifacts_core import add_sms
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_backup_encrypted import build_encrypted

PASSWORD = "correct horse \u2603 battery"
NOT_UTF8 = b"hunter\xff2"          # what the process was given
NOT_UTF8_TEXT = "hunter\udcff2"    # the same, as os.environ shows it (surrogateescape)
NOT_UTF8_MESSAGE = "SPYGLASS_BACKUP_PASSWORD is not valid UTF-8; use --password-file"


def held(secrets: Secrets) -> tuple[Any, ...]:
    return secrets._password, secrets._key, secrets._env_password


def full_traceback(exc: BaseException) -> str:
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format(chain=True))


def assert_no_trace_of_secret(text: str) -> None:
    for piece in ("hunter", "\\xff", "\udcff", "\\udcff", "position"):
        assert piece not in text


@pytest.fixture
def feeds(tmp_path: Path) -> tuple[Path, list[Any]]:
    feed = tmp_path / "feed.stix2"
    feed.write_text(json.dumps(indicator_bundle([("domain-name:value", "free247downloads.com")])))
    return feed, load_paths([feed])


@pytest.fixture
def plain_backup(tmp_path: Path) -> Path:
    builder = BackupBuilder()
    add_sms(builder)
    return builder.build(tmp_path / "plain-backup")


@pytest.fixture
def encrypted_backup(tmp_path: Path) -> Path:
    builder = BackupBuilder()
    add_sms(builder)
    return build_encrypted(builder, tmp_path / "encrypted-backup", PASSWORD).root


# -- the environment variable -------------------------------------------------------------------------
@pytest.mark.skipif(not os.supports_bytes_environ, reason="the environment is text here (Windows)")
def test_secrets_env_password_not_utf8_refused_only_when_used(monkeypatch):
    monkeypatch.setitem(os.environb, os.fsencode(ENV_PASSWORD), NOT_UTF8)
    secrets = Secrets(interactive=False)
    assert ENV_PASSWORD not in os.environ and os.fsencode(ENV_PASSWORD) not in os.environb
    with pytest.raises(SpyglassError) as caught:
        secrets.password()
    assert str(caught.value) == NOT_UTF8_MESSAGE
    assert_no_trace_of_secret(full_traceback(caught.value))
    assert_no_trace_of_secret(repr(secrets))


@pytest.mark.skipif(not os.supports_bytes_environ, reason="the environment is text here (Windows)")
def test_secrets_env_password_read_as_bytes(monkeypatch):
    monkeypatch.setitem(os.environb, os.fsencode(ENV_PASSWORD), PASSWORD.encode())
    secrets = Secrets(interactive=False)
    assert secrets.password() == PASSWORD.encode()
    assert secrets.describe() == {"source": "environment"}


def test_secrets_text_environ_with_undecodable_password_refused_only_when_used():
    environ = {ENV_PASSWORD: NOT_UTF8_TEXT, "HOME": "/root"}
    secrets = Secrets(environ=environ, interactive=False)
    assert environ == {"HOME": "/root"}
    with pytest.raises(SpyglassError) as caught:
        secrets.password()
    assert str(caught.value) == NOT_UTF8_MESSAGE
    assert_no_trace_of_secret(full_traceback(caught.value))


def test_check_plain_backup_ignores_undecodable_env_password(plain_backup, feeds, tmp_path):
    feed, _ = feeds
    runner = CliRunner()
    result = runner.invoke(cli.main, ["check", str(plain_backup), "--only-iocs", str(feed), "-o", str(tmp_path / "case")],
                           env={ENV_PASSWORD: NOT_UTF8_TEXT}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert_no_trace_of_secret(result.output)


def test_check_encrypted_backup_undecodable_env_password_message(encrypted_backup, feeds, tmp_path):
    feed, _ = feeds
    result = CliRunner().invoke(cli.main, ["check", str(encrypted_backup), "--only-iocs", str(feed),
                                           "-o", str(tmp_path / "case")],
                                env={ENV_PASSWORD: NOT_UTF8_TEXT}, catch_exceptions=False)
    assert result.exit_code == 2
    assert f"Error: {NOT_UTF8_MESSAGE}" in " ".join(result.output.split())
    assert_no_trace_of_secret(result.output)


# -- forgetting ---------------------------------------------------------------------------------------
@pytest.fixture
def forget_calls(monkeypatch: pytest.MonkeyPatch) -> list[Secrets]:
    calls: list[Secrets] = []
    original = Secrets.forget

    def forget(self: Secrets) -> None:
        calls.append(self)
        original(self)

    monkeypatch.setattr(Secrets, "forget", forget)
    return calls


def test_check_forgets_the_secret_once_the_key_is_derived(encrypted_backup, feeds, tmp_path, forget_calls):
    _, loaded = feeds
    secrets = Secrets(environ={ENV_PASSWORD: PASSWORD}, interactive=False)
    outcome = check(encrypted_backup, tmp_path / "case", loaded, IndicatorIndex(loaded), secrets=secrets)
    assert outcome.case["acquisition"]["decryption"]["secret"] == {"source": "environment"}
    assert forget_calls == [secrets]
    assert held(secrets) == (None, None, None)
    assert secrets.describe() == {"source": "environment"}


def test_check_forgets_the_secret_after_a_wrong_password(encrypted_backup, feeds, tmp_path, forget_calls):
    _, loaded = feeds
    secrets = Secrets(environ={ENV_PASSWORD: "not the password"}, interactive=False)
    with pytest.raises(WrongPassword):
        check(encrypted_backup, tmp_path / "case", loaded, IndicatorIndex(loaded), secrets=secrets)
    assert forget_calls == [secrets]
    assert held(secrets) == (None, None, None)


def test_derive_key_and_decrypt_forget_the_secret(encrypted_backup, tmp_path, forget_calls):
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD)
    from_password = Secrets(password_file=password_file, environ={}, interactive=False)
    key = derive_key(encrypted_backup, from_password)
    key_file = tmp_path / "backup.key"
    write_key_file(key_file, key)
    from_key = Secrets(key_file=key_file, environ={}, interactive=False)
    decrypt_backup(encrypted_backup, from_key, tmp_path / "decrypted")
    assert forget_calls == [from_password, from_key]
    assert held(from_password) == held(from_key) == (None, None, None)


def test_cli_derive_key_and_decrypt_forget_the_secret(encrypted_backup, tmp_path, monkeypatch, forget_calls):
    made: list[Secrets] = []
    original = cli._secrets
    monkeypatch.setattr(cli, "_secrets", lambda *args: made.append(original(*args)) or made[-1])
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD)
    runner = CliRunner()
    derived = runner.invoke(cli.main, ["ios", "derive-key", str(encrypted_backup), "-o", str(tmp_path / "k"),
                                       "--password-file", str(password_file)], catch_exceptions=False)
    assert derived.exit_code == 0, derived.output
    decrypted = runner.invoke(cli.main, ["ios", "decrypt", str(encrypted_backup), "-o", str(tmp_path / "d"),
                                         "--key-file", str(tmp_path / "k")], catch_exceptions=False)
    assert decrypted.exit_code == 0, decrypted.output
    assert len(made) == 2 and forget_calls == made
    assert [held(secrets) for secrets in made] == [(None, None, None)] * 2
