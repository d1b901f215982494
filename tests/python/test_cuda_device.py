"""The Python module's CUDA paths on a CUDA device: the simulated one in CI (SEEK_CUDA_SIM=ON),
a real GPU elsewhere. seek.cuda's queries and memory statistics as torch.cuda has them, moving
tensors and modules (every dtype bit for bit, non-contiguous ones too), printing, numpy(),
checkpoints, and the errors of ops the CUDA backend has no kernel for. Every test skips where
seek.cuda.is_available() is False (a build without CUDA, or no device visible)."""
import numpy as np
import pytest

import seek

pytestmark = pytest.mark.skipif(not seek.cuda.is_available(),
                                reason="seek.cuda.is_available() is False: no CUDA build or no device visible")

ALL_DTYPES = [seek.float64, seek.float32, seek.float16, seek.bfloat16, seek.int64, seek.int32, seek.int16, seek.int8,
              seek.uint8, seek.bool]


def values_of(dtype, shape=(5, 7)):
    """Values every dtype holds exactly, with signs, fractions and (floats) specials."""
    if dtype == seek.bool:
        return seek.tensor(np.random.default_rng(3).integers(0, 2, size=shape).astype(bool))
    if dtype == seek.uint8:
        return seek.tensor(np.random.default_rng(3).integers(0, 256, size=shape).astype(np.uint8))
    if dtype in (seek.int8, seek.int16, seek.int32, seek.int64):
        return seek.tensor(np.random.default_rng(3).integers(-100, 100, size=shape)).to(dtype)
    t = seek.tensor(np.random.default_rng(3).normal(scale=100.0, size=shape)).to(dtype)
    flat = t.view(-1)
    flat[0] = float("inf")
    flat[1] = float("-inf")
    flat[2] = float("nan")
    flat[3] = -0.0
    return t


# ---- seek.cuda queries (torch.cuda semantics) ----

def test_device_queries():
    n = seek.cuda.device_count()
    assert n >= 1
    assert 0 <= seek.cuda.current_device() < n
    props = seek.cuda.get_device_properties(0)
    assert isinstance(props.name, str) and props.name
    assert props.total_memory > 0 and props.multi_processor_count > 0
    assert props.major >= 1
    assert seek.cuda.get_device_name() == props.name == seek.cuda.get_device_name(0)
    assert seek.cuda.get_device_name("cuda:0") == seek.cuda.get_device_name(seek.device("cuda", 0)) == props.name
    assert seek.cuda.get_device_capability() == (props.major, props.minor)
    assert f"name='{props.name}'" in repr(props) and "total_memory=" in repr(props)
    assert "cuda" in seek.cuda.build_info().lower() or "simulator" in seek.cuda.build_info().lower()


def test_device_arguments_and_their_errors():
    with pytest.raises(RuntimeError, match="not a visible GPU"):
        seek.cuda.get_device_properties(seek.cuda.device_count())
    with pytest.raises(RuntimeError, match="set_device: device .* is not a visible GPU"):
        seek.cuda.set_device(seek.cuda.device_count() + 2)
    with pytest.raises(ValueError, match="expected a cuda device, but got: cpu"):
        seek.cuda.memory_allocated("cpu")
    with pytest.raises(TypeError, match="expected a device index, string or seek.device, got float"):
        seek.cuda.get_device_name(0.5)
    seek.cuda.set_device(-1)  # a negative index does nothing, as in torch
    before = seek.cuda.current_device()
    seek.cuda.set_device("cuda:0")
    assert seek.cuda.current_device() == 0
    seek.cuda.set_device(before)


def test_set_device_moves_the_default_of_cuda():
    if seek.cuda.device_count() < 2:
        pytest.skip("needs two devices (SEEK_SIM_DEVICES=2 with the simulated one)")
    seek.cuda.set_device(1)
    try:
        assert seek.ones(3).cuda().device == seek.device("cuda:1")
        assert seek.ones(3).cuda().get_device() == 1
        seek.cuda.synchronize(0)
        assert seek.cuda.current_device() == 1
    finally:
        seek.cuda.set_device(0)


