# The VAE example's shape: fc encoder/decoder, reparameterize with randn_like, binary_cross_entropy
# (reduction='sum') plus the KL term, Adam, sampling under no_grad and save_image of a grid.
import os
import sys
import tempfile

import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F
from torchvision.utils import save_image

torch.manual_seed(1)


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(144, 64)
        self.fc21 = nn.Linear(64, 4)
        self.fc22 = nn.Linear(64, 4)
        self.fc3 = nn.Linear(4, 64)
        self.fc4 = nn.Linear(64, 144)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 144))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 144), reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


# Blobs: 12x12 images of a bright square at one of 4 places.
images = torch.zeros(256, 1, 12, 12)
for i in range(256):
    r, c = divmod(i % 4, 2)
    images[i, 0, r * 6:r * 6 + 6, c * 6:c * 6 + 6] = 1.0
images = images.clamp(0.05, 0.95)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images), batch_size=32, shuffle=True)

model = VAE()
optimizer = optim.Adam(model.parameters(), lr=1e-2)
losses = []
for epoch in range(1, 6):
    model.train()
    train_loss = 0
    for batch_idx, (data,) in enumerate(loader):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    losses.append(train_loss / len(loader.dataset))
    print('====> Epoch: {} Average loss: {:.4f}'.format(epoch, losses[-1]))

out = tempfile.mkdtemp()
with torch.no_grad():
    sample = model.decode(torch.randn(16, 4))
    save_image(sample.view(16, 1, 12, 12), os.path.join(out, 'sample.png'))
    data = images[:8]
    recon, _, _ = model(data)
    comparison = torch.cat([data, recon.view(8, 1, 12, 12)])
    save_image(comparison.cpu(), os.path.join(out, 'reconstruction.png'), nrow=8)
size = os.path.getsize(os.path.join(out, 'sample.png'))
print("sample.png bytes:", size)
sys.exit(0 if losses[-1] < 0.6 * losses[0] and size > 0 else 1)
