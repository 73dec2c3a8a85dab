//! `packaging/install.sh` and `packaging/systemd/mycloud.service`, tested without a VPS:
//! shellcheck lints the script; a throwaway root (`install.sh --root DIR`) gets an install,
//! an upgrade, an uninstall and a purge, each checked file by file, and the password the
//! installer printed logs in to the binary it installed; `systemd-analyze` verifies the
//! unit where it was installed and scores its hardening.
//!
//! shellcheck, systemd-analyze and root (for useradd and chown) are needed. Without them
//! these tests pass after one loud SKIPPED line, except with `CI=true`, where they fail.

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use common::needs;

/// The binary cargo built for this test run: what the installer installs.
const BIN: &str = env!("CARGO_BIN_EXE_mycloud");
const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// A PATH with the sbin folders (useradd), whatever the test runner's PATH is.
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// `systemd-analyze security`'s overall exposure of the unit when it was written (0 is
/// best, 10 an unprotected service): the hardening may get better, never worse.
const MAX_EXPOSURE: f64 = 0.9;

fn script() -> PathBuf {
    Path::new(REPO).join("packaging/install.sh")
}

fn unit_source() -> PathBuf {
    Path::new(REPO).join("packaging/systemd/mycloud.service")
}

fn env_template() -> PathBuf {
    Path::new(REPO).join("packaging/mycloud.env")
}

fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Whether a test needing these tools (and root, if `root`) can run; panics with CI=true
/// when it cannot, so CI never passes by skipping.
fn can_run(tools: &[&str], root: bool) -> bool {
    let mut missing: Vec<String> = tools
        .iter()
        .filter(|t| needs::on_path(t).is_none())
        .map(|t| format!("{t} not found"))
        .collect();
    if root && !is_root() {
        missing.push("not running as root (useradd, chown)".into());
    }
    if missing.is_empty() {
        return true;
    }
    needs::unavailable(
        "the install tests",
        &missing.join(", "),
        "apt-get install shellcheck systemd, and run them as root",
    );
    false
}

/// Runs `sh packaging/install.sh ARGS` in a clean environment, except for a stray
/// MYCLOUD_DATA_DIR: the script must use the settings of the service, not the caller's.
fn install_sh(args: &[&str]) -> Output {
    Command::new("sh")
        .arg(script())
        .args(args)
        .env_clear()
        .env("PATH", PATH)
        .env("MYCLOUD_DATA_DIR", "/nonexistent/callers-data-dir")
        .output()
        .expect("run sh packaging/install.sh")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn install_ok(args: &[&str]) -> String {
    let out = install_sh(args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "install.sh {args:?}: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    stdout
}

/// The value after `label` on the installer's output line that starts with it.
fn printed<'a>(stdout: &'a str, label: &str) -> Option<&'a str> {
    stdout.lines().find_map(|l| l.strip_prefix(label))
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .mode()
        & 0o7777
}

fn has_mycloud_line(file: &Path) -> bool {
    fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("mycloud:"))
}

#[test]
fn install_script_passes_shellcheck_as_posix_sh() {
    if !can_run(&["shellcheck"], false) {
        return;
    }
    let out = Command::new("shellcheck")
        .args(["--shell=sh", "--severity=style"])
        .arg(script())
        .output()
        .expect("run shellcheck");
    assert!(
        out.status.success(),
        "shellcheck packaging/install.sh:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn help_prints_usage_and_wrong_use_is_refused() {
    let help = install_sh(&["--help"]);
    assert!(help.status.success(), "--help: {}", help.status);
    let usage = text(&help.stdout);
    for option in ["--binary", "--yes", "--root", "--uninstall", "--purge"] {
        assert!(usage.contains(option), "--help omits {option}:\n{usage}");
    }

    for (args, complaint) in [
        (&["--frobnicate"][..], "unknown option: --frobnicate"),
        (&["--purge"][..], "--purge goes with --uninstall"),
        (&["--binary"][..], "--binary needs a value"),
    ] {
        let out = install_sh(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(complaint) && stderr.contains("Usage:"),
            "{args:?}: {stderr}"
        );
    }

    // As root, refusal is checked as nobody; otherwise the test itself is not root.
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root");
    let mut cmd = if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "sh"]);
        cmd
    } else {
        Command::new("sh")
    };
    let out = cmd
        .arg(script())
        .args(["--root", root.to_str().expect("utf-8 path")])
        .env_clear()
        .env("PATH", PATH)
        .output()
        .expect("run install.sh as non-root");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("run me as root"));
    assert!(!root.exists(), "a refused run created {}", root.display());
}