def test_memory_statistics_follow_tensors():
    seek.cuda.synchronize()
    seek.cuda.synchronize("cuda:0")
    seek.cuda.empty_cache()
    base = seek.cuda.memory_allocated()
    assert base == seek.cuda.memory_allocated(0) == seek.cuda.memory_allocated("cuda:0") \
        == seek.cuda.memory_allocated(seek.device("cuda:0"))
    seek.cuda.reset_peak_memory_stats()
    assert seek.cuda.max_memory_allocated() == base
    t = seek.zeros(1 << 18, device="cuda")  # 1 MiB of float32
    assert seek.cuda.memory_allocated() >= base + (1 << 20)
    assert seek.cuda.memory_reserved() >= seek.cuda.memory_allocated()
    peak = seek.cuda.max_memory_allocated()
    assert peak >= base + (1 << 20)
    del t
    assert seek.cuda.memory_allocated() == base
    assert seek.cuda.max_memory_allocated() == peak  # the peak stays until reset
    cached = seek.cuda.memory_reserved()
    assert cached >= base + (1 << 20)  # the freed block stays cached...
    seek.cuda.empty_cache()
    assert seek.cuda.memory_reserved() <= cached - (1 << 20)  # ...until empty_cache returns it
    assert seek.cuda.memory_reserved() >= seek.cuda.memory_allocated()
    seek.cuda.reset_peak_memory_stats(0)
    assert seek.cuda.max_memory_allocated(0) == base


# ---- moving tensors ----

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_every_dtype_round_trips_bit_for_bit(dtype):
    t = values_of(dtype)
    c = t.to("cuda")
    assert c.device == seek.device("cuda:0") and c.is_cuda and c.dtype == dtype
    back = c.cpu()
    assert not back.is_cuda and back.device == seek.device("cpu")
    # The raw bytes (safetensors holds them as they are: NaN payloads, -0.0, bfloat16 too).
    assert seek.io.safetensors.save({"t": back}) == seek.io.safetensors.save({"t": t})
    assert seek.io.safetensors.save({"t": c}) == seek.io.safetensors.save({"t": t})


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_non_contiguous_tensors_move_both_ways(dtype):
    t = values_of(dtype, (6, 9))
    for view in (t.t(), t[1::2, ::3], t[:, 2], t.unsqueeze(0).expand(3, 6, 9)):
        c = view.cuda()
        assert c.shape == view.shape and c.is_cuda
        assert np.array_equal(c.cpu().to(seek.float64).numpy(), view.to(seek.float64).numpy(), equal_nan=True)
    # A strided view of a device tensor back to the host.
    d = t.cuda()[::2, 1::2]
    assert not d.is_contiguous()
    assert np.array_equal(d.cpu().to(seek.float64).numpy(), t[::2, 1::2].to(seek.float64).numpy(), equal_nan=True)


def test_to_forms_and_device_attributes():
    t = seek.arange(12, dtype=seek.float32).reshape(3, 4)
    c = t.to(device="cuda", dtype=seek.float64)
    assert (c.device.type, c.device.index, c.dtype, c.is_cuda) == ("cuda", 0, seek.float64, True)
    assert c.get_device() == 0 and t.get_device() == -1
    assert t.to("cuda:0", seek.float16).dtype == seek.float16
    assert t.to(seek.device("cuda")).is_cuda and t.cuda(0).is_cuda and t.cuda("cuda:0").is_cuda
    assert t.cuda(seek.device("cuda:0"), non_blocking=True).is_cuda
    assert t.to("cuda", non_blocking=True).is_cuda
    assert seek.ones(2).to(c).device == c.device and seek.ones(2).to(c).dtype == seek.float64
    # Already there: the same storage, no copy (as torch returns self).
    assert c.cuda().data_ptr() == c.data_ptr() and c.to("cuda").data_ptr() == c.data_ptr()
    assert t.cpu().data_ptr() == t.data_ptr()
    assert c.to("cuda", copy=True).data_ptr() != c.data_ptr()
    with pytest.raises(ValueError, match="expected a cuda device, got cpu"):
        t.cuda("cpu")
    with pytest.raises(RuntimeError, match="not a visible GPU"):
        t.to(f"cuda:{seek.cuda.device_count()}")
    assert c.cpu().tolist() == t.tolist()
    assert c.tolist() == t.tolist() and c[1, 2].item() == 6.0


