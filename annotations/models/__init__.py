"""Data and single-row invariants, one module per aggregate."""
