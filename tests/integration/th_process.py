"""Helpers the Python integration tests share."""
import subprocess


def stop(proc, timeout):
    """SIGTERM, then SIGKILL if `proc` is still there after `timeout` s."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
