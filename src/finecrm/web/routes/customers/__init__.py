"""Customers: the dashboard of the user's scope (``dashboard``), customer search and the 360 page (``profile``),
the segment explorer (``segments``)."""
