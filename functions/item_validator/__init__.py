"""The configuration-table stream consumer that reports items the router cannot read."""
