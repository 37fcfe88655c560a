"""Operator report plots (plots.py); the figures and statistics live in functions/calls/report.py and stats.py,
shared with the tenant API's `GET /tenant/v1/calls/report`."""
