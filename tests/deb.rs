//! The Debian package: `cargo deb` builds it from `[package.metadata.deb]` in Cargo.toml and
//! the maintainer scripts in packaging/deb/, exactly as a release would, and then
//!
//! - `deb_contents`: `dpkg-deb` lists exactly the expected paths with the expected modes,
//!   the control fields, conffiles and scripts are right, the packaged unit, drop-in and
//!   env file are the files in packaging/, and shellcheck passes on the scripts (as written
//!   and as cargo-deb completed them);
//! - `deb_installs_without_systemd`: `dpkg -i` into a throwaway Debian 12 root with no
//!   systemd running (a container or a chroot): user, data dir, modes, the unit enabled and
//!   valid for `systemd-analyze verify`, the printed admin command works, the service runs
//!   as systemd would run it, a reinstall keeps local settings, `dpkg -r` keeps the data,
//!   `dpkg --purge` removes /etc/mycloud and keeps the data, a new install picks it up;
//! - `deb_runs_under_systemd`: the same root booted with systemd (`systemd-nspawn --boot`):
//!   `dpkg -i` enables but does not start it, the printed admin command works,
//!   `systemctl start mycloud` serves as the mycloud user with the env file's settings
//!   under the full hardening, a reinstall restarts it, `dpkg -r` stops it and keeps the
//!   data, `dpkg --purge` removes /etc/mycloud only.
//!
//! The Debian root is made once with `debootstrap --variant=minbase --include=systemd
//! bookworm` (half a minute, needs deb.debian.org or `MYCLOUD_TEST_DEBIAN_MIRROR`) and kept
//! in target/tmp/deb-root/; each test works on a copy. Delete that folder to refresh it.
//! Missing tools (cargo-deb, dpkg-deb, shellcheck, debootstrap, systemd-nspawn) or not
//! being root skip a test with a loud SKIPPED line, except with `CI=true`, where they fail.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use common::needs;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const TARGET_TMP: &str = env!("CARGO_TARGET_TMPDIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every file in the package: mode as `dpkg-deb -c` prints it, path. Directories are
/// checked apart: exactly the parents of these, 0755.
const FILES: [(&str, &str); 7] = [
    ("-rwxr-xr-x", "/usr/bin/mycloud"),
    ("-rw-r--r--", UNIT),
    ("-rw-r--r--", DROP_IN),
    ("-rw-r-----", ENV_FILE),
    ("-rw-r--r--", "/usr/share/doc/mycloud/README.md"),
    ("-rw-r--r--", "/usr/share/doc/mycloud/copyright"),
    (
        "-rw-r--r--",
        "/usr/share/doc/mycloud/examples/nginx-mycloud.conf",
    ),
];

/// Packaged files that are files of this repository, byte for byte.
const COPIES: [(&str, &str); 5] = [
    (UNIT, "packaging/systemd/mycloud.service"),
    (DROP_IN, "packaging/deb/mycloud.service.d/deb.conf"),
    (ENV_FILE, "packaging/mycloud.env"),
    ("/usr/share/doc/mycloud/README.md", "README.md"),
    (
        "/usr/share/doc/mycloud/examples/nginx-mycloud.conf",
        "packaging/nginx/mycloud.conf",
    ),
];

/// Maintainer scripts, and how many systemd sections cargo-deb must have put in each.
const SCRIPTS: [(&str, usize); 3] = [("postinst", 2), ("prerm", 1), ("postrm", 2)];

const ENV_FILE: &str = "/etc/mycloud/mycloud.env";
const DATA_DIR: &str = "/var/lib/mycloud";
const UNIT: &str = "/usr/lib/systemd/system/mycloud.service";
const DROP_IN: &str = "/usr/lib/systemd/system/mycloud.service.d/deb.conf";
const WANTS_LINK: &str = "/etc/systemd/system/multi-user.target.wants/mycloud.service";
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The database the tests name in the env file, so that only a command that reads the env
/// file finds the admin it created.
const DB_NAME: &str = "deb-test.db";

// ---------------------------------------------------------------------------------------
// The three tests.

