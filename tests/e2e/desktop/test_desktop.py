"""End-to-end test of the real Storyloom desktop window (Tauri + WebKitGTK), driven over WebDriver.

Run it with `scripts/e2e-desktop.sh`, which builds the shell, starts Xvfb and tauri-driver and sets:

  STORYLOOM_DESKTOP_BIN  absolute path of the built `storyloom-desktop` binary
  TAURI_DRIVER_URL       e.g. http://127.0.0.1:4444
  STORYLOOM_DATA_DIR     a fresh, empty directory. The app is started by WebKitWebDriver, a child of
                         tauri-driver, and inherits tauri-driver's environment: the runner exports
                         this before starting tauri-driver, and the tests check the app really
                         opened its database there.

The tests run in file order and share one app "session" (a WebDriver session = one app process):
the project created early is the one that must survive the restart at the end.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.remote_connection import RemoteConnection
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
PAGE_TIMEOUT = 30  # seconds: first start of WebKit under Xvfb on a 2-core machine can be slow
STEP_TIMEOUT = 15

PROJECTS_PAGE = '[data-testid="empty-state"], [data-testid="project-row"], [data-testid="load-error"]'


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.fail(f"{name} is not set: run the desktop e2e tests through scripts/e2e-desktop.sh")
    return value


# --------------------------------------------------------------------------------------------
# Processes and sockets, straight from /proc (Linux only; no extra Python packages needed)
# --------------------------------------------------------------------------------------------


def _parent_map() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # the process went away
        # Field 2 (comm) is in parentheses and may contain spaces; ppid is the 2nd field after it.
        after_comm = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry)] = int(after_comm[1])
    return parents


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (WebKit's web and network processes are the app's children)."""
    parents = _parent_map()
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree.extend(children)
        frontier = children
    return tree


