"""`zoo.generate`: text in, text out, on our compiled KV-cache engine.

Prompts are tokenised with the model's own tokenizer and, like keras-hub's
preprocessors, start with the start-of-text token. Engines are cached per model so a
stream of requests reuses compiled functions.

Example:
>>> import zoo
>>> zoo.generate("gpt-nano", ["To be, or not", "ROMEO:"], max_new_tokens=32)
>>> for piece in zoo.generate("gpt-nano", ["To be"], max_new_tokens=32, stream=True):
...     print(piece[0], end="")
"""
import codecs
import contextlib
import weakref

from zoo.data.tokenizers import decode, encode
from zoo.errors import ZooError

_ENGINES = weakref.WeakKeyDictionary()


def engine_for(model):
    """The cached `DecodeEngine` of a causal LM (created on first use, one per model).

    Args:
        model: a keras-hub `GPT2CausalLM` or `LlamaCausalLM`.

    Returns:
        The model's `zoo.generation.engine.DecodeEngine`.
    """
    from zoo.generation.engine import DecodeEngine

    if model not in _ENGINES:
        _ENGINES[model] = DecodeEngine(model)
    return _ENGINES[model]


_SPECULATIVE = weakref.WeakKeyDictionary()  # target -> {(draft id, k): SpeculativeDecoder}


def speculative_for(model, draft, draft_tokens):
    """The cached `SpeculativeDecoder` of a causal LM with a draft model (one per pair and k).

    Args:
        model: the target causal LM.
        draft: a smaller causal LM with the same tokenizer.
        draft_tokens: proposals per round.
    """
    from zoo.generation.speculative import SpeculativeDecoder

    per_target = _SPECULATIVE.setdefault(model, {})
    key = (id(draft), int(draft_tokens))
    if key not in per_target:
        per_target[key] = SpeculativeDecoder(model, draft, draft_tokens=draft_tokens)
    return per_target[key]


def _resolve(model_or_name):
    if isinstance(model_or_name, str):
        from zoo.hub import get

        return get(model_or_name)
    return model_or_name


def _encode(tokenizer, prompts, with_start=True):
    ids = []
    for p in prompts:
        if not isinstance(p, str):
            raise ZooError(f"prompts must be strings, got {type(p).__name__}")
        if p == "":
            raise ZooError("a prompt is empty: give at least one character of text")
        row = encode(tokenizer, p)
        start = tokenizer.start_token_id if with_start else None
        ids.append(([start] if start is not None else []) + row)
    return ids


def _stop_ids(tokenizer, stop):
    """The end token plus each stop string, which must be exactly one token."""
    ids = [tokenizer.end_token_id] if tokenizer.end_token_id is not None else []
    for s in stop or []:
        t = encode(tokenizer, s)
        if len(t) != 1:
            raise ZooError(f"stop string {s!r} is {len(t)} tokens; stops must be single tokens")
        ids.append(int(t[0]))
    return ids


@contextlib.contextmanager
def _as_user_error():
    """The engines raise ValueError for bad arguments (a prompt too long, top_p out of
    range): the caller made the mistake, so it becomes a one-line ZooError."""
    try:
        yield
    except ValueError as e:
        raise ZooError(str(e).splitlines()[0]) from None


