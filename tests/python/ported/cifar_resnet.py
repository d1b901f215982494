# The CIFAR ResNet trainer's shape: torchvision transforms (ToTensor, RandomCrop with padding,
# RandomHorizontalFlip, Normalize) on HWC uint8 numpy images, BasicBlock ResNet with
# F.relu and a shortcut Sequential, SGD + CosineAnnealingLR, cudnn.benchmark, a DataParallel guard,
# checkpoints {'net', 'acc', 'epoch'} saved and resumed.
import os
import sys
import tempfile

import numpy as np
import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision.transforms as transforms
from torch.utils.data import DataLoader, Dataset

device = 'cuda' if torch.cuda.is_available() else 'cpu'
torch.manual_seed(0)


class StripesDataset(Dataset):
    """CIFAR-like: 16x16x3 uint8 images, class 0 = horizontal stripes, 1 = vertical, 2 = checkerboard."""

    def __init__(self, n, seed, transform=None):
        rng = np.random.RandomState(seed)
        self.targets = rng.randint(0, 3, n).tolist()
        yy, xx = np.mgrid[0:16, 0:16]
        patterns = [(yy // 2) % 2, (xx // 2) % 2, ((yy // 2) + (xx // 2)) % 2]
        self.data = np.stack([np.repeat(patterns[t][:, :, None], 3, axis=2) * 160 + rng.randint(0, 90, (16, 16, 3))
                              for t in self.targets]).astype(np.uint8)
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        return img, target


transform_train = transforms.Compose([
    transforms.ToTensor(),
    transforms.RandomCrop(16, padding=2),
    transforms.RandomHorizontalFlip(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
])
transform_test = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
])
trainloader = DataLoader(StripesDataset(384, 1, transform_train), batch_size=32, shuffle=True, num_workers=2)
testloader = DataLoader(StripesDataset(96, 2, transform_test), batch_size=48, shuffle=False, num_workers=2)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=3):
        super(ResNet, self).__init__()
        self.in_planes = 8
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = self._make_layer(block, 8, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 16, num_blocks[1], stride=2)
        self.linear = nn.Linear(16 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer2(self.layer1(out))
        out = F.avg_pool2d(out, 8)
        out = out.view(out.size(0), -1)
        return self.linear(out)


net = ResNet(BasicBlock, [1, 1]).to(device)
if device == 'cuda':
    net = torch.nn.DataParallel(net)
    cudnn.benchmark = True
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
ckpt_dir = tempfile.mkdtemp()


def train(epoch):
    net.train()
    train_loss = correct = total = 0
    for batch_idx, (inputs, targets) in enumerate(trainloader):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        train_loss += loss.item()
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()
    print('epoch %d train loss %.3f acc %.1f%%' % (epoch, train_loss / (batch_idx + 1), 100. * correct / total))


def test(epoch):
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for inputs, targets in testloader:
            outputs = net(inputs.to(device))
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets.to(device)).sum().item()
    acc = 100. * correct / total
    state = {'net': net.state_dict(), 'acc': acc, 'epoch': epoch}
    torch.save(state, os.path.join(ckpt_dir, 'ckpt.pth'))
    return acc


for epoch in range(0, 4):
    train(epoch)
    acc = test(epoch)
    scheduler.step()
print('test accuracy %.1f%%' % acc)

checkpoint = torch.load(os.path.join(ckpt_dir, 'ckpt.pth'))
net2 = ResNet(BasicBlock, [1, 1]).to(device)
if device == 'cuda':
    net2 = torch.nn.DataParallel(net2)  # the checkpoint's keys carry DataParallel's 'module.' prefix
net2.load_state_dict(checkpoint['net'])
start_epoch = checkpoint['epoch'] + 1
print('resumed: epoch %d, acc %.1f%%' % (start_epoch, checkpoint['acc']))
net2.eval()
x, _ = next(iter(testloader))
with torch.no_grad():
    x = x.to(device)
    same = torch.allclose(net2(x), net(x))
sys.exit(0 if acc > 90 and start_epoch == 4 and same else 1)
