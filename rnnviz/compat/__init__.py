"""The textbook formulations rnnviz speaks, each a thin adapter over the core.

(a) ``MinimalRNN``: class with column vectors and dicts keyed by time (minimal.py)
(b) ``rnn_cell_forward`` ... ``lstm_backward``: functional, batch in columns (functional.py)
(c) ``to_torch_state_dict`` / ``from_torch_state_dict`` / ``torch_forward``: PyTorch names (torch_naming.py)
(d) ``unrolled_forward``: TensorFlow-1.x unrolled, batch in rows (unrolled.py)
(e) bidirectional as PyTorch defines it (the core; see torch_naming.py)
"""
from .functional import (lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward, rnn_backward,
                         rnn_cell_backward, rnn_cell_forward, rnn_forward)
from .minimal import MinimalRNN
from .torch_naming import from_torch_state_dict, to_torch_state_dict, torch_forward
from .unrolled import unrolled_forward

__all__ = [
    "MinimalRNN",
    "from_torch_state_dict",
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    "to_torch_state_dict",
    "torch_forward",
    "unrolled_forward",
]
