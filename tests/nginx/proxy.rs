//! The shipped nginx site (`packaging/nginx/mycloud.conf`) run for real in front of a real
//! mycloud, and curl to talk to it over TLS.
//!
//! The site file is used as shipped except for what cannot work in a test: its ports (80
//! and 443 need root and may be taken), the certbot certificate paths (a throwaway
//! self-signed certificate instead), the upstream port (mycloud listens on port 0) and the
//! ACME webroot. Each rewrite must match exactly once, so a reshaped site file fails here
//! loudly instead of being half rewritten. The domain stays the placeholder
//! `files.example.org`: curl's `--resolve` points it at 127.0.0.1, so `server_name`, the
//! certificate name and the links mycloud builds are exactly what a real install has.
//!
//! curl, not the `reqwest` of the other tests: that one is built without TLS, and curl also
//! speaks HTTP/2 by ALPN as browsers do, and streams a body from a pipe.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::{PASSWORD, Server, needs, registration};

/// The placeholder domain of the shipped site; a real install replaces it.
pub const DOMAIN: &str = "files.example.org";

pub const MIB: usize = 1 << 20;

/// The site under test; `include_str!` also makes cargo rebuild this test when it changes.
const SHIPPED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/packaging/nginx/mycloud.conf"
));

/// Stands in for Debian's `/etc/nginx/nginx.conf`, which includes the site in its `http`
/// block: its `http`-level settings that reach a site are copied, so the site is tested
/// under the defaults it really meets (gzip on, TLS 1.0 allowed, …) and must override them.
/// The rest is what running unprivileged in a temp dir needs: one process in the
/// foreground (no `user` switch, and killing it leaves no workers behind), every path in
/// the temp dir.
const MAIN_CONF: &str = "\
daemon off;
master_process off;
pid @DIR@/nginx.pid;
error_log @DIR@/error.log;
events {
    worker_connections 256;
}
http {
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    gzip on;

    access_log @DIR@/access.log;
    client_body_temp_path @DIR@/temp/body;
    proxy_temp_path @DIR@/temp/proxy;
    fastcgi_temp_path @DIR@/temp/fastcgi;
    uwsgi_temp_path @DIR@/temp/uwsgi;
    scgi_temp_path @DIR@/temp/scgi;
    include @DIR@/site.conf;
}
";

/// How long nginx may take to listen, and mycloud to show an upload or finish a download.
const WAIT: Duration = Duration::from_secs(10);

/// The programs these tests need besides the mycloud binary.
struct Tools {
    nginx: PathBuf,
    openssl: PathBuf,
    curl: PathBuf,
}

impl Tools {
    /// The tools, or `None` after a loud SKIPPED line when one is missing; with `CI=true`
    /// a missing tool fails the test instead, so CI can never pass by skipping.
    fn find() -> Option<Tools> {
        let found = [
            // nginx lives in /usr/sbin, which is not on a normal user's PATH.
            ("nginx", find_program("nginx", &["/usr/sbin/nginx"])),
            ("openssl", find_program("openssl", &["/usr/bin/openssl"])),
            ("curl", find_program("curl", &["/usr/bin/curl"])),
        ];
        let missing: Vec<&str> = found
            .iter()
            .filter(|(_, path)| path.is_none())
            .map(|(name, _)| *name)
            .collect();
        if missing.is_empty() {
            let [nginx, openssl, curl] = found.map(|(_, path)| path.expect("found"));
            return Some(Tools {
                nginx,
                openssl,
                curl,
            });
        }
        needs::unavailable(
            "the nginx tests",
            &format!("{} not found", missing.join(", ")),
            "apt-get install nginx openssl curl",
        );
        None
    }
}

/// `name` on `PATH`, else the first of `fallbacks` that exists.
fn find_program(name: &str, fallbacks: &[&str]) -> Option<PathBuf> {
    needs::on_path(name).or_else(|| fallbacks.iter().map(PathBuf::from).find(|p| p.is_file()))
}

