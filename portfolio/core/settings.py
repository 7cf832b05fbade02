"""Named settings (thresholds, probabilities) read from settings.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SETTINGS_FILE = Path(__file__).with_name("settings.toml")
OPEN_STAGES = ("preliminaries", "investigation", "demonstrating_capability",
               "obtaining_commitment")


@dataclass(frozen=True)
class Settings:
    stage_probabilities: tuple[float, float, float, float]
    recent_days: int
    sections: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)

    def section(self, name: str) -> dict[str, Any]:
        """The raw values of one [section] of settings.toml (empty if absent)."""
        return dict(self.sections.get(name, {}))


@cache
def load_settings(path: Path = SETTINGS_FILE) -> Settings:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    pipeline = raw.get("pipeline", {})
    probabilities = tuple(float(pipeline[stage]) for stage in OPEN_STAGES)
    if any(not 0 <= p <= 1 for p in probabilities):
        raise ValueError(f"{path}: stage probabilities must lie between 0 and 1")
    recent_days = int(raw.get("buying_center", {}).get("recent_days", 90))
    return Settings(stage_probabilities=probabilities, recent_days=recent_days,  # type: ignore[arg-type]
                    sections=raw)
