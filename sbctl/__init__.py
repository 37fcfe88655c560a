"""sbctl: the Switchboard tenant admin CLI (`python -m sbctl --help`).

Reads and writes a tenant's configuration through `functions.tenant_config.store.ConfigStore`
(versioned, conditional writes with history) and previews the router's answer with the router's own
code (`functions.webhook.service` / `routing.decide`). See docs/admin-tooling.md.
"""