/// nginx in the foreground; killed and reaped when dropped, by return or by panic.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// mycloud with `--trust-proxy` behind the shipped nginx site. Dropping it stops nginx,
/// then mycloud, then removes the temp dir.
pub struct Proxy {
    _nginx: Nginx,
    pub server: Server,
    curl: PathBuf,
    cert: PathBuf,
    pub http_port: u16,
    pub https_port: u16,
    /// The ACME webroot (`/var/www/html` in the shipped site).
    pub webroot: PathBuf,
    dir: TempDir,
}

impl Proxy {
    /// Starts both, or returns `None` when the tools are missing (see [`Tools::find`]).
    pub fn start() -> Option<Proxy> {
        let tools = Tools::find()?;
        let server = Server::start_with(&["--trust-proxy"]);
        let upstream = server
            .base
            .strip_prefix("http://")
            .expect("server base is http://")
            .to_string();
        let dir = tempfile::tempdir().expect("temp dir for nginx");
        let root = dir.path();
        let cert = root.join("fullchain.pem");
        let key = root.join("privkey.pem");
        make_certificate(&tools.openssl, &cert, &key);
        let webroot = root.join("www");
        std::fs::create_dir_all(root.join("temp")).expect("nginx temp dir");
        std::fs::create_dir_all(&webroot).expect("webroot");
        let ipv6 = TcpListener::bind("[::1]:0").is_ok();
        let root_text = root.to_str().expect("UTF-8 temp dir");
        std::fs::write(
            root.join("nginx.conf"),
            MAIN_CONF.replace("@DIR@", root_text),
        )
        .expect("write nginx.conf");

        // A free port can be taken between choosing it and nginx binding it: retry then.
        for _ in 0..5 {
            let http_port = free_port(ipv6);
            let https_port = free_port(ipv6);
            let site = site_conf(SiteRewrite {
                http_port,
                https_port,
                ipv6,
                cert: &cert,
                key: &key,
                upstream: &upstream,
                webroot: &webroot,
            });
            std::fs::write(root.join("site.conf"), site).expect("write site.conf");
            check_config(&tools.nginx, root);
            match start_nginx(&tools.nginx, root, http_port, https_port) {
                Ok(nginx) => {
                    return Some(Proxy {
                        _nginx: nginx,
                        server,
                        curl: tools.curl,
                        cert,
                        http_port,
                        https_port,
                        webroot,
                        dir,
                    });
                }
                Err(log) if log.contains("Address already in use") => continue,
                Err(log) => panic!("nginx did not start:\n{log}"),
            }
        }
        panic!("nginx found no free ports in 5 tries");
    }

    /// `https://files.example.org:PORT/path`.
    pub fn https(&self, path: &str) -> String {
        format!("https://{DOMAIN}:{}{path}", self.https_port)
    }

    /// `http://files.example.org:PORT/path`.
    pub fn http(&self, path: &str) -> String {
        format!("http://{DOMAIN}:{}{path}", self.http_port)
    }

    /// curl that trusts the test certificate, reaches the placeholder domain on nginx's
    /// ports (and on 443, for URLs mycloud builds without a port), ignores any `.curlrc`
    /// and proxy settings of the machine, and is quiet except for errors.
    pub fn curl(&self) -> Command {
        let mut cmd = Command::new(&self.curl);
        cmd.arg("-q")
            .args(["--silent", "--show-error", "--max-time", "60"])
            .args(["--noproxy", "*", "--cacert"])
            .arg(&self.cert)
            .arg("--resolve")
            .arg(format!("{DOMAIN}:{}:127.0.0.1", self.https_port))
            .arg("--resolve")
            .arg(format!("{DOMAIN}:{}:127.0.0.1", self.http_port))
            .arg("--connect-to")
            .arg(format!("{DOMAIN}:443:127.0.0.1:{}", self.https_port))
            .stdin(Stdio::null());
        cmd
    }

