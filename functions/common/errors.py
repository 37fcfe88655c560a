"""Domain errors shared by every function. Adapters raise these in place of AWS errors, so no caller
ever sees botocore, and the store's refusals (stale version, taken number, missing item) are named."""

from __future__ import annotations

from typing import Protocol

from functions.common.masking import mask_sort_key


class Versioned(Protocol):
    """A stored item, as far as a conflict needs to know it."""

    @property
    def version(self) -> int: ...


class StoreUnavailable(Exception):
    """DynamoDB could not do it: throttled, timed out, down, denied."""


class ConditionFailed(StoreUnavailable):
    """A conditional write's condition did not hold; nothing was written. (A StoreUnavailable, so code
    that does not expect a condition to fail treats it as a failed write.)"""


class TransactionCancelled(StoreUnavailable):
    """A transaction was cancelled; `codes` holds one cancellation reason per action, in order."""

    def __init__(self, message: str, codes: list[str]) -> None:
        super().__init__(message)
        self.codes = codes


class SecretsUnavailable(Exception):
    """Secrets Manager could not answer, or the secret is missing or unusable."""


class SecretNotFound(SecretsUnavailable):
    """Secrets Manager answered: there is no such secret."""


class InvalidItem(Exception):
    """A stored item that does not validate. `problems` say where and why, for the tenant's admin (our own
    validators may quote the offending text); `log_text` names tenant, sort key and fields only, for logs."""

    def __init__(self, tenant_id: str, sort_key: str, problems: list[str]) -> None:
        self.tenant_id = tenant_id
        self.sort_key = sort_key
        self.problems = problems
        super().__init__(f"invalid item {sort_key} of tenant {tenant_id}: {'; '.join(problems)}")

    @property
    def fields(self) -> list[str]:
        """The fields the problems are about ('when.caller_numbers.0: ...' -> 'when.caller_numbers.0')."""
        return list(dict.fromkeys(problem.partition(": ")[0] for problem in self.problems))

    @property
    def log_text(self) -> str:
        return f"invalid item {mask_sort_key(self.sort_key)} of tenant {self.tenant_id}: {', '.join(self.fields)}"


class VersionConflict(Exception):
    """The stored version is not the one the write was based on; nothing was written."""

    def __init__(
        self,
        tenant_id: str,
        kind: str,
        item_id: str,
        expected: int | None,
        current: Versioned | None,
        *,
        current_version: int | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.kind = kind
        self.item_id = item_id
        self.expected = expected
        self.current = current
        # The stored version even when the stored item does not validate (current is then None).
        self.current_version = current.version if current is not None else current_version
        based_on = "a new item" if expected is None else f"version {expected}"
        stored = "no stored item" if self.current_version is None else f"stored version is {self.current_version}"
        super().__init__(f"{kind} '{item_id}' of tenant {tenant_id} changed: write based on {based_on}, {stored}")


class NumberTaken(Exception):
    """A phone number is already claimed by another tenant; nothing was written. The message never
    names that tenant (whoever reads it may be a tenant admin)."""

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"phone number {number} already belongs to another tenant")


class OperatorOwnedChange(Exception):
    """A write made for a tenant would create or delete its tenant item, or change a field only the operator
    changes (`fields`); nothing was written."""

    def __init__(self, tenant_id: str, fields: list[str]) -> None:
        self.tenant_id = tenant_id
        self.fields = fields
        super().__init__(f"only the operator changes {', '.join(fields)} of tenant {tenant_id}")


class ItemNotFound(Exception):
    def __init__(self, tenant_id: str, kind: str, item_id: str, detail: str | None = None) -> None:
        self.tenant_id = tenant_id
        self.kind = kind
        self.item_id = item_id
        super().__init__(detail or f"{kind} '{item_id}' of tenant {tenant_id} does not exist")
