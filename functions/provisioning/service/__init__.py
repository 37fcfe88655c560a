"""Provisioning logic, one module per resource: tenants, publishable keys, the org-level webhook endpoint.

Pure: collaborators come in as ports (../ports.py); no AWS, no environment, no HTTP here.
"""