    /// Runs curl with `args` and returns the reply; fails the test when curl fails (no
    /// connection, TLS refused, timeout), showing nginx's error log.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Reply {
        let out = self.try_run(&["--include"], args);
        assert!(
            out.status.success(),
            "curl {args:?} failed ({}): {}\n--- nginx error log ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            self.nginx_log()
        );
        Reply::parse(&out.stdout)
    }

    /// Runs curl with `first` then `args`, whatever its exit status.
    pub fn try_run(&self, first: &[&str], args: &[&str]) -> Output {
        self.curl()
            .args(first)
            .args(args)
            .output()
            .expect("run curl")
    }

    /// What nginx logged, for failure messages.
    pub fn nginx_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// The TCP connections to mycloud's address (127.0.0.1:PORT) as the kernel lists them.
    pub fn upstream_sockets(&self) -> Sockets {
        let port: u16 = self
            .server
            .base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("mycloud's port");
        // /proc/net/tcp spells 127.0.0.1:PORT as little-endian hex address, big-endian port.
        let address = format!("0100007F:{port:04X}");
        let mut sockets = Sockets::default();
        let text = std::fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
        for line in text.lines().skip(1) {
            // sl local_address rem_address st …
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [_, local, remote, state, ..] = fields[..] else {
                continue;
            };
            match state {
                "01" if local == address => sockets.open += 1,
                "06" if local == address || remote == address => {
                    sockets.closed.insert(format!("{local} {remote}"));
                }
                _ => {}
            }
        }
        sockets
    }

    /// `POST path` over HTTPS with a JSON body, plus any extra curl arguments.
    pub fn post_json(&self, path: &str, body: &Value, extra: &[&str]) -> Reply {
        let body = body.to_string();
        let url = self.https(path);
        let mut args = vec![
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &body,
        ];
        args.extend_from_slice(extra);
        args.push(&url);
        self.run(&args)
    }

    /// Registers `name` through nginx.
    #[track_caller]
    pub fn register(&self, name: &str) {
        self.post_json("/api/auth/register", &registration(name), &[])
            .expect(201);
    }

    /// Logs `name` in through nginx with extra curl arguments; returns the token.
    #[track_caller]
    pub fn login(&self, name: &str, extra: &[&str]) -> String {
        let body = json!({"username": name, "password": PASSWORD});
        let reply = self.post_json("/api/auth/login", &body, extra).expect(200);
        reply.json()["token"]
            .as_str()
            .expect("token in the login reply")
            .to_string()
    }

    /// Registers and logs in `name`; returns the token.
    #[track_caller]
    pub fn account(&self, name: &str) -> String {
        self.register(name);
        self.login(name, &[])
    }

    /// Uploads `bytes` as `name` with a raw `PUT`; returns the `file`.
    #[track_caller]
    pub fn put_bytes(&self, token: &str, name: &str, bytes: &[u8]) -> Value {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("body");
        std::fs::write(&path, bytes).expect("write the body");
        let auth = format!("Authorization: Token {token}");
        let url = self.https(&format!("/api/files?name={name}"));
        let path = path.to_str().expect("UTF-8 path");
        let reply = self.run(&["-H", &auth, "-T", path, &url]).expect(201);
        reply.json()["file"].clone()
    }

    /// Uploads a `mib` MiB [`Pattern`] file as `name`, written into curl's stdin as it
    /// goes (never whole in memory). After a quarter of it the client holds the rest back
    /// until mycloud shows the upload in its `tmp/`: only an nginx that passes the body on
    /// as it arrives lets that happen, one that buffers it waits for the last byte.
    #[track_caller]
    pub fn upload_holding_back(
        &self,
        token: &str,
        name: &str,
        mib: usize,
        framing: Framing,
    ) -> Value {
        let auth = format!("Authorization: Token {token}");
        let length = format!("Content-Length: {}", mib * MIB);
        let mut cmd = self.curl();
        cmd.args(["--include", "-H", &auth, "-T", "-"]);
        match framing {
            // As a browser sends a file: with its length, over HTTP/2.
            // (curl would add `Transfer-Encoding: chunked` for stdin; the empty header drops it.)
            Framing::Length => cmd.args(["-H", &length, "-H", "Transfer-Encoding:"]),
            // As a script piping into curl sends it: no length, HTTP/1.1 chunks.
            Framing::Chunked => cmd.arg("--http1.1"),
        };
        let mut child = cmd
            .arg(self.https(&format!("/api/files?name={name}")))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn curl");
        let mut stdin = child.stdin.take().expect("curl stdin");
        let mut pattern = Pattern::new();
        let first = (mib / 4).max(1);
        let mut sent_all = (0..first).all(|i| stdin.write_all(pattern.chunk(i)).is_ok());
        let seen = sent_all
            && wait_until(WAIT, || {
                self.server
                    .files_under("tmp")
                    .iter()
                    .any(|f| f.metadata().is_ok_and(|m| m.len() >= MIB as u64))
            });
        // A refusal (413, say) ends curl by itself; a held-back upload never ends.
        let answered = !seen
            && wait_until(Duration::from_secs(1), || {
                child.try_wait().is_ok_and(|s| s.is_some())
            });
        if !seen && !answered {
            let _ = child.kill();
        }
        sent_all = sent_all && (first..mib).all(|i| stdin.write_all(pattern.chunk(i)).is_ok());
        drop(stdin);
        let out = child.wait_with_output().expect("wait for curl");
        assert!(
            !answered,
            "the upload was answered before mycloud saw any of it ({framing:?}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            seen,
            "nginx held the upload back: mycloud's tmp/ got nothing while the client had sent \
             {first} of {mib} MiB ({framing:?}) and waited to send the rest\n\
             curl: {}\n--- nginx error log ---\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.nginx_log()
        );
        assert!(
            sent_all && out.status.success(),
            "curl stopped taking the upload ({}): {}\n--- nginx error log ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            self.nginx_log()
        );
        Reply::parse(&out.stdout).expect(201).json()["file"].clone()
    }

    /// Downloads file `id`, a `mib` MiB [`Pattern`] file, checking every byte as it comes.
    /// After the first MiB the client stops reading for a while: an nginx that passes the
    /// download on as it comes lets mycloud send only what the sockets hold meanwhile; one
    /// that buffers takes it all from mycloud into a temp file, and mycloud logs the whole
    /// download as sent while the client has read one MiB.
    #[track_caller]
    pub fn download_pausing(&self, token: &str, id: &str, mib: usize) {
        let done = format!("GET /api/files/{id}/content 200 {} ", mib * MIB);
        let finished = || {
            self.server
                .log()
                .lines()
                .any(|l| l.contains(&done) && !l.contains("cut short"))
        };
        let auth = format!("Authorization: Token {token}");
        let mut child = self
            .curl()
            .args(["--fail", "-H", &auth])
            .arg(self.https(&format!("/api/files/{id}/content")))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn curl");
        let mut body = child.stdout.take().expect("curl stdout");
        let mut pattern = Pattern::new();
        let mut got = vec![0; MIB];
        body.read_exact(&mut got)
            .expect("the first MiB of the download");
        assert!(got == pattern.chunk(0), "MiB 0 of the download differs");

        let paused = Instant::now();
        while paused.elapsed() < Duration::from_secs(3) {
            assert!(
                !finished(),
                "nginx buffered the download: mycloud sent all {mib} MiB while the client \
                 had read 1 MiB (proxy_buffering must be off)"
            );
            std::thread::sleep(Duration::from_millis(100));
        }

        for i in 1..mib {
            body.read_exact(&mut got)
                .unwrap_or_else(|e| panic!("MiB {i} of the download: {e}"));
            assert!(got == pattern.chunk(i), "MiB {i} of the download differs");
        }
        let mut extra = Vec::new();
        body.read_to_end(&mut extra)
            .expect("the end of the download");
        assert!(
            extra.is_empty(),
            "{} bytes past the end of the download",
            extra.len()
        );
        let out = child.wait_with_output().expect("wait for curl");
        assert!(
            out.status.success(),
            "download failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        // Without this the check above could pass only because the log line looks different.
        assert!(
            wait_until(WAIT, finished),
            "mycloud never logged the finished download ({done:?}):\n{}",
            self.server.log()
        );
    }
}

