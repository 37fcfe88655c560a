"""The two secrets the service owns, created with placeholders; operators put the real values.

Values never pass through CDK: the template holds only a generation rule, and operators set the
real value with `aws secretsmanager put-secret-value` (docs/deploy.md). The names are fixed per
stage so operators and the functions find them without looking anything up.
"""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import nag

_NO_ROTATION = (
    "The value is issued by ThunderPhone (API key / webhook endpoint secret) and cannot be rotated by "
    "a Lambda; operators rotate it with the documented overlap procedure (docs/deploy.md)."
)


class ServiceSecrets(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        thunderphone_api_key_name: str,
        signing_secrets_name: str,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.thunderphone_api_key = secretsmanager.Secret(
            self,
            "ThunderPhoneApiKey",
            secret_name=thunderphone_api_key_name,
            description="ThunderPhone secret API key (sk_live_...); placeholder until an operator sets it",
            # A random placeholder: ThunderPhone answers 401 until the real key is put.
            generate_secret_string=secretsmanager.SecretStringGenerator(exclude_punctuation=True),
            removal_policy=removal_policy,
        )
        self.signing_secrets = secretsmanager.Secret(
            self,
            "SigningSecrets",
            secret_name=signing_secrets_name,
            description='Webhook signing secrets {"secrets": ["whsec_..."]}; empty until an operator sets it',
            # An empty list: every webhook is rejected until a real signing secret is added.
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"secrets": []}),
                generate_string_key="placeholder",
                exclude_punctuation=True,
            ),
            removal_policy=removal_policy,
        )
        for secret in (self.thunderphone_api_key, self.signing_secrets):
            nag.acknowledge(secret, "AwsSolutions-SMG4", _NO_ROTATION)
