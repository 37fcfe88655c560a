"""Tenant mode's command groups: each module's `register(subparsers)` adds one group (see parser.py).

A handler takes a sbctl.tenant_mode.context.TenantContext and returns an exit code (sbctl.exit_codes);
it raises sbctl.errors.UsageError for input refused before any request (exit 2), and lets the API's
errors (http.ApiError, http.Unreachable) reach the dispatcher, which words them (messages.py).
"""

from __future__ import annotations

GROUPS = [
    "sbctl.tenant_mode.commands.login",
    "sbctl.tenant_mode.commands.items",
    "sbctl.tenant_mode.commands.customers",
    "sbctl.tenant_mode.commands.settings",
    "sbctl.tenant_mode.commands.draft",
    "sbctl.tenant_mode.commands.versions",
    "sbctl.tenant_mode.commands.simulate",
]
