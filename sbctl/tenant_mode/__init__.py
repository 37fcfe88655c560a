"""sbctl's tenant mode (the default): tenant admins edit their configuration through the tenant API.

Nothing here touches AWS: every command is one or a few HTTPS requests to `/tenant/v1` with a bearer token
(http.py), from `sbctl login` or the environment (session.py). The tenant is always the token's. The
contract is docs/tenant-api.md; what sbctl adds is wording: what to do next after a refusal, when an edit
takes effect (messages.py), and refusing input that can never match before any request (sbctl/sanity.py).
"""