#[test]
fn deb_contents() {
    let Some(deb) = deb() else { return };
    let listing = run_ok(Command::new("dpkg-deb").arg("-c").arg(deb));

    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for line in listing.lines() {
        // drwxr-xr-x 0/0               0 2024-01-01 00:00 ./usr/
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 6, "unexpected dpkg-deb -c line: {line}");
        let (mode, owner, path) = (fields[0], fields[1], fields[5]);
        assert_eq!(owner, "0/0", "{path} is not owned by root: {line}");
        let path = path
            .trim_start_matches('.')
            .trim_end_matches('/')
            .to_string();
        if mode.starts_with('d') {
            assert_eq!(mode, "drwxr-xr-x", "{line}");
            dirs.push(path);
        } else {
            files.push((mode.to_string(), path));
        }
    }
    files.sort();
    let mut want: Vec<(String, String)> = FILES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    want.sort();
    assert_eq!(files, want, "files in the package (mode, path)");

    let mut want_dirs: Vec<String> = FILES
        .iter()
        .flat_map(|(_, p)| Path::new(p).ancestors().skip(1))
        .filter(|d| *d != Path::new("/"))
        .map(|d| d.display().to_string())
        .collect();
    want_dirs.sort();
    want_dirs.dedup();
    dirs.sort();
    assert_eq!(dirs, want_dirs, "directories in the package");
    // The data dir is made by postinst, never shipped: dpkg must never own (or delete) it.
    assert!(!listing.contains("/var/"), "{listing}");

    // Control fields.
    let field = |name: &str| run_ok(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name));
    assert_eq!(field("Package").trim(), "mycloud");
    assert_eq!(field("Version").trim(), format!("{VERSION}-1"));
    assert_eq!(field("Section").trim(), "net");
    assert_eq!(field("Priority").trim(), "optional");
    let depends = field("Depends");
    for dep in ["adduser", "libc6"] {
        assert!(
            depends.split(',').any(|d| d.trim().starts_with(dep)),
            "Depends lacks {dep}: {depends}"
        );
    }
    let description = field("Description");
    assert!(
        description.lines().count() >= 8 && description.contains("/var/lib/mycloud"),
        "the extended description is missing or short:\n{description}"
    );

    // `dpkg-deb -I` names the scripts and the conffiles list.
    let info = run_ok(Command::new("dpkg-deb").arg("-I").arg(deb));
    for name in ["postinst", "prerm", "postrm", "conffiles"] {
        assert!(
            info.contains(name),
            "dpkg-deb -I does not list {name}:\n{info}"
        );
    }
    let work = tempfile::tempdir_in(TARGET_TMP).expect("temp dir");
    let control = work.path().join("control");
    run_ok(Command::new("dpkg-deb").arg("-e").arg(deb).arg(&control));
    let conffiles = fs::read_to_string(control.join("conffiles")).expect("conffiles");
    assert_eq!(conffiles.trim(), ENV_FILE, "conffiles");
    assert!(
        !control.join("preinst").exists(),
        "a preinst appeared; add it to this test"
    );
    for (name, sections) in SCRIPTS {
        let path = control.join(name);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mode = fs::metadata(&path).expect("script").permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "{name} mode");
        assert!(text.starts_with("#!/bin/sh\n"), "{name}:\n{text}");
        assert!(text.contains("\nset -e\n"), "{name} lacks set -e");
        assert!(!text.contains("#DEBHELPER#"), "{name} kept its token");
        assert_eq!(
            text.matches("# Automatically added by cargo-deb").count(),
            sections,
            "systemd sections cargo-deb put in {name} (one inside a comment is a token \
             mentioned in a comment):\n{text}"
        );
        assert_systemd_calls_guarded(name, &text);
    }
    // Never started by the package on install: only try-restart, on upgrade.
    let postinst = fs::read_to_string(control.join("postinst")).expect("postinst");
    assert!(!postinst.contains("deb-systemd-invoke start"), "{postinst}");
    assert!(postinst.contains("deb-systemd-invoke try-restart mycloud.service"));
    assert!(postinst.contains("deb-systemd-helper enable mycloud.service"));
    let prerm = fs::read_to_string(control.join("prerm")).expect("prerm");
    assert!(prerm.contains("deb-systemd-invoke stop mycloud.service"));

    // shellcheck: the scripts as written, and as cargo-deb completed them.
    let source_dir = Path::new(MANIFEST_DIR).join("packaging/deb");
    let sources = SCRIPTS.map(|(name, _)| source_dir.join(name));
    let built = SCRIPTS.map(|(name, _)| control.join(name));
    run_ok(Command::new("shellcheck").args(["-s", "sh"]).args(sources));
    run_ok(Command::new("shellcheck").args(["-s", "sh"]).args(built));

    // The unit, drop-in, env file and docs are this repository's files.
    let tree = work.path().join("tree");
    run_ok(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&tree));
    for (packaged, source) in COPIES {
        let got = fs::read(tree.join(&packaged[1..])).expect(packaged);
        let want = fs::read(Path::new(MANIFEST_DIR).join(source)).expect(source);
        assert!(got == want, "{packaged} differs from {source}");
    }
    // The drop-in points the shared unit at the packaged binary.
    let unit = Unit::read(&tree);
    assert_eq!(unit.exec_start, "/usr/bin/mycloud serve");
    assert_eq!(unit.user, "mycloud");
    // The binary is this version's, and runs.
    let version = run_ok(Command::new(tree.join("usr/bin/mycloud")).arg("--version"));
    assert_eq!(version.trim(), format!("mycloud {VERSION}"));
}

