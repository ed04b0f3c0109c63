"""AML (反洗钱): the compliance officer's alert queue with each alert's evidence and parties, and the large-value
report list, read from the published snapshot's AML marts."""

from finecrm.services.aml.alerts import RULES, AmlError

__all__ = ["RULES", "AmlError"]
