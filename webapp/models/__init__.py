"""Typed SQLAlchemy models, one module per aggregate."""
from webapp.models.audit import AuditEvent
from webapp.models.catalog import CatalogItem
from webapp.models.record import GuidanceRecord, NumberCounter, ReviewDecision
from webapp.models.user import LoginFailure, Unit, User

__all__ = [
    "AuditEvent", "CatalogItem", "GuidanceRecord", "LoginFailure", "NumberCounter",
    "ReviewDecision", "Unit", "User",
]
