# The word-language-model example's shape: Embedding -> LSTM -> Linear with tied weights, batchify,
# get_batch, repackage_hidden (detach), clip_grad_norm_, a hand-written SGD update through p.data,
# CrossEntropyLoss and perplexity; the corpus is a tiny synthetic grammar.
import math
import sys

import torch
import torch.nn as nn

torch.manual_seed(1111)


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.2, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == 'LSTM':
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


# Corpus: sentences "the <noun> <verb> ." with 4 nouns and 3 verbs, token ids by first appearance.
words = ["the", "cat", "dog", "bird", "fish", "runs", "eats", "sleeps", "."]
g = torch.Generator().manual_seed(0)
ids = []
for _ in range(600):
    ids += [0, 1 + int(torch.randint(0, 4, (1,), generator=g)), 5 + int(torch.randint(0, 3, (1,), generator=g)), 8]
data = torch.tensor(ids, dtype=torch.long)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


bptt = 12


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)


train_data = batchify(data[:2000], 10)
val_data = batchify(data[2000:], 5)
ntokens = len(words)
for rnn_type in ("LSTM", "GRU"):
    model = RNNModel(rnn_type, ntokens, 16, 16, 2, 0.0, tie_weights=True)
    criterion = nn.NLLLoss()
    lr = 5.0

    def evaluate(data_source):
        model.eval()
        total_loss = 0.
        hidden = model.init_hidden(5)
        with torch.no_grad():
            for i in range(0, data_source.size(0) - 1, bptt):
                data, targets = get_batch(data_source, i)
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
                total_loss += len(data) * criterion(output, targets).item()
        return total_loss / (len(data_source) - 1)

    for epoch in range(1, 5):
        model.train()
        hidden = model.init_hidden(10)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            data, targets = get_batch(train_data, i)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
        val_loss = evaluate(val_data)
        print('| {} epoch {:3d} | valid loss {:5.2f} | valid ppl {:8.2f}'.format(rnn_type, epoch, val_loss,
                                                                               math.exp(val_loss)))
    # Perfect prediction of this grammar: "the" and "." are certain, nouns 1 in 4, verbs 1 in 3:
    # ppl = exp((log 4 + log 3) / 4) = 1.86.
    if math.exp(val_loss) > 2.3:
        sys.exit(1)
