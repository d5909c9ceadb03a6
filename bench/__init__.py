"""Benchmarks, run on demand by ``make bench``; never timed inside the test suite."""
