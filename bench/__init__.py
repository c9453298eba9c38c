"""Benchmarks of ClusterKB on this machine; `python -m bench` writes bench/RESULTS.md."""
