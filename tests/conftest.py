"""Session-wide test settings."""

from __future__ import annotations

import torch

# pytest runs one xdist worker per core (`make test`: -n 2 on 2 cores); a second intra-op thread per
# worker only oversubscribes the cores, which slows the small models of the tests many times over.
torch.set_num_threads(1)
