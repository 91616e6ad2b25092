"""Training: optimizers and clipping vs torch, truncated BPTT vs torch, sampling, and proof that it learns."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from rnnviz.compat import to_torch_state_dict
from rnnviz.corpora import corpus_from_text, load_corpus, make_brackets
from rnnviz.text import Vocab
from rnnviz.network import forward, init_model
from rnnviz.train import Adagrad, Adam, SGD, Trainer, clip_gradients, sample, top_guesses

torch = pytest.importorskip("torch")


def random_params_and_grads(seed=0, steps=4):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,), (2, 2, 3)]
    params = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) * (k + 1) for s in shapes] for k in range(steps)]
    return params, grads


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (lambda p: SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
        (lambda p: SGD(p, lr=0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
        (lambda p: Adagrad(p, lr=0.3), lambda p: torch.optim.Adagrad(p, lr=0.3)),
        (lambda p: Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
        (lambda p: Adam(p, lr=0.2, betas=(0.5, 0.9), eps=1e-3),
         lambda p: torch.optim.Adam(p, lr=0.2, betas=(0.5, 0.9), eps=1e-3)),
    ],
    ids=["sgd", "sgd-momentum", "adagrad", "adam", "adam-custom"],
)
def test_optimizers_match_torch_optim(ours, theirs):
    params, grads = random_params_and_grads()
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    opt, topt = ours(params), theirs(tparams)
    for step_grads in grads:
        opt.step([g.copy() for g in step_grads])
        for tp, g in zip(tparams, step_grads):
            tp.grad = torch.tensor(g)
        topt.step()
        for p, tp in zip(params, tparams):
            np.testing.assert_allclose(p, tp.detach().numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_by_global_norm_matches_torch(max_norm):
    _, grads = random_params_and_grads(steps=1)
    grads = grads[0]
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for tp, g in zip(tparams, grads):
        tp.grad = torch.tensor(g)
    expected_norm = torch.nn.utils.clip_grad_norm_(tparams, max_norm)
    norm = clip_gradients(grads, "norm", max_norm)
    assert norm == pytest.approx(float(expected_norm), rel=1e-12)
    for g, tp in zip(grads, tparams):
        np.testing.assert_allclose(g, tp.grad.numpy(), rtol=0, atol=1e-12)


def test_clip_by_value_is_elementwise():
    g = [np.array([-7.0, -1.0, 0.5, 9.0])]
    clip_gradients(g, "value", 5.0)
    np.testing.assert_array_equal(g[0], [-5.0, -1.0, 0.5, 5.0])
    with pytest.raises(ValueError, match="clip mode"):
        clip_gradients(g, "sometimes")


@pytest.mark.parametrize("cell,num_layers,optimizer", [("rnn", 1, "sgd"), ("lstm", 2, "adam"), ("gru", 1, "adagrad")])
def test_truncated_bptt_matches_torch_with_detached_state(cell, num_layers, optimizer):
    """Three trainer steps == the same loop in torch: state carried across chunks but detached,
    global-norm clipping, torch's optimizer. Per-step losses and final weights agree to 1e-10."""
    V, H, T, B = 5, 6, 7, 3
    ids = np.random.default_rng(1).integers(0, V, size=200)
    model = init_model(cell, V, H, V, num_layers=num_layers, seed=2, scale=0.5)
    sd = to_torch_state_dict(model)
    trainer = Trainer(model, ids, seq_len=T, batch_size=B, optimizer=optimizer, lr=0.05, clip="norm", clip_value=0.3)

    rnn = getattr(torch.nn, cell.upper())(V, H, num_layers=num_layers).double()
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items() if not k.startswith("out.")})
    out = torch.nn.Linear(H, V).double()
    out.load_state_dict({"weight": torch.from_numpy(sd["out.weight"]), "bias": torch.from_numpy(sd["out.bias"])})
    params = list(rnn.parameters()) + list(out.parameters())
    topt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adagrad": torch.optim.Adagrad}[optimizer](params, lr=0.05)
    h = torch.zeros(num_layers, B, H, dtype=torch.float64)
    state = (h, h.clone()) if cell == "lstm" else h
    for _ in range(3):
        x, y = trainer.next_chunk()
        loss = trainer.step()
        output, state = rnn(torch.nn.functional.one_hot(torch.from_numpy(x), V).double(), state)
        state = tuple(s.detach() for s in state) if cell == "lstm" else state.detach()
        tloss = torch.nn.functional.cross_entropy(out(output).reshape(-1, V), torch.from_numpy(y).reshape(-1))
        topt.zero_grad()
        tloss.backward()
        torch.nn.utils.clip_grad_norm_(params, 0.3)
        topt.step()
        assert loss == pytest.approx(tloss.item(), abs=1e-10)
    got = to_torch_state_dict(model)
    expected = {**{k: v.detach().numpy() for k, v in rnn.state_dict().items()},
                "out.weight": out.weight.detach().numpy(), "out.bias": out.bias.detach().numpy()}
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=0, atol=1e-10, err_msg=key)
    carried = trainer.h if cell != "lstm" else np.stack([trainer.h, trainer.c])
    np.testing.assert_allclose(carried, (torch.stack(state) if cell == "lstm" else state).numpy(), rtol=0, atol=1e-10)


