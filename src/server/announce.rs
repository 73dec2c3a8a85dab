//! The lines printed at start that say where to open mycloud. Listening on every interface
//! (`--listen 0.0.0.0:8080` on a laptop, to share on the LAN), the bound address is not
//! something a phone can open, so each of this machine's addresses is listed instead.

use std::net::{IpAddr, SocketAddr};

/// The first line is the contract scripts and tests read (`mycloud listening on URL`),
/// with the real port when `--listen …:0` was asked for.
pub fn lines(local: SocketAddr) -> Vec<String> {
    let mut lines = vec![format!("mycloud listening on {}", url(local))];
    if local.ip().is_unspecified() {
        let interfaces = match if_addrs::get_if_addrs() {
            Ok(interfaces) => interfaces,
            Err(e) => {
                log::warn!("cannot list this machine's addresses: {e}");
                Vec::new()
            }
        };
        let addresses = interfaces.iter().map(|i| (i.name.as_str(), i.ip()));
        lines.extend(reachable_urls(local, addresses));
    }
    lines
}

/// One line per address a browser elsewhere can use: loopback first, then the network.
/// Link-local addresses are left out: they need a zone (`%eth0`) browsers do not take.
fn reachable_urls<'a>(
    local: SocketAddr,
    addresses: impl Iterator<Item = (&'a str, IpAddr)>,
) -> Vec<String> {
    // `::` also accepts IPv4 on Linux (bindv6only=0); `0.0.0.0` accepts only IPv4.
    let families_match = |ip: &IpAddr| local.is_ipv6() || ip.is_ipv4();
    let mut here = Vec::new();
    let mut network = Vec::new();
    for (name, ip) in addresses.filter(|(_, ip)| families_match(ip)) {
        let at = SocketAddr::new(ip, local.port());
        if ip.is_loopback() {
            here.push(format!("  on this machine: {}", url(at)));
        } else if !is_link_local(ip) {
            network.push(format!("  on your network: {}  ({name})", url(at)));
        }
    }
    here.sort();
    here.dedup();
    here.extend(network);
    here
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_unicast_link_local(),
    }
}

/// `http://1.2.3.4:80/` or `http://[2001:db8::1]:80/`: SocketAddr's Display brackets v6.
fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(listen: &str, addresses: &[(&'static str, &str)]) -> Vec<String> {
        let addresses = addresses.iter().map(|(n, ip)| (*n, ip.parse().unwrap()));
        reachable_urls(listen.parse().unwrap(), addresses)
    }

    const MACHINE: &[(&str, &str)] = &[
        ("lo", "127.0.0.1"),
        ("wlan0", "192.168.1.23"),
        ("wlan0", "169.254.3.4"),
        ("lo", "::1"),
        ("wlan0", "fe80::1"),
        ("wlan0", "fd00::23"),
    ];

    #[test]
    fn all_ipv4_interfaces_list_loopback_then_the_lan_without_link_local() {
        assert_eq!(
            urls("0.0.0.0:8080", MACHINE),
            [
                "  on this machine: http://127.0.0.1:8080/",
                "  on your network: http://192.168.1.23:8080/  (wlan0)",
            ]
        );
    }

    #[test]
    fn all_ipv6_interfaces_list_both_families_with_brackets() {
        assert_eq!(
            urls("[::]:9000", MACHINE),
            [
                "  on this machine: http://127.0.0.1:9000/",
                "  on this machine: http://[::1]:9000/",
                "  on your network: http://192.168.1.23:9000/  (wlan0)",
                "  on your network: http://[fd00::23]:9000/  (wlan0)",
            ]
        );
    }

    #[test]
    fn one_address_needs_no_list() {
        assert_eq!(
            lines("127.0.0.1:8080".parse().unwrap()),
            ["mycloud listening on http://127.0.0.1:8080/"]
        );
    }
}
