"""Edits of one tenant's items: profiles and rules (draft), customers (live) and settings (draft).

Every edit is conditional on the version the caller read, and every draft edit is checked against the
whole draft with the edit applied: an edit that would break what was not broken (a rule naming a missing
profile, a deleted profile still in use, no default profile) is refused, naming what breaks.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from functions.common.errors import ItemNotFound, OperatorOwnedChange, VersionConflict
from functions.tenant_api.errors import (
    AlreadyExists,
    BadRequest,
    IntegrityRefused,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
)
from functions.tenant_api.models import MAX_IMPORT_ROWS, SettingsPatch
from functions.tenant_config import customer_files
from functions.tenant_config.integrity import by_field, introduced, users_of, warnings
from functions.tenant_config.items import ID_FIELDS, MODELS
from functions.tenant_config.live import Snapshot
from functions.tenant_config.models import BOOKKEEPING, AgentProfile, Customer, RoutingRule, StoredItem, Tenant
from functions.tenant_config.publishing import Drafts
from functions.tenant_config.store import ConfigStore

Kind = Literal["profile", "rule", "customer"]
ON_PUBLISH = "Saved to the draft. Callers hear it after you publish."
NOW = "Saved. Calls get it within about a minute."
DELETED_ON_PUBLISH = "Deleted from the draft. Callers stop getting it after you publish."
DELETED_NOW = "Deleted. Calls stop getting it within about a minute."
IMPORT_ATTEMPTS = 3  # a row someone edits during the import is read again and overwritten (it is a bulk overwrite)
LISTED_BAD_ROWS = 100  # an answer names at most this many bad lines
MAX_EXPORT_ROWS = 5000  # a downloaded CSV stays well under a Lambda answer's 6 MB
EXPORT_PAGE = 1000


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Saved:
    item: StoredItem
    created: bool
    warnings: list[str]
    effective: str


@dataclass
class Editor:
    """One tenant's edits; the tenant is the caller's, fixed when the editor is built."""

    tenant_id: str
    store: ConfigStore
    drafts: Drafts

    # ------------------------------------------------------------------ items

    def items(self, kind: Kind) -> list[StoredItem]:
        return self.store.list(self.tenant_id, kind)

    def page(self, kind: Kind, *, limit: int, after: str | None) -> tuple[list[StoredItem], str | None]:
        return self.store.page(self.tenant_id, kind, limit=limit, after=after)

    def get(self, kind: Kind, item_id: str) -> StoredItem:
        item = self.store.get(self.tenant_id, kind, item_id)
        if item is None:
            raise NotFound(f"there is no {kind} '{item_id}'")
        return item

    def put(self, kind: Kind, item_id: str, body: BaseModel, expected: int | None) -> Saved:
        model = self._model(kind, item_id, body)
        found: list[str] = []
        if kind != "customer":
            before = self.drafts.draft(self.tenant_id, strict=False)
            after = _with(before, model)
            self._refuse_breakages(before, after, f"this {kind} would break the configuration")
            if isinstance(model, AgentProfile):
                found = warnings(after, model)
        try:
            stored = self.store.put(self.tenant_id, model, expected_version=expected)
        except VersionConflict as exc:
            raise self._stale(kind, item_id, expected, exc) from None
        return Saved(stored, expected is None, found, NOW if kind == "customer" else ON_PUBLISH)

    def delete(self, kind: Kind, item_id: str, expected: int) -> str:
        if kind == "profile":
            before = self.drafts.draft(self.tenant_id, strict=False)
            users = users_of(before, item_id)
            if item_id in before.profiles and users:
                raise IntegrityRefused(
                    f"profile '{item_id}' is still used by {_listed(users)}; {_what_to_change(users)}",
                    fields={"profile_id": [f"used by {user}" for user in users]},
                )
        try:
            self.store.delete(self.tenant_id, kind, item_id, expected_version=expected)
        except ItemNotFound:
            raise NotFound(f"there is no {kind} '{item_id}'") from None
        except VersionConflict as exc:
            raise self._stale(kind, item_id, expected, exc) from None
        return DELETED_NOW if kind == "customer" else DELETED_ON_PUBLISH

    # -------------------------------------------------------- customer export

    def export_customers(self) -> str:
        """Every customer as one CSV file, written through the formula-safe writer (customer_files.write_csv),
        in the columns an import reads back; refused in words past MAX_EXPORT_ROWS (a Lambda answer is small)."""
        customers: list[Customer] = []
        after: str | None = None
        while True:
            page, after = self.store.page(self.tenant_id, "customer", limit=EXPORT_PAGE, after=after)
            customers.extend(item for item in page if isinstance(item, Customer))
            if len(customers) > MAX_EXPORT_ROWS:
                raise BadRequest(
                    f"there are more than {MAX_EXPORT_ROWS} customers, too many to download here; "
                    "ask your operator for a full export",
                    fields={"customers": [f"at most {MAX_EXPORT_ROWS} customers can be downloaded at once"]},
                )
            if after is None:
                break
        stream = io.StringIO()
        customer_files.write_csv(customers, stream)
        return stream.getvalue()

    # -------------------------------------------------------- customer import

    def import_customers(self, csv_text: str, *, concurrency: int = 1) -> Imported:
        """A CSV file of customers: every row validated first (any bad row: BadRequest naming each bad line, and
        nothing is written), then each customer created or overwritten through the same versioned write as
        `PUT /customers/{id}`. Rows equal to the stored customer are left alone (an import run twice writes nothing)."""
        try:
            rows = customer_files.read_csv(csv_text)
        except customer_files.FileProblem as exc:
            raise BadRequest(
                f"the file cannot be read: {exc}; nothing was imported", fields={f"line {exc.line}": [exc.message]}
            ) from None
        if not rows:
            raise BadRequest(
                "the file has a header but no customers; nothing was imported", fields={"csv": ["no rows"]}
            )
        if len(rows) > MAX_IMPORT_ROWS:
            raise BadRequest(
                f"the file has {len(rows)} customers; import at most {MAX_IMPORT_ROWS} at a time (split the file)",
                fields={"csv": [f"at most {MAX_IMPORT_ROWS} rows after the header"]},
            )
        good, bad = customer_files.parse_rows(rows, in_words=True)
        if bad:
            fields = {f"line {row.line}": row.problems for row in bad[:LISTED_BAD_ROWS]}
            more = f" ({len(bad) - LISTED_BAD_ROWS} more not listed)" if len(bad) > LISTED_BAD_ROWS else ""
            lines = ", ".join(str(row.line) for row in bad[:10]) + (", ..." if len(bad) > 10 else "")
            raise BadRequest(
                f"{len(bad)} of {len(rows)} rows are invalid (line {lines}){more}; nothing was imported: "
                "fix them and send the whole file again",
                fields=fields,
            )
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            outcomes = list(pool.map(self._overwrite, [customer for _, customer in good]))
        return Imported(
            created=outcomes.count("created"), updated=outcomes.count("updated"), unchanged=outcomes.count("unchanged")
        )

    def _overwrite(self, customer: Customer) -> str:
        """Create or replace one customer, based on the version read just before (so anyone holding an older
        ETag gets 412 afterwards); re-read and retried when someone writes it in between."""
        for _ in range(IMPORT_ATTEMPTS):
            try:
                return self.store.overwrite(self.tenant_id, customer)
            except VersionConflict:
                continue
        raise PreconditionFailed(
            f"customer '{customer.customer_id}' kept changing during the import; import the file again",
            fields={"csv": [f"{customer.customer_id} was being edited by someone else"]},
        )

    # --------------------------------------------------------------- settings

    def settings(self) -> Tenant:
        tenant = self.store.get(self.tenant_id, "tenant", self.tenant_id)
        if not isinstance(tenant, Tenant):
            raise NotFound("this tenant has no settings yet; ask the operator to create it")
        return tenant

    def patch_settings(self, patch: SettingsPatch, expected: int) -> Saved:
        refused = patch.operator_fields()
        if refused:
            raise OperatorOwnedChange(self.tenant_id, refused)
        before = self.drafts.draft(self.tenant_id, strict=False)
        current = before.settings or self.settings()  # settings(): 404, or 409 for an invalid stored item
        if current.version != expected:
            # The change is applied to what was just read, so it may only be written over that same version. The
            # store would refuse the write anyway (a version mismatch, or 403 operator_owned where the read's
            # operator fields are out of date); this check answers the clearer 412 first.
            conflict = VersionConflict(self.tenant_id, "tenant", self.tenant_id, expected, current)
            raise self._stale("settings", self.tenant_id, expected, conflict)
        updated = Tenant.model_validate(current.model_dump() | patch.changes())
        after = Snapshot(updated, before.profiles, before.rules)
        self._refuse_breakages(before, after, "these settings would break the configuration")
        try:
            stored = self.store.put(self.tenant_id, updated, expected_version=expected)
        except VersionConflict as exc:
            raise self._stale("settings", self.tenant_id, expected, exc) from None
        return Saved(stored, False, [], ON_PUBLISH)

    # ---------------------------------------------------------------- helpers

    def _model(self, kind: Kind, item_id: str, body: BaseModel) -> StoredItem:
        id_field = ID_FIELDS[kind]
        data: dict[str, Any] = body.model_dump(exclude=set(BOOKKEEPING), exclude_none=True)
        given = data.get(id_field)
        if given is not None and given != item_id:
            raise InvalidRequest(
                f"the body's {id_field} '{given}' is not the '{item_id}' the path names",
                fields={id_field: ["must equal the id in the path (or be left out)"]},
            )
        return MODELS[kind].model_validate(data | {id_field: item_id})

    def _refuse_breakages(self, before: Snapshot, after: Snapshot, summary: str) -> None:
        broken = introduced(before, after)
        if broken:
            raise IntegrityRefused(f"{summary}: " + "; ".join(b.message for b in broken), fields=by_field(broken))

    def _stale(self, kind: str, item_id: str, expected: int | None, exc: VersionConflict) -> Exception:
        label = "the settings" if kind == "settings" else f"{kind} '{item_id}'"
        current = exc.current.model_dump(mode="json", exclude_none=True) if isinstance(exc.current, BaseModel) else None
        if expected is None:
            return AlreadyExists(
                f"{label} already exists (version {exc.current_version}); open it to change it, or choose another name",
                extra={"current": current},
            )
        if exc.current_version is None:
            return NotFound(f"{label} no longer exists: someone deleted it; create it again if you still need it")
        return PreconditionFailed(
            f"{label} changed since you read version {expected}: it is now version {exc.current_version}; "
            "look at the current one and apply your change again",
            extra={"current": current},
        )


def _listed(users: list[str]) -> str:
    return users[0] if len(users) == 1 else ", ".join(users[:-1]) + " and " + users[-1]


def _what_to_change(users: list[str]) -> str:
    """What the admin does next, in the words of the console: change the rules (or the default) first."""
    rules = [user for user in users if user.startswith("rule ")]
    steps = []
    if rules:
        steps.append(
            f"change {'that rule' if len(rules) == 1 else 'those rules'} first (another profile, or delete it)"
        )
    if len(rules) != len(users):
        steps.append("choose another default profile in the settings first")
    return " and ".join(steps)


def _with(snapshot: Snapshot, model: StoredItem) -> Snapshot:
    if isinstance(model, AgentProfile):
        return Snapshot(snapshot.settings, {**snapshot.profiles, model.profile_id: model}, snapshot.rules)
    if isinstance(model, RoutingRule):
        return Snapshot(snapshot.settings, snapshot.profiles, {**snapshot.rules, model.rule_id: model})
    return snapshot
