"""Alarms, the SNS topic they notify and the CloudWatch dashboard.

The webhook's business metrics are the ones Powertools emits (namespace POWERTOOLS_METRICS_NAMESPACE,
dimension `service` = POWERTOOLS_SERVICE_NAME): WebhookRequests, ConfigServed, Fallback,
FallbackByReason (+ `reason`), SignatureRejected, AnswerLatency (ms), InvalidItem, OutcomeQueued,
OutcomeDeferred; the item validator emits InvalidConfigItem; the outcome recorder OutcomeStored,
OutcomeRefused, OutcomeQuarantined and OutcomeContested; the decision recorder DecisionsRecorded,
DecisionLogFailed and DecisionSetAside; call sync CallSyncFailed. The HTTP API's own metrics (AWS/ApiGateway, per
route: the stage has detailed metrics) and a metric filter on its access log (the webhook route's 429s) watch what
happens before a function runs.

Every alarm is named `<stack>-<id>` and has an entry under that id in docs/runbook.md (a test holds them together).
Alarms notify on ALARM; on the return to OK only when the stage asks (`alarmOkActions`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.common.metric_names import Metric

PERIOD = Duration.minutes(5)
OUTCOME_BACKLOG_SECONDS = 15 * 60
# Failed decision-log deliveries (each retried by Lambda) per period that alarm when they keep coming.
DECISION_LOG_FAILURES = 5
# The HTTP API: the share of answers that are 5xx (over periods with at least this many requests), and the share of
# the webhook route's requests answered 429, that alarm.
API_5XX_PERCENT = 1
API_5XX_MIN_REQUESTS = 20
WEBHOOK_429_PERCENT = 1
# The webhook route's 429s, counted from the API's access log (metric filter) in the stack's metrics namespace.
WEBHOOK_THROTTLED_METRIC = "WebhookRouteThrottled"


def service_metric(namespace: str, service: str, name: str, statistic: str = "Sum") -> cloudwatch.Metric:
    """One of our metrics (functions/common/metric_names.py) for one function's Powertools `service`."""
    return cloudwatch.Metric(
        namespace=namespace, metric_name=name, dimensions_map={"service": service}, statistic=statistic, period=PERIOD
    )


def percent_of(
    name: str, part: cloudwatch.IMetric, requests: cloudwatch.IMetric, *, label: str, min_requests: int = 1
) -> cloudwatch.MathExpression:
    """`part` as a percentage of `requests`, 0 for a period with fewer than `min_requests` requests."""
    condition = "requests > 0" if min_requests == 1 else f"requests >= {min_requests}"
    return cloudwatch.MathExpression(
        expression=f"IF({condition}, 100 * {name} / requests, 0)",
        using_metrics={"requests": requests, name: part},
        label=label,
        period=PERIOD,
    )


def queue_depth(queue: sqs.IQueue) -> cloudwatch.Metric:
    """How many messages wait in `queue` (the period's maximum)."""
    return queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")


@dataclass(frozen=True, kw_only=True)
class ApiMetrics:
    """The HTTP API as monitoring sees it: its stage (detailed metrics on), the webhook's route key, its access log."""

    api: apigwv2.HttpApi
    stage: apigwv2.HttpStage
    webhook_route: str
    access_logs: logs.ILogGroup


