"""Benchmarks: pytest modules named bench_*.py; `make bench` runs them in full mode."""
