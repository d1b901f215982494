"""Reference numbers for the ResNet-D tests in test_resnet.cpp, from timm (needs torch + timm).

Prints, for timm's resnet18d / resnet34d / resnet50d (1000 classes): the parameter count, the
number of state_dict entries, the stem keys up to "bn1.weight", and the first block's shortcut
keys of layer1 and layer2.

    python3 tests/cpp/models/gen_resnet_d_ref.py
"""


def main():
    import timm  # imported here so that reading this file needs nothing installed

    for name in ("resnet18d", "resnet34d", "resnet50d"):
        model = timm.create_model(name, pretrained=False, num_classes=1000)
        keys = list(model.state_dict().keys())
        print(name)
        print("  parameters:", sum(p.numel() for p in model.parameters()))
        print("  state_dict entries:", len(keys))
        print("  stem keys:", keys[: keys.index("bn1.weight") + 1])
        for layer in ("layer1", "layer2"):
            print(f"  {layer}.0 shortcut keys:", [k for k in keys if k.startswith(f"{layer}.0.downsample.")])


if __name__ == "__main__":
    main()
