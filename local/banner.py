"""What `make run` prints once it serves: where everything is, and examples that work as printed (signed webhook
calls, a completion that is recorded, onboarding, the tenant API, the operator's tooling). The last line is
BANNER_END, which tests wait for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from local.examples import DEFAULT_SIGNING_SECRET, completion_data, curl_command, event_body, sample_body
from tests.fixtures import tenants as demo

BANNER_END = "Ctrl-C stops everything"
WIDGET_CALL_ID, VIP_CALL_ID = 1001, 1002
REPORT_DAYS = 7


@dataclass(frozen=True)
class RunFacts:
    base_url: str
    aws_endpoint: str
    thunderphone: str  # where the ThunderPhone API is: the fake's URL, or the real one
    tokens: dict[str, str]
    signing_secret: str
    folder: str  # the state folder, as typed (".local/")
    log_file: str  # as typed, or "" when the JSON lines go to the terminal
    settings: list[str]
    history: str  # what the demo's history holds, in words
    region: str
    table: str
    calls_table: str
    now: datetime
    restored: bool = False  # the run went on from a kept state: what earlier runs created is still there
    cache_seconds: str = "3"  # CACHE_TTL_SECONDS as the run uses it


def banner(run: RunFacts) -> str:
    base = run.base_url
    url = {name: f"{base}/webhooks/{token}" for name, token in run.tokens.items()}
    widget = sample_body(event_type="web.incoming", call_id=WIDGET_CALL_ID, from_number="web", to_number="")
    vip = sample_body(
        event_type="telephony.incoming", call_id=VIP_CALL_ID, from_number=demo.VIP_CALLER, to_number=demo.DEMO_NUMBER
    )
    start = run.now.replace(microsecond=0)
    ended = completion_data(
        call_id=WIDGET_CALL_ID,
        web=True,
        from_number="web",
        to_number="",
        start=start,
        end=start + timedelta(seconds=95),
        product="spark",
        voice="en-US-Ava1",
    )
    completion = event_body("web.complete", ended)
    pricing = f"/webhooks/{run.tokens['pricing']}"
    today = run.now.astimezone(UTC).date()
    first_day = today - timedelta(days=REPORT_DAYS - 1)
    logs = (
        f"one line per request below; the JSON lines AWS would get are in {run.log_file}\n"
        "             (LOG_FORMAT=json make run prints them here instead)"
        if run.log_file
        else "the JSON lines AWS would get, as they are written (LOG_FORMAT=json)"
    )
    own_body = '{"data":{"call_id":1003,"from_number":"web","to_number":""},"type":"web.incoming"}'
    return f"""
