"""``tinytorch.multiprocessing``: Python's ``multiprocessing``, under PyTorch's name.

PyTorch's module wraps the standard library's to share tensor storage between processes;
tinytorch's tensors are NumPy arrays that pickle by value, so the standard library's
processes, queues, pools and ``set_start_method`` are used as they are.
"""

from multiprocessing import (
    Manager,
    Pool,
    Process,
    Queue,
    cpu_count,
    get_all_start_methods,
    get_context,
    get_start_method,
    set_start_method,
)

__all__ = ["get_context", "get_start_method", "set_start_method", "get_all_start_methods",
           "Process", "Queue", "Pool", "Manager", "cpu_count"]
