"""Outputs: atomic writes, convergence, policy store, simulation tables and their writer."""
