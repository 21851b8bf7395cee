import sys

from robomem.cli import main

sys.exit(main())