def generate(model_or_name, prompts, max_new_tokens=64, sampler="greedy", temperature=1.0,
             top_k=None, top_p=None, num_beams=1, length_penalty=1.0, seed=None, stop=None,
             stream=False, return_ids=False, draft=None, draft_tokens=4):
    """Generate continuations for a batch of prompts (strings of any lengths).

    Returns the new text per prompt (or (text, ids) pairs with return_ids=True); with
    stream=True yields, per decoding chunk, a list with each prompt's new text piece.
    `stop` is a list of strings: a row ends at the first token that completes one
    (byte tokenizers: single-character stops are exact stop tokens).

    Args:
        model_or_name: a keras-hub causal LM (gpt-*, llama-*) or T5 seq2seq model, or a
            registered name / preset path loaded with `zoo.hub.get`.
        prompts: a prompt string or a non-empty list of non-empty strings. Causal LMs get
            the start token prepended; for seq2seq models each prompt is the encoder input.
        max_new_tokens: most new tokens per prompt (a stop token included).
        sampler: "greedy", "temperature", "top_k", "top_p" or "beam" (aliases accepted,
            see `zoo.generation.samplers`).
        temperature: softmax temperature for sampling; 0 means greedy.
        top_k: keep only the k most likely tokens when sampling (None: no top-k).
        top_p: keep the smallest set of tokens whose probability reaches top_p (None: no top-p).
        num_beams: beams per prompt for beam search (> 1 with "greedy" also selects beam search).
        length_penalty: GNMT length-penalty exponent for beam search (0: no normalisation).
        seed: seed of the sampling noise; the same seed reproduces the output (None: random).
        stop: a list of strings, each exactly one token, that end a row; the end token
            always does.
        stream: return a generator of per-step pieces instead of the finished texts.
        return_ids: return (text, new token ids) pairs instead of the texts.
        draft: a smaller causal LM (model, registered name or preset path) with the same
            tokenizer for speculative decoding (`zoo.generation.speculative`): the output is
            the model's own greedy output, so greedy only, not streamed.
        draft_tokens: tokens the draft proposes per round (with `draft`).

    Returns:
        A list with each prompt's new text (or (text, ids) pairs with return_ids=True);
        with stream=True a generator yielding, per step, a list of each prompt's new text
        piece ("" once it has finished).
    """
    if isinstance(prompts, str):
        prompts = [prompts]
    if not prompts:
        raise ZooError("no prompts: pass a list with at least one prompt string")
    model = _resolve(model_or_name)
    from zoo.generation.seq2seq import is_seq2seq

    if is_seq2seq(model):
        return _generate_seq2seq(model, prompts, stream=stream, return_ids=return_ids, stop=stop,
                                 max_new_tokens=max_new_tokens, sampler=sampler,
                                 temperature=temperature, top_k=top_k, top_p=top_p,
                                 num_beams=num_beams, length_penalty=length_penalty, seed=seed)
    if not hasattr(model, "generate"):
        raise ZooError(f"{type(model).__name__} does not generate text (an encoder or classifier): "
                       "use a causal LM (gpt-*, llama-*) or an encoder-decoder (t5-*, bart-*)")
    tokenizer = model.preprocessor.tokenizer
    ids = _encode(tokenizer, prompts)
    stop_ids = _stop_ids(tokenizer, stop)
    if draft is not None:
        out = _speculative(model, _resolve(draft), ids, max_new_tokens, draft_tokens, stop_ids,
                           sampler=sampler, temperature=temperature, top_k=top_k, top_p=top_p,
                           num_beams=num_beams, stream=stream)
        texts = [decode(tokenizer, row) for row in out]
        return list(zip(texts, out)) if return_ids else texts
    engine = engine_for(model)
    kwargs = dict(max_new_tokens=max_new_tokens, sampler=sampler, temperature=temperature,
                  top_k=top_k, top_p=top_p, num_beams=num_beams, length_penalty=length_penalty,
                  seed=seed, stop_ids=tuple(stop_ids))
    if stream:
        return _stream(engine, tokenizer, ids, kwargs)
    with _as_user_error():
        out = engine.generate_ids(ids, **kwargs)
    texts = [decode(tokenizer, row) for row in out]
    return list(zip(texts, out)) if return_ids else texts


def _speculative(model, draft, ids, max_new_tokens, draft_tokens, stop_ids, sampler, temperature, top_k,
                 top_p, num_beams, stream):
    """Greedy decoding of `model` with `draft`'s proposals; a one-line ZooError for options
    speculative decoding does not have."""
    from zoo.generation import samplers as S
    from zoo.generation.seq2seq import is_seq2seq

    with _as_user_error():
        mode, _ = S.validate_sampling_args(sampler, temperature, top_k, top_p, num_beams, 1.0)
    if mode != "greedy" or stream:
        raise ZooError(f"a draft model speeds up greedy decoding only (got sampler {sampler!r}"
                       f"{', num_beams ' + str(num_beams) if num_beams > 1 else ''}"
                       f"{', stream=True' if stream else ''}): drop the draft or use greedy, unstreamed")
    if is_seq2seq(draft) or not hasattr(draft, "generate"):
        raise ZooError(f"the draft must be a causal LM (gpt-*, llama-*), got a {type(draft).__name__}")
    with _as_user_error():
        return speculative_for(model, draft, draft_tokens).generate_ids(ids, max_new_tokens, stop_ids=stop_ids)


