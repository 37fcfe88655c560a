"""Who tenant admins are: a Cognito user pool the operator fills (no self sign-up), the app client `sbctl` signs in
with, and `tenant_client`, which makes every app client of the pool (the tenant console's too) alike.

`sbctl login` signs in in the browser, on the pool's managed-login domain (the console's, infra/constructs/
tenant_console.py): the authorization code flow with PKCE and a loopback redirect (RFC 8252). Cognito accepts only
the callback URLs a client lists, ports included, so sbctl's client lists `http://localhost:<port>/callback` for a
few fixed ports (functions/common/identity.py) and sbctl listens on the first free one. The code is only good with
the verifier sbctl never lets out of its process, and only reaches a listener on the same machine as the browser.

A tenant user's ID token carries `custom:tenant_id` (set by the operator when the user is created, immutable,
and not writable through the app client) and `cognito:groups` (`tenant-admin` or `tenant-viewer`). The tenant
API's JWT authorizer trusts this pool and this client only; tenant users get no AWS credentials at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from functions.common.identity import ROLE_GROUPS, SBCTL_CALLBACK_PORTS, TENANT_ATTRIBUTE, sbctl_callback_url
from infra import nag

# functions.common.types.TENANT_ID_PATTERN allows up to 63 characters; a custom attribute cannot be changed once
# the pool exists, so it takes the longest tenant id there can be.
TENANT_ID_MAX_LENGTH = 63
INVITATION_SUBJECT = "Your Switchboard tenant admin account"
TEMPORARY_PASSWORD_DAYS = 3
# Cognito fills in {username} and {####} (the temporary password); the stack fills in the console's URL.
INVITATION_BODY = (
    "You have been given access to your organisation's Switchboard voice agent configuration. "
    "Open {console_url} and sign in with {{username}} and the temporary password {{####}}; you will be asked to "
    "choose a new one. The temporary password works for {days} days."
)
SBCTL_CALLBACK_URLS = [sbctl_callback_url(port) for port in SBCTL_CALLBACK_PORTS]
SBCTL_SCOPES = (cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL)
GROUP_DESCRIPTIONS = {
    "admin": "Tenant admins: read and change their tenant's configuration through the tenant API",
    "viewer": "Tenant viewers: read their tenant's configuration through the tenant API",
}


class TenantIdentity(Construct):
    """The tenant user pool, its two role groups and the public app client (SRP sign-in, no secret)."""

    def __init__(self, scope: Construct, construct_id: str, *, protect: bool, console_url: str) -> None:
        """`console_url` goes into the invitation e-mail: the stable public URL (it may be a lazy token; the pool
        must never depend on the API's authorizer, which depends on the pool)."""
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,  # only the operator creates users (POST /admin/tenants/{id}/admins)
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
            ),
            custom_attributes={
                # The tenant a user belongs to: set once by the operator, never changed, never user-writable.
                TENANT_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=TENANT_ID_MAX_LENGTH, mutable=False),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(TEMPORARY_PASSWORD_DAYS),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            user_invitation=cognito.UserInvitationConfig(
                email_subject=INVITATION_SUBJECT,
                email_body=INVITATION_BODY.format(console_url=console_url, days=TEMPORARY_PASSWORD_DAYS),
            ),
            # Plus: threat protection blocks sign-ins with leaked credentials and risky sign-ins (cdk-nag COG8).
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=protect,
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
        )
        nag.acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is optional (TOTP only, no SMS): tenant admins enrol an authenticator app themselves; users are "
            "created only by the operator, passwords are long and complex, and threat protection blocks risky and "
            "leaked-credential sign-ins. Switch to Mfa.REQUIRED once the console's TOTP enrolment ships.",
        )
        self.groups = {
            role: cognito.UserPoolGroup(
                self,
                f"{role.capitalize()}Group",
                user_pool=self.user_pool,
                group_name=group,
                description=GROUP_DESCRIPTIONS[role],
            )
            for role, group in ROLE_GROUPS.items()
        }
        # sbctl's client: the browser sign-in on a loopback redirect (and SRP); its own client, so its callbacks
        # (this machine's ports) and week-long refresh tokens never apply to the console's.
        self.client = tenant_client(
            self.user_pool,
            "Client",
            user_pool=self.user_pool,
            refresh_token_validity=Duration.days(7),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),  # no implicit grant
                scopes=list(SBCTL_SCOPES),
                callback_urls=SBCTL_CALLBACK_URLS,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
        )

    @property
    def user_pool_id(self) -> str:
        return self.user_pool.user_pool_id

    @property
    def client_id(self) -> str:
        return self.client.user_pool_client_id


def tenant_client(
    scope: Construct,
    construct_id: str,
    *,
    user_pool: cognito.IUserPool,
    refresh_token_validity: Duration,
    o_auth: cognito.OAuthSettings | None = None,
    supported_identity_providers: Sequence[cognito.UserPoolClientIdentityProvider] | None = None,
) -> cognito.UserPoolClient:
    """An app client of the tenant pool, as every one of them must be (the tenant API's JWT authorizer accepts them
    all): public (no secret), SRP sign-in, hour-long ID and access tokens, revocable refresh tokens. Readable: what
    the tenant API and the console show. Writable: the display name only; never email (the operator's handle on the
    user) and never custom:tenant_id (immutable anyway). Without `o_auth`, no hosted UI and no redirect flows."""
    return cognito.UserPoolClient(
        scope,
        construct_id,
        user_pool=user_pool,
        generate_secret=False,  # sbctl and browsers keep no secret
        auth_flows=cognito.AuthFlow(user_srp=True),  # CDK adds ALLOW_REFRESH_TOKEN_AUTH
        prevent_user_existence_errors=True,
        enable_token_revocation=True,
        id_token_validity=Duration.hours(1),
        access_token_validity=Duration.hours(1),
        refresh_token_validity=refresh_token_validity,
        read_attributes=cognito.ClientAttributes()
        .with_standard_attributes(email=True, email_verified=True, fullname=True)
        .with_custom_attributes(TENANT_ATTRIBUTE),
        write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        disable_o_auth=o_auth is None,
        o_auth=o_auth,
        supported_identity_providers=supported_identity_providers,
    )
