"""Tenant configuration: what a tenant stores (`models`), its prompt templates (`templating`), how items
map to the table (`items`) and the versioned store every admin write goes through (`store`)."""
