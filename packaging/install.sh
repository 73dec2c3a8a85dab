#!/bin/sh
# Installs mycloud as a systemd service on Debian or Ubuntu, or upgrades it in place: run
# as root from a clone of the repository (packaging/README.md). POSIX sh, as Debian's
# /bin/sh is dash.
set -eu

usage() {
	cat <<'EOF'
Usage: sh packaging/install.sh [OPTION]...

Installs mycloud as the systemd service mycloud.service: the binary in /usr/local/bin,
the mycloud system user, data in /var/lib/mycloud, settings in /etc/mycloud/mycloud.env;
then starts it and creates the first administrator, whose password it prints once.
Run it again to upgrade: the binary is replaced, data and settings are kept, the service
restarts. Run as root from a clone of the repository.

  --binary PATH  install this binary instead of building one with cargo
  --yes          if cargo is missing, install Rust with rustup (and build-essential)
  --admin NAME   name of the first administrator (default: admin)
  --root DIR     install into DIR as if it were / (image builds, tests): nothing is
                 started, and DIR/etc/{passwd,group,shadow,gshadow} are created empty
                 if missing so that the mycloud user can be added to them
  --uninstall    stop and remove the service and the binary; keep the data, the
                 settings and the mycloud user
  --purge        with --uninstall: also delete /var/lib/mycloud, /etc/mycloud and the
                 mycloud user
  -h, --help     show this help
EOF
}

say() { printf '%s\n' "$*"; }
die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}
bad_usage() {
	printf 'install.sh: %s\n\n' "$*" >&2
	usage >&2
	exit 2
}

root='' binary='' admin=admin yes=false offline=false uninstall=false purge=false
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		usage
		exit 0
		;;
	--binary | --root | --admin)
		[ $# -ge 2 ] || bad_usage "$1 needs a value"
		case $1 in
		--binary) binary=$2 ;;
		--root) root=$2 offline=true ;;
		--admin) admin=$2 ;;
		esac
		shift
		;;
	--yes) yes=true ;;
	--uninstall) uninstall=true ;;
	--purge) purge=true ;;
	*) bad_usage "unknown option: $1" ;;
	esac
	shift
done
if $purge && ! $uninstall; then
	bad_usage "--purge goes with --uninstall"
fi
[ "$(id -u)" -eq 0 ] || die "run me as root: sudo sh $0"

umask 022
here=$(cd "$(dirname "$0")" && pwd -P)
if $offline; then
	mkdir -p "$root"
	root=$(cd "$root" && pwd -P)
	[ "$root" != / ] || root=
fi
bin=$root/usr/local/bin/mycloud
unit=$root/etc/systemd/system/mycloud.service
wants=$root/etc/systemd/system/multi-user.target.wants/mycloud.service
conf_dir=$root/etc/mycloud
env_file=$conf_dir/mycloud.env
data=$root/var/lib/mycloud

# useradd, userdel, groupdel and systemctl all take --root: with it they edit DIR's files
# and never talk to the running system.
rooted() {
	cmd=$1
	shift
	if $offline; then
		"$cmd" --root "${root:-/}" "$@"
	else
		"$cmd" "$@"
	fi
}

systemd_running() {
	! $offline && [ -d /run/systemd/system ]
}

has_user() { grep -q '^mycloud:' "$root/etc/passwd" 2>/dev/null; }
has_group() { grep -q '^mycloud:' "$root/etc/group" 2>/dev/null; }

uninstall() {
	if systemd_running && systemctl is-active --quiet mycloud.service; then
		systemctl stop mycloud.service
	fi
	if [ -e "$unit" ]; then
		rooted systemctl disable --quiet mycloud.service
	fi
	rm -f "$unit" "$wants" "$bin"
	if systemd_running; then
		systemctl daemon-reload
		systemctl reset-failed mycloud.service 2>/dev/null || true
	fi
	say "Removed mycloud.service and /usr/local/bin/mycloud."
	if ! $purge; then
		say "Kept /var/lib/mycloud, /etc/mycloud and the mycloud user (--purge deletes them)."
		return
	fi
	# Drop-ins are the admin's settings too, so they go with the data, not before.
	rm -rf "$data" "$conf_dir" "$unit.d"
	if has_user; then
		rooted userdel mycloud
	fi
	# userdel keeps the group when login.defs does not say USERGROUPS_ENAB (an empty --root).
	if has_group; then
		rooted groupdel mycloud
	fi
	say "Deleted /var/lib/mycloud, /etc/mycloud and the mycloud user."
}