Switchboard is running at {base}
  AWS is emulated by moto at {run.aws_endpoint}; {run.thunderphone}.
  State:     kept in {run.folder} between runs (tables, secrets, queues, webhook URLs, call history);
             `make reset` starts clean.
  Logs:      {logs}
  Settings:  {", ".join(run.settings)}

  Console: {base}/console  (the tenant console; "Sign in as the demo admin" exists only locally)
  Tenant:    '{demo.TENANT_ID}' (Acme Dental, America/New_York), number {demo.DEMO_NUMBER}
  History:   {run.history}
  Webhooks:  POST {base}/webhooks/{{token}}: every key and the org-level endpoint has its own
             unguessable URL (docs/security.md); the demo tenant's, kept between runs:
             key        {url["key"]}
             pricing    {url["pricing"]}   (its pricing-page widget)
             org-level  {url["org"]}   (phone numbers decide the tenant)
  Outcomes:  *.complete and call.graded events are queued, then recorded in the calls table by the
             outcome recorder (polling its queue in the background, as Lambda's event source would).
  Decisions: each answer's log line carries its decision; the decision recorder writes it to the calls
             table within about a second (CloudWatch Logs' subscription does this in AWS).
  Admin API: {base}/admin/tenants ...  (LOCAL ONLY: no SigV4 here; IAM-authorised in AWS)
  Tenant API: {base}/tenant/v1/...  (Bearer tokens from {base}/local/tenant-token; Cognito in AWS)

Every command below works as printed{_onboarded_before(run)}. Webhook calls are signed with
$THUNDERPHONE_WEBHOOK_SECRET (default '{DEFAULT_SIGNING_SECRET}').

A widget session on the demo tenant's pricing page:

  {curl_command(base, pricing, widget, run.signing_secret)}

A phone call from the VIP customer Jane Doe to the demo number (org-level endpoint):

  {curl_command(base, f"/webhooks/{run.tokens['org']}", vip, run.signing_secret)}

That widget session ending: ThunderPhone's completion event (duration_seconds, billable_minutes,
billing_total_cents). It is recorded within a second or two: the console's Calls page counts its minutes and
cost today, and so does `sbctl calls report` (the last command of this page).

  {curl_command(base, pricing, completion, run.signing_secret)}

Sign a body of your own (phone calls go to the org-level URL, anything else to the key's; ROUTE=pricing or org
chooses):

  make sign BODY='{own_body}'

Onboard a tenant and give it a widget key; the key's webhook_url is its own new token URL (docs/provisioning.md):

  curl -sS {base}/admin/tenants -H 'Content-Type: application/json' \\
    --data-raw '{{"tenant_id":"globex","display_name":"Globex","timezone":"Europe/Paris"}}'
  curl -sS {base}/admin/tenants/globex/keys -H 'Content-Type: application/json' \\
    --data-raw '{{"name":"Main site","allowed_domains":["globex.example","*.globex.example"]}}'

Tenant API (docs/tenant-api.md), as the demo tenant's admin. LOCAL ONLY: tokens come from
/local/tenant-token here; in AWS tenant users sign in with Cognito. An edit names the version it
changes (If-Match: the ETag a read returns):

  TOKEN=$(curl -sS {base}/local/tenant-token -H 'Content-Type: application/json' \\
    --data-raw '{{"tenant_id":"{demo.TENANT_ID}","role":"admin"}}' \\
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -sS -i {base}/tenant/v1/settings -H "Authorization: Bearer $TOKEN"
  ETAG=$(curl -sS -o /dev/null -D - {base}/tenant/v1/settings -H "Authorization: Bearer $TOKEN" \\
    | awk 'tolower($1) == "etag:" {{print $2}}' | tr -d '\\r')
  curl -sS {base}/tenant/v1/settings -X PATCH -H "Authorization: Bearer $TOKEN" -H "If-Match: $ETAG" \\
    -H 'Content-Type: application/json' \\
    --data-raw '{{"variables":{{"company_name":"Acme Dental Care","city":"Brooklyn"}}}}'
  curl -sS {base}/tenant/v1/draft -H "Authorization: Bearer $TOKEN"
  curl -sS {base}/tenant/v1/draft/publish -X POST -H "Authorization: Bearer $TOKEN"
  .venv/bin/sbctl login --url {base}/tenant/v1 --local --tenant {demo.TENANT_ID} --role admin

Operator tooling against this run (sbctl --operator reads the tables directly):

  export AWS_ENDPOINT_URL={run.aws_endpoint} AWS_ACCESS_KEY_ID=local \\
    AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION={run.region} SWITCHBOARD_TABLE={run.table} \\
    SWITCHBOARD_CALLS_TABLE={run.calls_table}
  .venv/bin/sbctl --operator simulate --tenant {demo.TENANT_ID} --channel phone --caller {demo.VIP_CALLER}
  .venv/bin/sbctl --operator calls report --tenant {demo.TENANT_ID} --from {first_day} --to {today}

{billing_examples(run)}
{BANNER_END}; the state stays in {run.folder} for the next `make run`.
"""


def _onboarded_before(run: RunFacts) -> str:
    """On a restored run an earlier one may have onboarded the example's tenant: say what its example then answers."""
    if not run.restored:
        return ""
    return (
        ", but the onboarding example answers 409 already_exists if an earlier run\n"
        "already onboarded globex: use another tenant id there"
    )


CAPPED_CALLS = (1101, 1102, 1103)  # two calls that use the demo's last minutes, then one past its cap


def billing_examples(run: RunFacts) -> str:
    """Caps and statements (docs/billing.md): a cap just above what the demo has used this month, two calls that
    reach it, and the next call capped."""
    pricing = f"/webhooks/{run.tokens['pricing']}"
    start = run.now.replace(microsecond=0)
    lines = []
    for call_id, seconds in zip(CAPPED_CALLS[:2], (240, 120), strict=True):
        incoming = sample_body(event_type="web.incoming", call_id=call_id, from_number="web", to_number="")
        ended = completion_data(
            call_id=call_id,
            web=True,
            from_number="web",
            to_number="",
            start=start,
            end=start + timedelta(seconds=seconds),
            product="spark",
            voice="en-US-Ava1",
        )
        lines.append(curl_command(run.base_url, pricing, incoming, run.signing_secret))
        lines.append(curl_command(run.base_url, pricing, event_body("web.complete", ended), run.signing_secret))
    capped = sample_body(event_type="web.incoming", call_id=CAPPED_CALLS[2], from_number="web", to_number="")
    calls = "\n\n  ".join(lines)
    return f"""Caps and statements (docs/billing.md), with the exports above. Give the demo tenant 5 more minutes this
month and an over-limit agent; two widget sessions end using 4 and 2 billable minutes, and the lines below
show the operator's alerts (80% of the cap, then the cap). A few seconds later (the recorder counts, the
webhook caches for {run.cache_seconds} s) the next session gets the over-limit agent, recorded as `capped`;
other tenants are untouched. Then the month's statement (also in the console: Usage), and the cap removed:

  .venv/bin/sbctl --operator plan set --tenant {demo.TENANT_ID} --minutes-left 5 \\
    --at-cap over-limit-profile --over-limit-voice en-US-Ava1 \\
    --over-limit-prompt 'Say that Acme Dental is closed to calls; take a message.'

  {calls}

  {curl_command(run.base_url, pricing, capped, run.signing_secret)}

  .venv/bin/sbctl --operator usage --tenant {demo.TENANT_ID} --format csv
  .venv/bin/sbctl --operator plan remove --tenant {demo.TENANT_ID}
"""
