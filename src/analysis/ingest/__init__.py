"""Ingest pipeline (being split out of analysis.io)."""
