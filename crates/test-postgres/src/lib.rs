//! A throwaway PostgreSQL server for the tests, never a system service: `initdb` in a
//! temporary directory and `postgres` on a loopback port, run as the `postgres` user when
//! the tests run as root (PostgreSQL refuses root). One server per test process, stopped
//! when the process ends; each test takes a fresh database of its own.
//!
//! PostgreSQL must be installed (`make test` installs Debian's `postgresql`): without it a
//! test fails, saying so, rather than being skipped.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The running server.
pub struct Postgres {
    bin: PathBuf,
    port: u16,
}

/// The superuser the tests connect as (trust authentication, loopback only).
const USER: &str = "iot";

static SERVER: OnceLock<Postgres> = OnceLock::new();

/// The process's server, started on first use.
pub fn server() -> &'static Postgres {
    SERVER.get_or_init(start)
}

/// The URL of a new, empty database on the process's server.
pub fn fresh_database() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "t{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    server().create_database(&name);
    server().url(&name)
}

impl Postgres {
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    fn create_database(&self, name: &str) {
        let status = Command::new(self.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                USER,
                name,
            ])
            .status()
            .expect("createdb");
        assert!(status.success(), "createdb {name} failed");
    }
}

/// The newest installed PostgreSQL's programs.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.retain(|b| b.join("initdb").exists());
    versions.sort();
    versions.pop().expect(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): \
         install Debian's postgresql (make test does)",
    )
}

/// `(uid, gid)` of the `postgres` user, from /etc/passwd.
fn postgres_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&"postgres") && f.len() > 3)
        .map(|f| (f[2].parse().unwrap(), f[3].parse().unwrap()))
        .expect("running as root needs the postgres user (Debian's postgresql makes it)")
}

/// A command as the unprivileged user.
fn as_user(program: PathBuf, user: Option<(u32, u32)>) -> Command {
    let mut command = Command::new(program);
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid);
    }
    command
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

/// Forgets the directories of earlier test processes that are gone.
fn forget_old(parent: &Path) {
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(pid) = name.strip_prefix("iot-test-postgres-") {
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn start() -> Postgres {
    let bin = bin_dir();
    let root = unsafe { libc::geteuid() } == 0;
    let user = root.then(postgres_user);
    let parent = std::env::temp_dir();
    forget_old(&parent);
    let dir = parent.join(format!("iot-test-postgres-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown");
    }
    let data = dir.join("data");
    let out = as_user(bin.join("initdb"), user)
        .arg("-D")
        .arg(&data)
        .args(["-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"])
        .stdout(Stdio::null())
        .output()
        .expect("initdb");
    assert!(
        out.status.success(),
        "initdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let postgres = bin.join("postgres");
    let (started, ready) = std::sync::mpsc::channel();
    // The server is this thread's child and dies with it (SIGQUIT: PostgreSQL's immediate
    // stop); the thread lives as long as the process.
    std::thread::spawn(move || {
        let mut command = as_user(postgres, user);
        command
            .arg("-D")
            .arg(&data)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
            .arg(&dir)
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
                Ok(())
            });
        }
        let child = command.spawn();
        started.send(child.map(|_| ())).unwrap();
        loop {
            std::thread::park();
        }
    });
    ready.recv().unwrap().expect("starting postgres");
    let server = Postgres { bin, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "postgres did not listen within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let ready = |s: &Postgres| {
        Command::new(s.bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
            .status()
            .is_ok_and(|s| s.success())
    };
    while !ready(&server) {
        assert!(
            Instant::now() < deadline,
            "postgres was not ready within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}
