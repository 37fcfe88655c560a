"""Benchmarks (not tests): each prints its figures beside a bare reference and writes bench/results/."""