def test_creation_on_the_device():
    for make in (lambda: seek.zeros(2, 3, device="cuda"), lambda: seek.ones((2, 3), device="cuda:0"),
                 lambda: seek.full((2, 3), 2.5, device=seek.device("cuda")), lambda: seek.empty(2, 3, device="cuda"),
                 lambda: seek.tensor([[1.0, 2.0, 3.0]] * 2, device="cuda"), lambda: seek.arange(6, device="cuda")):
        t = make()
        assert t.is_cuda and t.numel() == 6
    assert seek.zeros(2, 3, device="cuda").cpu().tolist() == [[0.0] * 3] * 2
    assert seek.full((2,), 2.5, device="cuda", dtype=seek.bfloat16).cpu().tolist() == [2.5, 2.5]
    c = seek.ones(3, 2, device="cuda", dtype=seek.int32)
    for like in (seek.zeros_like(c), seek.ones_like(c), seek.full_like(c, 7), seek.empty_like(c)):
        assert like.is_cuda and like.dtype == seek.int32 and like.shape == c.shape
    assert seek.full_like(c, 7).cpu().tolist() == [[7, 7]] * 3
    assert seek.zeros_like(c, device="cpu").device == seek.device("cpu")
    c.fill_(4)
    assert c.cpu().tolist() == [[4, 4]] * 3
    c[1].zero_()
    assert c.cpu().tolist() == [[4, 4], [0, 0], [4, 4]]


def test_copy_ops_run_on_the_device():
    t = seek.arange(24, dtype=seek.float32).reshape(2, 3, 4)
    c = t.cuda()
    checks = {
        "clone": (c.clone(), t.clone()),
        "contiguous": (c.transpose(0, 2).contiguous(), t.transpose(0, 2).contiguous()),
        "permute": (c.permute(2, 0, 1).contiguous(), t.permute(2, 0, 1).contiguous()),
        "expand": (c[:, :1].expand(2, 5, 4).contiguous(), t[:, :1].expand(2, 5, 4).contiguous()),
        "cat": (seek.cat([c, c[:, :1]], 1), seek.cat([t, t[:, :1]], 1)),
        "stack": (seek.stack([c[0], c[1]]), seek.stack([t[0], t[1]])),
        "to_dtype": (c.to(seek.int64), t.to(seek.int64)),
    }
    for name, (got, want) in checks.items():
        assert got.is_cuda, name
        assert got.cpu().tolist() == want.tolist(), name


def test_autograd_through_copies_on_the_device():
    x = seek.arange(6, dtype=seek.float32).reshape(2, 3).cuda().requires_grad_()
    y = x.t().contiguous()
    y.backward(seek.full((3, 2), 2.0, device="cuda"))  # the leaf's first gradient: stored, no add
    assert x.grad.is_cuda and x.grad.cpu().tolist() == [[2.0] * 3] * 2


# ---- printing, numpy, errors ----

def test_printing_names_the_device():
    c = seek.tensor([[1.5, -2.0], [0.25, 3.0]]).cuda()
    assert repr(c) == "tensor([[ 1.5000, -2.0000],\n        [ 0.2500,  3.0000]], device='cuda:0')"
    assert "device='cuda:0'" in str(seek.zeros(2, dtype=seek.int64, device="cuda"))
    assert "dtype=seek.float16" in repr(seek.ones(2, device="cuda", dtype=seek.float16))
    assert str(c.device) == "cuda:0" and repr(c.device) == "device(type='cuda', index=0)"


