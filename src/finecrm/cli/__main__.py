"""``python -m finecrm.cli``: the same as the ``finecrm`` command."""

from finecrm.cli import main

main()
