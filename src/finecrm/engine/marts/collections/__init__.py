"""Marts of the collections area: the collection queue with its priority, and the roll rates it learns from."""
