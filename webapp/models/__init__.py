"""Typed SQLAlchemy models, one module per aggregate."""
from webapp.models.archive import Attachment, DocumentVersion, Job
from webapp.models.audit import AuditEvent
from webapp.models.audit import AuditChainHead, AuditText  # noqa: F401 — the hash chain (0012)
from webapp.models.catalog import CatalogItem
from webapp.models.catalog_version import CatalogDraft, CatalogVersion
from webapp.models.record import GuidanceRecord, NumberCounter, ReviewDecision
from webapp.models.spot_check import SpotCheck
from webapp.models.ruleset_version import ImpactRun, RulesetDraft, RulesetVersion  # noqa: F401
from webapp.models.user import LoginThrottle, RecoveryCode, Unit, User

__all__ = [
    "Attachment", "AuditEvent", "CatalogDraft", "CatalogItem", "CatalogVersion", "DocumentVersion", "GuidanceRecord",
    "Job", "LoginThrottle", "NumberCounter", "RecoveryCode", "ReviewDecision", "SpotCheck", "Unit", "User",
]
