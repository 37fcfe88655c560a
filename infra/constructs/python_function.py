"""Our Lambda defaults in one place: runtime, arm64, JSON logs, log group with retention, X-Ray, Powertools env."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from pydantic import ValidationError

from functions.common.settings import TRACE_SUBSEGMENTS_ENV, FunctionSettings

# The newest Python runtime aws-cdk-lib offers (the code itself stays 3.11-compatible).
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64

_RETENTION: Mapping[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def retention(days: int) -> logs.RetentionDays:
    return _RETENTION[days]


@dataclass(frozen=True)
class FunctionDefaults:
    """What every function of a stage shares: the code asset, the metrics namespace, how logs are kept and
    whether the X-Ray SDK records subsegments (Lambda's active tracing is on either way)."""

    code: lambda_.Code
    metrics_namespace: str
    log_retention_days: int
    log_removal_policy: RemovalPolicy
    trace_subsegments: bool = False


@dataclass(frozen=True)
class AsyncInvoke:
    """How Lambda handles a function's asynchronous invocations. The default is no retry, because async retries
    re-run side effects; a function whose writes are idempotent may be retried and given an on-failure
    destination for what is still failing when the retries or `max_event_age` are spent."""

    retry_attempts: int = 0
    max_event_age: Duration | None = None
    on_failure: lambda_.IDestination | None = None


class PythonFunction(Construct):
    """A Lambda for one handler of the `functions` package.

    `environment` is checked against the function's settings model at synth, so a missing or invalid
    variable fails `cdk synth` instead of the first invocation.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        defaults: FunctionDefaults,
        handler: str,
        settings_model: type[FunctionSettings],
        environment: Mapping[str, str],
        service_name: str,
        description: str,
        timeout: Duration,
        memory_mb: int = 512,
        reserved_concurrency: int | None = None,
        snap_start: bool = False,
        async_invoke: AsyncInvoke | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        env = {
            "POWERTOOLS_SERVICE_NAME": service_name,
            "POWERTOOLS_METRICS_NAMESPACE": defaults.metrics_namespace,
            **({TRACE_SUBSEGMENTS_ENV: "true"} if defaults.trace_subsegments else {}),
            **environment,
        }
        try:
            settings_model.model_validate(env)
        except ValidationError as exc:
            raise ValueError(f"{construct_id}: environment does not satisfy {settings_model.__name__}: {exc}") from exc
        self.environment: Mapping[str, str] = env
        self.handler = handler
        self.settings_model = settings_model
        invoke = async_invoke or AsyncInvoke()
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=retention(defaults.log_retention_days),
            removal_policy=defaults.log_removal_policy,
        )
        # Its own role, which may write its own log group only: AWS's basic execution policy would let every
        # function write any log group, so plant lines in the webhook's (its lines are the decision log).
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description)
        self.log_group.grant_write(role)
        self.function = lambda_.Function(
            self,
            "Function",
            code=defaults.code,
            handler=handler,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            description=description,
            environment=env,
            timeout=timeout,
            memory_size=memory_mb,
            reserved_concurrent_executions=reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=self.log_group,
            role=role,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
            # Async retries re-run side effects (AsyncInvoke's default: none); the scheduled and stream triggers have
            # their own retry policy.
            retry_attempts=invoke.retry_attempts,
            max_event_age=invoke.max_event_age,
            on_failure=invoke.on_failure,
        )


@dataclass(frozen=True)
class FunctionSpec:
    """What one of our functions is, whatever the stage: its package under `functions/`, its settings
    model and its sizing."""

    package: str
    settings_model: type[FunctionSettings]
    description: str
    timeout: Duration
    memory_mb: int = 512

    @property
    def handler(self) -> str:
        return f"functions.{self.package}.handler.lambda_handler"


@dataclass(frozen=True, kw_only=True)
class FunctionOptions:
    """How a stage runs one function: shared defaults, its environment, service name and concurrency cap."""

    defaults: FunctionDefaults
    environment: Mapping[str, str]
    service_name: str
    reserved_concurrency: int | None = None


class FunctionConstruct(Construct):
    """The construct of one function concern: builds the PythonFunction its `SPEC` describes (inner id
    `FUNCTION_ID`); subclasses add the function's triggers and resources."""

    SPEC: ClassVar[FunctionSpec]
    FUNCTION_ID: ClassVar[str]

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        options: FunctionOptions,
        *,
        timeout: Duration | None = None,
        memory_mb: int | None = None,
        snap_start: bool = False,
        async_invoke: AsyncInvoke | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        spec = self.SPEC
        self.lambda_ = PythonFunction(
            self,
            self.FUNCTION_ID,
            defaults=options.defaults,
            handler=spec.handler,
            settings_model=spec.settings_model,
            environment=options.environment,
            service_name=options.service_name,
            description=spec.description,
            timeout=timeout or spec.timeout,
            memory_mb=memory_mb or spec.memory_mb,
            reserved_concurrency=options.reserved_concurrency,
            snap_start=snap_start,
            async_invoke=async_invoke,
        )
        self.function = self.lambda_.function