/// TCP connections to mycloud: established at its end, and closed ones still in TIME_WAIT
/// at either end (by their addresses: an earlier process on the same port may have left
/// some behind, so compare with a snapshot taken before).
#[derive(Debug, Default)]
pub struct Sockets {
    pub open: usize,
    pub closed: std::collections::BTreeSet<String>,
}

/// How an upload body is framed on the wire.
#[derive(Clone, Copy, Debug)]
pub enum Framing {
    Length,
    Chunked,
}

/// The content of the big test files, one MiB at a time: the same noise in every MiB with
/// its index stamped on, so a MiB lost, repeated or reordered on the way shows.
pub struct Pattern {
    block: Vec<u8>,
}

impl Pattern {
    pub fn new() -> Pattern {
        // xorshift64: noise that neither compresses nor repeats within a MiB.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut block = Vec::with_capacity(MIB);
        while block.len() < MIB {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            block.extend_from_slice(&x.to_le_bytes());
        }
        Pattern { block }
    }

    /// MiB number `i` of the file.
    pub fn chunk(&mut self, i: usize) -> &[u8] {
        self.block[..8].copy_from_slice(&(i as u64).to_le_bytes());
        &self.block
    }
}

/// Asserts that the file at `path` is the `mib` MiB [`Pattern`] file.
#[track_caller]
pub fn assert_pattern_file(path: &Path, mib: usize) {
    let mut file = std::fs::File::open(path).expect("open the stored file");
    assert_eq!(
        file.metadata().expect("stat").len(),
        (mib * MIB) as u64,
        "size of {path:?}"
    );
    let mut pattern = Pattern::new();
    let mut got = vec![0; MIB];
    for i in 0..mib {
        file.read_exact(&mut got).expect("read the stored file");
        assert!(got == pattern.chunk(i), "MiB {i} of {path:?} differs");
    }
}

