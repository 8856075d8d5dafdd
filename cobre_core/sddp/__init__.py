"""SDDP: forward pass, backward pass, bounds, convergence test; simulation of a trained policy."""
