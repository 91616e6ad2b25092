"""The textbook formulations rnnviz speaks, each a thin adapter over the core."""
from .torch_naming import from_torch_state_dict, to_torch_state_dict, torch_forward

__all__ = ["from_torch_state_dict", "to_torch_state_dict", "torch_forward"]