def test_numpy_of_a_cuda_tensor_is_a_type_error_like_torch():
    c = seek.ones(3).cuda()
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy\. "
                                        r"Use Tensor\.cpu\(\) to copy the tensor to host memory first\."):
        c.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        np.asarray(c)
    assert c.numpy(force=True).tolist() == [1.0, 1.0, 1.0]
    assert c.cpu().numpy().tolist() == [1.0, 1.0, 1.0]


def _needs_no_kernel(thunk):
    """Whether thunk raises the missing-kernel error; None when the backend has the kernel."""
    try:
        thunk()
    except RuntimeError as e:
        return str(e)
    return None


@pytest.mark.parametrize("op, thunk", [
    ("add", lambda c: c + c),
    ("exp", lambda c: c.exp()),
    ("sum", lambda c: c.sum()),
    ("gemm", lambda c: c @ c),
    ("random", lambda c: seek.randn(3, device="cuda")),
])
def test_ops_without_a_kernel_name_the_op_and_the_device(op, thunk):
    c = seek.ones(3, 3).cuda()
    message = _needs_no_kernel(lambda: thunk(c))
    if message is None:
        pytest.skip(f"the CUDA backend has a kernel for {op} now")
    assert op in message and "cuda" in message, message
    assert "no kernel" in message and ".cpu()" in message, message


def test_mixing_devices_is_an_error():
    with pytest.raises(RuntimeError, match="cuda|device"):
        seek.ones(2) + seek.ones(2).cuda()


# ---- modules and checkpoints ----

def _model():
    seek.manual_seed(0)
    return seek.nn.Sequential(seek.nn.Linear(3, 4), seek.nn.BatchNorm1d(4), seek.nn.Linear(4, 2))


def test_module_cuda_moves_parameters_and_buffers():
    m = _model()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    assert m.cuda() is m
    for name, v in m.state_dict().items():
        assert v.is_cuda, name
        assert v.cpu().tolist() == before[name].tolist(), name
    assert all(p.is_cuda for p in m.parameters()) and all(b.is_cuda for b in m.buffers())
    assert m.to("cpu") is m and not any(v.is_cuda for v in m.state_dict().values())
    m.to(device="cuda", dtype=seek.float64)
    sd = m.state_dict()
    assert sd["0.weight"].is_cuda and sd["0.weight"].dtype == seek.float64
    assert sd["1.num_batches_tracked"].dtype == seek.int64 and sd["1.num_batches_tracked"].is_cuda


def test_state_dict_round_trip_through_the_cpu():
    m = _model().cuda()
    cpu_sd = {k: v.cpu() for k, v in m.state_dict().items()}
    other = _model()
    with seek.no_grad():
        for p in other.parameters():
            p.fill_(0.0)
    other.load_state_dict(cpu_sd)
    other.cuda()
    for k, v in other.state_dict().items():
        assert v.is_cuda and v.cpu().tolist() == cpu_sd[k].tolist(), k
    # Loading CPU tensors into a CUDA module keeps the module on the device.
    m2 = _model().cuda()
    m2.load_state_dict(cpu_sd)
    assert all(v.is_cuda for v in m2.state_dict().values())


def test_save_and_load_cuda_tensors(tmp_path):
    c = values_of(seek.float32).cuda()
    h = seek.arange(4)
    path = tmp_path / "c.pt"
    seek.save({"c": c, "h": h, "view": c[1:3]}, path)
    back = seek.load(path)  # back where they were saved from, as torch.load
    assert back["c"].is_cuda and not back["h"].is_cuda and back["view"].is_cuda
    assert np.array_equal(back["c"].cpu().numpy(), c.cpu().numpy(), equal_nan=True)
    assert back["view"].cpu().tolist()[0][:3] == c[1:3].cpu().tolist()[0][:3]
    on_cpu = seek.load(path, map_location="cpu")
    assert not any(t.is_cuda for t in on_cpu.values())
    assert not seek.load(path, map_location=seek.device("cpu"))["c"].is_cuda
    assert seek.load(path, map_location={"cuda:0": "cpu"})["c"].device == seek.device("cpu")
    assert seek.load(path, map_location={"cpu": "cuda:0"})["h"].is_cuda
    seen = []
    out = seek.load(path, map_location=lambda t, loc: seen.append(loc))  # None: the default place
    assert sorted(set(seen)) == ["cpu", "cuda:0"] and out["c"].is_cuda
    assert seek.load(path, map_location="cuda")["h"].is_cuda


