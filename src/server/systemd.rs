//! What systemd hands a service, and what it wants back: the listening socket of a
//! `mycloud.socket` unit (socket activation, `LISTEN_FDS`) and the readiness notices of a
//! `Type=notify` unit (`NOTIFY_SOCKET`). Run by hand, neither variable is set and nothing
//! here does anything.

use std::net::TcpListener;

use sd_notify::NotifyState;

/// The socket systemd opened for us, if any. Call it before any other thread exists: it
/// unsets `LISTEN_FDS`/`LISTEN_PID`, and editing the environment races with readers.
pub fn take_listener() -> Result<Option<TcpListener>, String> {
    let mut fds = listenfd::ListenFd::from_env();
    match fds.len() {
        0 => Ok(None),
        1 => fds.take_tcp_listener(0).map_err(|e| {
            format!("the socket systemd passed (LISTEN_FDS) is not a listening TCP socket: {e}")
        }),
        n => Err(format!(
            "systemd passed {n} sockets (LISTEN_FDS); mycloud serves exactly one: \
             give mycloud.socket a single ListenStream="
        )),
    }
}

/// Startup is finished: the socket accepts and the database is migrated. Until this,
/// `systemctl start` waits, and units ordered after mycloud do too.
pub fn ready(status: &str) {
    notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// Draining: systemd shows it, and does not mistake the quiet for a hang.
pub fn stopping() {
    notify(&[
        NotifyState::Stopping,
        NotifyState::Status("draining requests in flight"),
    ]);
}

fn notify(states: &[NotifyState]) {
    // Without NOTIFY_SOCKET this is a no-op that succeeds.
    if let Err(e) = sd_notify::notify(states) {
        log::warn!("cannot notify systemd (NOTIFY_SOCKET): {e}");
    }
}
