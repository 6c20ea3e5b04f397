"""Psychometrics: classical item analysis, IRT calibration, ability scoring, equating, adaptive
testing. NumPy and SciPy only: no web framework, no database (callers pass arrays and store
results). See docs/psychometrics.md.
"""
from item_bank.psychometrics.calibrate import MODELS, calibrate
from item_bank.psychometrics.data import PsychometricsError, Responses, read_csv
from item_bank.psychometrics.mstep import GuessPrior
from item_bank.psychometrics.params import Calibration, ItemEstimate

__all__ = ["MODELS", "Calibration", "GuessPrior", "ItemEstimate", "PsychometricsError", "Responses",
           "calibrate", "read_csv"]
