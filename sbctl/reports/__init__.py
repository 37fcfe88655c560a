"""Operator reports over the calls table: figures (calls.py), statistics (stats.py), plots (plots.py)."""
