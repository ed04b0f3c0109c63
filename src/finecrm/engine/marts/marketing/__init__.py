"""Marts of the marketing area: product adoption, propensity features and the customers' propensity scores."""
