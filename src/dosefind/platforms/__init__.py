"""Platforms: arms that share one stream of children (eligibility, openings, allocation), simulated on
the platform's clock with the arms' own decision code. See :mod:`dosefind.platforms.spec`."""

from .spec import Platform, PlatformArm, PlatformScenario, PlatformSpec, Population, load_platform

__all__ = ["Platform", "PlatformArm", "PlatformScenario", "PlatformSpec", "Population", "load_platform"]
