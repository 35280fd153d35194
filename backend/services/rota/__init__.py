"""Rotas: who visits whom and when, and the visits generated from packages."""