def test_module_state_saved_from_the_device_loads_on_the_cpu(tmp_path):
    m = _model().cuda()
    seek.save(m.state_dict(), tmp_path / "m.pt")
    sd = seek.load(tmp_path / "m.pt", map_location="cpu")
    cpu_model = _model()
    cpu_model.load_state_dict(sd)
    for k, v in cpu_model.state_dict().items():
        assert v.tolist() == m.state_dict()[k].cpu().tolist(), k


# ---- streams, events, the caching allocator's statistics, pinned memory ----

SIMULATED = seek.cuda.is_available() and seek.cuda.build_config()["simulated"]


def test_streams_and_the_stream_context():
    default = seek.cuda.current_stream()
    assert default == seek.cuda.default_stream(0)
    s = seek.cuda.Stream()
    assert s != default and s.device == seek.device("cuda:0") and s.priority == 0
    assert seek.cuda.Stream(priority=-1).priority < 0
    with seek.cuda.stream(s):
        assert seek.cuda.current_stream() == s
        x = seek.arange(10, dtype=seek.float32, device="cuda")
        y = (x * 2).sum()
    assert seek.cuda.current_stream() == default
    assert y.item() == 90.0  # item() waits for the stream
    with seek.cuda.stream(None):
        assert seek.cuda.current_stream() == default
    seek.cuda.set_stream(s)
    assert seek.cuda.current_stream() == s
    seek.cuda.set_stream(default)
    assert isinstance(s.cuda_stream, int) and s.cuda_stream != default.cuda_stream


def test_events_record_wait_and_time():
    s1, s2 = seek.cuda.Stream(), seek.cuda.Stream()
    start, end = seek.cuda.Event(enable_timing=True), seek.cuda.Event(enable_timing=True)
    assert start.query()  # not recorded yet
    start.record(s1)
    end.record(s1)
    s2.wait_event(end)
    if SIMULATED:  # an event on a non-default stream is pending until the host synchronises
        assert not end.query() and not s1.query() and not s2.query()
        s2.synchronize()  # s2 waited for `end`, so it completed too
        assert end.query() and start.query()
    assert start.elapsed_time(end) >= 0.0
    e = s1.record_event()
    assert e.is_recorded
    s2.wait_stream(s1)
    seek.cuda.synchronize()
    assert e.query() and s1.query() and s2.query()
    with pytest.raises(ValueError):
        seek.cuda.Event().elapsed_time(end)


def test_memory_stats_has_torchs_keys_and_counts_reuse():
    seek.cuda.synchronize()
    seek.cuda.empty_cache()
    before = seek.cuda.memory_stats()
    for key in ["allocated_bytes.all.current", "allocated_bytes.all.peak", "reserved_bytes.all.peak",
                "reserved_bytes.large_pool.current", "active_bytes.small_pool.freed", "allocation.all.allocated",
                "segment.all.current", "num_alloc_retries", "num_ooms", "num_cache_hits"]:
        assert key in before, key
    a = seek.empty(1000, dtype=seek.float32, device="cuda")  # 4000 B -> 4096 B
    del a
    b = seek.empty(1024, dtype=seek.float32, device="cuda")  # the same block again
    after = seek.cuda.memory_stats()
    assert after["num_cache_hits"] - before["num_cache_hits"] == 1
    assert after["segment.all.allocated"] - before["segment.all.allocated"] == 1
    assert after["allocated_bytes.small_pool.current"] - before["allocated_bytes.small_pool.current"] == 4096
    assert after["allocation.all.freed"] - before["allocation.all.freed"] == 1
    assert seek.cuda.max_memory_reserved() >= seek.cuda.memory_reserved() >= 4096
    text = seek.cuda.memory_summary()
    assert "Allocated memory" in text and "Reserved memory" in text
    del b


