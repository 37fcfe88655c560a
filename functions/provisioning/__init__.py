"""The operator's admin API: tenants, publishable keys, the org-level webhook endpoint."""
