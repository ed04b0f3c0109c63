"""KPIs (绩效考核): indicator values from the marts and the work log, targets, scores to full marks with weights,
rankings with ties, and the report (业绩通报). See docs/kpi.md."""