#[test]
fn deb_installs_without_systemd() {
    let Some(deb) = deb() else { return };
    let Some(template) = debian_root("the .deb install test (no systemd)") else {
        return;
    };
    let root = Root::copy(template, deb);
    let sh = Shell::Chroot(root.path.clone());

    // Install.
    let out = sh.ok("dpkg -i /var/tmp/mycloud.deb </dev/null");
    let admin_cmd = admin_command(&out);
    assert!(out.contains("systemctl start mycloud"), "{out}");
    let ids = root.mycloud_ids();
    assert!(ids.uid < 1000 && ids.uid > 0, "not a system user: {ids:?}");
    assert_eq!(
        root.passwd_line("mycloud")[5..],
        ["/var/lib/mycloud", "/usr/sbin/nologin"],
        "home and shell"
    );
    // The data dir as systemd's StateDirectoryMode= will make it at every start anyway.
    let data_dir_mode = 0o40000 | Unit::read(&root.path).state_directory_mode;
    root.assert_stat(DATA_DIR, data_dir_mode, ids.uid, ids.gid);
    assert!(
        root.entries(DATA_DIR).is_empty(),
        "the data dir is not empty"
    );
    root.assert_stat(ENV_FILE, 0o100640, 0, ids.gid);
    root.assert_stat("/usr/bin/mycloud", 0o100755, 0, 0);
    // Enabled, though nothing could start it, and valid for systemd with the drop-in.
    let link = fs::read_link(root.host(WANTS_LINK)).expect("the unit is not enabled");
    assert!(link.ends_with("systemd/system/mycloud.service"), "{link:?}");
    assert_eq!(sh.ok("systemctl is-enabled mycloud").trim(), "enabled");
    sh.ok("systemd-analyze verify mycloud.service");

    // The first admin, by the printed command, into the database the env file names.
    let port = free_port();
    root.configure(port);
    let password = created_password(&sh.ok(&admin_cmd));
    root.assert_stat(&format!("{DATA_DIR}/{DB_NAME}"), 0o100600, ids.uid, ids.gid);
    assert!(!root.host(DATA_DIR).join("mycloud.db").exists());

    // The service, as systemd would run it: the unit's user, umask, environment, env file
    // and ExecStart (after the drop-in), in the installed root.
    let mut server = root.serve_like_systemd(port);
    let status = fs::read_to_string(format!("/proc/{}/status", server.child.id()));
    let status = status.expect("the server's /proc status");
    assert_eq!(
        uids(&status),
        [ids.uid; 4],
        "the server's user (real, effective, …)"
    );
    let file_path = {
        let api = Api::login(port, "admin", &password);
        let file = api.upload("hello.txt", b"kept across remove and purge");
        blob_path(&file)
    };
    root.assert_stat(&file_path, 0o100600, ids.uid, ids.gid);
    server.stop();

    // Reinstalling (the upgrade path) keeps the edited env file and says nothing new.
    let out = sh.ok("dpkg -i /var/tmp/mycloud.deb </dev/null");
    assert!(
        !out.contains("runuser"),
        "upgrade printed the first steps:\n{out}"
    );
    assert!(
        root.read(ENV_FILE)
            .contains(&format!("MYCLOUD_LISTEN=127.0.0.1:{port}"))
    );
    root.assert_stat(ENV_FILE, 0o100640, 0, ids.gid);
    assert_eq!(root.mycloud_ids(), ids, "the user changed");

    // Remove: the program goes, the data and the settings stay.
    let out = sh.ok("dpkg -r mycloud </dev/null");
    assert!(
        out.contains("/var/lib/mycloud"),
        "remove says nothing of the data: {out}"
    );
    for gone in ["/usr/bin/mycloud", UNIT, DROP_IN] {
        assert!(!root.host(gone).exists(), "{gone} is still there");
    }
    assert!(root.host(ENV_FILE).exists(), "remove deleted the settings");
    assert_eq!(
        root.read(&file_path),
        "kept across remove and purge",
        "remove touched the data"
    );
    assert!(root.host(DATA_DIR).join(DB_NAME).exists());

    // Purge: the settings go, the data and the user stay.
    let out = sh.ok("dpkg --purge mycloud </dev/null");
    assert!(
        out.contains("/var/lib/mycloud"),
        "purge says nothing of the data: {out}"
    );
    assert!(
        !root.host("/etc/mycloud").exists(),
        "purge kept /etc/mycloud"
    );
    assert!(
        fs::symlink_metadata(root.host(WANTS_LINK)).is_err(),
        "purge kept the enable link"
    );
    assert_eq!(root.read(&file_path), "kept across remove and purge");
    assert_eq!(root.mycloud_ids(), ids, "purge removed or changed the user");
    assert!(
        !sh.run("dpkg -s mycloud").status.success(),
        "still installed"
    );

    // A new install finds the user and the data as they were.
    let out = sh.ok("dpkg -i /var/tmp/mycloud.deb </dev/null");
    assert!(out.contains("runuser"), "{out}");
    assert_eq!(root.mycloud_ids(), ids);
    root.assert_stat(DATA_DIR, data_dir_mode, ids.uid, ids.gid);
    let port = free_port();
    root.configure(port);
    let mut server = root.serve_like_systemd(port);
    let api = Api::login(port, "admin", &password);
    let files = api.get("/api/files");
    assert_eq!(files["files"][0]["name"], "hello.txt", "{files}");
    server.stop();
}

