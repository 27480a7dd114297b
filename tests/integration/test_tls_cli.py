"""followd tls init|trust (the local CA and certificate of intercept/proxy modes) and followd
hosts add|remove (the marked block of the hosts file)."""
import os
import re
import shutil
import stat
import subprocess
import tempfile

import pytest

from conftest import BIN, Server, run_cli

HOSTS = ["api.x.com", "api.twitter.com", "x.com", "twitter.com", "upload.twitter.com", "developer.x.com"]


def files(d):
    return {n: open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))}


def openssl(*args):
    return subprocess.run(["openssl"] + list(args), capture_output=True, text=True, check=True).stdout


def test_init_creates_ca_and_certificate_once(tmp_path):
    d = str(tmp_path / "a" / "tls")
    out = run_cli("tls", "init", "--dir", d)
    assert "created the local CA" in out and "created the server certificate" in out
    assert sorted(os.listdir(d)) == ["bundle.pem", "ca.key", "ca.pem", "server.key", "server.pem", "truststore.p12"]
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    for key in ("ca.key", "server.key"):
        assert stat.S_IMODE(os.stat(os.path.join(d, key)).st_mode) == 0o600, key
    before = files(d)
    out = run_cli("tls", "init", "--dir", d)
    assert "kept the local CA" in out and "kept the server certificate" in out
    after = files(d)
    for n in ("ca.pem", "ca.key", "server.pem", "server.key"):
        assert before[n] == after[n], n
    # keys made readable by someone else are restricted again
    os.chmod(os.path.join(d, "server.key"), 0o644)
    run_cli("tls", "init", "--dir", d)
    assert stat.S_IMODE(os.stat(os.path.join(d, "server.key")).st_mode) == 0o600


def test_certificate_names_and_chain(tmp_path):
    d = str(tmp_path)
    run_cli("tls", "init", "--dir", d)
    pem, ca = os.path.join(d, "server.pem"), os.path.join(d, "ca.pem")
    san = openssl("x509", "-in", pem, "-noout", "-ext", "subjectAltName")
    for h in HOSTS + ["localhost"]:
        assert "DNS:" + h + "," in san + ",", (h, san)
    assert "IP Address:127.0.0.1" in san and "IP Address:0:0:0:0:0:0:0:1" in san
    assert openssl("verify", "-CAfile", ca, "-purpose", "sslserver", pem).strip().endswith("OK")
    assert "CA:TRUE" in openssl("x509", "-in", ca, "-noout", "-ext", "basicConstraints")
    assert "CA:FALSE" in openssl("x509", "-in", pem, "-noout", "-ext", "basicConstraints")
    # server.pem carries the chain: the certificate, then the CA
    assert open(pem).read().count("BEGIN CERTIFICATE") == 2
    bundle = open(os.path.join(d, "bundle.pem")).read()
    assert open(ca).read() in bundle
    if os.path.exists("/etc/ssl/certs/ca-certificates.crt"):
        assert bundle.startswith(open("/etc/ssl/certs/ca-certificates.crt").read())


