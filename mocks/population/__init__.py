"""The synthetic population of the mock national database: deterministic, nothing per citizen."""

from mocks.population._families import SNAPSHOT, PopulationTooLarge
from mocks.population._model import Address, Citizen, Household, HouseholdMember, PersonRef
from mocks.population._population import Population
from mocks.population._reference import Relation

__all__ = [
    "SNAPSHOT",
    "Address",
    "Citizen",
    "Household",
    "HouseholdMember",
    "PersonRef",
    "Population",
    "PopulationTooLarge",
    "Relation",
]