def pids_of_executable(path: str) -> list[int]:
    """Processes whose executable is exactly `path` (the app; not tauri-driver or WebKitWebDriver)."""
    target = os.path.realpath(path)
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.path.realpath(f"/proc/{entry}/exe") == target:
                    found.append(int(entry))
            except OSError:
                pass
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return inodes
    for fd in fds:
        try:
            link = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:[") : -1])
    return inodes


def _local_address(hex_addr: str) -> tuple[str, int]:
    """`0100007F:1F90` → ("127.0.0.1", 8080); IPv6 addresses are returned as their hex."""
    ip_hex, port_hex = hex_addr.split(":")
    if len(ip_hex) == 8:
        ip = socket.inet_ntoa(bytes.fromhex(ip_hex)[::-1])
    else:
        ip = ip_hex
    return ip, int(port_hex, 16)


def process_env(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def tcp_listeners(pids: list[int]) -> list[dict]:
    """TCP sockets in LISTEN state (st 0A) held by any of `pids`.

    Each process's own /proc/<pid>/net/tcp{,6} is read, so a process in another network namespace
    (e.g. a sandboxed WebKit helper) is checked against its own table.
    """
    found = []
    for pid in pids:
        inodes = _socket_inodes(pid)
        if not inodes:
            continue
        for table in ("tcp", "tcp6"):
            try:
                lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                cols = line.split()
                local, state, inode = cols[1], cols[3], cols[9]
                if state == "0A" and inode in inodes:
                    comm = Path(f"/proc/{pid}/comm").read_text().strip()
                    ip, port = _local_address(local)
                    found.append({"pid": pid, "comm": comm, "table": table, "ip": ip, "port": port})
    return found


def describe(pids: list[int]) -> str:
    out = []
    for pid in pids:
        try:
            out.append(f"{pid}:{Path(f'/proc/{pid}/comm').read_text().strip()}")
        except OSError:
            out.append(f"{pid}:?")
    return ", ".join(out)


# --------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------


class TauriOptions(ArgOptions):
    """WebDriver capabilities tauri-driver understands: `browserName: wry` + `tauri:options`."""

    def __init__(self, application: str):
        super().__init__()
        self.set_capability("browserName", "wry")
        self.set_capability("tauri:options", {"application": application})

    @property
    def default_capabilities(self) -> dict:
        return {}


class DesktopApp:
    def __init__(self, binary: str, driver_url: str):
        self.binary = binary
        self.driver_url = driver_url
        self.driver: webdriver.Remote | None = None

    def start(self) -> webdriver.Remote:
        assert self.driver is None
        connection = RemoteConnection(client_config=ClientConfig(remote_server_addr=self.driver_url))
        self.driver = webdriver.Remote(command_executor=connection, options=TauriOptions(self.binary))
        return self.driver

    def quit(self) -> None:
        if self.driver is not None:
            try:
                self.driver.quit()
            finally:
                self.driver = None
        # Wait for the app process to be gone, so the next session starts from a clean slate.
        deadline = time.monotonic() + STEP_TIMEOUT
        while pids_of_executable(self.binary) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not pids_of_executable(self.binary), "the app process did not exit after the session ended"

    def pid(self) -> int:
        pids = pids_of_executable(self.binary)
        assert len(pids) == 1, f"expected exactly one app process for {self.binary}, found {pids}"
        return pids[0]

    def wait_for_projects_page(self) -> None:
        driver = self.driver
        try:
            WebDriverWait(driver, PAGE_TIMEOUT).until(
                EC.presence_of_element_located((By.CSS_SELECTOR, PROJECTS_PAGE))
            )
        except TimeoutException:
            screenshot(driver, "timeout-projects-page")
            raise
        errors = driver.find_elements(By.CSS_SELECTOR, '[data-testid="load-error"]')
        assert not errors, f"the projects page shows a load error: {errors[0].text!r}"

    def fetch(self, method: str, path: str, body: dict | None = None) -> dict:
        """Calls the API from inside the page, exactly like the UI does (app:// on Linux)."""
        script = """
            const [method, path, body, done] = arguments;
            const base = navigator.userAgent.includes('Windows') ? 'http://app.localhost' : 'app://localhost';
            const init = {method, headers: {}};
            if (body !== null) { init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
            fetch(base + path, init)
              .then(async (r) => done({status: r.status, contentType: r.headers.get('content-type'), text: await r.text()}))
              .catch((e) => done({error: String(e)}));
        """
        self.driver.set_script_timeout(STEP_TIMEOUT)
        result = self.driver.execute_async_script(script, method, path, body)
        assert "error" not in result, f"{method} {path} failed in the page: {result['error']}"
        return result


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def wait_for_value(driver, read, holds, message: str, timeout: float = STEP_TIMEOUT):
    """Polls `read(driver)` until `holds(value)`, and returns that value.

    Why reads wait: the page renders what it fetched (and what an action changed) some time after
    the element appeared or the action returned, later still on a busy machine, so a value read at
    once can still be the old one. On time-out: an AssertionError with `message` and the last value,
    and a screenshot. A read that finds no element (yet) or a stale one is retried.
    """
    last: list = [None]

    def check(d):
        last[0] = read(d)
        return holds(last[0])

    try:
        WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(check)
    except TimeoutException:
        screenshot(driver, "timeout-" + "".join(c if c.isalnum() else "-" for c in message)[:60])
        raise AssertionError(f"{message}: last value after {timeout}s: {last[0]!r}") from None
    return last[0]


def project_names(driver) -> list[str]:
    # innerText through JS: WebKitWebDriver's "element text" comes back empty for these
    # (ellipsised) spans although they are visible.
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=\"project-row\"] [data-testid=\"project-name\"]')]"
        ".map((e) => e.innerText.trim())"
    )


@pytest.fixture(scope="module")
def data_dir() -> Path:
    path = Path(_env("STORYLOOM_DATA_DIR"))
    assert not (path / "storyloom.db").exists(), f"{path} must be a fresh directory for this test run"
    return path


# The build a local update server offers (far ahead of any real version).
UPDATE_VERSION = "99.0.0"


class UpdateServer:
    """A local stand-in for the team server's updater route (docs/API-UPDATES.md), answering in its
    wire format: the manifest tauri-plugin-updater reads, for every platform, and the paths asked."""

    def __init__(self, port: int):
        import http.server
        import threading

        self.paths: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                outer.paths.append(self.path)
                if not self.path.startswith("/api/v1/updates/"):
                    self.send_error(404)
                    return
                body = json.dumps({
                    "version": UPDATE_VERSION,
                    "notes": "Faster exports",
                    "pub_date": "2026-12-07T06:40:00.000Z",
                    "url": f"http://127.0.0.1:{port}/api/v1/updates/artifacts/e2e",
                    # Not checked until an install, which this test does not do.
                    "signature": "dW50cnVzdGVkIGNvbW1lbnQ6IHNpZ25hdHVyZQo=",
                }).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def update_server():
    """Up before the app starts: the app checks for updates once its first screen is shown. The
    runner points the app at it (`STORYLOOM_UPDATE_URL`) and gives it a key to verify with."""
    server = UpdateServer(int(_env("STORYLOOM_TEST_UPDATE_PORT")))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(data_dir, update_server) -> DesktopApp:
    binary = _env("STORYLOOM_DESKTOP_BIN")
    assert os.path.isabs(binary) and os.access(binary, os.X_OK), f"not an executable absolute path: {binary}"
    assert not pids_of_executable(binary), "an instance of the app is already running; stop it first"
    app = DesktopApp(binary, _env("TAURI_DRIVER_URL"))
    app.start()
    yield app
    app.quit()


PROJECT_NAME = f"Midnight Confession {uuid.uuid4().hex[:6]}"


# --------------------------------------------------------------------------------------------
# Tests (in order)
# --------------------------------------------------------------------------------------------


def test_window_opens_on_projects_page(app, data_dir):
    app.wait_for_projects_page()
    # A fresh data directory: the first-run empty state, loaded from the core through app://.
    wait_for_value(
        app.driver,
        lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="empty-state"]')),
        lambda n: n == 1,
        "the first-run empty state is shown",
    )
    assert not project_names(app.driver)
    # The env var reached the app through tauri-driver → WebKitWebDriver → app.
    assert (data_dir / "storyloom.db").is_file(), f"the app did not open its database in {data_dir}"
    connection = '[data-testid="connection"]'
    wait_for_value(
        app.driver,
        lambda d: d.find_element(By.CSS_SELECTOR, connection).get_attribute("data-state"),
        lambda s: s == "ok",
        "the sidebar shows the core as connected",
    )
    wait_for_value(
        app.driver,
        lambda d: d.find_element(By.CSS_SELECTOR, connection).get_attribute("textContent"),
        lambda t: "Desktop" in (t or ""),
        "the connection indicator says Desktop",
    )
    wait_for_value(
        app.driver,
        lambda d: d.get_window_rect(),
        lambda r: (r["width"], r["height"]) == (1280, 800),
        "the window is 1280×800",
    )


