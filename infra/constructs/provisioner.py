"""The provisioning Lambda (admin API behind the IAM authoriser; the route lives in ServiceApi)."""

from __future__ import annotations

from aws_cdk import Duration

from functions.provisioning.models import ProvisioningSettings
from infra.constructs.python_function import FunctionConstruct, FunctionSpec

DESCRIPTION = "Admin API: onboards tenants and manages their ThunderPhone publishable keys"


class Provisioner(FunctionConstruct):
    # HTTP API integrations give up after 30 s; ThunderPhone calls retry within this.
    SPEC = FunctionSpec("provisioning", ProvisioningSettings, DESCRIPTION, Duration.seconds(28))
    FUNCTION_ID = "Provisioning"
