"""Collections: the collector's queue and loan card with contacts, promises and letters (``queue``), and the risk
officer's oversight with reassignment (``oversight``)."""
