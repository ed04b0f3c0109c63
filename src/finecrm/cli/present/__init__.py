"""How command results look in a terminal: rich tables and bilingual report lines, one module per area.

The commands compute (through the services) and hand the documents here; nothing in this package reads
data or decides anything, so what a command prints can change without touching what it does.
"""
