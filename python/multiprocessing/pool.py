"""Not yet: forkscope runs multiprocessing.pool in its next version."""
from .context import _not_yet


def __getattr__(name):
    _not_yet("multiprocessing.pool.%s" % name)
