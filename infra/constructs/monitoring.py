"""Alarms, the SNS topic they notify and the CloudWatch dashboard.

The webhook's business metrics are the ones Powertools emits (namespace POWERTOOLS_METRICS_NAMESPACE,
dimension `service` = POWERTOOLS_SERVICE_NAME): WebhookRequests, ConfigServed, Fallback,
FallbackByReason (+ `reason`), SignatureRejected, AnswerLatency (ms), InvalidItem, OutcomeQueued,
OutcomeDeferred; the item validator emits InvalidConfigItem; the outcome recorder OutcomeStored,
OutcomeRefused, OutcomeQuarantined and OutcomeContested; the decision recorder DecisionsRecorded,
DecisionLogFailed and DecisionSetAside.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.common.metric_names import Metric

PERIOD = Duration.minutes(5)
OUTCOME_BACKLOG_SECONDS = 15 * 60
# Failed decision-log deliveries (each retried by Lambda) per period that alarm when they keep coming.
DECISION_LOG_FAILURES = 5


def service_metric(namespace: str, service: str, name: str, statistic: str = "Sum") -> cloudwatch.Metric:
    """One of our metrics (functions/common/metric_names.py) for one function's Powertools `service`."""
    return cloudwatch.Metric(
        namespace=namespace, metric_name=name, dimensions_map={"service": service}, statistic=statistic, period=PERIOD
    )


def queue_depth(queue: sqs.IQueue) -> cloudwatch.Metric:
    """How many messages wait in `queue` (the period's maximum)."""
    return queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")


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
        webhook_budget_ms: int,
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
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.namespace = namespace
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
        fallback_rate = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * fallbacks / requests, 0)",
            using_metrics={"requests": requests, "fallbacks": fallbacks},
            label="Fallback rate (%)",
            period=PERIOD,
        )
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
        outcome_widgets = self._outcome_alarms(
            webhook_metric, namespace, outcome_recorder_service, outcome_queue, outcome_dead_letters
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
            *outcome_widgets,
            *decision_widgets,
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24),
        )

    def _outcome_alarms(
        self,
        webhook_metric: Callable[[str], cloudwatch.Metric],
        namespace: str,
        recorder_service: str,
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
        contested = recorder_metric(Metric.OUTCOME_CONTESTED)
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
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm
