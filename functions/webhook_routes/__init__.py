"""Webhook URLs as capabilities: a route (tenant, widget, key) found from the unguessable token in the
URL (`model`), kept in the table by the token's hash only (`repository`)."""
