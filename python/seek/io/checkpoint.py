"""seek.save / seek.load of nested checkpoints, without pickle.

Layout: one standard safetensors file. Every tensor is stored under a name made of its path
in the object ("model.0.weight", "optimizer.state.0.exp_avg"; a suffix "#n" keeps names
unique), and the file's "__metadata__" holds, under "seek.structure", JSON describing the
object around the tensors:

    null / true / false / 12 / 0.5 / "text"   None, bools, ints, floats, strings
    [...]                                       list
    {"tuple": [...]}, {"set": [...]}            tuple, set (frozenset: "frozenset")
    {"dict": [[key, value], ...]}               dict (keys: str, int, float, bool, None, tuples of these)
    {"odict": [[key, value], ...]}              collections.OrderedDict
    {"float": "inf" | "-inf" | "nan"}           non-finite floats
    {"bytes": "<base64>"}                       bytes
    {"tensor": name}                            a tensor (+ "requires_grad": true, "param": true)
    {"tensor": name, "view": [size, stride, offset]}
                                                a view of a storage that several saved tensors
                                                share: name holds that storage once, flat

    "devices": {name: "cuda:0", ...}            (beside "root") the device each stored tensor was
                                                saved from, when not the CPU

The same tensor object saved twice is stored once and loads as one object; tensors that
viewed one storage load as views of one storage again (as torch.save keeps them). A file
without "seek.structure" (any other safetensors file) loads as an OrderedDict of its tensors.
"""
import base64
import collections
import collections.abc
import json
import math

from .. import _C

STRUCTURE_KEY = "seek.structure"
_VERSION = 1
_MAX_DEPTH = 1000


def _tensor_type():
    return _C.Tensor