#[test]
fn deb_runs_under_systemd() {
    let Some(deb) = deb() else { return };
    let what = "the .deb test under systemd";
    if let Some(why) = missing("systemd-nspawn", &["--version"]) {
        needs::unavailable(what, &why, "apt-get install systemd-container");
        return;
    }
    let Some(template) = debian_root(what) else {
        return;
    };
    let root = Root::copy(template, deb);
    let container = Container::boot(&root);
    let sh = Shell::Container(container.init_pid);

    let out = sh.ok("dpkg -i /var/tmp/mycloud.deb </dev/null");
    let admin_cmd = admin_command(&out);
    let ids = root.mycloud_ids();
    let data_dir_mode = 0o40000 | Unit::read(&root.path).state_directory_mode;
    root.assert_stat(DATA_DIR, data_dir_mode, ids.uid, ids.gid);
    // Enabled for the next boot, and not started: the admin comes first.
    assert_eq!(sh.ok("systemctl is-enabled mycloud").trim(), "enabled");
    assert_eq!(
        sh.run("systemctl is-active mycloud").stdout_str().trim(),
        "inactive"
    );
    let show = sh.ok("systemctl show mycloud -p ExecStart -p User -p Group -p DropInPaths");
    assert!(show.contains("path=/usr/bin/mycloud ;"), "{show}");
    assert!(
        show.contains("User=mycloud\n") && show.contains("Group=mycloud\n"),
        "{show}"
    );
    assert!(show.contains("mycloud.service.d/deb.conf"), "{show}");

    let port = free_port();
    root.configure(port);
    let password = created_password(&sh.ok(&admin_cmd));

    sh.ok("systemctl start mycloud");
    wait_for_port(port, || {
        sh.run("systemctl status mycloud; journalctl -u mycloud")
            .stdout_str()
    });
    let api = Api::login(port, "admin", &password);
    let health = api.get("/api/health");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["version"], VERSION, "{health}");
    let main_pid = sh.ok("systemctl show mycloud -p MainPID --value");
    let status = sh.ok(&format!("cat /proc/{}/status", main_pid.trim()));
    assert_eq!(
        uids(&status),
        [ids.uid; 4],
        "the service's user (real, effective, …)"
    );
    // Started, systemd left the data dir as postinst made it.
    root.assert_stat(DATA_DIR, data_dir_mode, ids.uid, ids.gid);
    let file = api.upload("hello.txt", b"kept across remove");
    let file_path = blob_path(&file);
    root.assert_stat(&file_path, 0o100600, ids.uid, ids.gid);

    // Reinstalling (the upgrade path) restarts the running service on the new binary.
    sh.ok("dpkg -i /var/tmp/mycloud.deb </dev/null");
    let new_pid = sh.ok("systemctl show mycloud -p MainPID --value");
    assert_ne!(
        new_pid.trim(),
        main_pid.trim(),
        "the upgrade did not restart mycloud"
    );
    assert_eq!(sh.ok("systemctl is-active mycloud").trim(), "active");
    assert_eq!(api.get("/api/files")["files"][0]["name"], "hello.txt");

    // Remove stops the service and keeps the data.
    sh.ok("dpkg -r mycloud </dev/null");
    assert_ne!(
        sh.run("systemctl is-active mycloud").stdout_str().trim(),
        "active"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "something still listens on {port} after dpkg -r"
    );
    assert_eq!(root.read(&file_path), "kept across remove");
    assert!(root.host(DATA_DIR).join(DB_NAME).exists());

    sh.ok("dpkg --purge mycloud </dev/null");
    assert!(
        !root.host("/etc/mycloud").exists(),
        "purge kept /etc/mycloud"
    );
    assert_eq!(root.read(&file_path), "kept across remove");
    assert_eq!(root.mycloud_ids(), ids);
    container.shut_down();
}

/// Every `systemctl` or `deb-systemd-invoke` command in `script` sits inside an
/// `if [ -d /run/systemd/system ]` block: a container or a chroot has no running systemd,
/// and these fail there. Text of here-documents (the printed next steps) is not code.
#[track_caller]
fn assert_systemd_calls_guarded(name: &str, script: &str) {
    let mut ifs: Vec<bool> = Vec::new();
    let mut heredoc: Option<String> = None;
    for line in script.lines().map(str::trim) {
        if let Some(end) = &heredoc {
            if line == end {
                heredoc = None;
            }
            continue;
        }
        if let Some((_, tag)) = line.split_once("<<") {
            heredoc = Some(tag.trim().trim_matches('\'').to_string());
        }
        if line.starts_with("if ") {
            ifs.push(line.starts_with("if [ -d /run/systemd/system ]"));
        } else if line == "fi" {
            ifs.pop().unwrap_or_else(|| panic!("{name}: fi without if"));
        } else if line.starts_with("systemctl ") || line.starts_with("deb-systemd-invoke ") {
            assert!(ifs.contains(&true), "{name}: unguarded: {line}");
        }
    }
    assert!(ifs.is_empty() && heredoc.is_none(), "{name}: unbalanced");
}