#[test]
fn env_template_lists_every_setting_commented_out() {
    let help = Command::new(BIN)
        .arg("--help")
        .output()
        .expect("mycloud --help");
    let help = text(&help.stdout);
    let settings: Vec<&str> = help
        .split("[env: ")
        .skip(1)
        .filter_map(|s| s.split(['=', ']']).next())
        .collect();
    assert!(
        settings.len() >= 10,
        "too few settings in --help: {settings:?}"
    );
    let template = fs::read_to_string(env_template()).expect("packaging/mycloud.env");
    for setting in settings {
        assert!(
            template
                .lines()
                .any(|l| l.starts_with(&format!("#{setting}="))),
            "packaging/mycloud.env does not show {setting}"
        );
    }
    // A fresh install runs on the defaults: nothing in the template is switched on.
    for line in template.lines() {
        assert!(
            line.is_empty() || line.starts_with('#'),
            "an active setting in packaging/mycloud.env: {line}"
        );
    }
}

#[test]
fn unit_hardening_scores_at_most_the_recorded_exposure() {
    if !can_run(&["systemd-analyze"], false) {
        return;
    }
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(unit_source())
        .output()
        .expect("run systemd-analyze security");
    let stdout = text(&out.stdout);
    let exposure: f64 = stdout
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for mycloud.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no overall exposure in:\n{stdout}{}", text(&out.stderr)));
    assert!(
        exposure <= MAX_EXPOSURE,
        "the unit's exposure rose to {exposure} (was at most {MAX_EXPOSURE}):\n{stdout}"
    );
}

/// The `mycloud` line of the throwaway root's passwd: (uid, gid).
#[track_caller]
fn mycloud_ids(root: &Path) -> (u32, u32) {
    let passwd = fs::read_to_string(root.join("etc/passwd")).expect("DIR/etc/passwd");
    let line = passwd
        .lines()
        .find(|l| l.starts_with("mycloud:"))
        .unwrap_or_else(|| panic!("no mycloud user in DIR/etc/passwd:\n{passwd}"));
    let fields: Vec<&str> = line.split(':').collect();
    assert_eq!(
        fields[5..],
        ["/var/lib/mycloud", "/usr/sbin/nologin"],
        "home and shell: {line}"
    );
    let uid: u32 = fields[2].parse().expect("uid");
    let gid: u32 = fields[3].parse().expect("gid");
    // useradd --system takes ids below login.defs' UID_MIN (1000 on Debian).
    assert!((100..1000).contains(&uid), "not a system uid: {line}");
    let group = fs::read_to_string(root.join("etc/group")).expect("DIR/etc/group");
    assert!(
        group
            .lines()
            .any(|l| l.starts_with(&format!("mycloud:x:{gid}:"))),
        "no mycloud group {gid}:\n{group}"
    );
    (uid, gid)
}

/// Everything below `dir`, `dir` included, belongs to `uid`: nothing the installer ran
/// left a root-owned file that the service could not write.
#[track_caller]
fn assert_owned_by(dir: &Path, uid: u32) {
    let meta = fs::symlink_metadata(dir).expect("stat");
    assert_eq!(
        meta.uid(),
        uid,
        "{} belongs to uid {}",
        dir.display(),
        meta.uid()
    );
    if meta.is_dir() {
        for entry in fs::read_dir(dir).expect("read_dir") {
            assert_owned_by(&entry.expect("entry").path(), uid);
        }
    }
}