def test_the_app_sees_an_update_from_its_server_and_waits_to_be_asked(app, update_server):
    """Issue 20: at start the app asks its update server for its platform and version; a newer
    build is offered in a banner and nothing is installed until the person says so (installing is
    not done here: it would replace the binary under test)."""
    driver = app.driver
    version = wait_for_value(
        driver,
        lambda d: d.execute_script(
            "const b = document.querySelector('[data-testid=\"update-banner\"]'); return b && b.dataset.version;"
        ),
        lambda v: v == UPDATE_VERSION,
        "the update banner names the offered version",
        timeout=PAGE_TIMEOUT,
    )
    asked = [p for p in update_server.paths if p.startswith("/api/v1/updates/")]
    assert asked, f"the app never asked: {update_server.paths}"
    target, arch, current = asked[0].split("/")[4:7]
    assert (target, arch) == ("linux", "x86_64"), asked
    banner = driver.execute_script(
        "return document.querySelector('[data-testid=\"update-banner\"]').innerText"
    )
    assert f"Storyloom {version} is available." in banner and f"You have {current}." in banner, banner
    assert "Faster exports" in banner, banner
    screenshot(driver, "update-banner")
    driver.find_element(By.CSS_SELECTOR, '[data-testid="update-later"]').click()
    wait_for_value(
        driver,
        lambda d: d.execute_script("return document.querySelectorAll('[data-testid=\"update-banner\"]').length"),
        lambda n: n == 0,
        "Later puts the offer away",
    )
    assert pids_of_executable(app.binary) == [app.pid()], "still the same app: nothing was installed"