def seq2seq_engine_for(model):
    """The cached decoder of an encoder-decoder model (created on first use, one per model).

    Args:
        model: a keras-hub Seq2SeqLM (zoo's `ZooT5Seq2SeqLM`, a `BartSeq2SeqLM`, ...).

    Returns:
        `zoo.generation.seq2seq.seq2seq_engine(model)`: the compiled `Seq2SeqEngine` for
        T5, the family's own generator where its record names one.
    """
    from zoo.generation.seq2seq import seq2seq_engine

    if model not in _ENGINES:
        _ENGINES[model] = seq2seq_engine(model)
    return _ENGINES[model]


def _generate_seq2seq(model, prompts, stream, return_ids, stop, **kwargs):
    """Encoder-decoder branch: each prompt is the encoder input; returns the decoded output."""
    tokenizer = model.preprocessor.tokenizer
    ids = _encode(tokenizer, prompts, with_start=False)  # T5 inputs carry no start token
    kwargs["stop_ids"] = tuple(_stop_ids(tokenizer, stop))
    engine = seq2seq_engine_for(model)
    if stream:
        # Seq2SeqEngine's rows stop before the stop token: so does the streamed text.
        return _stream(engine, tokenizer, ids, kwargs, keep_stop=False)
    with _as_user_error():
        out = engine.generate_ids(ids, **kwargs)
    from zoo.data.objectives import decode_many

    texts = decode_many(tokenizer, out)
    return list(zip(texts, out)) if return_ids else texts


class _Detokenizer:
    """One row's text, piece by piece; the pieces add up to decoding all its tokens at once.

    Byte tokenizer: UTF-8 decoded incrementally (a character split over steps comes out
    whole, invalid bytes become U+FFFD as in a one-shot decode; ids >= 256 and 0 are
    dropped, as its detokenize does). Other tokenizers: the row so far is decoded at each
    step and the new suffix emitted, held back while it ends in an incomplete character.
    """

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.bytes = type(tokenizer).__name__ == "ZooByteTokenizer"
        self.utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.ids, self.shown = [], ""

    def add(self, token, final):
        """The new text after `token` (None: no token); final=True flushes what is held."""
        if self.bytes:
            data = bytes([token]) if token is not None and 0 < token < 256 else b""
            return self.utf8.decode(data, final=final)
        if token is not None:
            self.ids.append(token)
        text = decode(self.tokenizer, self.ids)
        if text.endswith("\ufffd") and not final:
            return ""
        piece, self.shown = text[len(self.shown):], text
        return piece


def _stream(engine, tokenizer, ids, kwargs, keep_stop=True):
    """Yield, per decoding step, each prompt's new text piece ("" once it has finished).

    keep_stop: whether the text includes the stop token, as the engine's non-streamed rows
    do (DecodeEngine keeps it, Seq2SeqEngine does not), so that each prompt's pieces join
    to exactly its non-streamed text.
    """
    with _as_user_error():
        steps = engine.generate_ids(ids, stream=True, **kwargs)
    stops = set(kwargs["stop_ids"])
    last = int(kwargs["max_new_tokens"]) - 1
    rows = [_Detokenizer(tokenizer) for _ in ids]
    for s, step in enumerate(steps):
        pieces = []
        for row, token in zip(rows, step):
            if token is None:
                pieces.append("")
                continue
            stopped = token in stops
            # a row's last token (its stop, or the step limit) flushes any held-back text
            pieces.append(row.add(token if keep_stop or not stopped else None, stopped or s == last))
        yield pieces
