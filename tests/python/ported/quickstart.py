# The quickstart tutorial's shape: a Dataset subclass, DataLoader, nn.Sequential with Flatten,
# train/test loops, saving and loading the state dict. Synthetic 28x28 "images" of 10 classes.
import os
import sys
import tempfile

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)


class Prototypes(Dataset):
    """Each class is a fixed random image; a sample is its prototype plus noise."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(1234)
        self.protos = torch.rand(10, 28, 28, generator=g)
        g.manual_seed(seed)
        self.labels = torch.randint(0, 10, (n,), generator=g)
        self.noise = 0.3 * torch.randn(n, 28, 28, generator=g)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        label = int(self.labels[idx])
        return (self.protos[label] + self.noise[idx]).unsqueeze(0), label


train_dataloader = DataLoader(Prototypes(640, 1), batch_size=64, shuffle=True)
test_dataloader = DataLoader(Prototypes(320, 2), batch_size=64)

for X, y in test_dataloader:
    print(f"Shape of X [N, C, H, W]: {X.shape}")
    print(f"Shape of y: {y.shape} {y.dtype}")
    break


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


device = "cuda" if torch.cuda.is_available() else "cpu"
model = NeuralNetwork().to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 5 == 0:
            print(f"loss: {loss.item():>7f}  [{(batch + 1) * len(X):>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    return test_loss / num_batches, correct / size


for t in range(3):
    train(train_dataloader, model, loss_fn, optimizer)
    loss, acc = test(test_dataloader, model, loss_fn)
    print(f"Epoch {t + 1}: accuracy {100 * acc:>0.1f}%, avg loss {loss:>8f}")

path = os.path.join(tempfile.mkdtemp(), "model.pth")
torch.save(model.state_dict(), path)
model2 = NeuralNetwork().to(device)
model2.load_state_dict(torch.load(path))
model2.eval()
x, y = test_dataloader.dataset[0]
x = x.to(device)
with torch.no_grad():
    same = torch.equal(model2(x), model(x))
print("reloaded model agrees:", same)
sys.exit(0 if acc > 0.9 and same else 1)