def test_streams_read_the_corpus_cyclically():
    ids = np.arange(10)
    model = init_model("rnn", 10, 3, 10, seed=0)
    trainer = Trainer(model, ids, seq_len=4, batch_size=2, optimizer="sgd", lr=0.0)
    x, y = trainer.next_chunk()
    np.testing.assert_array_equal(x.T, [[0, 1, 2, 3], [5, 6, 7, 8]])
    np.testing.assert_array_equal(y.T, [[1, 2, 3, 4], [6, 7, 8, 9]])
    trainer.step()
    x, y = trainer.next_chunk()
    np.testing.assert_array_equal(x.T, [[4, 5, 6, 7], [9, 0, 1, 2]])
    np.testing.assert_array_equal(y.T, [[5, 6, 7, 8], [0, 1, 2, 3]])


def test_trainer_is_bounded_and_records_losses():
    corpus = load_corpus("phrase")
    model = init_model("gru", corpus.vocab.size, 8, corpus.vocab.size, seed=0)
    trainer = Trainer(model, corpus.ids, seq_len=10, batch_size=4)
    assert trainer.train(3) == 3
    assert trainer.train(1000, max_seconds=0.0) == 1  # the time budget stops it after one step
    assert trainer.steps == 4 and trainer.chars_seen == 4 * 10 * 4
    assert trainer.losses.dtype == np.float32 and trainer.losses.shape == (4,)
    np.testing.assert_allclose(trainer.bits_per_char, trainer.losses / math.log(2), rtol=1e-6)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: Trainer(init_model("rnn", 4, 3, None), np.arange(4)), "output layer"),
        (lambda: Trainer(init_model("rnn", 4, 3, 4, bidirectional=True), np.arange(4)), "bidirectional"),
        (lambda: Trainer(init_model("rnn", 4, 3, 5), np.arange(4)), "output size"),
        (lambda: Trainer(init_model("rnn", 4, 3, 4), np.array([0, 4])), r"\[0, 3\]"),
        (lambda: Trainer(init_model("rnn", 4, 3, 4), np.arange(4), optimizer="rmsprop"), "optimizer"),
        (lambda: Trainer(init_model("rnn", 4, 3, 4), np.arange(4), lr=-1), "learning rate must be a non-negative"),
        (lambda: corpus_from_text("x"), "at least 2"),
        (lambda: Vocab(("a", "b")).encode("abc"), "'c' is not in"),
    ],
)
def test_bad_input_gives_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_corpora_and_vocabulary():
    for name in ("brackets", "phrase", "tyger", "recall"):
        corpus = load_corpus(name)
        assert len(corpus.text) > 500
        assert corpus.vocab.decode(corpus.ids) == corpus.text
    assert corpus_from_text("ab\r\ncd").text == "ab\ncd"
    assert len(corpus_from_text("abc" * 10, max_chars=7).text) == 7
    for line in make_brackets(50, seed=3).splitlines():
        depth = 0
        for ch in line:
            depth += 1 if ch == "(" else -1
            assert depth >= 0
        assert depth == 0


