"""Stacks: a stage of the service, and the GitHub OIDC deploy roles."""