// ---------------------------------------------------------------------------------------
// Skipping (see `common::needs`): loudly on a developer's machine, never in CI.

/// Why `program args…` cannot run, if it cannot.
fn missing(program: &str, args: &[&str]) -> Option<String> {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("{program}: {e}")),
    }
}

// ---------------------------------------------------------------------------------------
// Building the package and the Debian root, once per test binary.

/// The .deb, built by `cargo deb` once for all tests here; `None` after the skip note.
///
/// Really `cargo deb`, not `--no-build`: it runs `cargo build --release` first, so the
/// package holds the binary of these sources (cargo makes it a no-op when it is current),
/// never a stale target/release/mycloud.
fn deb() -> Option<&'static Path> {
    static DEB: OnceLock<Result<PathBuf, (String, &str)>> = OnceLock::new();
    let built = DEB.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        for (program, args, fix) in [
            (
                cargo.as_str(),
                &["deb", "--version"][..],
                "cargo install cargo-deb --locked",
            ),
            ("dpkg-deb", &["--version"][..], "apt-get install dpkg"),
            (
                "shellcheck",
                &["--version"][..],
                "apt-get install shellcheck",
            ),
        ] {
            if let Some(why) = missing(program, args) {
                return Err((why, fix));
            }
        }
        let out_dir = Path::new(TARGET_TMP).join("deb");
        let _ = fs::remove_dir_all(&out_dir);
        let stdout = run_ok(
            Command::new(cargo)
                .current_dir(MANIFEST_DIR)
                .args(["deb", "--output"])
                .arg(&out_dir),
        );
        let deb = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
        assert!(
            deb.starts_with(&out_dir) && deb.is_file(),
            "cargo deb printed no package path: {stdout}"
        );
        Ok(deb)
    });
    match built {
        Ok(deb) => Some(deb),
        Err((why, fix)) => {
            needs::unavailable("the .deb tests", why, fix);
            None
        }
    }
}

