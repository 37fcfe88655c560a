"""sbctl: Switchboard's admin CLI (`sbctl --help`; installed as a console script by `make install`).

Two modes (sbctl.cli chooses): tenant mode, the default, for tenant admins, talks only to the tenant API
with a bearer token (sbctl.tenant_mode); operator mode (`--operator`) reads and writes the tables directly
with AWS credentials through `functions.tenant_config.store.ConfigStore` and previews the router's answer
with the router's own code (sbctl.commands). See docs/admin-tooling.md.
"""
