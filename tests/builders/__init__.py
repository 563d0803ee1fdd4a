"""Builders that write evidence in its real formats, for tests, the demo and the benchmarks."""