/// A pristine Debian 12 root with systemd, from the cache or a fresh debootstrap;
/// `None` after the skip note when this machine cannot make or use one.
fn debian_root(what: &str) -> Option<&'static Path> {
    static ROOT: OnceLock<Result<PathBuf, (String, String)>> = OnceLock::new();
    let made = ROOT.get_or_init(|| {
        if fs::metadata("/proc/self").map(|m| m.uid()).ok() != Some(0) {
            return Err((
                "not root".into(),
                "run as root: it installs into a chroot".into(),
            ));
        }
        let cached = Path::new(TARGET_TMP).join("deb-root/bookworm");
        if cached.join("usr/bin/systemctl").exists() {
            return Ok(cached);
        }
        if let Some(why) = missing("debootstrap", &["--version"]) {
            return Err((why, "apt-get install debootstrap".into()));
        }
        let partial = cached.with_extension(format!("partial-{}", std::process::id()));
        fs::create_dir_all(cached.parent().expect("parent")).expect("cache dir");
        let mirror = std::env::var("MYCLOUD_TEST_DEBIAN_MIRROR")
            .unwrap_or_else(|_| "http://deb.debian.org/debian".into());
        let started = Instant::now();
        run_ok(
            Command::new("debootstrap")
                .args(["--variant=minbase", "--include=systemd", "bookworm"])
                .arg(&partial)
                .arg(&mirror),
        );
        // Only a finished root gets the name the check above looks for. Another test run
        // may have finished one meanwhile: then that one is used.
        if fs::rename(&partial, &cached).is_err() {
            assert!(
                cached.join("usr/bin/systemctl").exists(),
                "cannot rename {partial:?}"
            );
            fs::remove_dir_all(&partial).expect("remove the spare Debian root");
        }
        let _ = writeln!(
            std::io::stderr(),
            "debootstrap bookworm took {:?}; cached in {}",
            started.elapsed(),
            cached.display()
        );
        Ok(cached)
    });
    match made {
        Ok(root) => Some(root),
        Err((why, fix)) => {
            needs::unavailable(what, why, fix);
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// A throwaway copy of the Debian root, and running commands in it.

struct Root {
    path: PathBuf,
    _dir: TempDir,
}

#[derive(Debug, PartialEq, Eq)]
struct Ids {
    uid: u32,
    gid: u32,
}

impl Root {
    /// A copy of `template` with the package at /var/tmp/mycloud.deb
    /// (not /tmp: systemd-nspawn mounts a fresh one).
    fn copy(template: &Path, deb: &Path) -> Root {
        let dir = tempfile::tempdir_in(TARGET_TMP).expect("temp dir");
        let path = dir.path().join("root");
        run_ok(
            Command::new("cp")
                .args(["-a", "--reflink=auto"])
                .arg(template)
                .arg(&path),
        );
        fs::copy(deb, path.join("var/tmp/mycloud.deb")).expect("copy the .deb");
        Root { path, _dir: dir }
    }

    /// Where `path` of the root is, seen from here.
    fn host(&self, path: &str) -> PathBuf {
        self.path.join(path.trim_start_matches('/'))
    }

    fn read(&self, path: &str) -> String {
        fs::read_to_string(self.host(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
    }

    fn entries(&self, path: &str) -> Vec<String> {
        fs::read_dir(self.host(path))
            .expect(path)
            .map(|e| e.expect(path).file_name().to_string_lossy().into_owned())
            .collect()
    }

    fn passwd_line(&self, name: &str) -> Vec<String> {
        let passwd = self.read("/etc/passwd");
        let line = passwd
            .lines()
            .find(|l| l.starts_with(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no user {name} in /etc/passwd:\n{passwd}"));
        line.split(':').map(str::to_string).collect()
    }

    /// The mycloud user and group; the group must be the user's primary group.
    fn mycloud_ids(&self) -> Ids {
        let user = self.passwd_line("mycloud");
        let group_file = self.read("/etc/group");
        let group = group_file
            .lines()
            .find(|l| l.starts_with("mycloud:"))
            .unwrap_or_else(|| panic!("no group mycloud:\n{group_file}"));
        let gid: u32 = group.split(':').nth(2).expect("gid").parse().expect("gid");
        assert_eq!(user[3], gid.to_string(), "mycloud's primary group");
        Ids {
            uid: user[2].parse().expect("uid"),
            gid,
        }
    }

    #[track_caller]
    fn assert_stat(&self, path: &str, mode: u32, uid: u32, gid: u32) {
        let meta = fs::symlink_metadata(self.host(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(
            (format!("{:o}", meta.mode()), meta.uid(), meta.gid()),
            (format!("{mode:o}"), uid, gid),
            "{path}: (mode, uid, gid)"
        );
    }

    /// What an admin would add to the env file: a port of our choosing, and a database
    /// other than the default, so only programs that read this file find what is in it.
    fn configure(&self, port: u16) {
        let mut env = fs::OpenOptions::new()
            .append(true)
            .open(self.host(ENV_FILE))
            .expect("env file");
        writeln!(
            env,
            "\n# added by tests/deb.rs\nMYCLOUD_LISTEN=127.0.0.1:{port}\n\
             MYCLOUD_DATABASE_URL=sqlite://{DATA_DIR}/{DB_NAME}"
        )
        .expect("write the env file");
    }

    /// Starts the service the way systemd would, without systemd: the installed unit and
    /// drop-ins give the user, group, umask, environment, env file and command line, which
    /// are run in the root by `setpriv`.
    fn serve_like_systemd(&self, port: u16) -> Serving {
        let unit = Unit::read(&self.path);
        let mut env: Vec<(String, String)> = vec![
            // systemd's default PATH, which also finds chroot for the command below.
            ("PATH".into(), SYSTEM_PATH.into()),
            ("USER".into(), unit.user.clone()),
            ("LOGNAME".into(), unit.user.clone()),
            ("HOME".into(), DATA_DIR.into()),
        ];
        env.extend(unit.environment.iter().cloned());
        for file in &unit.environment_files {
            let (optional, file) = match file.strip_prefix('-') {
                Some(f) => (true, f),
                None => (false, file.as_str()),
            };
            match fs::read_to_string(self.host(file)) {
                Ok(text) => env.extend(parse_env_file(&text)),
                Err(e) => assert!(optional, "EnvironmentFile={file}: {e}"),
            }
        }
        let log = self.path.with_file_name("server.log");
        let mut command = Command::new("chroot");
        command
            .arg(&self.path)
            .args(["setpriv", "--reuid", &unit.user, "--regid", &unit.group])
            .args(["--init-groups", "--", "/bin/sh", "-c"])
            .arg(format!("umask {} && exec \"$@\"", unit.umask))
            .arg("sh")
            .args(unit.exec_start.split_whitespace())
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).expect("server log"));
        let mut child = command.spawn().expect("start mycloud in the root");
        let line = first_line(&mut child, &log);
        assert_eq!(
            line,
            format!("mycloud listening on http://127.0.0.1:{port}/"),
            "the server's first line"
        );
        Serving { child }
    }
}

/// `mycloud serve` started by [`Root::serve_like_systemd`]; killed when dropped.
struct Serving {
    child: Child,
}

impl Serving {
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "mycloud ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first stdout line of `child`, within 20 s; its log is shown on failure.
fn first_line(child: &mut Child, log: &Path) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        // Keep reading, so the server never blocks on a full pipe.
        for _ in lines {}
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Some(Ok(line))) => line,
        other => {
            let _ = child.kill();
            let log = fs::read_to_string(log).unwrap_or_default();
            panic!("mycloud printed no first line ({other:?}); its log:\n{log}");
        }
    }
}

/// The parts of the installed mycloud.service (with its drop-ins) that say how it runs.
#[derive(Debug, Default)]
struct Unit {
    exec_start: String,
    user: String,
    group: String,
    umask: String,
    /// `StateDirectoryMode=` as a number (systemd's default 0755 when unset).
    state_directory_mode: u32,
    environment: Vec<(String, String)>,
    environment_files: Vec<String>,
}

impl Unit {
    /// Reads the unit and then its drop-ins in name order, as systemd does, from the tree
    /// at `root`. An empty `ExecStart=`, `Environment=` or `EnvironmentFile=` clears the
    /// list, as it does for systemd.
    fn read(root: &Path) -> Unit {
        let unit_path = root.join(&UNIT[1..]);
        let mut files = vec![unit_path.clone()];
        let drop_ins = unit_path.with_extension("service.d");
        let mut extra: Vec<PathBuf> = fs::read_dir(&drop_ins)
            .map(|d| d.map(|e| e.expect("drop-in").path()).collect())
            .unwrap_or_default();
        extra.retain(|p| p.extension().is_some_and(|e| e == "conf"));
        extra.sort();
        files.extend(extra);

        let mut unit = Unit::default();
        let mut exec_start = Vec::new();
        for file in files {
            let text = fs::read_to_string(&file).expect("unit file");
            let mut section = String::new();
            for line in text.lines().map(str::trim) {
                if line.is_empty() || line.starts_with(['#', ';']) {
                    continue;
                }
                if line.starts_with('[') {
                    section = line.to_string();
                    continue;
                }
                if section != "[Service]" {
                    continue;
                }
                let (key, value) = line.split_once('=').expect("key=value");
                let value = value.trim().to_string();
                match key.trim() {
                    "ExecStart" if value.is_empty() => exec_start.clear(),
                    "ExecStart" => exec_start.push(value),
                    "User" => unit.user = value,
                    "Group" => unit.group = value,
                    "UMask" => unit.umask = value,
                    "StateDirectoryMode" => {
                        unit.state_directory_mode =
                            u32::from_str_radix(&value, 8).expect("StateDirectoryMode=");
                    }
                    "Environment" if value.is_empty() => unit.environment.clear(),
                    "Environment" => {
                        assert!(!value.contains(['"', '\'']), "quoted Environment=: {value}");
                        for pair in value.split_whitespace() {
                            let (k, v) = pair.split_once('=').expect("Environment=K=V");
                            unit.environment.push((k.into(), v.into()));
                        }
                    }
                    "EnvironmentFile" if value.is_empty() => unit.environment_files.clear(),
                    "EnvironmentFile" => unit.environment_files.push(value),
                    _ => {}
                }
            }
        }
        assert_eq!(
            exec_start.len(),
            1,
            "ExecStart= lines in effect: {exec_start:?}"
        );
        unit.exec_start = exec_start.remove(0);
        if unit.umask.is_empty() {
            unit.umask = "0022".into();
        }
        if unit.state_directory_mode == 0 {
            unit.state_directory_mode = 0o755;
        }
        unit
    }
}

/// The assignments of a systemd `EnvironmentFile=`, for the simple lines ours holds.
fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(['#', ';']))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or_else(|| panic!("env line: {l}"));
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

/// Where shell commands run: a chroot (no systemd), or a booted container.
enum Shell {
    Chroot(PathBuf),
    Container(u32),
}

impl Shell {
    /// `sh -c script` inside, as root with a clean environment, killed after 5 minutes.
    fn run(&self, script: &str) -> Output {
        let mut command = Command::new("timeout");
        command.arg("300");
        match self {
            Shell::Chroot(root) => command.arg("chroot").arg(root),
            Shell::Container(pid) => command.args(["nsenter", "-t", &pid.to_string(), "-a"]),
        };
        command
            .args(["/bin/sh", "-c", script])
            .env_clear()
            .env("PATH", SYSTEM_PATH)
            .env("HOME", "/root")
            .env("LANG", "C.UTF-8")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .output()
            .expect("run a command in the root")
    }

    /// As [`Shell::run`], which must succeed; stdout and stderr together.
    #[track_caller]
    fn ok(&self, script: &str) -> String {
        let out = self.run(script);
        assert!(
            out.status.success(),
            "`{script}` failed ({}):\n{}{}",
            out.status,
            out.stdout_str(),
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout_str() + &String::from_utf8_lossy(&out.stderr)
    }
}

trait StdoutStr {
    fn stdout_str(&self) -> String;
}

impl StdoutStr for Output {
    fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// The admin command postinst prints, exactly as printed: from `runuser` to the line that
/// ends the quoted script.
fn admin_command(dpkg_output: &str) -> String {
    let lines: Vec<&str> = dpkg_output.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with("runuser -u mycloud"))
        .unwrap_or_else(|| panic!("postinst printed no admin command:\n{dpkg_output}"));
    let len = lines[start..]
        .iter()
        .position(|l| l.trim_end().ends_with("user create admin --admin'"))
        .expect("the end of the admin command");
    lines[start..=start + len].join("\n")
}

/// Where the bytes of `file` are: files/<owner id>/<file id> in the data dir.
fn blob_path(file: &Value) -> String {
    let id = |key: &str| {
        file[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: {file}"))
            .to_string()
    };
    format!("{DATA_DIR}/files/{}/{}", id("owner_id"), id("id"))
}

/// The password `mycloud user create` printed.
fn created_password(output: &str) -> String {
    output
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap_or_else(|| panic!("no password in:\n{output}"))
        .trim()
        .to_string()
}

// ---------------------------------------------------------------------------------------
// A booted container.

/// Debian root booted by `systemd-nspawn --boot`, sharing this network namespace (so the
/// service's port is reachable from here). Killed when dropped.
struct Container {
    nspawn: Child,
    init_pid: u32,
    log: PathBuf,
}

impl Container {
    fn boot(root: &Root) -> Container {
        let log = root.path.with_file_name("nspawn.log");
        let log_file = fs::File::create(&log).expect("nspawn log");
        // --keep-unit and --register=no: nspawn needs no systemd or D-Bus on this side.
        let nspawn = Command::new("systemd-nspawn")
            .args(["--quiet", "--keep-unit", "--register=no", "--boot"])
            .args(["--console=pipe", "-D"])
            .arg(&root.path)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .expect("start systemd-nspawn");
        let mut container = Container {
            init_pid: 0,
            nspawn,
            log,
        };
        // nspawn's first child sets the container up, then becomes (or forks) its init.
        let deadline = Instant::now() + Duration::from_secs(60);
        while container.init_pid == 0 {
            if let Some(status) = container.nspawn.try_wait().expect("wait") {
                panic!("systemd-nspawn exited ({status}):\n{}", container.log());
            }
            assert!(Instant::now() < deadline, "no init:\n{}", container.log());
            container.init_pid = child_of(container.nspawn.id(), "systemd").unwrap_or(0);
            std::thread::sleep(Duration::from_millis(50));
        }
        // Until systemd listens, systemctl cannot connect: ask again.
        let sh = Shell::Container(container.init_pid);
        loop {
            let out = sh.run("systemctl is-system-running --wait");
            let state = out.stdout_str();
            if matches!(state.trim(), "running" | "degraded") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the container did not boot ({state}{}):\n{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                sh.run("systemctl --failed --no-pager").stdout_str(),
                container.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        container
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn shut_down(mut self) {
        Shell::Container(self.init_pid).ok("systemctl poweroff");
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.nspawn.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "no poweroff:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        if self.nspawn.try_wait().ok().flatten().is_none() {
            // Killing the container's init ends every process in it.
            if self.init_pid != 0 {
                let _ = Command::new("kill")
                    .args(["-KILL", &self.init_pid.to_string()])
                    .status();
            }
            let _ = self.nspawn.kill();
            let _ = self.nspawn.wait();
        }
    }
}

/// A process named `name` whose parent is `parent`.
fn child_of(parent: u32, name: &str) -> Option<u32> {
    fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
        // pid (comm) state ppid …; comm may hold spaces and parentheses.
        let (comm, rest) = stat.split_once(" (")?.1.rsplit_once(')')?;
        let ppid: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
        (ppid == parent && comm == name).then_some(pid)
    })
}

/// The real, effective, saved and filesystem uids in a /proc/PID/status.
fn uids(status: &str) -> [u32; 4] {
    let line = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .expect("Uid:");
    let uids: Vec<u32> = line[4..]
        .split_whitespace()
        .map(|u| u.parse().expect("uid"))
        .collect();
    uids.try_into().expect("four uids")
}

// ---------------------------------------------------------------------------------------
// Talking to the installed server.

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn wait_for_port(port: u16, diagnose: impl FnOnce() -> String) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing on {port}:\n{}",
            diagnose()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A logged-in client of the installed server.
struct Api {
    base: String,
    token: String,
    http: reqwest::blocking::Client,
}

impl Api {
    fn login(port: u16, name: &str, password: &str) -> Api {
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        let reply = http
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"username": name, "password": password}))
            .send()
            .expect("log in");
        assert_eq!(reply.status(), 200, "log in as {name}");
        let body: Value = reply.json().expect("login json");
        let token = body["token"].as_str().expect("token").to_string();
        Api { base, token, http }
    }

    fn get(&self, path: &str) -> Value {
        let reply = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Token {}", self.token))
            .send()
            .expect("GET");
        assert_eq!(reply.status(), 200, "GET {path}");
        reply.json().expect("json")
    }

    fn upload(&self, name: &str, bytes: &'static [u8]) -> Value {
        let reply = self
            .http
            .put(format!("{}/api/files?name={name}", self.base))
            .header("Authorization", format!("Token {}", self.token))
            .body(bytes)
            .send()
            .expect("upload");
        assert_eq!(reply.status(), 201, "upload {name}");
        let body: Value = reply.json().expect("json");
        body["file"].clone()
    }
}

// ---------------------------------------------------------------------------------------

/// Runs a command that must succeed; its stdout.
#[track_caller]
fn run_ok(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
