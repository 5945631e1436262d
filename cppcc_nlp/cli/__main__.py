"""``python -m cppcc_nlp.cli``: the same as the ``cppcc-nlp`` console script."""

import sys

from . import main

sys.exit(main())