/// `mycloud serve` from the installed binary on the installed data dir, as the mycloud
/// user, on a free port, logging to `DIR/../server.log`; killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(root: &Path, (uid, gid): (u32, u32)) -> Served {
        let log_path = root.with_file_name("server.log");
        let log = fs::File::create(&log_path).expect("server log");
        let mut child = Command::new("setpriv")
            .arg(format!("--reuid={uid}"))
            .arg(format!("--regid={gid}"))
            .arg("--clear-groups")
            .arg(root.join("usr/local/bin/mycloud"))
            .arg("serve")
            .arg("--data-dir")
            .arg(root.join("var/lib/mycloud"))
            .args(["--listen", "127.0.0.1:0"])
            .env_clear()
            .env("PATH", PATH)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start the installed mycloud");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let line = rx.recv_timeout(Duration::from_secs(10));
        let base = line
            .as_deref()
            .ok()
            .and_then(|l| l.strip_prefix("mycloud listening on "))
            .map(|url| url.trim_end_matches('/').to_string());
        let Some(base) = base else {
            let _ = child.kill();
            let _ = child.wait();
            let log = fs::read_to_string(&log_path).unwrap_or_default();
            panic!("the installed mycloud did not start: {line:?}\n{log}");
        };
        Served { child, base }
    }

    /// POST /api/auth/login: (status, body).
    fn login(&self, username: &str, password: &str) -> (u16, Value) {
        let reply = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client")
            .post(format!("{}/api/auth/login", self.base))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .expect("POST /api/auth/login");
        let status = reply.status().as_u16();
        (status, reply.json().unwrap_or(Value::Null))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[track_caller]
fn assert_admin_logs_in(root: &Path, ids: (u32, u32), name: &str, password: &str) {
    let server = Served::start(root, ids);
    let (status, body) = server.login(name, password);
    assert_eq!(status, 200, "login as {name}: {body}");
    assert_eq!(body["user"]["username"], name, "{body}");
    assert_eq!(body["user"]["is_admin"], true, "{body}");
}

/// systemd-analyze verify on the unit as installed under `root`, with its ExecStart
/// binary. `--root` looks every unit up in that tree, so the host's units the service
/// depends on (sysinit.target, …) are copied in first. Warnings fail too: verify exits 0
/// on an unknown or misspelt setting, which it merely ignores.
#[track_caller]
fn assert_unit_verifies(root: &Path) {
    let units = root.join("usr/lib/systemd/system");
    fs::create_dir_all(&units).expect("DIR/usr/lib/systemd/system");
    for entry in fs::read_dir("/usr/lib/systemd/system").expect("the host's units") {
        let entry = entry.expect("entry");
        let to = units.join(entry.file_name());
        if entry.file_type().expect("type").is_symlink() {
            let target = fs::read_link(entry.path()).expect("readlink");
            std::os::unix::fs::symlink(target, to).expect("symlink");
        } else if entry.file_type().expect("type").is_file() {
            fs::copy(entry.path(), to).expect("copy a unit");
        }
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.display()))
        .arg("mycloud.service")
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .expect("run systemd-analyze verify");
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify --root mycloud.service: {}\n{said}",
        out.status
    );
}