def test_record_stream_holds_a_block_back_until_the_other_stream_is_done():
    s1, s2 = seek.cuda.Stream(), seek.cuda.Stream()
    with seek.cuda.stream(s1):
        x = seek.empty(70000, dtype=seek.uint8, device="cuda")
        ptr = x.data_ptr()
        x.record_stream(s2)
        del x
        if SIMULATED:
            y = seek.empty(70000, dtype=seek.uint8, device="cuda")
            assert y.data_ptr() != ptr
            del y
        s2.synchronize()
        z = seek.empty(70000, dtype=seek.uint8, device="cuda")
        w = seek.empty(70000, dtype=seek.uint8, device="cuda")
        assert ptr in (z.data_ptr(), w.data_ptr())
    assert seek.cuda.memory_stats()["num_cross_stream_frees"] >= 1


def test_out_of_memory_is_catchable_and_the_next_allocation_works():
    before = seek.cuda.memory_stats()["num_ooms"]
    with pytest.raises(seek.cuda.OutOfMemoryError, match="tried to allocate"):
        seek.empty(1 << 50, dtype=seek.uint8, device="cuda")
    assert seek.cuda.memory_stats()["num_ooms"] == before + 1
    lin = seek.nn.Linear(3, 2).cuda()
    opt = seek.optim.SGD(lin.parameters(), lr=0.1)
    loss = lin(seek.ones(4, 3, device="cuda")).pow(2).mean()
    loss.backward()
    opt.step()
    assert np.isfinite(loss.item())


@pytest.mark.parametrize("dtype", [seek.float32, seek.float16, seek.int64, seek.uint8])
def test_pinned_memory_and_non_blocking_copies(dtype):
    h = values_of(dtype, (6, 9)).t()
    assert not h.is_pinned()
    p = h.pin_memory()
    assert p.is_pinned() and p.device.type == "cpu"
    assert p.pin_memory() is p or p.pin_memory().data_ptr() == p.data_ptr()
    s = seek.cuda.Stream()
    with seek.cuda.stream(s):
        d = p.to("cuda", non_blocking=True)
        d2 = p.cuda(non_blocking=True)
    np.testing.assert_array_equal(d.cpu().numpy(), h.numpy())
    np.testing.assert_array_equal(d2.cpu().numpy(), h.numpy())
    np.testing.assert_array_equal(h.to("cuda", non_blocking=True).cpu().numpy(), h.numpy())  # pageable source
    with pytest.raises(RuntimeError, match="only CPU tensors can be pinned"):
        d.pin_memory()


@pytest.mark.parametrize("workers", [0, 2])
def test_dataloader_pin_memory(workers):
    from seek.utils.data import DataLoader, TensorDataset
    ds = TensorDataset(seek.arange(40, dtype=seek.float32).view(10, 4), seek.arange(10))
    plain = list(DataLoader(ds, batch_size=4, num_workers=workers))
    loader = DataLoader(ds, batch_size=4, num_workers=workers, pin_memory=True)
    pinned = list(loader)
    assert len(pinned) == len(plain) == 3
    for (x, y), (px, py) in zip(plain, pinned):
        assert px.is_pinned() and py.is_pinned() and not x.is_pinned()
        np.testing.assert_array_equal(px.to("cuda", non_blocking=True).cpu().numpy(), x.numpy())
        np.testing.assert_array_equal(py.numpy(), y.numpy())


def test_build_config_and_cudnn_report_the_build_truthfully():
    c = seek.cuda.build_config()
    assert c["cuda"] is True and c["device_count"] == seek.cuda.device_count()
    info = seek.cuda.build_info()
    assert f"cuDNN {c['cudnn_version']}" in info and f"NCCL {c['nccl_version']}" in info
    if c["simulated"]:
        assert c["architectures"] == "simulated" and "simulated" in info
        assert seek.backends.cudnn.version() is None and seek.backends.cudnn.is_available() is False
    else:
        assert (seek.backends.cudnn.version() is None) == (c["cudnn_runtime_version"] == "none")
