"""KPIs (绩效考核): the ranking page, its JSON and the report download (``ranking``); the analyst's targets page,
its form, the Excel import and JSON (``targets``)."""