def test_foreign_server_certificate_is_replaced_ca_kept(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    run_cli("tls", "init", "--dir", a)
    run_cli("tls", "init", "--dir", b)
    ca = open(os.path.join(a, "ca.pem"), "rb").read()
    shutil.copy(os.path.join(b, "server.pem"), os.path.join(a, "server.pem"))
    shutil.copy(os.path.join(b, "server.key"), os.path.join(a, "server.key"))
    out = run_cli("tls", "init", "--dir", a)
    assert "kept the local CA" in out and "created the server certificate" in out
    assert open(os.path.join(a, "ca.pem"), "rb").read() == ca
    assert openssl("verify", "-CAfile", os.path.join(a, "ca.pem"), os.path.join(a, "server.pem")).strip().endswith("OK")


def test_mismatched_ca_is_never_overwritten(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    run_cli("tls", "init", "--dir", a)
    run_cli("tls", "init", "--dir", b)
    shutil.copy(os.path.join(b, "ca.key"), os.path.join(a, "ca.key"))
    before = files(a)
    p = run_cli("tls", "init", "--dir", a, check=False)
    assert p.returncode == 1 and "do not belong together" in p.stderr and p.stderr.count("\n") == 1
    assert files(a) == before


def test_usage_errors():
    for args in (["tls"], ["tls", "nonsense"], ["tls", "init", "--system"], ["tls", "trust", "--remove"],
                 ["tls", "init", "extra"], ["hosts"], ["hosts", "nonsense"], ["hosts", "remove", "--address", "::1"],
                 ["hosts", "add", "--address", "example.com"]):
        p = subprocess.run([BIN] + args, capture_output=True, text=True)
        assert p.returncode == 2, (args, p.stderr)
    p = subprocess.run([BIN, "serve", "--db", "/nonexistent", "--intercept-http", "127.0.0.1:1"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "--intercept" in p.stderr


def test_default_dir_follows_xdg_data_home(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"))
    p = subprocess.run([BIN, "tls", "init"], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert os.path.exists(tmp_path / "xdg" / "followd" / "tls" / "ca.pem")
    env = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}
    env["HOME"] = str(tmp_path / "home")
    p = subprocess.run([BIN, "tls", "trust"], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert str(tmp_path / "home" / ".local" / "share" / "followd" / "tls" / "ca.pem") in p.stdout


def test_trust_prints_what_each_ecosystem_needs(tmp_path):
    d = str(tmp_path)
    out = run_cli("tls", "trust", "--dir", d)
    exports = dict(re.findall(r"^export (\w+)='(.*)'$", out, re.M))
    assert exports["REQUESTS_CA_BUNDLE"] == os.path.join(d, "bundle.pem")
    assert exports["NODE_EXTRA_CA_CERTS"] == os.path.join(d, "ca.pem")
    assert exports["SSL_CERT_FILE"] == exports["CURL_CA_BUNDLE"] == os.path.join(d, "bundle.pem")
    assert "-Djavax.net.ssl.trustStore=" + os.path.join(d, "truststore.p12") in exports["JAVA_TOOL_OPTIONS"]
    assert "--ssl-extra-ca-certs '" + os.path.join(d, "ca.pem") + "'" in out
    for v in exports.values():
        for path in re.findall(r"(/[^ ']+\.(?:pem|p12))", v):
            assert os.path.exists(path), path


def test_java_trusts_the_pkcs12_store(tmp_path, demo):
    """A real JVM with only JAVA_TOOL_OPTIONS from `tls trust` reads followd over HTTPS."""
    if not shutil.which("java") or not shutil.which("keytool"):
        pytest.skip("no JDK installed")
    d = str(tmp_path / "tls")
    out = run_cli("tls", "trust", "--dir", d)
    opts = re.search(r"^export JAVA_TOOL_OPTIONS='(.*)'$", out, re.M).group(1)
    ks = subprocess.run(["keytool", "-list", "-storetype", "PKCS12", "-keystore", os.path.join(d, "truststore.p12"),
                         "-storepass", "changeit"], capture_output=True, text=True)
    assert "trustedCertEntry" in ks.stdout, ks.stdout + ks.stderr
    src = tmp_path / "Get.java"
    src.write_text("""
public class Get {
    public static void main(String[] a) throws Exception {
        var c = (java.net.HttpURLConnection) new java.net.URL(a[0]).openConnection();
        c.setRequestProperty("Authorization", "Bearer " + a[1]);
        System.out.println(c.getResponseCode());
        System.out.println(new String(c.getInputStream().readAllBytes()));
    }
}
""")
    s = Server(demo["db"], "--tls-cert", os.path.join(d, "server.pem"), "--tls-key", os.path.join(d, "server.key"))
    try:
        url = s.url + "/2/users/by/username/XDevelopers"
        env = dict(os.environ, JAVA_TOOL_OPTIONS=opts)
        p = subprocess.run(["java", str(src), url, demo["bearer_token"]], capture_output=True, text=True,
                           timeout=120, env=env)
        assert p.returncode == 0, p.stderr
        assert p.stdout.splitlines()[0] == "200" and demo["celebrity_user_id"] in p.stdout
        # without the trust store the JVM refuses the certificate
        env.pop("JAVA_TOOL_OPTIONS")
        p = subprocess.run(["java", str(src), url, demo["bearer_token"]], capture_output=True, text=True,
                           timeout=120, env=env)
        assert p.returncode != 0 and "PKIX" in p.stderr
    finally:
        s.stop()
    # and through serve --proxy, with the JVM's own proxy properties and X's real URL
    s = Server(demo["db"], "--proxy", "--tls-dir", d)
    try:
        port = s.url.rsplit(":", 1)[1]
        env = dict(os.environ, JAVA_TOOL_OPTIONS=opts + f" -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort={port}")
        p = subprocess.run(["java", str(src), "https://api.x.com/2/users/by/username/XDevelopers",
                            demo["bearer_token"]], capture_output=True, text=True, timeout=120, env=env)
        assert p.returncode == 0, p.stderr
        assert p.stdout.splitlines()[0] == "200" and demo["celebrity_user_id"] in p.stdout
    finally:
        s.stop()


def test_trust_system_and_remove_in_a_mount_namespace(tmp_path):
    """--system installs into /usr/local/share/ca-certificates and runs update-ca-certificates;
    --remove undoes it. Run in a private mount namespace over copies, so the machine's store
    never changes."""
    if not shutil.which("unshare") or not shutil.which("update-ca-certificates") or \
            not os.path.isdir("/usr/local/share/ca-certificates") or not os.path.isdir("/etc/ssl/certs"):
        pytest.skip("needs unshare, update-ca-certificates and the Debian CA store layout")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot create a mount namespace here")
    d = str(tmp_path / "tls")
    run_cli("tls", "init", "--dir", d)
    certs = tmp_path / "certs"
    shutil.copytree("/etc/ssl/certs", certs, symlinks=True)
    script = f"""
set -e
mount -t tmpfs tmpfs /usr/local/share/ca-certificates
mount --bind {certs} /etc/ssl/certs
{BIN} tls trust --system --dir {d} >/dev/null
test -f /usr/local/share/ca-certificates/followd-local-ca.crt && echo installed
openssl verify -CApath /etc/ssl/certs {d}/server.pem >/dev/null && echo verified
{BIN} tls trust --system --remove >/dev/null
test ! -e /usr/local/share/ca-certificates/followd-local-ca.crt && echo removed
openssl verify -CApath /etc/ssl/certs {d}/server.pem >/dev/null 2>&1 || echo unverified
{BIN} tls trust --system --remove >/dev/null && echo idempotent
"""
    before = sorted(os.listdir("/usr/local/share/ca-certificates"))
    p = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    assert p.stdout.split() == ["installed", "verified", "removed", "unverified", "idempotent"], p.stdout + p.stderr
    assert sorted(os.listdir("/usr/local/share/ca-certificates")) == before
    assert not os.path.exists("/usr/local/share/ca-certificates/followd-local-ca.crt")


# ---------------------------------------------------------------------------------------------
# followd hosts

ORIGINAL = b"127.0.0.1\tlocalhost\n# a comment   with spaces\t\n::1 ip6-localhost\n\n10.0.0.1 db  # trailing\n"


def hosts_file(tmp_path, content=ORIGINAL):
    p = tmp_path / "hosts"
    p.write_bytes(content)
    return str(p)


def test_hosts_add_remove_leave_other_bytes(tmp_path):
    h = hosts_file(tmp_path)
    out = run_cli("hosts", "add", "--hosts-file", h)
    assert "now sends" in out
    data = open(h, "rb").read()
    assert data.startswith(ORIGINAL)
    block = data[len(ORIGINAL):].decode()
    lines = block.splitlines()
    assert lines[0].startswith("# BEGIN followd") and lines[-1] == "# END followd intercept"
    entry = lines[1].split()
    assert entry[0] == "127.0.0.1" and set(HOSTS) <= set(entry[1:])
    assert "already" in run_cli("hosts", "add", "--hosts-file", h)
    assert open(h, "rb").read() == data
    run_cli("hosts", "remove", "--hosts-file", h)
    assert open(h, "rb").read() == ORIGINAL
    assert "already" in run_cli("hosts", "remove", "--hosts-file", h)
    assert open(h, "rb").read() == ORIGINAL


def test_hosts_add_updates_the_block_in_place(tmp_path):
    h = hosts_file(tmp_path)
    run_cli("hosts", "add", "--hosts-file", h)
    with open(h, "ab") as f:
        f.write(b"192.168.1.1 later\n")
    run_cli("hosts", "add", "--hosts-file", h, "--address", "::1")
    data = open(h, "rb").read().decode()
    assert data.count("# BEGIN followd") == 1 and "\n::1 api.x.com " in data and data.endswith("192.168.1.1 later\n")
    run_cli("hosts", "remove", "--hosts-file", h)
    assert open(h, "rb").read() == ORIGINAL + b"192.168.1.1 later\n"


def test_hosts_without_final_newline_and_broken_block(tmp_path):
    h = hosts_file(tmp_path, b"127.0.0.1 localhost")
    run_cli("hosts", "add", "--hosts-file", h)
    assert open(h, "rb").read().startswith(b"127.0.0.1 localhost\n# BEGIN followd")
    run_cli("hosts", "remove", "--hosts-file", h)
    assert open(h, "rb").read() == b"127.0.0.1 localhost\n"  # the separating newline stays
    broken = b"127.0.0.1 localhost\n# BEGIN followd intercept (managed by 'followd hosts'; 'followd hosts remove' " \
             b"deletes it)\n127.0.0.1 api.x.com\n"
    h = hosts_file(tmp_path, broken)
    for cmd in ("add", "remove"):
        p = run_cli("hosts", cmd, "--hosts-file", h, check=False)
        assert p.returncode == 1 and "without its END" in p.stderr
        assert open(h, "rb").read() == broken


def test_hosts_refuses_clearly_without_permission(tmp_path):
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root to drop to another user")
    h = hosts_file(tmp_path)
    os.chmod(tmp_path, 0o755)
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BIN, "hosts", "add",
                        "--hosts-file", h], capture_output=True, text=True)
    if "Permission denied" in p.stderr and "hosts file" not in p.stderr:
        pytest.skip("the binary is not reachable by an unprivileged user: " + p.stderr.strip())
    assert p.returncode == 1 and "needs root" in p.stderr and p.stderr.count("\n") == 1, p.stderr
    assert open(h, "rb").read() == ORIGINAL
    p = run_cli("hosts", "add", "--hosts-file", str(tmp_path / "missing"), check=False)
    assert p.returncode == 1 and "No such file" in p.stderr
