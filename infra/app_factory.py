"""Builds the CDK app: the same function for `cdk` (app.py) and the tests, so both synthesize the same thing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Environment

from infra import nag
from infra.config import EDGE_REGION, StageConfig
from infra.stacks.edge_firewall_stack import EdgeFirewallStack
from infra.stacks.github_oidc_stack import GitHubOidcStack
from infra.stacks.service_stack import ServiceStack


def create_app(
    context: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    outdir: str | None = None,
) -> App:
    """The app with one service stack for the stage in context, edge protection's web ACL stack in us-east-1 when the
    stage needs one there, and the GitHub OIDC stack when `githubRepo` is set.

    `context=None` lets the App read the CLI's context (cdk.json + `-c`); tests pass cdk.json's
    context themselves. `environ` defaults to the process environment (for `CDK_DEFAULT_*`);
    `outdir` is where the cloud assembly goes (the CLI sets it itself).
    """
    app = App(context=dict(context), outdir=outdir) if context is not None else App(outdir=outdir)
    config = StageConfig.from_context(app.node.try_get_context, os.environ if environ is None else environ)
    env = Environment(account=config.account, region=config.region)
    firewall = (
        EdgeFirewallStack(
            app,
            f"{config.stack_name}-edge",
            config=config,
            env=Environment(account=config.account, region=EDGE_REGION),
            description=f"Switchboard {config.stage}: the AWS WAF web ACL CloudFront applies in front of the API",
            termination_protection=config.is_prod,
        )
        if config.web_acl_in_own_stack
        else None
    )
    ServiceStack(
        app,
        config.stack_name,
        config=config,
        web_acl_arn=firewall.firewall.web_acl_arn if firewall else None,
        env=env,
        description=f"Switchboard {config.stage}: ThunderPhone webhook router, provisioning and tenant APIs, data",
        termination_protection=config.is_prod,
    )
    if config.github_repo:
        get = app.node.try_get_context
        GitHubOidcStack(
            app,
            "Switchboard-GitHubOidc",
            repo=config.github_repo,
            existing_provider_arn=config.github_oidc_provider_arn,
            qualifiers={stage: StageConfig.qualifier_of(stage, get) for stage in config.github_deploy_stages},
            edge_region=EDGE_REGION,
            env=env,
            description="GitHub Actions OIDC provider and Switchboard deploy and diff roles",
        )
    nag.attach(app)
    return app
