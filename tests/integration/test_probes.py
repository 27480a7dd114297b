"""GET /healthz and GET /readyz: load-balancer probes outside X's URL space, on every backend."""
import requests

from conftest import PG, PG_SCHEMA, fresh_db, run_cli


def test_healthz_and_readyz_answer_without_credentials(api):
    for path, body in [("/healthz", {"status": "ok"}), ("/readyz", {"status": "ready"})]:
        r = requests.get(api + path, timeout=10)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        assert r.json() == body
    # exact paths only: nothing below them, no other method
    assert requests.get(api + "/healthz/x", timeout=10).status_code == 404
    assert requests.post(api + "/readyz", timeout=10).status_code in (404, 405)


def test_db_migrate_reports_the_current_schema():
    db = fresh_db()
    out = run_cli("db", "migrate", db=db).strip()
    assert out.endswith(f"schema version {PG_SCHEMA if PG else 3} (current)"), out
    assert "ok" in run_cli("check", db=db)
