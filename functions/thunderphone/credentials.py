"""ThunderPhone's secret API key (`sk_live_...`), read from Secrets Manager through Powertools' cache.

The secret holds the key itself or a JSON object with an `api_key` field. The key only ever goes into
the client's Authorization header: it is never logged and never part of an error message.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from functions.common.aws import error_code
from functions.common.errors import SecretsUnavailable
from functions.thunderphone.client import ThunderPhoneApi
from functions.thunderphone.resources import ThunderPhoneCalls

API_KEY_MAX_AGE_S = 300  # how long a read API key is used before it is read again


def api_key_from_secret(value: str | bytes, name: str) -> str:
    """The key in a secret's value; SecretsUnavailable (naming the secret, never the value) otherwise."""
    text = (value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)).strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        key = parsed.get("api_key") if isinstance(parsed, dict) else None
        text = key.strip() if isinstance(key, str) else ""
    if not text:
        raise SecretsUnavailable(
            f'the ThunderPhone API key secret {name} is empty or malformed (the key, or {{"api_key": "..."}})'
        )
    return text


class SecretsManagerApiKey:
    """Callable returning the current API key (cached `max_age_s`); `refresh()` re-reads past the cache."""

    def __init__(self, client: Any, name: str, *, max_age_s: int) -> None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        self._provider = SecretsProvider(boto3_client=client)
        self._name = name
        self._max_age = max_age_s
        self._lock = threading.Lock()

    def __call__(self) -> str:
        return self._read(force=False)

    def refresh(self) -> bool:
        """True when the key changed (it was rotated), so a 401 is worth retrying."""
        with self._lock:
            before = self._read(force=False)
            return self._read(force=True) != before

    def _read(self, *, force: bool) -> str:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            value = self._provider.get(self._name, max_age=self._max_age, force_fetch=force)
        except GetParameterError as exc:
            raise SecretsUnavailable(
                f"cannot read the ThunderPhone API key secret {self._name}: {error_code(exc.__context__ or exc)}"
            ) from None
        return api_key_from_secret(value if isinstance(value, str | bytes) else str(value), self._name)


def authenticated_api(
    secretsmanager: Any, secret_name: str, *, base_url: str, timeout_s: float, max_retries: int, key_max_age_s: int
) -> tuple[ThunderPhoneApi, SecretsManagerApiKey]:
    """The API client authenticated with the key in `secret_name`; resources take the key's `refresh`."""
    api_key = SecretsManagerApiKey(secretsmanager, secret_name, max_age_s=key_max_age_s)
    return ThunderPhoneApi(base_url, api_key, timeout_s=timeout_s, max_retries=max_retries), api_key


def calls_api(
    secretsmanager: Any, secret_name: str, *, base_url: str, timeout_s: float, max_retries: int
) -> ThunderPhoneCalls:
    """ThunderPhone's calls API, authenticated with the key in `secret_name` (re-read every API_KEY_MAX_AGE_S, and
    at once after a 401): what the outcome recorder and the backfill read calls with."""
    api, key = authenticated_api(
        secretsmanager,
        secret_name,
        base_url=base_url,
        timeout_s=timeout_s,
        max_retries=max_retries,
        key_max_age_s=API_KEY_MAX_AGE_S,
    )
    return ThunderPhoneCalls(api, refresh_key=key.refresh)
