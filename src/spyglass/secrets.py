"""Where an encrypted backup's secret comes from: a key file, a password file, the environment, a prompt.

The secret never travels through argv, logs, case.json or exception text. It is held in a
`Hidden` wrapper whose repr and str are "***", so a stray format or a traceback with locals
shows nothing. `SPYGLASS_BACKUP_PASSWORD` is taken out of the environment as soon as a
`Secrets` is made, so no child process inherits it, and kept as the raw bytes the process was
given: it is decoded (checked as UTF-8) only when an encrypted backup needs it, so a plain
backup is never refused because of it. Removing it does not change the process's initial
environment block: it stays readable in /proc/PID/environ for the whole run, so the prompt and
the password file are the safe sources. The prompt (no echo) is used only when a secret is
needed, none was given, and stdin is a terminal. Whatever derives the key forgets the secret
right after (`derived_key`), successful or not.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from spyglass.errors import SpyglassError

ENV_PASSWORD = "SPYGLASS_BACKUP_PASSWORD"
NO_SECRET_MESSAGE = "backup is encrypted: give --password-file, --key-file or SPYGLASS_BACKUP_PASSWORD"
ENV_NOT_UTF8_MESSAGE = f"{ENV_PASSWORD} is not valid UTF-8; use --password-file"
PROMPT_NOT_UTF8_MESSAGE = "the password typed is not valid UTF-8; use --password-file"
MAX_SECRET_FILE_BYTES = 4096
KEY_BYTES = 32


class Hidden:
    """A secret value that prints as *** (repr, str, format) and refuses to be pickled."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = value

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __reduce__(self) -> Any:
        raise TypeError("a secret cannot be pickled")


def parse_key(data: Hidden, source: str) -> Hidden:
    """A backup key as written by `write_key_file`: 64 hex digits (or the 32 raw bytes)."""
    if len(data.reveal().strip()) == 2 * KEY_BYTES:
        try:
            return Hidden(bytes.fromhex(data.reveal().strip().decode("ascii")))
        except (UnicodeDecodeError, ValueError):
            pass
    if len(data.reveal()) == KEY_BYTES:
        return data
    # Never echo the file's content: it may be a password given to the wrong option.
    raise SpyglassError(f"{source}: not a backup key file (expected {2 * KEY_BYTES} hex digits)")


