"""`sbctl --operator publish --tenant T`: make a tenant's draft live, as the tenant API's `POST /draft/publish` does.

Operator-mode writes (`profiles put`, `rules put`, `tenants put`, ...) change the tenant's draft (its CONFIG#
items); the router serves only the published version. This publishes the whole draft as version N+1 through
the same code as the tenant API (functions.tenant_config.publishing.Drafts), checked the same way.
"""

from __future__ import annotations

from functions.tenant_config.publishing import Drafts, NothingToPublish, PublishConflict, PublishRefused
from sbctl.arguments import SubParsers, add_tenant
from sbctl.context import Context
from sbctl.exit_codes import EXIT_FAILED, EXIT_OK
from sbctl.render import table


def register(subparsers: SubParsers) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="make a tenant's draft (profiles, rules, settings) live as a new version",
        description="Operator-mode edits change the draft; the router serves the published version only.",
    )
    add_tenant(parser)
    parser.add_argument("--dry-run", action="store_true", help="list what would go live; publish nothing")
    parser.set_defaults(handler=cmd_publish)


def cmd_publish(ctx: Context) -> int:
    tenant_id = ctx.args.tenant
    drafts = Drafts(ctx.store, ctx.client(), ctx.table, ctx.actor)
    if ctx.args.dry_run:
        live, changes = drafts.changes(tenant_id)
        ctx.say(f"live version: {live if live is not None else 'none yet'}; {len(changes)} change(s) in the draft")
        if changes:
            ctx.say(
                table(
                    ["KIND", "ID", "CHANGE", "FIELDS"], [[c.kind, c.id, c.change, ", ".join(c.fields)] for c in changes]
                )
            )
        ctx.say("dry run: nothing published")
        return EXIT_OK
    try:
        published = drafts.publish(tenant_id)
    except NothingToPublish as exc:
        ctx.warn(f"sbctl: nothing to publish: {exc}")
        return EXIT_FAILED
    except PublishRefused as exc:
        ctx.warn_problems(
            f"sbctl: {exc.message}", [f"{name}: {text}" for name, texts in exc.fields.items() for text in texts]
        )
        return EXIT_FAILED
    except PublishConflict as exc:
        ctx.warn(f"sbctl: someone else published at the same time ({exc}); run publish again")
        return EXIT_FAILED
    ctx.say(
        f"published version {published.version} of tenant {tenant_id} ({len(published.changes)} change(s)); "
        "callers get it within about a minute (the router's cache time)"
    )
    return EXIT_OK