/// A whole reply as `curl --include` prints it.
pub struct Reply {
    /// The first status line, e.g. `HTTP/2 200`.
    pub status_line: String,
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} {}",
            self.status_line,
            self.headers,
            String::from_utf8_lossy(&self.body)
        )
    }
}

impl Reply {
    fn parse(out: &[u8]) -> Reply {
        let mut rest = out;
        loop {
            let end = rest
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .unwrap_or_else(|| panic!("no header block in {:?}", String::from_utf8_lossy(out)));
            let head = String::from_utf8_lossy(&rest[..end]).into_owned();
            rest = &rest[end + 4..];
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap_or_default().trim().to_string();
            let status: u16 = status_line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("no status in {status_line:?}"));
            // `100 Continue` comes before the real reply to an upload.
            if (100..200).contains(&status) {
                continue;
            }
            let headers = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            return Reply {
                status_line,
                status,
                headers,
                body: rest.to_vec(),
            };
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(self.status, status, "unexpected reply: {self:?}");
        self
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// What the test changes in the shipped site, and to what.
struct SiteRewrite<'a> {
    http_port: u16,
    https_port: u16,
    ipv6: bool,
    cert: &'a Path,
    key: &'a Path,
    upstream: &'a str,
    webroot: &'a Path,
}

/// The shipped site with only the rewrites of [`SiteRewrite`]; each must match once.
fn site_conf(r: SiteRewrite) -> String {
    let (http, https) = (r.http_port, r.https_port);
    // Loopback only: a test has no business listening on the machine's public addresses.
    let (http6, https6) = if r.ipv6 {
        (
            format!("listen [::1]:{http};"),
            format!("listen [::1]:{https} ssl"),
        )
    } else {
        // No IPv6 on this machine: nginx could not bind [::].
        (
            "# no IPv6 here: listen [::]:80;".to_string(),
            "# no IPv6 here: listen [::]:443 ssl".to_string(),
        )
    };
    let rewrites = [
        ("listen 80;", format!("listen 127.0.0.1:{http};")),
        ("listen [::]:80;", http6),
        ("listen 443 ssl", format!("listen 127.0.0.1:{https} ssl")),
        ("listen [::]:443 ssl", https6),
        (
            "/etc/letsencrypt/live/files.example.org/fullchain.pem",
            path_text(r.cert),
        ),
        (
            "/etc/letsencrypt/live/files.example.org/privkey.pem",
            path_text(r.key),
        ),
        ("server 127.0.0.1:8080;", format!("server {};", r.upstream)),
        (
            "root /var/www/html;",
            format!("root {};", path_text(r.webroot)),
        ),
    ];
    let mut site = SHIPPED.to_string();
    for (from, to) in rewrites {
        let found = site.matches(from).count();
        assert_eq!(
            found, 1,
            "packaging/nginx/mycloud.conf should hold {from:?} exactly once for this test \
             to rewrite, holds it {found} times"
        );
        site = site.replace(from, &to);
    }
    site
}

fn path_text(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_string()
}

/// A throwaway self-signed certificate for the placeholder domain. An EC key, as certbot
/// makes by default, so the ECDSA cipher suites of the site are the ones in use.
fn make_certificate(openssl: &Path, cert: &Path, key: &Path) {
    let out = Command::new(openssl)
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .args(["-subj", &format!("/CN={DOMAIN}")])
        .args(["-addext", &format!("subjectAltName=DNS:{DOMAIN}")])
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `nginx -t` on the test setup: the shipped site must pass it as rewritten.
fn check_config(nginx: &Path, root: &Path) {
    let out = nginx_command(nginx, root)
        .arg("-t")
        .stdin(Stdio::null())
        .output()
        .expect("run nginx -t");
    assert!(
        out.status.success(),
        "nginx -t refused the site: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn nginx_command(nginx: &Path, root: &Path) -> Command {
    let mut cmd = Command::new(nginx);
    // -e: the error log before the configuration is read, which would otherwise be
    // /var/log/nginx/error.log (not writable unprivileged).
    cmd.arg("-p")
        .arg(root)
        .arg("-e")
        .arg(root.join("error.log"))
        .arg("-c")
        .arg(root.join("nginx.conf"));
    cmd
}

/// Starts nginx and waits until both ports accept; `Err(error log)` when it exits first.
fn start_nginx(nginx: &Path, root: &Path, http: u16, https: u16) -> Result<Nginx, String> {
    let mut child = Nginx(
        nginx_command(nginx, root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nginx"),
    );
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.0.try_wait().expect("try_wait nginx") {
            let log = std::fs::read_to_string(root.join("error.log")).unwrap_or_default();
            return Err(format!("exited with {status}\n{log}"));
        }
        let up = |port| TcpStream::connect(("127.0.0.1", port)).is_ok();
        if up(http) && up(https) {
            return Ok(child);
        }
        assert!(
            Instant::now() < deadline,
            "nginx did not listen within {WAIT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A port free on 127.0.0.1 (and on ::1 when `ipv6`), as the OS hands them out.
fn free_port(ipv6: bool) -> u16 {
    loop {
        let v4 = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = v4.local_addr().expect("local addr").port();
        if !ipv6 || TcpListener::bind(("::1", port)).is_ok() {
            return port;
        }
    }
}

/// Polls `cond` until it holds (true) or `timeout` passes (false).
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