def test_top_guesses_are_the_most_likely_next_characters():
    corpus = load_corpus("tyger")
    vocab = corpus.vocab
    model = init_model("lstm", vocab.size, 8, vocab.size, seed=4, scale=1.0)
    text = corpus.text[:40]
    guesses = top_guesses(model, vocab, text)
    rnn = torch.nn.LSTM(vocab.size, 8).double()
    sd = to_torch_state_dict(model)
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items() if not k.startswith("out.")})
    x = torch.nn.functional.one_hot(torch.from_numpy(vocab.encode(text[:-1])), vocab.size).double()
    logits = rnn(x)[0] @ torch.from_numpy(sd["out.weight"]).T + torch.from_numpy(sd["out.bias"])
    probs = torch.softmax(logits, -1).detach().numpy()
    expected = np.sort(probs, axis=-1)[:, ::-1][:, :5]
    np.testing.assert_allclose(guesses.top_probs, expected, rtol=1e-5)
    np.testing.assert_array_equal(np.take_along_axis(probs, guesses.top_ids, -1).astype(np.float32), guesses.top_probs)
    assert guesses.text == text[1:]


def test_sampling_temperature():
    corpus = load_corpus("phrase")
    vocab = corpus.vocab
    model = init_model("rnn", vocab.size, 16, vocab.size, seed=0, scale=1.0)
    cold = sample(model, vocab, length=30, temperature=1e-3, prime="the", seed=1)
    # near zero temperature is greedy: every character is the top guess
    np.testing.assert_array_equal(cold.ids, cold.top_ids[:, 0])
    assert sample(model, vocab, length=30, temperature=1e-3, prime="the", seed=9).text == cold.text
    hot = sample(model, vocab, length=30, temperature=5.0, seed=1)
    assert hot.top_probs[:, 0].max() < cold.top_probs[:, 0].min()  # flatter distributions
    assert np.all(np.diff(hot.top_probs, axis=1) <= 0)
    with pytest.raises(ValueError, match="temperature"):
        sample(model, vocab, temperature=0)
    with pytest.raises(ValueError, match="not in"):
        sample(model, vocab, prime="Ω")


# --- proof that it learns ----------------------------------------------------------------------

def entropy_of_characters(text: str) -> float:
    counts = np.array(list(Counter(text).values()), float)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def depth_by_hand(text: str) -> np.ndarray:
    depth, out = 0, []
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        out.append(depth)
    return np.array(out, float)


def test_vanilla_rnn_learns_brackets_and_a_unit_counts_depth():
    corpus = load_corpus("brackets")
    vocab = corpus.vocab
    model = init_model("rnn", vocab.size, 16, vocab.size, seed=0)
    trainer = Trainer(model, corpus.ids, seq_len=50, batch_size=16, optimizer="adam", lr=0.01)
    trainer.train(300)
    baseline = entropy_of_characters(corpus.text)
    # held-out text from the same generator, another seed
    text = make_brackets(60, seed=123)
    ids = vocab.encode(text)
    trace = forward(model, ids[:-1, None])
    logp = np.log(trace.probs[:, 0])
    heldout_loss = -logp[np.arange(ids.size - 1), ids[1:]].mean()
    assert trainer.losses[-20:].mean() < 0.5 * baseline
    assert heldout_loss < 0.5 * baseline
    h = trace.layers[0][0].h[:, 0]
    depth = depth_by_hand(text[:-1])
    r = [abs(np.corrcoef(h[:, u], depth)[0, 1]) for u in range(h.shape[1])]
    assert max(r) >= 0.8


def test_lstm_beats_vanilla_rnn_on_a_long_dependency():
    """``counting``: lines ``(^n )^n`` with n up to 20. Ending the line on time needs n carried
    across up to 40 steps. Same size, seed, optimizer and steps: the LSTM ends with lower loss."""
    corpus = load_corpus("counting")
    vocab = corpus.vocab
    text = make_brackets(100, max_height=20, max_hills=1, seed=1)  # held out
    ids = vocab.encode(text)
    line_ends = np.array([i for i, ch in enumerate(text) if ch == "\n"])
    results = {}
    for cell in ("rnn", "lstm"):
        model = init_model(cell, vocab.size, 16, vocab.size, seed=0)
        trainer = Trainer(model, corpus.ids, seq_len=50, batch_size=16, optimizer="adam", lr=0.01)
        trainer.train(300)
        probs = forward(model, ids[:-1, None]).probs[:, 0]
        nll = -np.log(probs[np.arange(ids.size - 1), ids[1:]])
        results[cell] = (trainer.losses[-50:].mean(), nll.mean(), nll[line_ends - 1].mean())
    rnn, lstm = results["rnn"], results["lstm"]
    assert lstm[0] < rnn[0]  # training loss over the last 50 steps
    assert lstm[1] < 0.85 * rnn[1]  # held-out loss per character
    assert lstm[2] < 0.5 * rnn[2]  # held-out loss of the line ends, where the count matters
