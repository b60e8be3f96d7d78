"""Benchmarks and synthetic fleets (run on demand, not part of the test suite)."""
