"""AML: the alert queue and an alert's evidence (``alerts``), and the large-value reports."""
