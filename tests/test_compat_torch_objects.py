"""Every PyTorch object a student brings to rnnviz.compat: nn.*Cell state dicts, tensors,
a larger module's state dict (prefix=), an output layer, tensors that require grad, and the
way back into nn.RNN + nn.Linear. PyTorch itself is the reference.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rnnviz.compat import MinimalRNN, from_torch_state_dict, to_torch_state_dict, torch_forward
from rnnviz.network import forward, init_model

ATOL = 1e-10
ROOT = Path(__file__).resolve().parents[1]


def run_cell_over_time(torch, cell_module, x, h0=None):
    """nn.*Cell applied at every step of x (T, B, I): the outputs (T, B, H) and the last state."""
    state = h0
    outs = []
    with torch.no_grad():
        for t in range(x.shape[0]):
            state = cell_module(x[t], state)
            outs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(outs).numpy(), state


# === nn.RNNCell / LSTMCell / GRUCell state dicts, tensors, cell positional ==================

@pytest.mark.torch
@pytest.mark.parametrize("cell,nonlinearity", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")])
def test_cell_state_dict_of_tensors_runs_like_the_cell_over_time(cell, nonlinearity):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = getattr(torch.nn, cell.upper() + "Cell")(4, 6, **kwargs).double()
    sd = module.state_dict()  # torch tensors, keys weight_ih, weight_hh, bias_ih, bias_hh (no _l0)
    assert set(sd) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    x = torch.randn(7, 3, 4, dtype=torch.float64)
    want_out, want_state = run_cell_over_time(torch, module, x)

    got = torch_forward(sd, x, cell, nonlinearity=nonlinearity)  # cell positionally, x a tensor
    assert len(got) == 2
    np.testing.assert_allclose(got[0], want_out, rtol=0, atol=ATOL)
    if cell == "lstm":
        np.testing.assert_allclose(got[1][0], want_state[0].numpy()[None], rtol=0, atol=ATOL)
        np.testing.assert_allclose(got[1][1], want_state[1].numpy()[None], rtol=0, atol=ATOL)
    else:
        np.testing.assert_allclose(got[1], want_state.numpy()[None], rtol=0, atol=ATOL)

    # the module itself is accepted too, and the model holds exactly the cell's weights
    model = from_torch_state_dict(module, cell.upper(), nonlinearity=nonlinearity)
    np.testing.assert_array_equal(model.layers[0][0].w_hh, module.weight_hh.detach().numpy())
    assert model.num_layers == 1 and not model.bidirectional


@pytest.mark.torch
def test_cell_state_dict_with_initial_state_unbatched():
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    module = torch.nn.LSTMCell(3, 5).double()
    x = torch.randn(6, 3, dtype=torch.float64)  # unbatched (T, I)
    h0, c0 = torch.randn(5, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    want_out, (h_n, c_n) = run_cell_over_time(torch, module, x, (h0, c0))
    output, (got_h, got_c) = torch_forward(module.state_dict(), x, "lstm", h0=(h0[None], c0[None]))
    np.testing.assert_allclose(output, want_out, rtol=0, atol=ATOL)
    np.testing.assert_allclose(got_h[0], h_n.numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(got_c[0], c_n.numpy(), rtol=0, atol=ATOL)


def test_tensors_are_read_without_importing_torch():
    """Duck typing: an object with detach().cpu().numpy() is a tensor; torch is never imported."""
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        from rnnviz.compat import from_torch_state_dict, torch_forward

        class FakeTensor:
            requires_grad = False
            def __init__(self, a): self.a = np.asarray(a)
            def detach(self): return self
            def cpu(self): return self
            def numpy(self): return self.a

        rng = np.random.default_rng(0)
        arrays = {"weight_ih": rng.standard_normal((4, 3)), "weight_hh": rng.standard_normal((4, 4)),
                  "bias_ih": rng.standard_normal(4), "bias_hh": rng.standard_normal(4)}
        x = rng.standard_normal((5, 2, 3))
        out_t, h_t = torch_forward({k: FakeTensor(v) for k, v in arrays.items()}, FakeTensor(x), "rnn")
        out_a, h_a = torch_forward(arrays, x, "rnn")
        assert np.array_equal(out_t, out_a) and np.array_equal(h_t, h_a)
        h = np.zeros((2, 4))
        for t in range(5):  # the RNN cell by hand
            h = np.tanh(x[t] @ arrays["weight_ih"].T + arrays["bias_ih"] + h @ arrays["weight_hh"].T + arrays["bias_hh"])
            assert np.allclose(out_t[t], h, rtol=0, atol=1e-12)
        assert "torch" not in sys.modules, "rnnviz imported torch"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# === a larger module's state dict: prefix=, the output layer and its logits =================

@pytest.mark.torch
@pytest.mark.parametrize("batch_first", [False, True])
def test_prefix_reads_the_recurrent_part_of_a_larger_module_and_the_logits_match(batch_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)

    class CharModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Linear(5, 4)  # extra keys rnnviz must skip
            self.rnn = torch.nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=batch_first)
            self.out = torch.nn.Linear(12, 3)

        def forward(self, x):
            output, (h_n, c_n) = self.rnn(x)
            return output, (h_n, c_n), self.out(output)

    net = CharModel().double()
    sd = net.state_dict()
    assert "embed.weight" in sd and "rnn.weight_ih_l1_reverse" in sd and "out.weight" in sd
    x = torch.randn(3, 8, 4, dtype=torch.float64) if batch_first else torch.randn(8, 3, 4, dtype=torch.float64)
    with torch.no_grad():
        want_out, (want_h, want_c), want_logits = net(x)

    got = torch_forward(sd, x, "lstm", num_layers=2, bidirectional=True, batch_first=batch_first, prefix="rnn.")
    output, (h_n, c_n), logits = got  # the output layer is present: logits come third
    np.testing.assert_allclose(output, want_out.numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_n, want_h.numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(c_n, want_c.numpy(), rtol=0, atol=ATOL)
    assert logits.shape == want_logits.shape  # laid out like output: (B, T, O) when batch_first
    np.testing.assert_allclose(logits, want_logits.numpy(), rtol=0, atol=ATOL)

    # output_prefix=None ignores the output layer: the plain nn.LSTM return, as before
    output2, (h_n2, _) = torch_forward(sd, x, "lstm", num_layers=2, bidirectional=True, batch_first=batch_first,
                                       prefix="rnn.", output_prefix=None)
    np.testing.assert_array_equal(output2, output)


@pytest.mark.torch
def test_output_layer_under_another_name_and_unbatched_logits():
    torch = pytest.importorskip("torch")
    torch.manual_seed(4)
    rnn, fc = torch.nn.GRU(3, 5).double(), torch.nn.Linear(5, 4).double()
    sd = {**{"gru." + k: v for k, v in rnn.state_dict().items()}, **{"fc." + k: v for k, v in fc.state_dict().items()}}
    x = torch.randn(6, 3, dtype=torch.float64)  # unbatched
    with torch.no_grad():
        out, h = rnn(x)
        want_logits = fc(out)
    output, h_n, logits = torch_forward(sd, x, "gru", prefix="gru.", output_prefix="fc.")
    np.testing.assert_allclose(output, out.numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_n, h.numpy(), rtol=0, atol=ATOL)
    assert logits.shape == (6, 4)
    np.testing.assert_allclose(logits, want_logits.numpy(), rtol=0, atol=ATOL)


# === the way back: to_torch_state_dict(model, tensors=True) into nn.RNN + nn.Linear ==========

@pytest.mark.torch
def test_to_torch_state_dict_tensors_load_into_rnn_and_linear_as_documented():
    torch = pytest.importorskip("torch")
    from torch import nn

    model = init_model("rnn", input_size=4, hidden_size=6, output_size=3, num_layers=2, seed=5)
    x = np.random.default_rng(5).standard_normal((7, 2, 4))
    trace = forward(model, x)

    # exactly the recipe of docs/formulations.md
    sd = to_torch_state_dict(model, tensors=True)
    rnn = nn.RNN(4, 6, num_layers=2).double()
    out = nn.Linear(6, 3).double()
    rnn.load_state_dict({k: v for k, v in sd.items() if not k.startswith("out.")})
    out.load_state_dict({"weight": sd["out.weight"], "bias": sd["out.bias"]})

    assert all(isinstance(v, torch.Tensor) and v.dtype == torch.float64 for v in sd.values())
    with torch.no_grad():
        output, h_n = rnn(torch.from_numpy(x))
        logits = out(output)
    np.testing.assert_allclose(output.numpy(), trace.output, rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_n.numpy(), trace.h_n, rtol=0, atol=ATOL)
    np.testing.assert_allclose(logits.numpy(), trace.logits, rtol=0, atol=ATOL)

    # prefix="rnn.": one strict load_state_dict into a module holding .rnn and .out
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn, self.out = nn.RNN(4, 6, num_layers=2), nn.Linear(6, 3)

    net = Net().double()
    net.load_state_dict(to_torch_state_dict(model, tensors=True, prefix="rnn."))
    with torch.no_grad():
        np.testing.assert_allclose(net.out(net.rnn(torch.from_numpy(x))[0]).numpy(), trace.logits, rtol=0, atol=ATOL)

    # the class formulation goes the same way
    minimal = MinimalRNN(4, 6, 3, seed=0)
    sd = to_torch_state_dict(minimal, tensors=True)
    np.testing.assert_array_equal(sd["weight_hh_l0"].numpy(), minimal.Whh)
    np.testing.assert_array_equal(sd["out.bias"].numpy(), minimal.by[:, 0])


def test_to_torch_state_dict_tensors_without_torch_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # what `import torch` sees when it is not installed
    model = init_model("gru", 3, 4, 2, seed=0)
    with pytest.raises(ImportError, match=r"tensors=True\) needs PyTorch, which is not installed"):
        to_torch_state_dict(model, tensors=True)
    arrays = to_torch_state_dict(model)  # the NumPy default still works
    np.testing.assert_array_equal(arrays["weight_ih_l0"], model.layers[0][0].w_ih)


# === tensors that require grad ===============================================================

@pytest.mark.torch
def test_input_that_requires_grad_gets_rnnviz_own_message():
    torch = pytest.importorskip("torch")
    torch.manual_seed(6)
    module = torch.nn.RNN(3, 4).double()
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match=r"x is a torch tensor with requires_grad=True; rnnviz is NumPy-only .*pass x\.detach\(\)"):
        torch_forward(module.state_dict(), x, "rnn")
    h0 = torch.zeros(1, 2, 4, dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match=r"pass h0\.detach\(\)"):
        torch_forward(module.state_dict(), x.detach(), "rnn", h0=h0)
    # as told: x.detach() runs and gives torch's numbers; parameters that require grad are read
    output, h_n = torch_forward(dict(module.named_parameters()), x.detach(), "rnn", h0=h0.detach())
    with torch.no_grad():
        want, _ = module(x)
    np.testing.assert_allclose(output, want.numpy(), rtol=0, atol=ATOL)


# === bad input: the key, the expected shape, what was given =================================

def rnn_sd(I=3, H=4, G=1, prefix="", layers=1, reverse=False):
    rng = np.random.default_rng(0)
    sd = {}
    for l in range(layers):
        for suffix in [f"_l{l}"] + ([f"_l{l}_reverse"] if reverse else []):
            in_size = I if l == 0 else H * (2 if reverse else 1)
            sd[prefix + "weight_ih" + suffix] = rng.standard_normal((G * H, in_size))
            sd[prefix + "weight_hh" + suffix] = rng.standard_normal((G * H, H))
            sd[prefix + "bias_ih" + suffix] = rng.standard_normal(G * H)
            sd[prefix + "bias_hh" + suffix] = rng.standard_normal(G * H)
    return sd


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: from_torch_state_dict({**rnn_sd(prefix="rnn."), "embed.weight": np.ones((2, 2))}, "rnn"),
         r"state_dict is missing 'weight_hh_l0' \(expected shape \(1\*H, H\) for cell='rnn'\); "
         r"the dict has 'rnn.weight_hh_l0': pass prefix='rnn.'"),
        (lambda: from_torch_state_dict({k: v for k, v in rnn_sd(prefix="rnn.").items() if k != "rnn.bias_hh_l0"},
                                       "rnn", prefix="rnn."),
         r"state_dict is missing 'rnn.bias_hh_l0' \(expected shape \(1\*H,\) = \(4,\)\)"),
        (lambda: from_torch_state_dict({**rnn_sd(prefix="rnn."), "rnn.weight_ih_l0": np.ones((4, 2, 1))}, "rnn",
                                       prefix="rnn."),
         r"'rnn.weight_ih_l0' must have shape \(1\*H, I\) = \(4, I\), got \(4, 2, 1\)"),
        (lambda: from_torch_state_dict({**rnn_sd(prefix="rnn."), "rnn.bias_ih_l0": np.ones(5)}, "rnn", prefix="rnn."),
         r"'rnn.bias_ih_l0' must have shape \(1\*H,\) = \(4,\) \(H = 4, I = 3\), got \(5,\)"),
        (lambda: from_torch_state_dict(rnn_sd(prefix="rnn."), "rnn", prefix="lstm."),
         r"no key of state_dict starts with prefix='lstm.'; its keys: 'rnn.weight_ih_l0'"),
        (lambda: from_torch_state_dict(rnn_sd(layers=2), "rnn"),
         r"state_dict has 'weight_ih_l1', which num_layers=1, bidirectional=False do not use: pass num_layers=2"),
        (lambda: from_torch_state_dict(rnn_sd(reverse=True), "rnn"),
         r"state_dict has 'weight_ih_l0_reverse', .* pass bidirectional=True"),
        (lambda: from_torch_state_dict(rnn_sd(G=4), "gru"),
         r"'weight_hh_l0' must have shape \(3\*H, H\) for cell='gru', got \(16, 4\) "
         r"\(that is 4\*H with H = 4, as in nn.LSTM: pass cell='lstm'\)"),
        (lambda: from_torch_state_dict({k[:-3]: v for k, v in rnn_sd().items()}, "rnn", num_layers=2),
         r"'weight_hh' \(no _l0\) is an nn.RNNCell's state dict: one layer, one direction; got num_layers=2"),
        (lambda: from_torch_state_dict({k: v for k, v in rnn_sd().items() if "bias" not in k}, "rnn"),
         r"missing 'bias_ih_l0' .*a module built with bias=False has none"),
        (lambda: from_torch_state_dict([("weight_ih_l0", np.ones((4, 3)))], "rnn"),
         r"state_dict must be a dict of arrays or tensors \(e.g. module.state_dict\(\)\), got list"),
        (lambda: from_torch_state_dict(rnn_sd(), "transformer"), r"cell must be one of \('rnn', 'lstm', 'gru'\)"),
        (lambda: from_torch_state_dict({**rnn_sd(), "out.weight": np.ones((2, 5)), "out.bias": np.ones(2)}, "rnn"),
         r"'out.weight' must have shape \(O, D\*H\) = \(O, 4\), got \(2, 5\)"),
        (lambda: torch_forward(rnn_sd(), np.ones((9, 3, 2)), "rnn"),
         r"x must have shape \(T, B, I\) = \(9, 3, 3\), got \(9, 3, 2\) \(I = 3 from the model\)"),
        (lambda: torch_forward(rnn_sd(), np.ones((3, 9, 2)), "rnn", batch_first=True),
         r"x must have shape \(B, T, I\) = \(3, 9, 3\), got \(3, 9, 2\)"),
        (lambda: torch_forward(rnn_sd(), np.ones((2, 3, 9, 3)), "rnn"),
         r"x must have shape \(T, B, I\) or, unbatched, \(T, I\), got \(2, 3, 9, 3\)"),
        (lambda: torch_forward(rnn_sd(), np.ones((9, 3, 3)), "rnn", h0=np.zeros((1, 2, 4))),
         r"h0 must have shape \(num_layers\*D, B, H\) = \(1, 3, 4\), got \(1, 2, 4\) \(B = 3 from x\)"),
        (lambda: torch_forward(rnn_sd(G=4), np.ones((9, 3, 3)), "lstm", h0=np.zeros((1, 3, 4))),
         r"for cell='lstm' h0 must be the pair \(h0, c0\), as nn.LSTM takes it, got ndarray"),
        (lambda: torch_forward(rnn_sd(G=4), np.ones((9, 3, 3)), "lstm", h0=(np.zeros((1, 3, 4)), np.zeros((2, 3, 4)))),
         r"c0 must have shape \(num_layers\*D, B, H\) = \(1, 3, 4\), got \(2, 3, 4\)"),
        (lambda: torch_forward(rnn_sd(), np.ones((9, 3, 3)), "rnn", h0=(np.zeros((1, 3, 4)), np.zeros((1, 3, 4)))),
         r"for cell='rnn' h0 is one array"),
        (lambda: from_torch_state_dict({**rnn_sd(G=4, H=2), "weight_hr_l0": np.ones((1, 2))}, "lstm"),
         r"state_dict has 'weight_hr_l0': nn.LSTM with proj_size > 0 is not supported"),
        (lambda: to_torch_state_dict({"weight_ih_l0": np.ones((4, 3))}),
         r"model must be an rnnviz RNNModel .*got dict"),
    ],
)
def test_bad_input_names_the_key_the_expected_shape_and_what_was_given(call, message):
    with pytest.raises(ValueError, match=message):
        call()
