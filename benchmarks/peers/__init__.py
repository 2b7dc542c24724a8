"""Peers that zoo is compared with in the benchmarks (optional installs, e.g. PyTorch)."""