if $uninstall; then
	uninstall
	exit 0
fi

# --- the binary ---------------------------------------------------------------------

# Quotes a value for a sh -c command line.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# Builds as the clone's owner, in a login shell: their rustup toolchain is on that PATH,
# and target/ stays theirs rather than becoming root's.
as_owner() {
	runuser -l "$owner" -c "[ ! -f \"\$HOME/.cargo/env\" ] || . \"\$HOME/.cargo/env\"; $1"
}

build() {
	repo=$(dirname "$here")
	[ -f "$repo/Cargo.toml" ] ||
		die "no Cargo.toml in $repo: run me from a clone of mycloud, or pass --binary PATH"
	owner=$(stat -c %U "$repo")
	if ! as_owner 'command -v cargo' >/dev/null; then
		$yes || die "cargo not found for $owner. Install Rust (https://rustup.rs) and run me again, pass --yes to let me install it, or pass --binary PATH"
		say "Installing Rust for $owner with rustup…"
		if command -v apt-get >/dev/null; then
			apt-get update
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
				build-essential ca-certificates curl
		fi
		as_owner "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal"
	fi
	say "Building mycloud in $repo as $owner (cargo build --release)…"
	as_owner "cargo build --release --locked --manifest-path $(quote "$repo/Cargo.toml") --target-dir $(quote "$repo/target")"
	binary=$repo/target/release/mycloud
}

if [ -z "$binary" ]; then
	build
