"""Benchmarks and measurements; run each as a script (see the Makefile)."""