def _read_secret_file(path: Path, what: str) -> Hidden:
    try:
        if not path.is_file():
            raise SpyglassError(f"{what} {path}: not a file")
        with path.open("rb") as handle:
            data = Hidden(handle.read(MAX_SECRET_FILE_BYTES + 1))
    except OSError as exc:
        raise SpyglassError(f"{what} {path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if len(data.reveal()) > MAX_SECRET_FILE_BYTES:
        raise SpyglassError(f"{what} {path}: over {MAX_SECRET_FILE_BYTES} bytes, not a secret file")
    return data


class Secrets:
    """The secret for one check, read lazily from the one source given (key file, password file,
    environment, prompt — in that order of precedence).

    `environ` defaults to the process environment as bytes (os.environb; os.environ where the
    environment is text, as on Windows); the password variable is removed from it at once, undecoded.
    `interactive` says whether a prompt may be shown (default: stdin is a terminal).
    """

    def __init__(self, password_file: Path | None = None, key_file: Path | None = None, *,
                 environ: MutableMapping[Any, Any] | None = None, interactive: bool | None = None,
                 prompt: Callable[[str], str] = getpass.getpass, age_identity: Path | None = None,
                 say: Callable[[str], None] | None = None) -> None:
        if password_file is not None and key_file is not None:
            raise SpyglassError("give either --password-file or --key-file, not both")
        self.password_file = Path(password_file) if password_file is not None else None
        self.key_file = Path(key_file) if key_file is not None else None
        self.age_identity = Path(age_identity) if age_identity is not None else None
        if environ is None:
            environ = os.environb if os.supports_bytes_environ else os.environ
        self._env_password = _pop_env_password(environ)
        self._interactive = interactive
        self._prompt = prompt
        self._say = say or (lambda text: print(text, file=sys.stderr))
        self._password: Hidden | None = None
        self._key: Hidden | None = None
        self._given: Hidden | None = None
        self.source: str | None = None

    @classmethod
    def given_key(cls, key: Hidden) -> Secrets:
        """The backup key handed to a worker process by the check that derived it (over the
        worker's input pipe, never on disk): the worker skips the derivation."""
        secrets = cls(environ={}, interactive=False)
        secrets._given = key
        secrets.source = "check"
        return secrets

    def __repr__(self) -> str:
        return (f"Secrets(password_file={self.password_file!r}, key_file={self.key_file!r}, "
                f"environment={'***' if self._env_password else None}, source={self.source!r})")

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("secrets cannot be pickled")

    @property
    def has_key_file(self) -> bool:
        return self.key_file is not None

    def key(self) -> Hidden:
        """The 32-byte backup key from --key-file (derivation skipped)."""
        if self.key_file is None:
            raise SpyglassError("no --key-file given")
        if self._key is None:
            self._key = parse_key(_read_secret_file(self.key_file, "key file"), f"key file {self.key_file}")
            self.source = "key-file"
        return self._key

    def secret_password(self) -> Hidden:
        """The backup password (UTF-8), read once from its source and cached, still wrapped."""
        if self._password is None:
            password, source = self._find_password()
            if not password.reveal():
                raise SpyglassError("the backup password is empty")
            self._password, self.source = password, source
        return self._password

    def age_identities(self) -> Hidden:
        """The text of the --age-identity file (age X25519 identities, one a line), wrapped."""
        if self.age_identity is None:
            raise SpyglassError("this acquisition is age-encrypted to an identity: give --age-identity FILE")
        self.source = "age-identity"
        return _read_secret_file(self.age_identity, "age identity file")

    def password(self) -> bytes:
        """The backup password as UTF-8 bytes (prefer `secret_password`, which stays wrapped)."""
        return self.secret_password().reveal()

    def derived_key(self, parameters: tuple[Any, ...], derive: Callable[[Hidden], Hidden]) -> Hidden:
        """The key unlocking a keybag (`parameters`: its salts and iteration counts): the key file's,
        or `derive(password)`. Every secret is forgotten once it is derived or has failed to be: the
        check, derive-key and decrypt all pass through here, and none needs the secret again."""
        try:
            if self._given is not None:
                return self._given
            if self.key_file is not None:
                return self.key()
            return derive(self.secret_password())
        finally:
            self.forget()

    def say_wrong(self, text: str) -> None:
        """Tell the person at the prompt that the password did not unlock the backup."""
        self._say(text)

    def forget(self) -> None:
        """Drop every cached secret (Python cannot wipe memory; this only drops references)."""
        self._password = self._key = self._env_password = self._given = None

    def describe(self) -> dict[str, Any]:
        """Which source gave the secret, for case.json; never the secret itself."""
        described: dict[str, Any] = {"source": self.source}
        if self.source == "password-file":
            described["password_file"] = str(self.password_file)
        elif self.source == "key-file":
            described["key_file"] = str(self.key_file)
            described["derivation"] = "skipped"
        return described

    def _find_password(self) -> tuple[Hidden, str]:
        if self.key_file is not None:
            raise SpyglassError("a key file was given; no password is needed")
        if self.password_file is not None:
            data = _read_secret_file(self.password_file, "password file")
            # `echo secret > file` leaves a newline (and a BOM from some editors) that is no part of it.
            return Hidden(data.reveal().removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")), "password-file"
        if self._env_password is not None:
            return _utf8_or_refuse(self._env_password, ENV_NOT_UTF8_MESSAGE), "environment"
        interactive = self._interactive
        if interactive is None:
            interactive = sys.stdin is not None and sys.stdin.isatty()
        if not interactive:
            raise SpyglassError(NO_SECRET_MESSAGE)
        try:
            typed = _as_bytes(self._prompt("Backup password: "))
        except (EOFError, KeyboardInterrupt):
            raise SpyglassError(NO_SECRET_MESSAGE) from None
        except UnicodeError:
            typed = None  # its text would quote the offending byte
        if typed is None:
            raise SpyglassError(PROMPT_NOT_UTF8_MESSAGE)
        return _utf8_or_refuse(typed, PROMPT_NOT_UTF8_MESSAGE), "prompt"


def _as_bytes(value: bytes | str) -> Hidden:
    # surrogatepass never fails: a lone surrogate (an undecodable byte, or broken UTF-16 on
    # Windows) becomes bytes that are not UTF-8, and is refused when the secret is used.
    return Hidden(value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value)


def _pop_env_password(environ: MutableMapping[Any, Any]) -> Hidden | None:
    """Take the password variable out of `environ` as it is, undecoded."""
    for name in (ENV_PASSWORD, os.fsencode(ENV_PASSWORD)):
        try:
            value = environ.pop(name, None)
        except TypeError:  # os.environb takes bytes names only, os.environ str names only
            continue
        if value is not None:
            return _as_bytes(value)
    return None


def _utf8_or_refuse(secret: Hidden, message: str) -> Hidden:
    """`secret` if it is UTF-8, else SpyglassError(message). Raised outside the except block, so no
    chained UnicodeDecodeError carries the secret, or a byte of it, into a traceback."""
    try:
        secret.reveal().decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    if not valid:
        raise SpyglassError(message)
    return secret