class _Encoder:
    def __init__(self, who):
        self.who = who
        self.names = set()
        self.tensors = []          # (name, tensor) in save order
        self.by_id = {}            # id(tensor) -> node
        self.keep = []             # keeps saved tensors alive while ids are in use
        self.shared = {}           # storage id -> (name, flat tensor) for storages several tensors view
        self.devices = {}          # stored name -> "cuda:N" for tensors saved from a GPU

    def _name(self, path):
        base = ".".join(str(p) for p in path) or "tensor"
        name, n = base, 1
        while name in self.names or name == "__metadata__":
            name = f"{base}#{n}"
            n += 1
        self.names.add(name)
        return name

    def plan_sharing(self, obj):
        """Finds storages viewed by two or more distinct tensors of one dtype."""
        seen, users = set(), collections.defaultdict(dict)

        def walk(o, depth):
            if depth > _MAX_DEPTH:
                raise ValueError(f"{self.who}: containers nested deeper than {_MAX_DEPTH} levels (a cycle?)")
            if isinstance(o, _tensor_type()):
                sid, nbytes = _C.io.storage_of(o)
                users[sid][id(o)] = o
                return
            if id(o) in seen:
                return
            if isinstance(o, collections.abc.Mapping):
                seen.add(id(o))
                for k, v in o.items():
                    walk(v, depth + 1)
            elif isinstance(o, (list, tuple, set, frozenset)):
                seen.add(id(o))
                for v in o:
                    walk(v, depth + 1)

        walk(obj, 0)
        self.shared_ids = {sid for sid, ts in users.items()
                           if len(ts) > 1 and len({t.dtype for t in ts.values()}) == 1}

    def encode(self, o, path, depth=0):
        if depth > _MAX_DEPTH:
            raise ValueError(f"{self.who}: containers nested deeper than {_MAX_DEPTH} levels (a cycle?)")
        where = ".".join(str(p) for p in path) or "the object"
        if o is None or isinstance(o, (bool, str)):
            return o
        if isinstance(o, int):
            return int(o)
        if isinstance(o, float):
            if math.isfinite(o):
                return float(o)
            return {"float": "nan" if math.isnan(o) else ("inf" if o > 0 else "-inf")}
        if isinstance(o, (bytes, bytearray)):
            return {"bytes": base64.b64encode(bytes(o)).decode("ascii")}
        if isinstance(o, _tensor_type()):
            return self.tensor(o, path)
        if isinstance(o, collections.abc.Mapping):
            kind = "odict" if isinstance(o, collections.OrderedDict) else "dict"
            return {kind: [[self.key(k, path), self.encode(v, path + [k], depth + 1)] for k, v in o.items()]}
        if isinstance(o, list):
            return [self.encode(v, path + [i], depth + 1) for i, v in enumerate(o)]
        if isinstance(o, tuple):
            return {"tuple": [self.encode(v, path + [i], depth + 1) for i, v in enumerate(o)]}
        if isinstance(o, (set, frozenset)):
            kind = "set" if isinstance(o, set) else "frozenset"
            return {kind: [self.key(v, path) for v in o]}
        hint = " (save obj.state_dict() instead)" if hasattr(o, "state_dict") else ""
        raise TypeError(f"{self.who}: cannot save {type(o).__name__} at {where}{hint}: seek.save stores tensors, "
                        f"numbers, strings, bytes, None and dicts / lists / tuples / sets of them")

    def key(self, k, path):
        if isinstance(k, tuple):
            return {"tuple": [self.key(v, path) for v in k]}
        if k is None or isinstance(k, (bool, int, float, str)):
            return self.encode(k, path)
        raise TypeError(f"{self.who}: cannot save a dict key or set element of type {type(k).__name__} at "
                        f"{'.'.join(str(p) for p in path) or 'the top level'} (str, int, float, bool, None or "
                        f"tuples of these)")

    def tensor(self, t, path):
        node = self.by_id.get(id(t))
        if node is not None:
            return node
        sid, nbytes = _C.io.storage_of(t)
        if sid in self.shared_ids:
            if sid not in self.shared:
                itemsize = t.element_size()
                flat = t.detach().as_strided((nbytes // itemsize,), (1,), 0)
                name = self._name(path)
                self.shared[sid] = name
                self.tensors.append((name, flat))
            node = {"tensor": self.shared[sid], "view": [list(t.shape), list(t.stride()), t.storage_offset()]}
        else:
            name = self._name(path)
            self.tensors.append((name, t.detach()))
            node = {"tensor": name}
        if t.device.type != "cpu":
            self.devices[node["tensor"]] = str(t.device)
        if t.requires_grad:
            node["requires_grad"] = True
        if getattr(t, "_is_param", False):
            node["param"] = True
        self.by_id[id(t)] = node
        self.keep.append(t)
        return node


def encode(obj, who):
    """(named tensors, metadata) of obj for a safetensors file."""
    enc = _Encoder(who)
    enc.plan_sharing(obj)
    root = enc.encode(obj, [])
    doc = {"version": _VERSION, "root": root}
    if enc.devices:
        doc["devices"] = enc.devices
    meta = {"format": "pt", STRUCTURE_KEY: json.dumps(doc, separators=(",", ":"), allow_nan=False)}
    return enc.tensors, meta


def decode(tensors, metadata, source, map_location=None):
    """The object a file with these tensors and metadata holds."""
    text = metadata.get(STRUCTURE_KEY)
    if text is None:
        out = collections.OrderedDict(tensors)
        return _map_all(out, map_location) if map_location is not None else out
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise RuntimeError(f"seek.load: '{source}': the structure in its metadata is not valid JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("version") != _VERSION or "root" not in doc:
        raise RuntimeError(f"seek.load: '{source}': unknown structure version {doc.get('version')!r}"
                           if isinstance(doc, dict) else f"seek.load: '{source}': malformed structure")
    stored = dict(tensors)
    made = {}

    def bad(what):
        raise RuntimeError(f"seek.load: '{source}': malformed structure: {what}")

    def dec(n, depth):
        if depth > _MAX_DEPTH:
            bad(f"nested deeper than {_MAX_DEPTH} levels")
        if n is None or isinstance(n, (bool, int, float, str)):
            return n
        if isinstance(n, list):
            return [dec(v, depth + 1) for v in n]
        if not isinstance(n, dict) or len(n) == 0:
            bad(f"unexpected {type(n).__name__}")
        if "tensor" in n:
            return tensor(n)
        if len(n) != 1:
            bad(f"a node with keys {sorted(n)}")
        (kind, v), = n.items()
        if kind in ("dict", "odict"):
            if not isinstance(v, list) or not all(isinstance(p, list) and len(p) == 2 for p in v):
                bad(f"'{kind}' is not a list of pairs")
            d = collections.OrderedDict() if kind == "odict" else {}
            for k, val in v:
                d[hashable(dec(k, depth + 1))] = dec(val, depth + 1)
            return d
        if kind in ("tuple", "set", "frozenset"):
            if not isinstance(v, list):
                bad(f"'{kind}' is not a list")
            items = [dec(x, depth + 1) for x in v]
            if kind == "tuple":
                return tuple(items)
            items = [hashable(x) for x in items]
            return set(items) if kind == "set" else frozenset(items)
        if kind == "float" and v in ("inf", "-inf", "nan"):
            return float(v)
        if kind == "bytes" and isinstance(v, str):
            return base64.b64decode(v.encode("ascii"), validate=True)
        bad(f"unknown node '{kind}'")

    def hashable(x):
        try:
            hash(x)
        except TypeError:
            bad(f"an unhashable dict key or set element of type {type(x).__name__}")
        return x

    def tensor(n):
        name = n["tensor"]
        if not isinstance(name, str) or name not in stored:
            bad(f"tensor {name!r} is not in the file")
        view = n.get("view")
        key = (name, json.dumps(view))
        if key in made:
            return made[key]
        t = stored[name]
        if view is not None:
            if (not isinstance(view, list) or len(view) != 3 or not isinstance(view[2], int)
                    or not all(isinstance(x, int) for part in view[:2] if isinstance(part, list) for x in part)
                    or not all(isinstance(part, list) for part in view[:2])):
                bad(f"the view of tensor {name!r}")
            try:
                t = t.as_strided(view[0], view[1], view[2])
            except (RuntimeError, ValueError, IndexError) as e:
                bad(f"the view of tensor {name!r} does not fit its storage ({e})")
        t = _map(t, map_location)
        if n.get("requires_grad") and t.is_floating_point():
            t.requires_grad_(True)
        if n.get("param"):
            t._is_param = True
        made[key] = t
        return t

    saved = doc.get("devices", {})
    if not isinstance(saved, dict) or not all(isinstance(v, str) for v in saved.values()):
        bad("'devices' is not a map of tensor names to devices")
    # Each stored tensor goes back to the device it was saved from (as torch.load does), unless
    # map_location says otherwise; views of one storage stay views: each is moved once, before viewing.
    stored = {k: _restore(v, saved.get(k, "cpu"), map_location, source) for k, v in stored.items()}
    map_location = None
    return dec(doc["root"], 0)


def _restore(t, saved_device, map_location, source):
    """t (read on the CPU) where map_location sends a tensor saved from saved_device: a device, a
    dict {saved device: device} or a function (tensor, saved device) -> tensor or None; with
    None (or no entry, or a None result) back to saved_device."""
    if map_location is not None:
        if isinstance(map_location, dict):
            target = map_location.get(saved_device)
            if target is not None:
                return t.to(target)
        elif callable(map_location):
            out = map_location(t, saved_device)
            if out is not None:
                return out
        else:
            return t.to(map_location)
    if saved_device == "cpu":
        return t
    if not _C.cuda.is_available():
        raise RuntimeError(f"seek.load: '{source}': a tensor was saved from {saved_device}, but "
                           f"seek.cuda.is_available() is False; pass map_location='cpu' to load it on the CPU")
    return t.to(saved_device)


def _map(t, map_location):
    if map_location is None:
        return t
    if isinstance(map_location, dict):
        target = map_location.get(str(t.device))
        return t if target is None else t.to(target)
    if callable(map_location):
        out = map_location(t, str(t.device))
        return t if out is None else out
    return t.to(map_location)


def _map_all(d, map_location):
    for k, v in d.items():
        d[k] = _map(v, map_location)
    return d


def map_tree(obj, map_location, memo=None):
    """obj (from a .pth file) with every tensor moved by map_location (views stay shared per tensor)."""
    if map_location is None:
        return obj
    memo = {} if memo is None else memo
    if id(obj) in memo:
        return memo[id(obj)]
    if isinstance(obj, _tensor_type()):
        out = _map(obj, map_location)
    elif isinstance(obj, collections.abc.Mapping):
        out = type(obj)()
        memo[id(obj)] = out
        for k, v in obj.items():
            out[k] = map_tree(v, map_location, memo)
        return out
    elif isinstance(obj, list):
        out = []
        memo[id(obj)] = out
        out.extend(map_tree(v, map_location, memo) for v in obj)
        return out
    elif isinstance(obj, tuple):
        out = tuple(map_tree(v, map_location, memo) for v in obj)
    else:
        out = obj
    memo[id(obj)] = out
    return out
