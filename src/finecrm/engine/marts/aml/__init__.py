"""Marts of the aml area: large-value reports (大额交易报告) and typology alerts (可疑交易预警) with evidence."""
