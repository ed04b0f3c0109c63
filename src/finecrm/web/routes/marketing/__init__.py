"""Marketing: audiences (``audiences``), propensity models (``models``), campaigns (``campaigns``) and a
manager's campaign tasks (``tasks``)."""
