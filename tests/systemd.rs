//! Running under systemd and on a LAN: readiness notices for `Type=notify`, the socket of a
//! `.socket` unit (`LISTEN_FDS`), log lines without timestamps for journald, and the URLs
//! printed when listening on every interface.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{BIN, Go, Server, needs};

const WAIT: Duration = Duration::from_secs(20);

/// A server process of this file's own making, for what `Server` does not do (other
/// listen addresses, a wrapper in front of it, several stdout lines); killed on drop.
struct Process {
    child: Child,
    stdout: mpsc::Receiver<String>,
    _data: tempfile::TempDir,
}

impl Process {
    /// `program` is `mycloud`, or a wrapper whose remaining arguments run it.
    fn spawn(program: &str, args: &[&str], env: &[(&str, &str)]) -> Process {
        let data = tempfile::tempdir().expect("temp dir");
        let mut cmd = Command::new(program);
        // The test's own MYCLOUD_* settings must not leak into the server.
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("MYCLOUD_")) {
            cmd.env_remove(key);
        }
        cmd.args(args)
            .env("MYCLOUD_DATA_DIR", data.path())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let (tx, stdout) = mpsc::channel();
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Process {
            child,
            stdout,
            _data: data,
        }
    }

    /// Output lines (stdout and stderr, in arrival order) until `done` holds for one of
    /// them; panics with what came when it never does.
    fn lines_until(&self, mut done: impl FnMut(&str) -> bool) -> Vec<String> {
        let mut lines = Vec::new();
        while let Ok(line) = self.stdout.recv_timeout(WAIT) {
            let last = done(&line);
            lines.push(line);
            if last {
                return lines;
            }
        }
        panic!(
            "the expected line never came; output was:\n{}",
            lines.join("\n")
        );
    }

    /// Lines that arrive within `quiet` of each other, after those already read.
    fn more_lines(&self, quiet: Duration) -> Vec<String> {
        std::iter::from_fn(|| self.stdout.recv_timeout(quiet).ok()).collect()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(killed.expect("run kill").success(), "kill -TERM failed");
        self.child.wait().expect("wait for mycloud")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn health(url: &str) -> u16 {
    let client = reqwest::blocking::Client::builder()
        .timeout(WAIT)
        .no_proxy()
        .build()
        .expect("client");
    match client.get(format!("{url}api/health")).send() {
        Ok(reply) => reply.status().as_u16(),
        Err(e) => panic!("GET {url}api/health: {e}"),
    }
}

#[test]
fn type_notify_hears_ready_once_serving_and_stopping_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket_path = dir.path().join("notify.sock");
    let manager = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
    manager.set_read_timeout(Some(WAIT)).unwrap();
    let socket_env = socket_path.to_str().unwrap();
    let server = Server::start_with_env(&[("NOTIFY_SOCKET", socket_env)], &[]);

    let message = receive(&manager);
    assert!(message.lines().any(|l| l == "READY=1"), "{message:?}");
    let status = format!("STATUS=serving on {}/", server.base);
    assert!(message.lines().any(|l| l == status), "{message:?}");
    server.anon().get("/api/health").go().expect(200);

    server.terminate();
    let message = receive(&manager);
    assert!(message.lines().any(|l| l == "STOPPING=1"), "{message:?}");
}

fn receive(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 4096];
    let n = socket
        .recv(&mut buf)
        .expect("a notice from mycloud on NOTIFY_SOCKET");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn socket_activation_serves_on_the_socket_systemd_passes() {
    // systemd-socket-activate (from the systemd package) is systemd's own tool for this:
    // it listens, and on the first connection starts the program with LISTEN_FDS=1.
    let Some(activate) = needs::on_path("systemd-socket-activate") else {
        needs::unavailable(
            "the socket activation test",
            "systemd-socket-activate not found",
            "apt-get install systemd",
        );
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let listen = format!("127.0.0.1:{port}");
    // --listen names a port nobody uses: the server must not bind it, but the socket given.
    let args = [
        "-l",
        &listen,
        "-E",
        "MYCLOUD_DATA_DIR",
        BIN,
        "--listen",
        "127.0.0.1:9",
    ];
    let process = Process::spawn(&activate.to_string_lossy(), &args, &[]);
    process.lines_until(|l| l.contains(&format!("Listening on {listen}")));

    let url = format!("http://{listen}/");
    assert_eq!(health(&url), 200);
    let announced = format!("mycloud listening on {url}");
    let (mut told, mut used) = (false, false);
    process.lines_until(|l| {
        told |= l == announced;
        used |= l.contains("using the socket systemd passed");
        told && used
    });
}

#[test]
fn under_journald_log_lines_carry_no_timestamp() {
    let stamped = |line: &str| line.starts_with("[20") && line.contains("Z INFO ");
    let plain = Process::spawn(BIN, &["--listen", "127.0.0.1:0"], &[]);
    let lines = plain.lines_until(|l| l.contains("serving "));
    assert!(stamped(lines.last().unwrap()), "{lines:#?}");

    let journald = [("JOURNAL_STREAM", "8:12345")];
    let journal = Process::spawn(BIN, &["--listen", "127.0.0.1:0"], &journald);
    let lines = journal.lines_until(|l| l.contains("serving "));
    let serving = lines.last().unwrap();
    assert!(serving.starts_with("INFO: serving "), "{serving}");
}

#[test]
fn listening_on_every_interface_prints_a_url_per_address_and_each_answers() {
    let mut process = Process::spawn(BIN, &["--listen", "0.0.0.0:0"], &[]);
    let first = process.lines_until(|l| l.starts_with("mycloud listening on "));
    let port = first
        .last()
        .and_then(|l| l.strip_prefix("mycloud listening on http://0.0.0.0:"))
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{first:#?}"))
        .to_string();
    let lines = process.more_lines(Duration::from_millis(500));
    let urls = |label: &str| -> Vec<String> {
        let urls = lines.iter().filter_map(|l| l.strip_prefix(label));
        urls.map(|rest| rest.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    let here = urls("  on this machine: ");
    assert_eq!(here, [format!("http://127.0.0.1:{port}/")], "{lines:#?}");
    let network = urls("  on your network: ");

    // The addresses `hostname -I` knows, an account independent of the server's.
    let expected: BTreeSet<IpAddr> = match Command::new("hostname").arg("-I").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|a| a.parse().ok())
            .filter(|ip: &IpAddr| ip.is_ipv4() && !ip.to_string().starts_with("169.254."))
            .collect(),
        _ => panic!("`hostname -I` did not run: it is part of every Debian system"),
    };
    let printed: BTreeSet<IpAddr> = network
        .iter()
        .map(|url| {
            let host = url
                .trim_start_matches("http://")
                .rsplit_once(':')
                .unwrap()
                .0;
            host.parse().unwrap()
        })
        .collect();
    assert_eq!(printed, expected, "{lines:#?}");
    for url in here.iter().chain(&network) {
        assert_eq!(health(url), 200, "{url}");
    }
    assert!(process.terminate().success());
}
