"""Marts of the KPI area (绩效考核): indicator values per branch and manager."""
