"""Helpers the Python integration tests share."""
import json
import os
import re
import sqlite3
import subprocess


def stop(proc, timeout):
    """SIGTERM, then SIGKILL if `proc` is still there after `timeout` s."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def db_query(data_dir, sql, params=()):
    """The rows (tuples) of one query on the server's store, read beside it:
    PostgreSQL through psql when TELEHEALTHD_DSN is set (as the server takes
    it from its environment), else the sqlite file in `data_dir`, read-only.
    Parameters are $1, $2, ... in the text, as in tests/e2e/lib.mjs dbQuery."""
    dsn = os.environ.get("TELEHEALTHD_DSN")
    if not dsn:
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "telehealth.db"),
                             uri=True, timeout=5)
        try:
            return db.execute(re.sub(r"\$(\d+)", r"?\1", sql), params).fetchall()
        finally:
            db.close()
    # psql quotes each value as a literal (:'pN'); the rows come as JSON.
    args = ["/usr/bin/psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn]
    for i, value in enumerate(params, 1):
        args += ["-v", "p%d=%s" % (i, value)]
    query = re.sub(r"\$(\d+)", r":'p\1'", sql.strip().rstrip(";"))
    out = subprocess.run(args, input="SELECT coalesce(json_agg(q), '[]'::json) FROM (%s) q;\n" % query,
                         capture_output=True, text=True, timeout=30, check=False)
    if out.returncode != 0:
        raise RuntimeError("psql (exit %d): %s" % (out.returncode, out.stderr.strip()))
    return [tuple(row.values()) for row in json.loads(out.stdout)]
