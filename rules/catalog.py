"""The guidance catalog (行政指导事项目录清单), passed in to the engine and indexed by code."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import vocabulary as v

MAX_CANDIDATES = 8  # suggestions shown for a name that is not exact
BUNDLED_CATALOG = Path(__file__).with_name("data") / "catalog.json"


class CatalogBasis(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    law: str
    articles: list[str] = Field(default_factory=list)


class CatalogItem(BaseModel):
    """One item; methods and stages are held as stable keys (Chinese labels accepted)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    code: str
    name: str = ""
    field: str = ""
    responsible_unit: str = ""
    methods: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    legal_basis: list[CatalogBasis] = Field(default_factory=list)
    published: bool = True
    active: bool = True

    @field_validator("methods", mode="before")
    @classmethod
    def _method_keys(cls, value: Any) -> Any:
        return _to_keys(value, v.METHOD)

    @field_validator("stages", mode="before")
    @classmethod
    def _stage_keys(cls, value: Any) -> Any:
        return _to_keys(value, v.STAGE)


def _to_keys(value: Any, vocab: dict[str, str]) -> Any:
    if not isinstance(value, list):
        return value
    keys = [v.key_for_label(vocab, x) if isinstance(x, str) else None for x in value]
    if None in keys:
        raise ValueError(f"unknown label in {value!r}")
    return frozenset(keys)


class Catalog:
    """Items indexed by code; build once and reuse for every evaluation."""

    __slots__ = ("items", "_by_code")

    def __init__(self, items: Iterable[Mapping[str, Any] | CatalogItem]):
        self.items: tuple[CatalogItem, ...] = tuple(
            i if isinstance(i, CatalogItem) else CatalogItem.model_validate(i) for i in items
        )
        self._by_code = {i.code: i for i in self.items}

    def get(self, code: str | None) -> CatalogItem | None:
        return self._by_code.get(code) if code is not None else None

    def resolve(self, text: str | None) -> tuple[str | None, tuple[CatalogItem, ...]]:
        """What an officer typed → (code, ()) for a code, "code name", or a name (or part of one)
        that only one item has; else (None, candidates): the items it fits, none if it fits none."""
        text = (text or "").strip()
        if not text:
            return None, ()
        first = text.split(maxsplit=1)[0].upper()
        if first in self._by_code:
            return first, ()
        named = tuple(i for i in self.items if i.name == text)
        if len(named) == 1:
            return named[0].code, ()
        if named:
            return None, named
        fits = tuple(i for i in self.items if text in i.name)
        if len(fits) == 1:
            return fits[0].code, ()
        return None, fits[:MAX_CANDIDATES]

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __len__(self) -> int:
        return len(self.items)


_bundled: Catalog | None = None


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Catalog from a catalog.json-format file; default: the bundled copy (cached).

    Raises OSError, ValueError (bad JSON) or pydantic.ValidationError for a bad file.
    """
    global _bundled
    if path is None:
        if _bundled is None:
            _bundled = _read(BUNDLED_CATALOG)
        return _bundled
    return _read(Path(path))


def _read(path: Path) -> Catalog:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError("catalog must be a JSON list of items")
    return Catalog(data)
