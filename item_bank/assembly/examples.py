"""Blueprints of real exams, for demos, tests and benchmarks."""
from __future__ import annotations

from item_bank.assembly.blueprint import BlueprintRow
from item_bank.model import CognitiveLevel as L

SC, TF, NUM = "single_choice", "true_false_cluster", "numeric"

# 2025 graduation exam, math: part I 12 single choice x 0.25, part II 4 true/false clusters x 1,
# part III 6 numeric short answers x 0.5 = 10 points, 22 items.
MATH_2025_ROWS = [
    BlueprintRow("Hàm số", L.BIET, SC, 3, 0.25),
    BlueprintRow("Hàm số", L.HIEU, SC, 2, 0.25),
    BlueprintRow("Nguyên hàm - Tích phân", L.BIET, SC, 2, 0.25),
    BlueprintRow("Hình học Oxyz", L.BIET, SC, 2, 0.25),
    BlueprintRow("Thống kê - Xác suất", L.HIEU, SC, 3, 0.25),
    BlueprintRow("Hàm số", L.HIEU, TF, 1, 1.0),
    BlueprintRow("Nguyên hàm - Tích phân", L.VAN_DUNG, TF, 1, 1.0),
    BlueprintRow("Hình học Oxyz", L.HIEU, TF, 1, 1.0),
    BlueprintRow("Thống kê - Xác suất", L.VAN_DUNG, TF, 1, 1.0),
    BlueprintRow("Hàm số", L.VAN_DUNG, NUM, 2, 0.5),
    BlueprintRow("Hình học Oxyz", L.VAN_DUNG, NUM, 2, 0.5),
    BlueprintRow("Thống kê - Xác suất", L.VAN_DUNG_CAO, NUM, 1, 0.5),
    BlueprintRow("Nguyên hàm - Tích phân", L.VAN_DUNG_CAO, NUM, 1, 0.5),
]
