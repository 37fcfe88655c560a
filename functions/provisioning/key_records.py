"""Publishable keys as Switchboard records them, the create reservation, and the embed snippets.

A key record lives in the operator-only partition of its tenant, `OPERATOR#{tenant_id}` / `KEY#{id}`
(functions/common/table.py), out of a tenant admin's reach. A webhook-mode key's `webhook_url` is a
capability, `{base}/webhooks/{token}`; the record keeps the URL (the operator must see it) and the
token's hash (`route_id`), so the key's route can be retired. The full `pk_live_...` value is public by
design (it ships in web pages); the organisation's `sk_live_...` never comes near it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.common.types import ItemId
from functions.thunderphone.objects import KeyMode, RemoteKey
from functions.webhook_routes.model import ROUTE_ID_PATTERN, TOKEN_PATTERN

KeyStatus = Literal["active", "disabled", "deactivated"]
# pending: an attempt holds the claim until `lease_until`; unknown: the last attempt ended without knowing
# whether ThunderPhone made the key (timeout, 5xx), so the next retry reconciles at once; done: recorded.
ReservationState = Literal["pending", "unknown", "done"]
MARKER_CHARS = 12
CDN_BASE = "https://cdn.thunderphone.com/widget"


def request_marker(tenant_id: str, token: str) -> str:
    """A short, stable id for one create request, embedded in the key's name so a retry can find
    the key ThunderPhone made even if our record of it was never written."""
    return hashlib.sha256(f"{tenant_id}\n{token}".encode()).hexdigest()[:MARKER_CHARS]


def marked_name(name: str, marker: str) -> str:
    return f"{name} [sb:{marker}]"


def has_marker(name: str | None, marker: str) -> bool:
    return bool(name) and str(name).endswith(f"[sb:{marker}]")


class KeyRecord(BaseModel):
    """What we store for a key (attribute names as ThunderPhone's where they mean the same)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    key: str
    key_prefix: str
    mode: KeyMode
    agent_id: int | None = None
    webhook_url: str | None = None
    route_id: Annotated[str | None, Field(pattern=ROUTE_ID_PATTERN)] = None  # sha256 of the URL's token
    widget_id: ItemId | None = None
    name: str  # as given by the operator; ThunderPhone holds `marked_name(name, marker)`
    marker: str
    allowed_domains: list[str]
    is_active: bool
    is_enabled: bool
    status: KeyStatus
    created_at: datetime
    updated_at: datetime
    replaces: int | None = None
    replaced_by: int | None = None
    reservation_id: str | None = None  # the create request that made it (forgotten once it is deactivated)

    @staticmethod
    def status_of(is_active: bool, is_enabled: bool) -> KeyStatus:
        if not is_active:
            return "deactivated"
        return "active" if is_enabled else "disabled"

    @classmethod
    def from_remote(
        cls,
        remote: RemoteKey,
        *,
        name: str,
        marker: str,
        widget_id: str | None,
        route_id: str | None,
        now: datetime,
        replaces: int | None = None,
        reservation_id: str | None = None,
    ) -> KeyRecord:
        return cls(
            id=remote.id,
            key=remote.key,
            key_prefix=remote.key_prefix or remote.key[:12],
            mode=remote.mode,
            agent_id=remote.agent_id,
            webhook_url=remote.webhook_url,
            route_id=route_id,
            widget_id=widget_id,
            name=name,
            marker=marker,
            allowed_domains=list(remote.allowed_domains),
            is_active=remote.is_active,
            is_enabled=remote.is_enabled,
            status=cls.status_of(remote.is_active, remote.is_enabled),
            created_at=remote.created_at or now,
            updated_at=remote.updated_at or now,
            replaces=replaces,
            reservation_id=reservation_id,
        )

    def refreshed(self, remote: RemoteKey, *, now: datetime, **changes: Any) -> KeyRecord:
        """This record with ThunderPhone's current view of the key applied."""
        data = self.model_dump() | {
            "allowed_domains": list(remote.allowed_domains),
            "is_active": remote.is_active,
            "is_enabled": remote.is_enabled,
            "mode": remote.mode,
            "agent_id": remote.agent_id,
            "webhook_url": remote.webhook_url,
            "updated_at": remote.updated_at or now,
        }
        data |= changes
        data["status"] = self.status_of(data["is_active"], data["is_enabled"])
        return KeyRecord.model_validate(data)

    def deactivated(self, *, now: datetime, replaced_by: int | None = None) -> KeyRecord:
        changes: dict[str, Any] = {"is_active": False, "status": "deactivated", "updated_at": now}
        if replaced_by is not None:
            changes["replaced_by"] = replaced_by
        return self.model_copy(update=changes)


class Reservation(BaseModel):
    """The conditional-write claim on one create request (see service.ensure_key)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    reservation_id: str
    request_hash: str
    marker: str
    state: ReservationState
    # Epoch seconds: a pending claim older than this may be taken over (its attempt crashed). Each take-over
    # sets a strictly later value, so the lease also tells one attempt of the request from another.
    lease_until: int
    key_id: int | None = None
    # Webhook mode: the token of the key's URL, drawn once per reservation so every retry or take-over
    # of the request routes the same URL (a secret: the reservation lives in the operator partition).
    webhook_token: Annotated[str | None, Field(pattern=TOKEN_PATTERN, repr=False)] = None


class EmbedSnippets(BaseModel):
    """Ready-to-paste code for the three integrations of @thunderphone/widget (thunderphone-api.md section 4)."""

    model_config = ConfigDict(frozen=True)

    react: str
    hook: str
    cdn: str


def embed_snippets(publishable_key: str, *, cdn_version: str = "latest") -> EmbedSnippets:
    key = json.dumps(publishable_key)  # a quoted, escaped literal, valid in JS and JSX alike
    react = f"""import {{ ThunderPhoneWidget }} from "@thunderphone/widget";
import "@thunderphone/widget/style.css";

export function VoiceAssistant() {{
  return <ThunderPhoneWidget publishableKey={{{key}}} title="Voice assistant" position="bottom-right" />;
}}
"""
    hook = f"""import {{ useThunderPhone }} from "@thunderphone/widget";

export function CallButton() {{
  const {{ state, connect, disconnect, toggleMute, isMuted, audio }} = useThunderPhone({{
    publishableKey: {key},
  }});
  const live = state === "connected" || state === "connecting";
  return (
    <>
      {{audio /* must be rendered: it plays the agent's voice */}}
      <button onClick={{live ? disconnect : connect}}>{{live ? "Hang up" : "Talk to us"}}</button>
      {{state === "connected" && <button onClick={{toggleMute}}>{{isMuted ? "Unmute" : "Mute"}}</button>}}
    </>
  );
}}
"""
    base = f"{CDN_BASE}/{cdn_version}"
    cdn = f"""<link rel="stylesheet" href="{base}/style.css">
<div id="thunderphone-widget"></div>
<script src="{base}/widget.js"></script>
<script>
  ThunderPhone.mount({{ element: "#thunderphone-widget", publishableKey: {key} }});
</script>
"""
    return EmbedSnippets(react=react, hook=hook, cdn=cdn)
