"""The catalog of references, search over it, and verdicts. Knows nothing of pixels beyond
what ``vision`` hands it (decoded photos and vectors)."""

from .storing.catalog import (Catalog, CatalogError, EmbedderRecord, ModelMismatch, NewReference, Product, ProductInfo,
                              Reference, StoreConfig)
from .connect import connect
from .judging.decision import Policy
from .importing.importer import ImportSummary, import_references
from .storing.milvus_store import MilvusError, RefFilter
from .importing.manifests import ManifestError, ProductRow, QueryRow, product_rows_from_folder, read_products, read_queries
from .verdict import OUTCOMES, Match, PhotoError, Verdict
from .verify import Case, Verifier, cases_from_queries

__all__ = [
    "Case", "Catalog", "CatalogError", "EmbedderRecord", "ImportSummary", "Match", "ManifestError", "MilvusError", "ModelMismatch",
    "NewReference", "OUTCOMES", "PhotoError", "Policy", "Product", "ProductInfo", "ProductRow", "QueryRow", "RefFilter", "Reference", "StoreConfig", "Verdict",
    "Verifier", "cases_from_queries", "connect", "import_references", "product_rows_from_folder", "read_products", "read_queries",
]
