"""Exam form assembly: blueprint ("ma trận đề") -> parallel forms ("mã đề") -> per-candidate papers.

No web framework or database here: callers pass plain data (PoolItem, item views) and store results.
"""
from item_bank.assembly.assembler import (
                                          AssemblyError,
                                          AssemblyResult,
                                          AssemblyStats,
                                          Form,
                                          PoolItem,
                                          assemble,
)
from item_bank.assembly.blueprint import Blueprint, BlueprintError, BlueprintRow
from item_bank.assembly.shuffle import Paper, ShuffleError, make_paper, seed_for

__all__ = ["AssemblyError", "AssemblyResult", "AssemblyStats", "Blueprint", "BlueprintError",
           "BlueprintRow", "Form", "Paper", "PoolItem", "ShuffleError", "assemble", "make_paper", "seed_for"]
