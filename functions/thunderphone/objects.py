"""ThunderPhone's REST objects as Switchboard reads them: publishable keys, webhook endpoints, calls.

Unknown fields are ignored (the API may add some). Sources: shared/thunderphone-api.md sections 1.1, 3, 5.1.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.thunderphone.events import CallSummary

KeyMode = Literal["agent", "webhook"]
FINISHED_STATUSES = frozenset({"completed", "failed"})


class RemoteKey(BaseModel):
    """A publishable key as ThunderPhone returns it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: int
    name: str = ""
    key: str
    key_prefix: str | None = None
    allowed_domains: list[str] = Field(default_factory=list)
    is_active: bool = True
    is_enabled: bool = True
    mode: KeyMode = "agent"
    agent_id: int | None = None
    webhook_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class RemoteEndpoint(BaseModel):
    """An org-level webhook endpoint as ThunderPhone lists it (the secret is never listed)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    label: str = ""
    url: str
    events: list[str] = Field(default_factory=list)
    status: str = "active"
    secret_hint: str | None = None


class CreatedEndpoint(RemoteEndpoint):
    """The create answer: the only time ThunderPhone shows the whsec_ secret. Never logged or returned."""

    secret: Annotated[str, Field(min_length=1, repr=False)]


class ApiCall(CallSummary):
    """One call object of GET /v1/calls (current docs)."""

    grade_score: float | None = None
    grade_status: Annotated[str | None, Field(max_length=32)] = None
    grade_updated_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES
