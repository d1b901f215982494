#!/usr/bin/env python3
"""BERT masked-language-model pre-training and text-classification fine-tuning from Python.

The same runs as the C++ trainer examples/bert (train_bert pretrain / finetune), with its defaults and flags
and its output files, so a model pre-trained here fine-tunes with the C++ trainer and back:

  pretrain: a WordPiece vocabulary trained on the BBC training split (seek.text.stratified_split: the
            C++ trainer's 80/10/10 split, index for index) plus --corpus files, sequences packed to
            --max-length (every 20th held out), dynamic masking (15%; 80% [MASK] / 10% random / 10% kept,
            a new mask per micro-batch drawn from seed + step), BertForMaskedLM, AdamW without weight decay
            on biases and LayerNorm weights, linear warmup + linear or cosine decay, gradient accumulation
            and clipping, bf16 autocast, a time budget (--max-minutes) or --max-steps. Writes vocab.txt,
            config.json, model.safetensors and pretrain_log.csv (held-out MLM loss and accuracy).
  finetune: BertForSequenceClassification from --pretrained DIR (or a fresh BERT-mini with "none"), the
            best validation epoch kept (early stopping with --patience), test accuracy, macro-F1 and the
            confusion matrix printed as the C++ trainer prints them.

    PYTHONPATH=<build>/python python3 examples/python/train_bert.py pretrain --data data/bbc_news --max-minutes 5
    PYTHONPATH=<build>/python python3 examples/python/train_bert.py finetune --data data/bbc_news \\
        --pretrained build/train_bert_py/pretrain

Same seed, same flags: the same losses as the C++ trainer step for step (the shuffle is the C++ DataLoader's,
randperm from Generator(seed) at offset epoch * n; tests/python/test_examples_bert.py compares the logs).
Not offered here: the C++ trainer's --checkpoint-every / --resume. --limit-train draws its subset with
Python's random.Random(seed), so it differs from the C++ trainer's subset.
Exit codes: 0 done, 2 bad arguments or no data folder, 1 other errors.
"""
import argparse
import math
import os
import random
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description="BERT pre-training (MLM) and fine-tuning with seek from Python.")
    sub = p.add_subparsers(dest="mode", required=True)
    pre = sub.add_parser("pretrain", help="masked-language-model pre-training")
    fin = sub.add_parser("finetune", help="sequence-classification fine-tuning")
    for q, out in ((pre, "build/train_bert_py/pretrain"), (fin, "build/train_bert_py/finetune")):
        q.add_argument("--data", default="data/bbc_news", help="text folder, one sub-folder per class")
        q.add_argument("--out", default=out)
        q.add_argument("--amp", default="off", choices=["off", "bf16"])
        q.add_argument("--batch-size", type=int, default=32 if q is pre else 16)
        q.add_argument("--max-length", type=int, default=128 if q is pre else 256)
        q.add_argument("--epochs", type=int, default=3 if q is pre else 8)  # the C++ trainer's defaults
        q.add_argument("--lr", type=float, default=5e-4 if q is pre else 3e-4)
        q.add_argument("--weight-decay", type=float, default=0.01)
        q.add_argument("--warmup", type=float, default=0.06 if q is pre else 0.1, help="fraction of the steps")
        q.add_argument("--clip-grad", type=float, default=1.0, help="> 0: clip the gradients' total norm")
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--threads", type=int, default=0, help="OpenMP threads (0: OpenMP's default)")
    pre.add_argument("--corpus", action="append", default=[], help="more plain text (fortune files or folders)")
    pre.add_argument("--model", default="mini", choices=["mini", "tiny"])
    pre.add_argument("--attention", default="standard", choices=["standard", "lsh"])
    pre.add_argument("--schedule", default="linear", choices=["linear", "cosine"])
    pre.add_argument("--vocab-size", type=int, default=8000)
    pre.add_argument("--accumulation", type=int, default=1)
    pre.add_argument("--eval-every", type=int, default=200)
    pre.add_argument("--limit-docs", type=int, default=0, help="use the first N texts of the corpus (0: all)")
    pre.add_argument("--max-steps", type=int, default=0, help="stop after N optimizer steps (0: no limit)")
    pre.add_argument("--max-minutes", type=float, default=15.0, help="time budget of the training loop")
    fin.add_argument("--pretrained", default="build/train_bert_py/pretrain", help="pre-trained folder or none")
    fin.add_argument("--patience", type=int, default=3)
    fin.add_argument("--limit-train", type=int, default=0, help="a seeded random subset of N training articles")
    a = p.parse_args(argv)
    minimum = {"batch_size": 1, "epochs": 1, "max_length": 8, "accumulation": 1, "eval_every": 1, "vocab_size": 16,
               "patience": 1}
    for name, low in minimum.items():
        if getattr(a, name, low) < low:
            p.error(f"--{name.replace('_', '-')} must be >= {low}")
    for name in ("lr", "weight_decay", "warmup", "clip_grad", "seed", "threads", "limit_docs", "max_steps",
                 "max_minutes", "limit_train"):
        if getattr(a, name, 0) < 0:
            p.error(f"--{name.replace('_', '-')} must be >= 0")
    return a


def split_documents(seek, folder, seed):
    """The C++ trainer's stratified 80/10/10 split of the folder (train, validation, test index lists)."""
    return seek.text.stratified_split(folder.targets, [0.8, 0.1, 0.1], seed)


def epoch_order(seek, n, seed, epoch):
    """The C++ DataLoader's shuffle: randperm(n) from Generator(seed) at offset epoch * n."""
    gen = seek.Generator()
    gen.set_state(seek.tensor([seed, epoch * n], dtype=seek.int64))
    return seek.randperm(n, generator=gen)


def make_adamw(seek, model, lr, weight_decay):
    """AdamW with Hugging Face's exclusions: no weight decay on biases and LayerNorm weights."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    return seek.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr, weight_decay=weight_decay)


class WarmupDecay:
    """The C++ trainer's WarmupDecaySchedule as a LambdaLR factor: warmup from 0, then linear decay to 0 or cosine
    to 0 at `total`, an end that a budgeted run moves once it knows how many steps fit in its time."""

    def __init__(self, kind, warmup, total):
        self.cosine, self.warmup, self.total = kind == "cosine", warmup, total

    def __call__(self, s):
        if s < self.warmup:
            return s / self.warmup
        if s >= self.total:
            return 0.0
        if self.cosine:
            return 0.5 * (1.0 + math.cos(math.pi * (s - self.warmup) / (self.total - self.warmup)))
        return (self.total - s) / (self.total - self.warmup)


def make_schedule(seek, opt, kind, warmup, total):
    sched = seek.optim.lr_scheduler
    if kind == "cosine":
        return sched.WarmupCosineLR(opt, warmup, total)
    return sched.LinearWarmupDecayLR(opt, warmup, total)


def autocast(seek, amp):
    return seek.autocast("cpu", dtype=seek.bfloat16, enabled=amp == "bf16")


def evaluate_mlm(seek, model, tok, held_out, batch_size, amp):
    """Held-out MLM loss and accuracy with a fixed mask (the same positions at every evaluation)."""
    model.eval()
    gen = seek.Generator()
    gen.manual_seed(12345)
    loss_sum = correct = predicted = 0.0
    with seek.no_grad():
        for s in range(0, held_out.shape[0], batch_size):
            ids, labels, mask = seek.text.mask_tokens(held_out[s:s + batch_size], tok, generator=gen)
            with autocast(seek, amp):
                out = model.forward_masked(ids, attention_mask=mask, labels=labels)
            due = labels.reshape(-1)[labels.reshape(-1) != -100]
            count = due.numel()
            if count == 0:
                continue
            loss_sum += out.loss.item() * count
            correct += (out.logits.float().argmax(-1) == due).sum().item()
            predicted += count
    model.train()
    return (loss_sum / predicted, correct / predicted) if predicted else (math.nan, math.nan)


def pretrain(seek, a):
    t_start = time.monotonic()
    os.makedirs(a.out, exist_ok=True)
    folder = seek.text.TextFolder(a.data, replace_invalid_utf8=True)  # one BBC article is Latin-1
    train_idx, _, _ = split_documents(seek, folder, a.seed)
    texts = folder.texts
    corpus = [texts[i] for i in train_idx]
    bbc_docs = len(corpus)
    for extra in a.corpus:
        corpus += seek.text.read_corpus([extra], "fortunes")
    note = ""
    if 0 < a.limit_docs < len(corpus):
        corpus = corpus[:a.limit_docs]
        note = f", the first {a.limit_docs} used"
    print(f"corpus: {bbc_docs} training articles + {len(corpus) - bbc_docs if not note else 'more'} other texts"
          f"{note}", file=sys.stderr)

    tok = seek.text.BertTokenizer(seek.text.train_wordpiece(corpus, vocab_size=a.vocab_size))
    tok.save_vocabulary(os.path.join(a.out, "vocab.txt"))
    seqs = seek.text.pack_sequences(tok, corpus, a.max_length)
    train_seqs = [s for i, s in enumerate(seqs) if i % 20 != 19]  # every 20th sequence is held out
    eval_seqs = [s for i, s in enumerate(seqs) if i % 20 == 19]
    train_ids = seek.text.pad_sequences(train_seqs, a.max_length, tok.pad_token_id)
    eval_ids = seek.text.pad_sequences(eval_seqs, a.max_length, tok.pad_token_id)
    print(f"vocabulary {tok.vocab_size}, {len(train_seqs)} training and {len(eval_seqs)} held-out sequences of "
          f"{a.max_length} tokens", file=sys.stderr)

    config = seek.models.BertConfig.bert_tiny() if a.model == "tiny" else seek.models.BertConfig.bert_mini()
    config.vocab_size = tok.vocab_size
    config.max_position_embeddings = max(a.max_length, 512)  # BERT's 512, as the C++ trainer: fine-tuning may use longer inputs
    config.attention_type = a.attention
    config.pad_token_id = tok.pad_token_id
    seek.manual_seed(a.seed)
    model = seek.models.BertForMaskedLM(config)
    model.train()

    batches_per_epoch = train_ids.shape[0] // a.batch_size  # drop_last, as the C++ trainer
    steps_per_epoch = batches_per_epoch // a.accumulation
    if steps_per_epoch == 0:
        print(f"train_bert: {train_ids.shape[0]} training sequences make no step of batch {a.batch_size} x "
              f"{a.accumulation}", file=sys.stderr)
        return 2
    first_plan = steps_per_epoch * a.epochs  # --max-steps stops a run early without moving the schedule's end
    opt = make_adamw(seek, model, a.lr, a.weight_decay)
    plan = WarmupDecay(a.schedule, int(a.warmup * first_plan), first_plan)
    sched = seek.optim.lr_scheduler.LambdaLR(opt, plan)
    print(f"BERT-{a.model} ({config.num_hidden_layers} layers, {config.hidden_size} hidden, {config.attention_type}"
          f" attention), {plan.total} steps planned, batch {a.batch_size} x {a.accumulation}, amp {a.amp}",
          file=sys.stderr)

    mask_gen = seek.Generator()
    budget = a.max_minutes * 60.0
    t_train = time.monotonic()
    step, done = 0, False
    # The budget, as the C++ trainer: after 15 steps (timed from step 3) and after every evaluation, the steps
    # that fit in the rest of the budget become the schedule's end (and the warmup its fraction, while it runs).
    t_plan_from, eval_seconds = t_train, -1.0
    eval_batches = -(-eval_ids.shape[0] // a.batch_size)

    def replan(per_step, when):
        if budget <= 0:
            return
        left = budget - (time.monotonic() - t_train)
        per_eval = eval_seconds if eval_seconds >= 0 else per_step / 3 * eval_batches
        fit = step + int(max(0.0, left) // (per_step + per_eval / a.eval_every))
        total = min(max(fit, step, 1), first_plan)
        if total == plan.total:
            return
        if step < plan.warmup:
            plan.warmup = int(a.warmup * total)
        plan.total = max(total, plan.warmup + 1)
        print(f"\nthe budget fits {plan.total} steps ({per_step:.2f} s each, {when}): the schedule ends there, "
              f"warmup {plan.warmup} steps", file=sys.stderr)

    with open(os.path.join(a.out, "pretrain_log.csv"), "w") as log:
        log.write("step,lr,train_loss,eval_loss,eval_accuracy,seconds\n")
        for epoch in range(a.epochs):
            order = epoch_order(seek, train_ids.shape[0], a.seed, epoch)
            loss_acc = 0.0
            for b in range(steps_per_epoch * a.accumulation):
                micro = b % a.accumulation
                batch = train_ids[order[b * a.batch_size:(b + 1) * a.batch_size]]
                # The mask depends only on the seed and the micro-batch's position in the run.
                mask_gen.manual_seed(a.seed + 1 + step * a.accumulation + micro)
                ids, labels, mask = seek.text.mask_tokens(batch, tok, generator=mask_gen)
                with autocast(seek, a.amp):  # sparse prediction: the head on the masked positions only
                    loss = model.forward_masked(ids, attention_mask=mask, labels=labels).loss
                (loss / a.accumulation).backward()
                loss_acc += loss.item() / a.accumulation
                if micro + 1 < a.accumulation:
                    continue
                if a.clip_grad > 0:
                    seek.nn.utils.clip_grad_norm_(model.parameters(), a.clip_grad)
                opt.step()
                opt.zero_grad()
                sched.step()
                step += 1
                if step == 3:
                    t_plan_from = time.monotonic()
                if step == 15:
                    replan((time.monotonic() - t_plan_from) / 12, "measured over the first steps")
                elapsed = time.monotonic() - t_train
                done = (budget > 0 and elapsed > budget) or step >= plan.total or 0 < a.max_steps <= step
                last = (step % steps_per_epoch) == 0
                if step % a.eval_every == 0 or last or done:
                    t_eval = time.monotonic()
                    el, ea = evaluate_mlm(seek, model, tok, eval_ids, a.batch_size, a.amp)
                    eval_seconds = time.monotonic() - t_eval
                    log.write(f"{step},{opt.param_groups[0]['lr']},{loss_acc},{el},{ea},{elapsed}\n")
                    log.flush()
                    print(f"step {step}: train loss {loss_acc:.4f}, held-out MLM loss {el:.4f}, accuracy "
                          f"{100 * ea:.2f}%", file=sys.stderr)
                loss_acc = 0.0
                if step % a.eval_every == 0 and not done and step > 15:
                    trained = time.monotonic() - t_train - eval_seconds * (step // a.eval_every)
                    replan(trained / step, "the mean so far")
                if done:
                    break
            if done:
                print(f"stopped at step {step} (the planned end, the time budget or --max-steps)", file=sys.stderr)
                break
    el, ea = evaluate_mlm(seek, model, tok, eval_ids, a.batch_size, a.amp)
    seek.io.safetensors.save_file(dict(model.state_dict()), os.path.join(a.out, "model.safetensors"))
    with open(os.path.join(a.out, "config.json"), "w") as f:
        f.write(config.to_json())
    minutes = (time.monotonic() - t_start) / 60
    print(f"pretrained {step} steps in {minutes:.1f} min; held-out MLM loss {el:.4f}, accuracy {100 * ea:.2f}%; "
          f"model in {a.out}")
    return 0


def classification_scores(targets, predicted, classes):
    """Accuracy, macro-F1 and the confusion matrix [true][predicted]."""
    confusion = [[0] * classes for _ in range(classes)]
    for t, p in zip(targets, predicted):
        confusion[t][p] += 1
    f1 = []
    for c in range(classes):
        tp = confusion[c][c]
        fp = sum(confusion[k][c] for k in range(classes) if k != c)
        fn = sum(confusion[c][k] for k in range(classes) if k != c)
        f1.append(0.0 if tp == 0 else 2.0 * tp / (2.0 * tp + fp + fn))
    accuracy = sum(confusion[c][c] for c in range(classes)) / max(1, len(targets))
    return accuracy, sum(f1) / classes, confusion


def evaluate_classifier(seek, model, ids, labels, classes, pad_id, batch_size, amp):
    model.eval()
    predicted = []
    with seek.no_grad():
        for s in range(0, ids.shape[0], batch_size):
            x = ids[s:s + batch_size]
            with autocast(seek, amp):
                logits = model(x, attention_mask=(x != pad_id).long()).logits
            predicted += logits.float().argmax(-1).tolist()
    model.train()
    return classification_scores(labels, predicted, classes)


def finetune(seek, a):
    os.makedirs(a.out, exist_ok=True)
    folder = seek.text.TextFolder(a.data, replace_invalid_utf8=True)
    train_idx, val_idx, test_idx = split_documents(seek, folder, a.seed)
    texts, targets = folder.texts, folder.targets
    fresh = a.pretrained == "none"
    if fresh:  # no pre-training: a vocabulary from the training articles and a random BERT-mini
        tok = seek.text.BertTokenizer(seek.text.train_wordpiece([texts[i] for i in train_idx], vocab_size=8000))
        config = seek.models.BertConfig.bert_mini()
        config.vocab_size = tok.vocab_size
    else:
        tok = seek.text.BertTokenizer.from_vocab_file(os.path.join(a.pretrained, "vocab.txt"))
        config = seek.models.BertConfig.from_json_file(os.path.join(a.pretrained, "config.json"))
    classes = len(folder.classes)
    config.num_labels = classes
    config.max_position_embeddings = max(config.max_position_embeddings, a.max_length)
    seek.manual_seed(a.seed)
    model = seek.models.BertForSequenceClassification(config)
    if not fresh:
        from seek.io.safetensors import load_file
        state = load_file(os.path.join(a.pretrained, "model.safetensors"))
        # Longer inputs than the checkpoint has positions for: its rows fill the start of the larger table, the
        # rest keep their initialisation (as the C++ trainer).
        key = "bert.embeddings.position_embeddings.weight"
        if key in state and state[key].shape[0] < config.max_position_embeddings:
            rows = state[key].shape[0]
            grown = model.state_dict()[key].detach().clone()
            grown[:rows] = state[key]
            print(f"position embeddings: the {rows} pre-trained rows extended to {config.max_position_embeddings} "
                  f"for --max-length {a.max_length}", file=sys.stderr)
            state[key] = grown
        model.load_state_dict(state, strict=False)
    model.train()
    if 0 < a.limit_train < len(train_idx):
        train_idx = list(train_idx)
        random.Random(a.seed).shuffle(train_idx)
        train_idx = train_idx[:a.limit_train]

    def encoded(which):
        batch = tok([texts[i] for i in which], padding="max_length", truncation=True, max_length=a.max_length,
                    return_tensors="seek")
        return batch["input_ids"], [targets[i] for i in which]

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = encoded(train_idx), encoded(val_idx), encoded(test_idx)
    y_train_t = seek.tensor(y_train, dtype=seek.int64)
    n = x_train.shape[0]
    steps = (n + a.batch_size - 1) // a.batch_size
    total = max(1, steps * a.epochs)
    opt = make_adamw(seek, model, a.lr, a.weight_decay)
    sched = make_schedule(seek, opt, "linear", int(a.warmup * total), total)
    pad = tok.pad_token_id
    print(f"fine-tuning {'a fresh' if fresh else 'the pre-trained'} BERT ({config.num_hidden_layers} x "
          f"{config.hidden_size}) on {n} articles, validating on {len(y_val)}, testing on {len(y_test)} "
          f"({classes} classes)", file=sys.stderr)
    best_val, best_epoch, waited, best = -1.0, 0, 0, None
    with open(os.path.join(a.out, "finetune_log.csv"), "w") as log:
        log.write("epoch,train_loss,val_accuracy,val_macro_f1\n")
        for epoch in range(a.epochs):
            order = epoch_order(seek, n, a.seed, epoch)
            loss_sum = 0.0
            for b in range(steps):
                rows = order[b * a.batch_size:(b + 1) * a.batch_size]
                x = x_train[rows]
                with autocast(seek, a.amp):
                    loss = model(x, attention_mask=(x != pad).long(), labels=y_train_t[rows]).loss
                loss.backward()
                if a.clip_grad > 0:
                    seek.nn.utils.clip_grad_norm_(model.parameters(), a.clip_grad)
                opt.step()
                opt.zero_grad()
                sched.step()
                loss_sum += loss.item()
            acc, f1, _ = evaluate_classifier(seek, model, x_val, y_val, classes, pad, a.batch_size, a.amp)
            log.write(f"{epoch + 1},{loss_sum / steps},{acc},{f1}\n")
            print(f"epoch {epoch + 1}: train loss {loss_sum / steps:.4f}, validation accuracy {100 * acc:.2f}%, "
                  f"macro-F1 {f1:.4f}", file=sys.stderr)
            if acc > best_val:
                best_val, best_epoch, waited = acc, epoch + 1, 0
                best = {k: v.clone() for k, v in model.state_dict().items()}
            else:
                waited += 1
                if waited >= a.patience:
                    print(f"early stop: no better validation accuracy for {a.patience} epochs", file=sys.stderr)
                    break
    model.load_state_dict(best)
    acc, f1, confusion = evaluate_classifier(seek, model, x_test, y_test, classes, pad, a.batch_size, a.amp)
    print(f"test accuracy {100 * acc:.2f}%, macro-F1 {f1:.4f} (best validation epoch {best_epoch})")
    print(f"confusion matrix (rows: true {' '.join(folder.classes)} )")
    for row in confusion:
        print("".join(f"{x:5d}" for x in row))
    return 0


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.threads > 0:
        os.environ["OMP_NUM_THREADS"] = str(a.threads)  # read when seek's OpenMP runtime starts
    if not os.path.isdir(a.data):
        print(f"train_bert: no text folder at {a.data} (scripts/get_bbc_news.sh makes it)", file=sys.stderr)
        return 2
    if a.mode == "finetune" and a.pretrained != "none" and not os.path.isdir(a.pretrained):
        print(f"train_bert: no pre-trained model folder at {a.pretrained} (run pretrain first, or pass "
              "--pretrained none)", file=sys.stderr)
        return 2
    import seek
    import seek.text  # noqa: F401
    try:
        return pretrain(seek, a) if a.mode == "pretrain" else finetune(seek, a)
    except (ValueError, RuntimeError, OSError) as e:
        print(f"train_bert: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