def test_bridge_passes_requests_and_responses_through(app):
    health = app.fetch("GET", "/api/v1/health")
    assert health["status"] == 200, health
    assert "application/json" in (health["contentType"] or "")
    # A POST with a JSON body (needs a CORS preflight from tauri://localhost), and the error shape.
    invalid = app.fetch("POST", "/api/v1/projects", {"name": ""})
    assert invalid["status"] == 422, invalid
    assert json.loads(invalid["text"])["error_code"] == "VALIDATION_ERROR", invalid
    missing = app.fetch("GET", "/api/v1/no-such-route")
    assert missing["status"] == 404, missing
    assert json.loads(missing["text"])["error_code"] == "NOT_FOUND", missing


def test_create_project_through_the_ui(app):
    driver = app.driver
    wait = WebDriverWait(driver, STEP_TIMEOUT)
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, '[data-testid="new-project"]'))).click()
    name_input = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, '[data-testid="project-name-input"]')))
    name_input.send_keys(PROJECT_NAME)
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, '[data-testid="create-project"]'))).click()
    wait_for_value(driver, project_names, lambda names: names == [PROJECT_NAME], "the list shows the created project only")
    shot = screenshot(driver, "projects-after-create")
    assert shot.stat().st_size > 10_000, "the screenshot looks empty"


def test_no_tcp_port_listening_in_app_process_tree(app):
    pid = app.pid()
    tree = process_tree(pid)
    # WebKit runs the page in helper processes; they must be part of what we check.
    assert len(tree) > 1, f"expected WebKit helper processes under the app, got {describe(tree)}"
    listeners = tcp_listeners(tree)
    # Under WebDriver, WebKitWebDriver starts the app with WEBKIT_INSPECTOR_SERVER=127.0.0.1:<port>
    # and drives it through that inspector socket. It exists only in test sessions (the next test
    # runs the app without WebDriver and allows no listener at all), so exactly that one is excused.
    automation = process_env(pid).get("WEBKIT_INSPECTOR_SERVER")
    excused = []
    if automation:
        host, port = automation.rsplit(":", 1)
        excused = [l for l in listeners if l["pid"] == pid and l["ip"] == host == "127.0.0.1" and l["port"] == int(port)]
    unexpected = [l for l in listeners if l not in excused]
    assert unexpected == [], f"the app's process tree ({describe(tree)}) listens on TCP: {unexpected}"


