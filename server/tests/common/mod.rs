//! The real `iot-center` binary on a free port, with its embedded store or pointed at a
//! `tsdb` by URL, for tests that talk HTTP to it.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

pub mod alerts;
pub mod dashboards;
pub mod gateway;
pub mod smtp;
pub mod test_ca;

use std::process::{Child, Command};
use std::time::Duration;

pub struct Server {
    pub url: String,
    /// An admin API token, made with `iot-center token add` before the server started.
    pub token: String,
    /// The embedded store's URL (empty for a server in remote mode).
    pub store: String,
    child: Child,
    pub _dir: tempfile::TempDir,
}
impl Server {
    /// A client that sends the admin token, for the routes that need a caller.
    pub fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        let bearer = format!("Bearer {}", self.token);
        headers.insert(reqwest::header::AUTHORIZATION, bearer.parse().unwrap());
        reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap()
    }

    /// Calls the server function `name` as the admin, with form-encoded arguments.
    pub async fn call(&self, name: &str, form: &str) -> reqwest::Response {
        self.client()
            .post(format!("{}{}", self.url, server_fn_path(name)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .unwrap()
    }

    /// The page at `path` as the admin gets it, server-rendered.
    pub async fn page(&self, path: &str) -> String {
        let r = self
            .client()
            .get(format!("{}{path}", self.url))
            .send()
            .await;
        r.unwrap().text().await.unwrap()
    }

    /// Calls the server function `name` as the admin; its JSON answer (it must be 200).
    pub async fn call_json(&self, name: &str, form: &str) -> serde_json::Value {
        let r = self.call(name, form).await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, reqwest::StatusCode::OK, "{name}({form}): {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Asks the server to stop as systemd and containers do (SIGTERM) and waits, at most
    /// `secs` seconds, for its exit code.
    pub fn terminate(&mut self, secs: u64) -> Option<i32> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        for _ in 0..secs * 10 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server and hands back its data directory.
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server function's name, from its path (`/api/<name><hash>`).
pub fn server_fn_name(path: &str) -> &str {
    path.trim_start_matches("/api/")
        .trim_end_matches(|c: char| c.is_ascii_digit())
}

/// The path of the server function `name`.
pub fn server_fn_path(name: &str) -> String {
    // Linking the app registers its server functions.
    let _ = app::App;
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .find(|path| server_fn_name(path) == name)
        .unwrap_or_else(|| panic!("no server function {name}"))
        .to_string()
}

/// The provisioning secret test servers take: devices that send it register themselves.
pub const SECRET: &str = "fleet-secret";

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The organization and operator token [`onboard`] sets up.
pub const ORG: &str = "remote-org";
pub const OPERATOR_TOKEN: &str = "op";

/// Sets up a fresh store at `url` with [`ORG`] and [`OPERATOR_TOKEN`].
pub async fn onboard(url: &str) {
    let setup = serde_json::json!({"username": "u", "password": "password", "org": ORG, "bucket": "other", "token": OPERATOR_TOKEN});
    reqwest::Client::new()
        .post(format!("{url}/api/v2/setup"))
        .json(&setup)
        .send()
        .await
        .unwrap();
}

/// A `tsdb` in the test's process, onboarded with [`ORG`] and [`OPERATOR_TOKEN`]: an
/// InfluxDB for servers in remote mode.
pub struct Influx {
    pub url: String,
    _dir: tempfile::TempDir,
}

pub async fn influx() -> Influx {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(tsdb::storage::Store::open(dir.path()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(tsdb::serve(
        listener,
        store,
        tsdb::Config::default(),
        std::future::pending(),
    ));
    onboard(&url).await;
    Influx { url, _dir: dir }
}

/// `iot-center` in remote mode: InfluxDB at `influx` with `token` and [`ORG`], serving on `port`.
pub fn remote_iot_center(influx: &str, token: &str, port: u16) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_iot-center"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--config",
            "/nonexistent.ini",
        ])
        // Its own users and sessions, not the repository's `data/` (a `--data-dir` wins).
        .env(
            "IOT_CENTER_DATA_DIR",
            std::env::temp_dir().join(format!("iot-center-remote-{port}")),
        )
        .env("INFLUX_URL", influx)
        .env("INFLUX_TOKEN", token)
        .env("INFLUX_ORG", ORG)
        // The reference's behaviour: devices register themselves.
        .env("DEVICE_REGISTRATION", "open");
    c
}

pub async fn start() -> Server {
    start_in(tempfile::tempdir().unwrap()).await
}

/// `iot-center` as a command on `dir` (its state there, unless `DATABASE_URL` is set on it).
pub fn cli(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_iot-center"));
    command
        .args(["--config", "/nonexistent.ini", "--data-dir"])
        .arg(dir)
        .env_remove("DATABASE_URL");
    command
}

/// `iot-center token add` on `dir`: an API token of `role`.
pub fn add_token(dir: &std::path::Path, name: &str, role: &str) -> String {
    token_add(cli(dir), name, role)
}

/// `command` (an [`cli`]) `token add`: an API token of `role`.
pub fn token_add(mut command: Command, name: &str, role: &str) -> String {
    let out = command
        .args(["token", "add", name, "--role", role])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `iot-center user add` on `dir`, the password on stdin.
pub fn add_user(dir: &std::path::Path, name: &str, role: &str, password: &str) {
    user_add(cli(dir), name, role, password)
}

/// `command` (an [`cli`]) `user add`, the password on stdin.
pub fn user_add(mut command: Command, name: &str, role: &str, password: &str) {
    use std::io::Write;
    let mut child = command
        .args(["user", "add", name, "--role", role])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub async fn start_in(dir: tempfile::TempDir) -> Server {
    start_configured(dir, &[]).await
}

/// A server with these environment variables besides the tests' defaults.
pub async fn start_with(env: &[(&str, &str)]) -> Server {
    start_configured(tempfile::tempdir().unwrap(), env).await
}

/// The default registration policy (approve), [`SECRET`] as the provisioning secret; on
/// `dir`, which may hold what an earlier server left.
pub async fn start_configured(mut dir: tempfile::TempDir, env: &[(&str, &str)]) -> Server {
    for _ in 0..3 {
        let port = free_port();
        let store = free_port();
        let token = add_token(dir.path(), &format!("tests-{port}"), "admin");
        let mut command = Command::new(env!("CARGO_BIN_EXE_iot-center"));
        command
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--tsdb-listen",
                &format!("127.0.0.1:{store}"),
                "--config",
                "/nonexistent.ini",
                "--data-dir",
            ])
            .arg(dir.path())
            .env_remove("INFLUX_URL")
            .env_remove("DATABASE_URL")
            .env_remove("DEVICE_REGISTRATION")
            .env("DEVICE_PROVISIONING_SECRET", SECRET)
            .envs(env.iter().copied());
        match Server::try_spawn(command, dir, token, port, "/ready").await {
            Ok(mut server) => {
                server.store = format!("http://127.0.0.1:{store}");
                return server;
            }
            Err(back) => dir = back,
        }
    }
    panic!("iot-center exited before it was ready, three times (ports taken?)");
}

impl Server {
    /// Runs `command` (an `iot-center` listening on `port`, with an admin `token` made on
    /// `dir`) and waits until `path` answers 200: `/ready` for a connected server,
    /// `/api/health` for one that only listens.
    pub async fn spawn(
        command: Command,
        dir: tempfile::TempDir,
        token: String,
        port: u16,
        path: &str,
    ) -> Server {
        match Server::try_spawn(command, dir, token, port, path).await {
            Ok(server) => server,
            Err(_) => panic!("iot-center exited before it was ready"),
        }
    }

    /// As [`Server::spawn`], but a server that exits before it is ready (its port was taken
    /// by another test's server meanwhile: ports are picked free, then bound) hands back its
    /// directory. The answer must come from this server: one that knows `token`.
    async fn try_spawn(
        mut command: Command,
        dir: tempfile::TempDir,
        token: String,
        port: u16,
        path: &str,
    ) -> Result<Server, tempfile::TempDir> {
        let child = command.spawn().unwrap();
        // Built before it is ready, so a failed start still kills the process.
        let mut server = Server {
            url: format!("http://127.0.0.1:{port}"),
            token,
            store: String::new(),
            child,
            _dir: dir,
        };
        for _ in 0..200 {
            if server.child.try_wait().unwrap().is_some() {
                return Err(server.stop());
            }
            if reqwest::get(format!("{}{path}", server.url))
                .await
                .is_ok_and(|r| r.status() == 200)
                && server.knows_its_token().await
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("iot-center did not start");
    }

    /// Whether the server listening at its URL is this one (the one its token was made for).
    async fn knows_its_token(&self) -> bool {
        if self.token.is_empty() {
            return true;
        }
        let r = self
            .client()
            .get(format!("{}/api/dashboards", self.url))
            .send()
            .await;
        r.is_ok_and(|r| r.status() == 200)
    }
}

/// What `GET /api/env/{id}` gives a device with the provisioning secret (registering it if
/// needed).
pub async fn device_env(server: &Server, id: &str) -> serde_json::Value {
    let answer = reqwest::get(format!("{}/api/env/{id}?secret={SECRET}", server.url))
        .await
        .unwrap();
    let status = answer.status();
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(status, 200, "registering {id}: {body}");
    body
}

/// `iot-center` in remote mode as a [`Server`] with an admin token, `extra` arguments added.
/// It listens whether or not InfluxDB answers.
pub async fn remote_server(influx: &str, token: &str, extra: &[&std::ffi::OsStr]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let admin = add_token(dir.path(), "admin", "admin");
    let port = free_port();
    let mut command = remote_iot_center(influx, token, port);
    command.arg("--data-dir").arg(dir.path()).args(extra);
    Server::spawn(command, dir, admin, port, "/api/health").await
}

impl Server {
    /// The embedded store's operator token, as `Token …`.
    pub fn operator(&self) -> String {
        let token = std::fs::read_to_string(self._dir.path().join("operator-token")).unwrap();
        format!("Token {}", token.trim())
    }

    /// Runs Flux at the embedded store as its operator; the annotated CSV's data rows.
    pub async fn query_store(&self, flux: &str) -> Vec<String> {
        query_rows(&self.store, "iot-center", &self.operator(), flux).await
    }

    /// A GET of the embedded store's API as its operator: the JSON answer.
    pub async fn store_json(&self, path: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}{path}", self.store))
            .header("Authorization", self.operator())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// How many values of device `id` the store holds.
    pub async fn values_of(&self, id: &str) -> usize {
        let flux = format!("from(bucket: \"iot_center\") |> range(start: 0) |> filter(fn: (r) => r.clientId == \"{id}\")");
        self.query_store(&flux).await.len()
    }

    /// How many values the telemetry bucket holds, of any measurement but the app's metrics.
    pub async fn telemetry_values(&self) -> usize {
        self.query_store("from(bucket: \"iot_center\") |> range(start: 0) |> filter(fn: (r) => r._measurement != \"iot_center_app\")")
            .await
            .len()
    }
}

/// Runs Flux at the InfluxDB at `base` in `org` with `authorization` (`Token …`): the data
/// rows of its annotated CSV.
pub async fn query_rows(base: &str, org: &str, authorization: &str, flux: &str) -> Vec<String> {
    let csv = reqwest::Client::new()
        .post(format!("{base}/api/v2/query?org={org}"))
        .header("Authorization", authorization)
        .json(&serde_json::json!({ "query": flux }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csv.lines()
        .filter(|l| l.starts_with(",,") || l.starts_with(",_result,"))
        .map(str::to_string)
        .collect()
}

/// Writes `body` through the gateway at `base` (`/api/v2/write?{query}`) with a device's
/// `token`.
pub async fn gateway_write(
    base: &str,
    query: &str,
    token: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/api/v2/write?{query}"))
        .header("Authorization", format!("Token {token}"))
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Whether a body past a bound was refused unread: 413, or — as the server answers before
/// reading it and then closes — the connection gone while the client was still sending.
pub fn refused_unread(sent: reqwest::Result<reqwest::Response>) -> bool {
    match sent {
        Ok(r) => r.status() == reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        Err(e) => e.is_request(),
    }
}

/// A GET's status and JSON answer.
pub async fn get(url: &str) -> (u16, serde_json::Value) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A GET with an API token: its status and JSON answer.
pub async fn get_as(url: &str, token: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Polls `url` until `done` holds for its answer, for at most `secs` seconds.
pub async fn wait_for(
    url: &str,
    secs: u64,
    done: impl Fn(u16, &serde_json::Value) -> bool,
) -> (u16, serde_json::Value) {
    wait_for_as(url, None, secs, done).await
}

/// [`wait_for`], sending an API `token` when there is one.
pub async fn wait_for_as(
    url: &str,
    token: Option<&str>,
    secs: u64,
    done: impl Fn(u16, &serde_json::Value) -> bool,
) -> (u16, serde_json::Value) {
    let http = reqwest::Client::new();
    let mut last = (0, serde_json::Value::Null);
    for _ in 0..secs * 4 {
        let request = http.get(url);
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        // Not listening yet counts as status 0.
        if let Ok(r) = request.send().await {
            last = (r.status().as_u16(), r.json().await.unwrap_or_default());
        }
        if done(last.0, &last.1) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{url} did not get there in {secs} s; last answer {last:?}");
}

/// Waits until `/ready` says why it is not, a reason containing `why`, and checks that
/// `/health` fails with it too.
pub async fn not_ready_because(s: &Server, why: &str) -> String {
    let (_, answer) = wait_for(&format!("{}/ready", s.url), 15, |status, a| {
        status == 503 && a["reason"].as_str().is_some_and(|r| r.contains(why))
    })
    .await;
    let (status, health) = get_as(&format!("{}/health", s.url), &s.token).await;
    assert_eq!(status, 503, "{health}");
    let check = health["checks"][0]["message"].as_str().unwrap_or_default();
    assert!(check.contains(why), "{health}");
    answer["reason"].as_str().unwrap().to_string()
}

/// `mosquitto_pub` (Debian's mosquitto-clients; `make test` installs it) to the broker or
/// listener on `port` with `args`.
pub fn mosquitto_pub(port: u16, args: &[&str]) -> std::process::Output {
    Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-V", "mqttv311"])
        .args(args)
        .output()
        .expect("mosquitto_pub")
}
