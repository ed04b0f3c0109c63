"""Marts of the credit area: loan status, five-category classification, the credit portfolio."""