@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    fallback_rate_percent: float
    signature_rejections: int
    # p99 duration alarm fires above this share of the webhook budget.
    duration_fraction: float


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        namespace: str,
        webhook_service: str,
        item_validator_service: str,
        webhook_function: lambda_.IFunction,
        webhook_alias: lambda_.Alias | None,
        webhook_budget_ms: int,
        api: ApiMetrics,
        call_sync_service: str,
        functions: Mapping[str, lambda_.IFunction],
        tables: Mapping[str, dynamodb.ITable],
        failure_queues: Mapping[str, sqs.IQueue],
        thresholds: AlarmThresholds,
        outcome_recorder_service: str,
        outcome_queue: sqs.IQueue,
        outcome_dead_letters: sqs.IQueue,
        decision_recorder_service: str,
        decision_recorder: lambda_.IFunction,
        decision_failures: sqs.IQueue,
        alarm_email: str | None,
        ok_actions: bool,
        stack_name: str,
        removal_policy: RemovalPolicy,
    ) -> None:
        """`webhook_alias`: the alias with provisioned concurrency, when there is one (its spillover is alarmed)."""
        super().__init__(scope, construct_id)
        self.namespace = namespace
        self._ok_actions = ok_actions
        self._stack_name = stack_name
        # A customer managed key, because CloudWatch cannot publish to a topic encrypted with aws/sns.
        self.key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Encrypts the Switchboard alarm topic",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(self, "AlarmTopic", master_key=self.key, enforce_ssl=True)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []

        def webhook_metric(name: str, statistic: str = "Sum") -> cloudwatch.Metric:
            return service_metric(namespace, webhook_service, name, statistic)

        requests = webhook_metric(Metric.WEBHOOK_REQUESTS)
        fallbacks = webhook_metric(Metric.FALLBACK)
        fallback_rate = percent_of("fallbacks", fallbacks, requests, label="Fallback rate (%)")
        self._alarm(
            "FallbackRate",
            fallback_rate,
            threshold=thresholds.fallback_rate_percent,
            evaluation_periods=3,
            datapoints=2,
            description=f"More than {thresholds.fallback_rate_percent}% of calls got the fallback ({{}}) answer",
        )
        self._alarm(
            "SignatureRejections",
            webhook_metric(Metric.SIGNATURE_REJECTED),
            threshold=thresholds.signature_rejections,
            description="Many webhook requests had a bad signature: a rotated secret or someone probing",
        )
        duration_p99 = webhook_function.metric_duration(statistic="p99", period=PERIOD)
        duration_threshold = round(webhook_budget_ms * thresholds.duration_fraction)
        self._alarm(
            "WebhookDurationP99",
            duration_p99,
            threshold=duration_threshold,
            evaluation_periods=3,
            datapoints=2,
            description=f"Webhook p99 duration above {duration_threshold} ms (budget {webhook_budget_ms} ms)",
        )
        answer_p99 = webhook_metric(Metric.ANSWER_LATENCY, statistic="p99")
        self._alarm(
            "AnswerLatencyP99",
            answer_p99,
            threshold=duration_threshold,
            evaluation_periods=3,
            datapoints=2,
            description=f"Webhook answer latency p99 above {duration_threshold} ms (budget {webhook_budget_ms} ms)",
        )
        invalid_config = service_metric(namespace, item_validator_service, Metric.INVALID_CONFIG_ITEM)
        self._alarm(
            "InvalidConfigItems",
            invalid_config,
            threshold=1,
            description="An invalid configuration item was written; the router serves the fallback for it",
        )
        for name, function in functions.items():
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                threshold=1,
                description=f"The {name} function failed (error, crash or timeout)",
            )
            self._alarm(
                f"{name}Throttles",
                function.metric_throttles(period=PERIOD, statistic="Sum"),
                threshold=1,
                description=f"The {name} function was throttled (reserved concurrency reached)",
            )
        table_throttles: list[cloudwatch.IMetric] = []
        for name, table in tables.items():
            throttles = cloudwatch.MathExpression(
                # Math ids must be unique within a graph that shows several tables.
                expression=f"reads{name} + writes{name}",
                using_metrics={
                    f"reads{name}": table.metric("ReadThrottleEvents", statistic="Sum", period=PERIOD),
                    f"writes{name}": table.metric("WriteThrottleEvents", statistic="Sum", period=PERIOD),
                },
                label=f"{name} table throttle events",
                period=PERIOD,
            )
            table_throttles.append(throttles)
            self._alarm(
                f"{name}TableThrottles",
                throttles,
                threshold=1,
                description=f"DynamoDB throttled requests on the {name} table",
            )
        for name, queue in failure_queues.items():
            self._alarm(
                f"{name}Failures",
                queue_depth(queue),
                threshold=1,
                description=f"{name}: a batch failed after all retries; see the queue for its stream position",
            )
        self._alarm(
            "CallSyncFailed",
            service_metric(namespace, call_sync_service, Metric.CALL_SYNC_FAILED),
            threshold=1,
            description="The hourly call sync could not read ThunderPhone's calls API or write the calls table",
        )
        if webhook_alias is not None:
            self._alarm(
                "WebhookSpillover",
                webhook_alias.metric("ProvisionedConcurrencySpilloverInvocations", period=PERIOD, statistic="Sum"),
                threshold=1,
                evaluation_periods=3,
                datapoints=2,
                description="Calls past the webhook's provisioned concurrency ran on on-demand instances, maybe cold",
            )
        api_widgets = self._api_alarms(api, namespace, webhook_budget_ms)
        outcome_widgets = self._outcome_alarms(
            webhook_metric, namespace, outcome_recorder_service, call_sync_service, outcome_queue, outcome_dead_letters
        )
        decision_widgets = self._decision_alarms(
            namespace, decision_recorder_service, decision_recorder, decision_failures
        )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard")
        budget_line = cloudwatch.HorizontalAnnotation(value=webhook_budget_ms, label="budget")
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Webhook answers",
                left=[requests, webhook_metric(Metric.CONFIG_SERVED), fallbacks],
                right=[fallback_rate],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Fallbacks by reason",
                left=[
                    cloudwatch.MathExpression(
                        expression=(
                            f'SEARCH(\'{{{namespace},reason,service}} MetricName="{Metric.FALLBACK_BY_REASON}" '
                            f"service=\"{webhook_service}\"', 'Sum', 300)"
                        ),
                        label="",
                        period=PERIOD,
                    )
                ],
                stacked=True,
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Webhook latency (ms)",
                left=[
                    answer_p99,
                    webhook_metric(Metric.ANSWER_LATENCY, statistic="p50"),
                    duration_p99,
                ],
                left_annotations=[budget_line],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Rejected and invalid",
                left=[webhook_metric(Metric.SIGNATURE_REJECTED), webhook_metric(Metric.INVALID_ITEM), invalid_config],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Lambda errors and throttles",
                left=[f.metric_errors(period=PERIOD, label=f"{n} errors") for n, f in functions.items()],
                right=[f.metric_throttles(period=PERIOD, label=f"{n} throttles") for n, f in functions.items()],
                width=12,
            ),
            cloudwatch.GraphWidget(title="DynamoDB throttle events", left=table_throttles, width=12),
            *api_widgets,
            *outcome_widgets,
            *decision_widgets,
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24),
        )

    def _api_alarms(self, api: ApiMetrics, namespace: str, budget_ms: int) -> list[cloudwatch.IWidget]:
        """What API Gateway answers before (or instead of) a function: 5xx of the whole API, 429s and latency of the
        webhook route (ThunderPhone falls back on a 429 or after 2 s)."""
        stage = api.stage.stage_name

        def api_metric(name: str, statistic: str = "Sum", route: str | None = None) -> cloudwatch.Metric:
            dimensions = {"ApiId": api.api.api_id, "Stage": stage} | ({"Route": route} if route else {})
            return cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name=name,
                dimensions_map=dimensions,
                statistic=statistic,
                period=PERIOD,
            )

        requests, errors = api_metric("Count"), api_metric("5xx")
        error_rate = percent_of("errors", errors, requests, label="API 5xx (%)", min_requests=API_5XX_MIN_REQUESTS)
        self._alarm(
            "Api5xxRate",
            error_rate,
            threshold=API_5XX_PERCENT,
            evaluation_periods=3,
            datapoints=2,
            description=f"More than {API_5XX_PERCENT}% of the HTTP API's answers were 5xx",
        )
        logs.MetricFilter(
            self,
            "WebhookThrottledFilter",
            log_group=api.access_logs,
            metric_namespace=namespace,
            metric_name=WEBHOOK_THROTTLED_METRIC,
            filter_pattern=logs.FilterPattern.all(
                logs.FilterPattern.string_value("$.status", "=", "429"),
                logs.FilterPattern.string_value("$.routeKey", "=", api.webhook_route),
            ),
            metric_value="1",
            dimensions={"ApiId": "$.apiId"},
        )
        throttled = cloudwatch.Metric(
            namespace=namespace,
            metric_name=WEBHOOK_THROTTLED_METRIC,
            dimensions_map={"ApiId": api.api.api_id},
            statistic="Sum",
            period=PERIOD,
        )
        webhook_requests = api_metric("Count", route=api.webhook_route)
        throttle_rate = percent_of("throttled", throttled, webhook_requests, label="Webhook route 429 (%)")
        self._alarm(
            "WebhookThrottleRate",
            throttle_rate,
            threshold=WEBHOOK_429_PERCENT,
            description=f"More than {WEBHOOK_429_PERCENT}% of the webhook route's requests got 429: calls fell back",
        )
        latency = api_metric("Latency", statistic="p99", route=api.webhook_route)
        self._alarm(
            "WebhookApiLatencyP99",
            latency,
            threshold=budget_ms,
            evaluation_periods=3,
            datapoints=2,
            description=f"The webhook route's p99 latency at API Gateway reached the {budget_ms} ms budget",
        )
        return [
            cloudwatch.GraphWidget(
                title="HTTP API",
                left=[requests, errors, api_metric("4xx")],
                right=[error_rate],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Webhook route at API Gateway",
                left=[webhook_requests, throttled, api_metric("4xx", route=api.webhook_route)],
                right=[latency, api_metric("Latency", statistic="p50", route=api.webhook_route)],
                right_annotations=[cloudwatch.HorizontalAnnotation(value=budget_ms, label="budget")],
                width=12,
            ),
        ]

    def _outcome_alarms(
        self,
        webhook_metric: Callable[[str], cloudwatch.Metric],
        namespace: str,
        recorder_service: str,
        call_sync_service: str,
        queue: sqs.IQueue,
        dead_letters: sqs.IQueue,
    ) -> list[cloudwatch.IWidget]:
        """Outcome events (infra/constructs/outcome_queue.py): none may be lost, so anything kept aside alarms."""
        recorder_metric = partial(service_metric, namespace, recorder_service)

        dead = queue_depth(dead_letters)
        quarantined = recorder_metric(Metric.OUTCOME_QUARANTINED)
        oldest = queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")
        self._alarm(
            "OutcomeDeadLetters",
            dead,
            threshold=1,
            description="Outcome events failed every delivery to the calls table; fix the cause, then redrive the DLQ",
        )
        self._alarm(
            "OutcomesQuarantined",
            quarantined,
            threshold=1,
            description="An outcome event DynamoDB can never store was kept aside on the quarantine queue",
        )
        # Set aside by the recorder (events) or the backfill (calls it found contested): one alarm for both.
        contested = cloudwatch.MathExpression(
            expression="FILL(recordedContested, 0) + FILL(backfilledContested, 0)",
            using_metrics={
                "recordedContested": recorder_metric(Metric.OUTCOME_CONTESTED),
                "backfilledContested": service_metric(namespace, call_sync_service, Metric.OUTCOME_CONTESTED),
            },
            label=Metric.OUTCOME_CONTESTED,
            period=PERIOD,
        )
        self._alarm(
            "OutcomesContested",
            contested,
            threshold=1,
            description="Several tenants' decisions fit a call: its outcome events wait for the operator "
            "(sbctl --operator calls contested, then calls assign)",
        )
        self._alarm(
            "OutcomeBacklog",
            oldest,
            threshold=OUTCOME_BACKLOG_SECONDS,
            evaluation_periods=2,
            datapoints=2,
            description="Outcome events wait in the queue for more than 15 minutes: the recorder is failing or behind",
        )
        return [
            cloudwatch.GraphWidget(
                title="Outcome events",
                left=[
                    webhook_metric(Metric.OUTCOME_QUEUED),
                    webhook_metric(Metric.OUTCOME_DEFERRED),
                    recorder_metric(Metric.OUTCOME_STORED),
                    recorder_metric(Metric.OUTCOME_REFUSED),
                    quarantined,
                    contested,
                ],
                right=[queue_depth(queue), dead],
                width=12,
            ),
            cloudwatch.GraphWidget(title="Outcome queue: oldest message (s)", left=[oldest], width=12),
        ]

    def _decision_alarms(
        self,
        namespace: str,
        recorder_service: str,
        recorder: lambda_.IFunction,
        failures: sqs.IQueue,
    ) -> list[cloudwatch.IWidget]:
        """The decision log (infra/constructs/decision_recorder.py): deliveries of the webhook's decision log lines
        that failed (retried by Lambda), and those still failing after the retries (on-failure queue)."""
        recorder_metric = partial(service_metric, namespace, recorder_service)

        failed = recorder_metric(Metric.DECISION_LOG_FAILED)
        unrecorded = queue_depth(failures)
        self._alarm(
            "DecisionRecorderFailures",
            unrecorded,
            threshold=1,
            description="Decision log deliveries failed all retries; replay them from the decision failure queue",
        )
        self._alarm(
            "DecisionLogFailures",
            failed,
            threshold=DECISION_LOG_FAILURES,
            evaluation_periods=3,
            datapoints=2,
            description="The calls table keeps refusing decision-log writes: Lambda retries them, then queues them",
        )
        set_aside = recorder_metric(Metric.DECISION_SET_ASIDE)
        self._alarm(
            "DecisionsSetAside",
            set_aside,
            threshold=1,
            description="A decision log line could never be recorded (see the decision recorder's error log); "
            "the line stays in the webhook's log group",
        )
        return [
            cloudwatch.GraphWidget(
                title="Decision log",
                left=[recorder_metric(Metric.DECISIONS_RECORDED), failed, set_aside],
                right=[unrecorded],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Decision recorder",
                left=[
                    recorder.metric_errors(period=PERIOD, label="errors"),
                    recorder.metric_throttles(period=PERIOD, label="throttles"),
                ],
                right=[
                    recorder.metric_duration(statistic="p99", period=PERIOD, label="duration p99 (ms)"),
                    recorder.metric_duration(statistic="p50", period=PERIOD, label="duration p50 (ms)"),
                ],
                width=12,
            ),
        ]

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
        datapoints: int = 1,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_name=f"{self._stack_name}-{construct_id}",
            alarm_description=f"{description}. Runbook: docs/runbook.md#{construct_id.lower()}",
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        if self._ok_actions:
            alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm
