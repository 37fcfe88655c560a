"""Call outcome backfill (sync from ThunderPhone's GET /v1/calls) models and settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.billing.settings import BillingSettings
from functions.outcomes.attribution import FitSettings

DIRECTIONS = frozenset({"all", "widget", "mic", "inbound", "outbound"})
DEFAULT_LOOKBACK_HOURS = 48
DEFAULT_SETTLE_MINUTES = 60
DEFAULT_OVERLAP_MINUTES = 5


def _directions(value: str) -> tuple[str, ...]:
    parts = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [part for part in parts if part not in DIRECTIONS]
    if not parts or unknown:
        raise ValueError(f"directions must be a comma list of {sorted(DIRECTIONS)}, got {value!r}")
    return parts


class CallSyncSettings(FitSettings, BillingSettings):
    # The configuration table: the operator's number claims, which settle contested phone calls (read only).
    TABLE_NAME: Annotated[str, Field(min_length=1)]
    CALLS_TABLE_NAME: Annotated[str, Field(min_length=1)]
    THUNDERPHONE_API_KEY_SECRET_NAME: Annotated[str, Field(min_length=1)]
    THUNDERPHONE_API_BASE: str = "https://api.thunderphone.com/v1"
    # "all" = no direction filter; or e.g. "widget,inbound" (one cursor per direction).
    SYNC_DIRECTIONS: str = "all"
    # The first scheduled window starts this far back.
    SYNC_LOOKBACK_HOURS: Annotated[int, Field(ge=1, le=24 * 90)] = DEFAULT_LOOKBACK_HOURS
    # A window ends this long before now, so its calls have ended (and mostly been graded).
    SYNC_SETTLE_MINUTES: Annotated[int, Field(ge=0, le=24 * 60)] = DEFAULT_SETTLE_MINUTES
    # Consecutive windows overlap by this much, in case ThunderPhone's date filters are exclusive.
    SYNC_OVERLAP_MINUTES: Annotated[int, Field(ge=0, le=24 * 60)] = DEFAULT_OVERLAP_MINUTES
    SYNC_PAGE_LIMIT: Annotated[int, Field(ge=1, le=1000)] = 100
    # Stop paging (cursor saved) when the Lambda has less than this left.
    SYNC_SAFETY_MARGIN_MS: Annotated[int, Field(ge=1000, le=300_000)] = 15_000
    DECISION_TTL_DAYS: Annotated[int, Field(ge=1, le=3650)] = 90
    THUNDERPHONE_TIMEOUT_S: Annotated[float, Field(gt=0, le=30)] = 10.0
    THUNDERPHONE_MAX_RETRIES: Annotated[int, Field(ge=0, le=5)] = 2

    @field_validator("SYNC_DIRECTIONS")
    @classmethod
    def _valid_directions(cls, value: str) -> str:
        _directions(value)
        return value

    @property
    def directions(self) -> tuple[str, ...]:
        return _directions(self.SYNC_DIRECTIONS)


class SyncRequest(BaseModel):
    """The Lambda event (EventBridge's scheduled event carries none of these: a scheduled run) or
    the CLI's arguments (an explicit window, resumed if an earlier run of it was interrupted)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    directions: tuple[str, ...] | None = None
    restart: bool = False

    @field_validator("directions", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _directions(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _window(self) -> SyncRequest:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither (scheduled run)")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        if self.directions is not None:
            _directions(",".join(self.directions))
        return self


@dataclass(frozen=True)
class Cursor:
    """Where a window's paging got to; saved after every page so a rerun resumes there."""

    name: str
    direction: str
    window_start: datetime
    window_end: datetime
    offset: int = 0
    done: bool = False
    updated_at: datetime | None = None

    def advanced(self, offset: int, done: bool, at: datetime) -> Cursor:
        return replace(self, offset=offset, done=done, updated_at=at)


@dataclass
class WindowReport:
    direction: str
    window_start: datetime
    window_end: datetime
    resumed_from: int = 0
    offset: int = 0
    pages: int = 0
    seen: int = 0
    matched: int = 0
    unmatched: int = 0
    contested: int = 0  # several tenants' decisions fit and nothing settles it: left to the operator
    set_aside: int = 0  # of those, newly set aside for the operator by this run (OutcomeContested)
    completions_filled: int = 0
    grades_filled: int = 0
    still_running: int = 0
    invalid: int = 0
    finished: bool = False
    error: str | None = None


@dataclass
class SyncReport:
    windows: list[WindowReport] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return all(window.finished for window in self.windows)

    @property
    def errors(self) -> list[str]:
        return [window.error for window in self.windows if window.error]


def report_json(report: SyncReport) -> dict[str, Any]:
    """The run's report as the Lambda returns it and `sbctl calls sync` prints it."""
    return {
        "finished": report.finished,
        "errors": report.errors,
        "windows": [
            {
                **asdict(window),
                "window_start": window.window_start.isoformat(),
                "window_end": window.window_end.isoformat(),
            }
            for window in report.windows
        ],
    }
