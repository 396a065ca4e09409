//! TCP_NODELAY on the share's connection. The `smb` crate sends each request as two
//! writes (its 4-byte frame header, then the message) without TCP_NODELAY, so Nagle
//! holds the message until the header is acknowledged, which the server delays
//! (40 ms on Linux): every request sent while nothing else is in flight cost about
//! 40 ms, a small backup 30 of them. The crate has no hook on its socket, so after
//! connecting Lifeboat finds this process's sockets connected to the server and sets
//! the option there (harmless on any other connection to the same server). On
//! systems without `/proc/self/fd` nothing is done.

use std::net::{SocketAddr, ToSocketAddrs};

/// Sets TCP_NODELAY on every socket of this process connected to `host:port`.
#[cfg(unix)]
pub fn on_connections_to(host: &str, port: u16) {
    use std::os::fd::BorrowedFd;
    let Ok(servers) = (host, port).to_socket_addrs() else { return };
    let servers: Vec<SocketAddr> = servers.collect();
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else { return };
    for fd in fds.flatten().filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok()) {
        // SAFETY: the descriptor is only asked about and set while this loop holds
        // it; one closed meanwhile makes the calls fail, which is ignored.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = socket2::SockRef::from(&fd);
        let Some(peer) = socket.peer_addr().ok().and_then(|a| a.as_socket()) else { continue };
        if servers.contains(&peer) {
            let _ = socket.set_tcp_nodelay(true);
        }
    }
}

#[cfg(not(unix))]
pub fn on_connections_to(_host: &str, _port: u16) {}
