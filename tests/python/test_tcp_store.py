"""seek.distributed.TCPStore: torch.distributed.TCPStore's API (set with str or bytes, get returning bytes, add,
wait, check, delete_key, num_keys, timeouts as timedelta) in this process and across two processes, and the
errors (a missing key, nobody listening, a port in use, the master gone) as RuntimeError naming what failed."""
import datetime
import pathlib
import shutil
import subprocess
import sys
import textwrap
import threading

import pytest

import seek.distributed as dist

TCPStore = dist.TCPStore
T = datetime.timedelta


def master(timeout=T(seconds=30), **kw):
    return TCPStore("127.0.0.1", 0, is_master=True, timeout=timeout, **kw)


def test_set_get_add_check_delete_num_keys():
    m = master()
    assert m.is_master and m.port > 0 and m.host == "127.0.0.1"
    c = TCPStore("127.0.0.1", m.port, world_size=2, is_master=False, timeout=T(seconds=30))
    assert c.num_keys() == 0
    m.set("text", "héllo")  # str is stored as its UTF-8 bytes
    assert c.get("text") == "héllo".encode()
    c.set("raw", b"\x00\xff")
    assert isinstance(m.get("raw"), bytes) and m.get("raw") == b"\x00\xff"
    assert c.add("n", 2) == 2 and m.add("n", -5) == -3
    assert m.get("n") == b"-3"  # as torch: the counter is stored as decimal text
    assert c.check(["text", "raw", "n"]) and not c.check(["text", "absent"])
    assert m.num_keys() == 3
    assert c.delete_key("raw") is True and c.delete_key("raw") is False
    assert m.num_keys() == 2
    with pytest.raises(RuntimeError, match="'text'.*not an integer"):
        m.add("text", 1)


def test_get_of_a_missing_key_times_out_naming_the_key():
    m = master(timeout=T(milliseconds=300))
    assert m.timeout == T(milliseconds=300)
    with pytest.raises(RuntimeError, match=r"get\('nobody/sets/this'\) timed out after 300 ms"):
        m.get("nobody/sets/this")
    with pytest.raises(RuntimeError, match=r"missing: \['b'\]"):
        m.set("a", "1")
        m.wait(["a", "b"], T(milliseconds=100))
    m.wait(["a"])
    m.set_timeout(T(seconds=5))
    assert m.timeout == T(seconds=5)


def test_wait_returns_when_another_client_sets_the_key():
    m = master()
    out = {}

    def client():
        c = TCPStore("localhost", m.port, timeout=T(seconds=30))
        c.wait(["go"])
        out["v"] = c.get("v")

    t = threading.Thread(target=client)
    t.start()
    m.set("v", b"payload")
    m.set("go", "")
    t.join()
    assert out["v"] == b"payload"


CHILD = textwrap.dedent("""
    import datetime, sys
    import seek.distributed as dist
    s = dist.TCPStore("127.0.0.1", int(sys.argv[1]), is_master=False, timeout=datetime.timedelta(seconds=60))
    s.set("child", "here")
    s.add("count", 1)
    print(s.get("parent").decode(), flush=True)
""")


def test_two_processes_rendezvous():
    m = master(timeout=T(seconds=60))
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(m.port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    m.wait(["child"])
    assert m.get("child") == b"here"
    m.set("parent", "hello child")
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert out.strip() == "hello child"
    assert m.get("count") == b"1"


def test_master_waits_for_workers():
    m_port = {}
    ready = threading.Event()

    def start_master():
        # world_size=2: the constructor returns once the other process has connected (torch's wait_for_workers)
        s = TCPStore("127.0.0.1", port, world_size=2, is_master=True, timeout=T(seconds=30))
        m_port["s"] = s
        ready.set()

    probe = master()
    port = probe.port
    del probe  # the port is free again
    t = threading.Thread(target=start_master)
    t.start()
    c = TCPStore("127.0.0.1", port, timeout=T(seconds=30))  # retries until the master listens
    t.join()
    assert ready.is_set()
    c.set("x", "1")
    assert m_port["s"].get("x") == b"1"


def test_clear_errors():
    m = master()
    with pytest.raises(RuntimeError, match=f"port {m.port}.*in use"):
        TCPStore("127.0.0.1", m.port, is_master=True)
    port = m.port
    c = TCPStore("127.0.0.1", port, timeout=T(seconds=30))
    del m  # the master is gone
    with pytest.raises(RuntimeError, match=f"127.0.0.1:{port}.*closed"):
        c.get("anything")
    with pytest.raises(RuntimeError, match=f"could not connect to 127.0.0.1:{port} within 300 ms"):
        TCPStore("127.0.0.1", port, timeout=T(milliseconds=300))
    with pytest.raises(RuntimeError, match="cannot resolve the host 'no-such-host.invalid'"):
        TCPStore("no-such-host.invalid", 29500, timeout=T(seconds=2))
    with pytest.raises(ValueError, match="port 70000"):
        TCPStore("127.0.0.1", 70000, is_master=True)


@pytest.mark.skipif(not dist.is_mpi_available() or shutil.which("ompi-server") is None,
                    reason="seek built without MPI, or no ompi-server")
def test_init_process_group_from_torch_launch_variables_without_mpirun():
    """Two processes started as torchrun starts them (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; no mpirun) run
    dist_worker.py: every collective, then destroy_process_group and a second group (the timeout check)."""
    from mpi_launch import launch_env

    port = master().port  # a free port (this master is gone at once)
    worker = pathlib.Path(__file__).with_name("dist_worker.py")
    procs = []
    for rank in range(2):
        env = dict(launch_env(), RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        procs.append(subprocess.Popen([sys.executable, str(worker)], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=300) for p in procs]
    for rank, (p, (out, err)) in enumerate(zip(procs, outs)):
        assert p.returncode == 0, f"rank {rank}:\n{out}\n{err}"
        assert f"rank {rank}: ok" in out, out + err
