"""Stochastic inputs: PAR(p) inflow models, opening trees and forward sampling."""