fi
[ -f "$binary" ] || die "no such binary: $binary"
# A bare name would be looked up on PATH when run below.
case $binary in */*) ;; *) binary=./$binary ;; esac
version=$("$binary" --version) || die "$binary does not run here (another architecture?)"

# --- user, directories, settings, unit ------------------------------------------------

if $offline; then
	mkdir -p "$root/etc"
	for f in passwd group shadow gshadow; do
		if [ ! -e "$root/etc/$f" ]; then
			: >"$root/etc/$f"
			case $f in *shadow) chmod 0600 "$root/etc/$f" ;; esac
			say "Created an empty $root/etc/$f."
		fi
	done
fi
if ! has_user; then
	if has_group; then
		set -- --gid mycloud
	else
		set -- --user-group
	fi
	rooted useradd --system "$@" --home-dir /var/lib/mycloud --no-create-home \
		--shell /usr/sbin/nologin --comment "mycloud file storage" mycloud
fi
# Numbers, not the name: under --root the host does not know the name.
uid=$(awk -F: '$1 == "mycloud" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "mycloud" { print $4 }' "$root/etc/passwd")

mkdir -p "$root/var/lib"
install -d -m 0700 -o "$uid" -g "$gid" "$data"

install -d -m 0755 "$conf_dir"
if [ -e "$env_file" ]; then
	env_note="kept"
else
	install -m 0640 -o 0 -g "$gid" "$here/mycloud.env" "$env_file"
	env_note="new"
fi

install -d -m 0755 "$root/etc/systemd/system"
install -m 0644 "$here/systemd/mycloud.service" "$unit"

# A temporary name in the same folder, then a rename: the service never sees half a
# binary, and a running one keeps its (unlinked) old file until it restarts.
install -d -m 0755 "$root/usr/local/bin"
tmp_bin=$bin.new.$$
trap 'rm -f "$tmp_bin"' EXIT
install -m 0755 -o 0 -g 0 "$binary" "$tmp_bin"
mv -f "$tmp_bin" "$bin"

rooted systemctl enable --quiet mycloud.service
started=false
if systemd_running; then
	systemctl daemon-reload
	# Type=notify: this returns once the server listens, its database migrated, so the
	# commands below never race its migrations.
	systemctl restart mycloud.service ||
		die "mycloud.service did not start; see: journalctl -u mycloud -n 50"
	started=true
fi

# --- the first administrator ----------------------------------------------------------

# Reads the env file as systemd does, for the common forms (VAR=value, comments, quotes
# around a value), and exports the settings. Sourcing it with sh would misread values
# that are fine for systemd, such as the & in postgres://mycloud@/mycloud?host=/x&port=1.
load_settings() {
	for name in $(env | sed -n 's/^\(MYCLOUD_[A-Za-z0-9_]*\)=.*/\1/p'); do
		unset "$name"
	done
	unset DATABASE_URL RUST_LOG
	# The unit's Environment=, which the file overrides.
	export MYCLOUD_DATA_DIR=/var/lib/mycloud
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line#"${line%%[![:space:]]*}"}
		case $line in
		'#'* | ';'*) continue ;;
		*=*) ;;
		*) continue ;;
		esac
		key=${line%%=*}
		key=${key%"${key##*[![:space:]]}"}
		value=${line#*=}
		value=${value#"${value%%[![:space:]]*}"}
		value=${value%"${value##*[![:space:]]}"}
		case $value in
		\"*\" | \'*\')
			value=${value#?}
			value=${value%?}
			;;
		esac
		case $key in
		MYCLOUD_* | DATABASE_URL | RUST_LOG) export "$key=$value" ;;
		esac
	done <"$env_file"
}

load_settings
data_dir=$MYCLOUD_DATA_DIR
listen=${MYCLOUD_LISTEN:-127.0.0.1:8080}
database_url=${MYCLOUD_DATABASE_URL:-${DATABASE_URL:-}}
if $offline; then
	export MYCLOUD_DATA_DIR="$root$MYCLOUD_DATA_DIR"
	case ${MYCLOUD_DATABASE_URL:-} in
	sqlite:///*) export MYCLOUD_DATABASE_URL="sqlite://$root${MYCLOUD_DATABASE_URL#sqlite://}" ;;
	esac
	case ${DATABASE_URL:-} in
	sqlite:///*) export DATABASE_URL="sqlite://$root${DATABASE_URL#sqlite://}" ;;
	esac
fi

# As the service runs it (the mycloud user, from /), so that every file the command
# creates in the data dir (the database, its WAL, secret.key) belongs to mycloud.
as_mycloud() {
	(cd / && setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@")
}

as_mycloud test -w "$MYCLOUD_DATA_DIR" ||
	die "the mycloud user (uid $uid) cannot write to $MYCLOUD_DATA_DIR${root:+: make the folders above $root traversable (chmod o+x)}"
users=$(as_mycloud "$bin" user list) || die "mycloud user list failed (above)"
password=
if printf '%s\n' "$users" | awk 'NR > 1 && $2 == "yes" { found = 1 } END { exit !found }'; then
	admin_note="An administrator exists already (mycloud user list shows them)."
else
	created=$(as_mycloud "$bin" user create "$admin" --admin) ||
		die "could not create the administrator $admin (above); try another name with --admin NAME"
	password=$(printf '%s\n' "$created" | sed -n 's/^password: //p')
	[ -n "$password" ] || die "mycloud user create printed no password"
fi

# --- what to do next ------------------------------------------------------------------

if [ -n "${MYCLOUD_PUBLIC_URL:-}" ]; then
	url=$MYCLOUD_PUBLIC_URL
else
	url="http://$listen/"
fi
if command -v sudo >/dev/null; then
	manage="sudo -u mycloud MYCLOUD_DATA_DIR=$data_dir"
else
	manage="runuser -u mycloud -- env MYCLOUD_DATA_DIR=$data_dir"
fi

say ""
say "Installed $version: $bin"
say "  settings: $env_file ($env_note)"
say "  data:     $root$data_dir"
if $started; then
	say "mycloud.service is enabled and running."
elif $offline; then
	say "mycloud.service is enabled in $root; nothing was started (--root)."
else
	say "mycloud.service is enabled, but NOT STARTED: systemd is not running here (a"
	say "container or a chroot?). Where systemd runs: systemctl start mycloud"
	say "Or in the foreground: $manage mycloud serve"
fi
say ""
if [ -n "$password" ]; then
	say "Administrator: $admin"
	say "Password: $password"
	say "(shown only this once: keep it, or change it under Profile after logging in)"
else
	say "$admin_note"
fi
say "Open: $url"
case $listen in
127.* | localhost:* | '[::1]:'*)
	[ -n "${MYCLOUD_PUBLIC_URL:-}" ] ||
		say "For HTTPS on a domain, put nginx in front: packaging/nginx/mycloud.conf (see packaging/README.md)."
	;;
*)
	say "Note: MYCLOUD_LISTEN=$listen, but the unit lets in loopback clients only: add"
	say "IPAddressAllow=any in a drop-in (systemctl edit mycloud) to serve other hosts."
	;;
esac
say ""
say "Change settings in /etc/mycloud/mycloud.env, then: systemctl restart mycloud"
say "Logs: journalctl -u mycloud"
say "Accounts: $manage mycloud user list"
if [ -n "$database_url" ]; then
	say "  (on PostgreSQL, also MYCLOUD_DATABASE_URL=… from /etc/mycloud/mycloud.env)"
fi
say "  (also: user create NAME [--admin], user passwd NAME, user set-admin NAME on|off)"