#[test]
fn install_upgrade_uninstall_and_purge_in_a_throwaway_root() {
    if !can_run(&["shellcheck", "systemd-analyze"], true) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // The mycloud user runs the binary in DIR/var/lib/mycloud: it must get through.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let root = dir.path().join("root");
    let root_arg = root.to_str().expect("utf-8 path");
    let bin = root.join("usr/local/bin/mycloud");
    let unit = root.join("etc/systemd/system/mycloud.service");
    let wants = root.join("etc/systemd/system/multi-user.target.wants/mycloud.service");
    let env_file = root.join("etc/mycloud/mycloud.env");
    let data = root.join("var/lib/mycloud");

    // Install.
    let stdout = install_ok(&["--root", root_arg, "--binary", BIN]);
    let admin = printed(&stdout, "Administrator: ").expect("the admin's name");
    let password = printed(&stdout, "Password: ").expect("the admin's password");
    assert_eq!(admin, "admin");
    assert!(stdout.contains("Open: http://127.0.0.1:8080/"), "{stdout}");
    assert!(stdout.contains("nothing was started"), "{stdout}");

    assert_eq!(mode(&bin), 0o755);
    assert_eq!(fs::metadata(&bin).expect("bin").uid(), 0);
    assert_eq!(fs::read(&bin).expect("bin"), fs::read(BIN).expect("BIN"));
    assert_eq!(fs::read(&unit).ok(), fs::read(unit_source()).ok(), "unit");
    assert_eq!(
        fs::read_link(&wants).expect("enabled: a symlink in multi-user.target.wants"),
        Path::new("/etc/systemd/system/mycloud.service")
    );
    let ids @ (uid, gid) = mycloud_ids(&root);
    assert_eq!(fs::read(&env_file).ok(), fs::read(env_template()).ok());
    let env_meta = fs::metadata(&env_file).expect("env file");
    assert_eq!(
        (mode(&env_file), env_meta.uid(), env_meta.gid()),
        (0o640, 0, gid),
        "env file mode and owner"
    );
    assert_eq!(mode(&data), 0o700, "the data dir is for mycloud alone");
    assert_eq!(fs::metadata(&data).expect("data").gid(), gid);
    assert!(
        data.join("mycloud.db").is_file(),
        "no database in the data dir"
    );
    assert_owned_by(&data, uid);
    assert!(!Path::new("/nonexistent/callers-data-dir").exists());
    assert_unit_verifies(&root);
    assert_admin_logs_in(&root, ids, admin, password);

    // Upgrade: a different binary, a settings file the admin edited, data to keep.
    let mut newer = fs::read(BIN).expect("BIN");
    newer.extend_from_slice(b"\0a later build\0");
    let newer_path = dir.path().join("mycloud-newer");
    fs::write(&newer_path, &newer).expect("write the newer binary");
    fs::set_permissions(&newer_path, fs::Permissions::from_mode(0o755)).expect("chmod");
    let old_inode = fs::metadata(&bin).expect("bin").ino();
    let sourced = root.join("sourced");
    let mut settings = fs::read_to_string(&env_file).expect("env file");
    settings.push_str("MYCLOUD_PUBLIC_URL = \"https://files.example.org\"\n");
    // Harmless to systemd, which takes the & literally; sh would run the touch.
    settings.push_str(&format!("MYCLOUD_NOTE=a&touch {}\n", sourced.display()));
    fs::write(&env_file, &settings).expect("edit the env file");
    let marker = data.join("keep-me");
    fs::write(&marker, "data").expect("marker");
    std::os::unix::fs::chown(&marker, Some(uid), Some(gid)).expect("chown marker");
    let secret = fs::read(data.join("secret.key")).expect("secret.key");

    let stdout = install_ok(&[
        "--root",
        root_arg,
        "--binary",
        newer_path.to_str().expect("utf-8 path"),
    ]);
    assert!(
        printed(&stdout, "Password: ").is_none(),
        "a second password:\n{stdout}"
    );
    assert!(
        stdout.contains("An administrator exists already"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Open: https://files.example.org"),
        "{stdout}"
    );
    assert!(
        !sourced.exists(),
        "install.sh ran the env file as a shell script"
    );
    assert_eq!(
        fs::read(&bin).expect("bin"),
        newer,
        "the binary was not replaced"
    );
    assert_ne!(
        fs::metadata(&bin).expect("bin").ino(),
        old_inode,
        "not a rename"
    );
    let leftovers: Vec<_> = fs::read_dir(root.join("usr/local/bin"))
        .expect("bin dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        leftovers,
        ["mycloud"],
        "temporary files left beside the binary"
    );
    assert_eq!(
        fs::read_to_string(&env_file).ok(),
        Some(settings),
        "settings kept"
    );
    assert_eq!(mode(&env_file), 0o640);
    assert_eq!(fs::read(data.join("secret.key")).ok(), Some(secret));
    assert!(marker.exists(), "the upgrade lost data");
    assert_owned_by(&data, uid);
    assert_admin_logs_in(&root, ids, admin, password);

    // Uninstall, twice: the second finds nothing to do and still succeeds.
    for _ in 0..2 {
        install_ok(&["--root", root_arg, "--uninstall"]);
        assert!(!bin.exists() && !unit.exists(), "binary or unit left");
        assert!(fs::symlink_metadata(&wants).is_err(), "still enabled");
        assert!(
            marker.exists() && data.join("mycloud.db").exists(),
            "data gone"
        );
        assert!(env_file.exists(), "settings gone");
        assert_eq!(mycloud_ids(&root), ids, "the user changed");
    }

    // Purge.
    install_ok(&["--root", root_arg, "--uninstall", "--purge"]);
    assert!(!data.exists(), "data left after --purge");
    assert!(
        !root.join("etc/mycloud").exists(),
        "settings left after --purge"
    );
    for file in ["passwd", "group", "shadow", "gshadow"] {
        assert!(
            !has_mycloud_line(&root.join("etc").join(file)),
            "mycloud left in DIR/etc/{file}"
        );
    }
}
