"""The tenant API's OpenAPI document, generated from its routes and models (Powertools), so the contract
docs/tenant-api.md describes can never drift from the code silently: `make openapi` writes it and a test
fails when the checked-in copy is stale.

    python -m functions.tenant_api.openapi > docs/tenant-api.openapi.json
"""

from __future__ import annotations

import json
import sys

TITLE = "Switchboard tenant API"
VERSION = "1"
DESCRIPTION = (
    "Tenant admins edit their draft (profiles, rules, settings) and customers, preview, publish and roll back. "
    "Every request carries `Authorization: Bearer <token>`: a Cognito ID token in AWS, a local token in `make run`. "
    "The tenant is always the token's. See docs/tenant-api.md."
)


def document() -> str:
    from functions.tenant_api.handler import app

    schema = app.get_openapi_json_schema(title=TITLE, version=VERSION, description=DESCRIPTION)
    return json.dumps(json.loads(schema), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(document())
