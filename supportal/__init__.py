"""Supportal: an open-source, self-hosted customer-service portal."""

import os

# numpy's OpenBLAS starts a thread per core and keeps them spinning for a while after each
# product: a search's one matrix-vector product (the article vectors) then burned a second
# core through the query's embedding that followed (search() took 35 ms of CPU for 18 ms of
# wall time). Web processes are one per core already; one BLAS thread each. Set before numpy
# is first imported, which is always after this package.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
