"""Bringing photos into a catalog: manifests, bulk import (plain or on Ray), fine-tuning the model to it."""
