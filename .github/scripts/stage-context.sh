#!/usr/bin/env bash
# Prints one `--context=<key>=<value>` per stage setting kept as a variable of the GitHub environment (dev, prod,
# prod-diff), named after its context key in UPPER_SNAKE_CASE (webhookColdStart: WEBHOOK_COLD_START). An unset or
# empty variable prints nothing, so the stage's block in cdk.json decides. Values are plain words, numbers, ARNs,
# addresses and CIDR lists; anything else is refused rather than passed to a shell.
# Write it to a file first, so that a refusal (exit 2) fails the step, then read the file:
#   .github/scripts/stage-context.sh > "$RUNNER_TEMP/context"
#   mapfile -t context < "$RUNNER_TEMP/context"; npx cdk deploy ... "${context[@]}"
set -euo pipefail

KEYS=(
  alarmEmail alarmOkActions
  reservedConcurrency webhookReservedConcurrency webhookColdStart webhookProvisionedConcurrency
  customDomainName customDomainCertificateArn customDomainHostedZoneId executeApiEndpoint
  edgeProtection edgeCertificateArn edgeWebAclArn edgeWebhookRateLimit edgeTrustedCidrs edgeOriginRotation
  edgeOriginReportOnly
  consoleDomainPrefix
)

for key in "${KEYS[@]}"; do
  variable="$(sed -E 's/([A-Z])/_\1/g' <<<"$key" | tr '[:lower:]' '[:upper:]')"
  value="${!variable:-}"
  [ -n "$value" ] || continue
  if [[ ! "$value" =~ ^[A-Za-z0-9@._:/,+=\ -]+$ ]]; then
    echo "::error::the variable $variable holds characters no setting needs" >&2
    exit 2
  fi
  printf -- '--context=%s=%s\n' "$key" "${value// /}"
done
