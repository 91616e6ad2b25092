"""Presets: one click to a formulation's set-up (what each answers is in ``question``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .codec import from_values
from .knobs import Config


@dataclass(frozen=True)
class Preset:
    title: str
    question: str  # which question of a student it answers
    values: dict = field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "hello": Preset(
        "Default: a small RNN reads “hello world”",
        "What does a hidden state look like, step by step?",
        {},
    ),
    "class": Preset(
        "Class formulation (MinimalRNN(10, 20, 5, seed=0): its exact weights)",
        "What does a min-char-rnn style class compute for inputs [1, 2, 3, 4, 5]?",
        dict(notation="class", inputs="ids", ids=(1, 2, 3, 4, 5), input_size=10, hidden=20, output_size=5,
             init="class", scale=0.01, weight_seed=0, step=0),
    ),
    "functional": Preset(
        "Functional formulation (notebook: np.random.seed(1), n_x=3, n_a=5, n_y=2, m=10, T_x=4)",
        "Do my rnn_forward numbers match? (a[4][1], y_pred[1][3] ...)",
        dict(notation="functional", inputs="notebook", input_size=3, hidden=5, output_size=2, batch=10,
             length=4, weight_seed=1, sample=1, step=0, unit=4),
    ),
    "torch": Preset(
        "PyTorch nn.RNN(4, 3, batch_first=True)",
        "What do PyTorch's weight_ih_l0 / weight_hh_l0 do to a batch?",
        dict(notation="torch", inputs="random_dense", input_size=4, hidden=3, output_size=0, batch=2, length=5,
             init="torch_default", step=0),
    ),
    "tensorflow": Preset(
        "TensorFlow two-step example (3 inputs, 5 neurons, 4 instances)",
        "What are Y0 and Y1 for the book's mini-batch X0, X1?",
        dict(notation="tensorflow", inputs="tf_example", hidden=5, output_size=0, init="normal", scale=1.0,
             zero_bias=True, step=0),
    ),
    "lstm": Preset(
        "LSTM reading “hello world”",
        "What do the gates i, f, g, o do at each character?",
        dict(cell="lstm", hidden=12),
    ),
    "bidirectional": Preset(
        "Bidirectional GRU",
        "How do the forward and reverse halves line up and concatenate?",
        dict(cell="gru", bidirectional=True, hidden=8),
    ),
}


def preset_config(name: str) -> Config:
    """The config a preset stands for (everything else at its default)."""
    cfg, _ = from_values(dict(PRESETS[name].values))
    return cfg