def test_no_tcp_port_listening_without_webdriver(tmp_path):
    """The app started directly (as a user would), not through WebDriver: no TCP listener at all."""
    binary = _env("STORYLOOM_DESKTOP_BIN")
    assert os.environ.get("DISPLAY"), "DISPLAY is not set (the runner starts Xvfb)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBKIT_INSPECTOR")}
    env.update(STORYLOOM_DATA_DIR=str(tmp_path / "data"), RUST_LOG="info")
    log_path = tmp_path / "app.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        # Ready = the page has loaded and listed projects through the bridge, and WebKit's web
        # process is up.
        deadline = time.monotonic() + PAGE_TIMEOUT
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"the app exited ({proc.returncode}): {log_path.read_text()[-2000:]}"
            tree = process_tree(proc.pid)
            loaded = "/api/v1/projects" in log_path.read_text(errors="replace")
            if loaded and any(Path(f"/proc/{p}/comm").read_text().startswith("WebKitWebProces") for p in tree[1:]):
                break
            time.sleep(0.25)
        else:
            pytest.fail(f"the app did not load its projects page in {PAGE_TIMEOUT}s: {log_path.read_text()[-2000:]}")
        assert "WEBKIT_INSPECTOR_SERVER" not in process_env(proc.pid)
        # No condition to wait for here (nothing must happen): instead of one look after a fixed
        # sleep, look every 0.25 s for 2 s, so a port opened late is seen too.
        deadline = time.monotonic() + 2
        while True:
            tree = process_tree(proc.pid)
            listeners = tcp_listeners(tree)
            assert listeners == [], f"the app's process tree ({describe(tree)}) listens on TCP: {listeners}"
            if time.monotonic() >= deadline:
                break
            time.sleep(0.25)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_listener_check_can_fail():
    """The detector above is not vacuous: it sees a real listener, and tauri-driver's own ports."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        found = tcp_listeners(process_tree(os.getpid()))
        assert any(entry["port"] == port for entry in found), found

    # tauri-driver (and its child WebKitWebDriver) listen: they are the app's *parents*, which is
    # why the app check walks descendants only.
    driver_port = int(_env("TAURI_DRIVER_URL").rsplit(":", 1)[1].split("/")[0])
    tauri_driver_pids = [
        pid
        for pid in _parent_map()
        if Path(f"/proc/{pid}/comm").exists() and Path(f"/proc/{pid}/comm").read_text().strip() == "tauri-driver"
    ]
    assert tauri_driver_pids, "tauri-driver is not running"
    found = [e for pid in tauri_driver_pids for e in tcp_listeners(process_tree(pid))]
    assert any(entry["port"] == driver_port for entry in found), found


def test_project_survives_restart(app):
    app.quit()
    app.start()
    app.wait_for_projects_page()
    wait_for_value(app.driver, project_names, lambda names: names == [PROJECT_NAME], "the project survives the restart, alone")
    screenshot(app.driver, "projects-after-restart")


def test_a_run_is_followed_by_the_shells_events_not_polling(app):
    # A project with a short script; its animatic run stops at the review gate, so it stays live.
    script = "INT. KITCHEN - NIGHT\n\nMara pours two cups.\n\nMARA\nYou came back.\n"
    created = app.fetch("POST", "/api/v1/projects", {"name": "Live run"})
    assert created["status"] == 201, created
    project = json.loads(created["text"])
    project_id, version_id = project["id"], project["current_version_id"]
    saved = app.fetch("PUT", f"/api/v1/projects/{project_id}/versions/{version_id}/script", {"text": script})
    assert saved["status"] == 200, saved
    driver = app.driver
    wait = WebDriverWait(driver, STEP_TIMEOUT * 4)
    driver.execute_script("window.location.hash = arguments[0]", f"#/projects/{project_id}/runs")
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, '[data-testid="run-start"]'))).click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '[data-testid="run-live"]')))

    # Found again on each read: the page may re-render the indicator while the run goes.
    def live_mode(d):
        return d.find_element(By.CSS_SELECTOR, '[data-testid="run-live"]').get_attribute("data-mode")

    # `sse` is the watcher's mode for a pushed stream: here the Tauri `run-progress` events. The
    # first mode it settles on must be that one.
    first_mode = wait_for_value(driver, live_mode, lambda m: m in ("sse", "poll"), "the run watcher picks a mode", STEP_TIMEOUT * 4)
    assert first_mode == "sse", f"the run is watched by {first_mode!r}, not by the shell's events"
    # Pushed progress reaches the page: the run arrives at its review gate.
    wait_for_value(
        driver,
        lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="run-summary"]').get_attribute("data-status"),
        lambda s: s == "waiting_review",
        "the run reaches its review gate",
        STEP_TIMEOUT * 4,
    )
    # It did not fall back to polling on the way: read once, at the end.
    assert live_mode(driver) == "sse"


def test_large_files_cross_the_bridge_in_ranges(app):
    """A `<video>` asks for `bytes=N-`; the bridge answers at most 4 MiB of it (it buffers each
    answer whole), and the pieces put together are the file (5 MiB of noise), uploaded as the UI's
    transport does on the desktop (the multipart bytes as a buffer: WebKitGTK drops an app://
    request whose body holds a File)."""
    created = app.fetch("POST", "/api/v1/projects", {"name": "Ranges"})
    assert created["status"] == 201, created
    project_id = json.loads(created["text"])["id"]
    upload = r"""
        const [projectId, done] = arguments;
        const base = navigator.userAgent.includes('Windows') ? 'http://app.localhost' : 'app://localhost';
        (async () => {
          const bytes = new Uint8Array(5 * 1024 * 1024 + 123);
          let seed = 7;
          for (let i = 0; i < bytes.length; i++) {
            seed = (seed * 1103515245 + 12345) >>> 0;
            bytes[i] = seed >>> 24;
          }
          const png = new Blob([bytes]);
          window.__rangeTestPng = png;
          const head = (name, extra) => '--b0undary\r\nContent-Disposition: form-data; name="' + name + '"' + extra + '\r\n\r\n';
          const enc = new TextEncoder();
          const parts = [enc.encode(head('project_id', '') + projectId + '\r\n' + head('type', '') + 'other\r\n'
              + head('file', '; filename="noise.bin"\r\nContent-Type: application/octet-stream')), bytes, enc.encode('\r\n--b0undary--\r\n')];
          const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of parts) { body.set(p, at); at += p.length; }
          const uploaded = await fetch(base + '/api/v1/assets', {method: 'POST', body,
            headers: {'content-type': 'multipart/form-data; boundary=b0undary'}});
          done({status: uploaded.status, text: await uploaded.text(), size: png.size});
        })().catch((e) => done({error: String(e)}));
    """
    app.driver.set_script_timeout(PAGE_TIMEOUT)
    uploaded = app.driver.execute_async_script(upload, project_id)
    assert "error" not in uploaded, uploaded
    assert uploaded["status"] == 201, uploaded["text"][:500]
    asset_id = json.loads(uploaded["text"])["id"]
    ranges = """
        const [assetId, done] = arguments;
        const base = navigator.userAgent.includes('Windows') ? 'http://app.localhost' : 'app://localhost';
        (async () => {
          const url = base + '/api/v1/assets/' + assetId + '/download';
          const first = await fetch(url, {headers: {Range: 'bytes=0-'}});
          const firstBytes = new Uint8Array(await first.arrayBuffer());
          const rest = await fetch(url, {headers: {Range: 'bytes=' + firstBytes.length + '-'}});
          const restBytes = new Uint8Array(await rest.arrayBuffer());
          const original = new Uint8Array(await window.__rangeTestPng.arrayBuffer());
          let same = firstBytes.length + restBytes.length === original.length;
          for (let i = 0; same && i < original.length; i++) {
            same = original[i] === (i < firstBytes.length ? firstBytes[i] : restBytes[i - firstBytes.length]);
          }
          done({size: original.length, first: [first.status, first.headers.get('content-range'), firstBytes.length],
                rest: [rest.status, rest.headers.get('content-range'), restBytes.length], same});
        })().catch((e) => done({error: String(e)}));
    """
    result = app.driver.execute_async_script(ranges, asset_id)
    assert "error" not in result, result
    size, chunk = result["size"], 4 * 1024 * 1024
    assert size > chunk, result
    assert result["first"] == [206, f"bytes 0-{chunk - 1}/{size}", chunk], result
    assert result["rest"] == [206, f"bytes {chunk}-{size - 1}/{size}", size - chunk], result
    assert result["same"], result


# --------------------------------------------------------------------------------------------
# Sync with a team server (issue 19; docs/SYNC.md)
# --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TeamServer:
    """A real `storyloom serve` in accounts mode on 127.0.0.1, restartable on its port and data."""

    def __init__(self, binary: str, data: Path):
        self.binary, self.data, self.port = binary, data, _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "STORYLOOM_RATE_AUTH": "1000", "STORYLOOM_SYNC_INTERVAL_SECS": "0"}
        env.pop("STORYLOOM_DATA_DIR", None)
        self.process = subprocess.Popen(
            [self.binary, "serve", "--auth", "accounts", "--addr", f"127.0.0.1:{self.port}", "--data-dir", str(self.data)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        line = self.process.stdout.readline().decode()
        assert line.startswith("STORYLOOM_LISTENING"), line

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.base + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("content-type", "application/json")
        if token:
            request.add_header("authorization", token)
        try:
            with urllib.request.urlopen(request, timeout=STEP_TIMEOUT) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    binary = _env("STORYLOOM_TEST_SERVER_BIN")
    server = TeamServer(binary, tmp_path_factory.mktemp("team-server"))
    server.start()
    yield server
    server.stop()


def test_a_linked_project_shows_synced_pending_offline_and_conflict(app, team_server):
    password = "correct horse battery"
    status, alice = team_server.call("POST", "/api/v1/auth/register",
                                     {"username": "alice", "email": "alice@example.com", "password": password})
    assert status == 201, alice
    token = f"Bearer {alice['access_token']}"
    signed = app.fetch("POST", "/api/v1/remote/sign-in",
                       {"server_url": team_server.base, "username": "alice", "password": password})
    assert signed["status"] == 200, signed
    created = app.fetch("POST", "/api/v1/projects", {"name": "Synced drama"})
    project = json.loads(created["text"])
    project_id, version_id = project["id"], project["current_version_id"]
    script = "INT. ROOF - NIGHT\n\nMara waits in the rain.\n\nJUN\nYou came.\n"
    saved = app.fetch("PUT", f"/api/v1/projects/{project_id}/versions/{version_id}/script", {"text": script})
    assert saved["status"] == 200, saved
    linked = app.fetch("POST", f"/api/v1/projects/{project_id}/sync", {"workspace_id": alice["user"]["id"]})
    assert linked["status"] == 201, linked
    board = json.loads(app.fetch("GET", f"/api/v1/projects/{project_id}/storyboard")["text"])
    shot = board["scenes"][0]["shots"][0]["id"]

    driver = app.driver
    driver.execute_script("window.location.hash = arguments[0]", f"#/projects/{project_id}")

    def badge(d):
        return d.find_element(By.CSS_SELECTOR, '[data-testid="sync-badge"]').get_attribute("data-state")

    wait_for_value(driver, badge, lambda s: s == "synced", "a linked project shows Synced", timeout=PAGE_TIMEOUT)
    screenshot(driver, "sync-synced")

    # An edit made here is pending until it reaches the server; the server is down: offline.
    edited = app.fetch("PATCH", f"/api/v1/storyboards/{shot}", {"description": "Mara, soaked, waits."})
    assert edited["status"] == 200, edited
    wait_for_value(driver, badge, lambda s: s == "pending", "an unsynced edit shows Pending", timeout=PAGE_TIMEOUT)
    team_server.stop()
    offline = app.fetch("POST", f"/api/v1/projects/{project_id}/sync/now")
    assert json.loads(offline["text"])["state"] == "offline", offline
    wait_for_value(driver, badge, lambda s: s == "offline", "an unreachable server shows Offline", timeout=PAGE_TIMEOUT)
    screenshot(driver, "sync-offline")
    team_server.start()
    back = app.fetch("POST", f"/api/v1/projects/{project_id}/sync/now")
    assert json.loads(back["text"])["state"] == "synced", back
    status, on_server = team_server.call("GET", f"/api/v1/storyboards/{shot}", token=token)
    assert status == 200 and on_server["description"] == "Mara, soaked, waits.", on_server

    # Both sides edit the shot: the later (the server's) is kept, the desktop's is set aside.
    app.fetch("PATCH", f"/api/v1/storyboards/{shot}", {"description": "Desk: Mara leaves."})
    time.sleep(0.05)
    status, body = team_server.call("PATCH", f"/api/v1/storyboards/{shot}", {"description": "Server: Mara stays."}, token)
    assert status == 200, body
    app.fetch("POST", f"/api/v1/projects/{project_id}/sync/now")
    wait_for_value(driver, badge, lambda s: s == "conflict", "a set-aside edit shows Conflicts", timeout=PAGE_TIMEOUT)
    driver.find_element(By.CSS_SELECTOR, '[data-testid="sync-badge"]').click()
    listed = wait_for_value(
        driver,
        lambda d: d.execute_script(
            "return [...document.querySelectorAll('[data-testid=\"sync-conflict\"]')].map((e) => e.innerText)"
        ),
        lambda items: len(items) == 1,
        "the dialog lists the conflict",
    )
    assert "Server: Mara stays." in listed[0] and "Desk: Mara leaves." in listed[0], listed
    screenshot(driver, "sync-conflict-dialog")
