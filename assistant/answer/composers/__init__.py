"""Composers: ``base`` (the contract), ``extractive`` (default), ``llm`` (optional), ``factory``."""
