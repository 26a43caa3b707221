"""A private key from an encrypted keystore file or an environment variable: the monitor's agent
key, an operation signer's key, the submitter's key.

A keystore's password comes from `password_env` when given, else from `prompt` (the CLI asks on
the terminal without echo), else it is empty. Messages never contain key material.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount


class KeyLoadError(Exception):
    """No usable key (the message says why, without the key)."""


def load_key(*, keystore: str | None = None, password_env: str | None = None,
             key_env: str | None = None, prompt: Callable[[str], str] | None = None,
             what: str = "key") -> LocalAccount:
    if keystore:
        return _from_keystore(keystore, password_env, prompt)
    if key_env:
        raw = os.environ.get(key_env)
        if not raw:
            raise KeyLoadError(f"environment variable `{key_env}` is not set")
        try:
            account: LocalAccount = Account.from_key(raw.strip())
        except (ValueError, TypeError) as exc:
            raise KeyLoadError(f"`{key_env}` does not hold a private key") from exc
        return account
    raise KeyLoadError(f"no {what}: pass --key-env VAR or --keystore FILE")


def _from_keystore(path: str, password_env: str | None,
                   prompt: Callable[[str], str] | None) -> LocalAccount:
    try:
        blob = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyLoadError(f"cannot read keystore `{path}`: {exc}") from exc
    if password_env:
        password = os.environ.get(password_env)
        if password is None:
            raise KeyLoadError(f"environment variable `{password_env}` is not set")
    else:
        password = prompt(f"password for {path}") if prompt is not None else ""
    try:
        account: LocalAccount = Account.from_key(Account.decrypt(blob, password))
    except ValueError as exc:
        raise KeyLoadError(f"cannot decrypt keystore `{path}`: wrong password?") from exc
    return account
