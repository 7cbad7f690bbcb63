"""Settings of the mock national side: one validated object, environment prefix ``LGSP_MOCK_``.

Every setting can also be given on the command line of ``lgsp mock`` or changed at run time for
the few that make sense live (dialect, envelope style, data era, token lifetime) through
``PATCH /__admin/config``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DataEra", "Dialect", "EnvelopeStyle", "MockSettings"]

Dialect = Literal["qcvn", "live", "mixed"]
EnvelopeStyle = Literal["wrapped", "bare"]
DataEra = Literal["2021", "2025", "mixed"]


class MockSettings(BaseSettings):
    """What the simulated NGSP and population database look like."""

    model_config = SettingsConfigDict(env_prefix="LGSP_MOCK_", extra="ignore")

    population_size: int = Field(
        1_000_000, ge=1, description="Target number of citizens (the real count is within ~1 %)."
    )
    seed: int = Field(2021, description="Seed of the synthetic population: same seed, same people.")
    dialect: Dialect = Field(
        "mixed", description="Answer shape: qcvn, live, or mixed (chosen per citizen)."
    )
    envelope_style: EnvelopeStyle = Field(
        "wrapped",
        description="Answer envelope: wrapped in <Op>Response (QCVN 109) or bare in the Body, "
        "in the service namespace (Spring-WS).",
    )
    data_era: DataEra = Field(
        "2021",
        description="Address codes: 2021 (63 provinces, districts), 2025 (34 provinces + new "
        "ward, no district) or mixed (chosen per citizen).",
    )
    consumer_key: str = "lgsp-dev-key"
    consumer_secret: str = "lgsp-dev-secret"  # noqa: S105 -- the documented dev default
    token_lifetime_s: int = Field(3600, ge=1, description="expires_in of issued tokens.")
    population_path: str = Field("/dancu/1.0/CongDan", pattern=r"^/\S*$")
    scenario: Path | None = Field(
        None, description="Fault scenario (YAML or JSON) loaded at start."
    )
    host: str = "127.0.0.1"
    port: int = Field(9000, ge=0, le=65535)
    journal_size: int = Field(10_000, ge=0, description="Journal entries kept (counts are exact).")
    max_hang_s: float = Field(
        300.0, gt=0, description="Longest a 'hang' fault holds a request before dropping it."
    )
