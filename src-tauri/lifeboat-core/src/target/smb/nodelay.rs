//! TCP_NODELAY on the share's connection. The `smb` crate sends each request as two
//! writes (its 4-byte frame header, then the message) without TCP_NODELAY, so Nagle
//! holds the message until the header is acknowledged, which the server delays
//! (40 ms on Linux): every request sent while nothing else is in flight cost about
//! 40 ms, a small backup 30 of them. The crate has no hook on its socket, so after
//! connecting Lifeboat finds this process's sockets connected to the server and sets
//! the option there (harmless on any other connection to the same server): on Linux
//! through `/proc/self/fd`; on Windows, which lists no process's sockets, by asking
//! the first handle values (sockets are kernel handles, multiples of 4, and this
//! process has few) which are sockets connected there. Elsewhere nothing is done.

use std::net::{SocketAddr, ToSocketAddrs};

/// Sets TCP_NODELAY on every socket of this process connected to `host:port`.
pub fn on_connections_to(host: &str, port: u16) {
    let Ok(servers) = (host, port).to_socket_addrs() else { return };
    let servers: Vec<SocketAddr> = servers.collect();
    for_each_socket(|socket| {
        if socket.peer_addr().ok().and_then(|a| a.as_socket()).is_some_and(|peer| servers.contains(&peer)) {
            let _ = socket.set_tcp_nodelay(true);
        }
    });
}

#[cfg(target_os = "linux")]
fn for_each_socket(mut each: impl FnMut(socket2::SockRef<'_>)) {
    use std::os::fd::BorrowedFd;
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else { return };
    for fd in fds.flatten().filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok()) {
        // SAFETY: the descriptor is only asked about and set while this loop holds
        // it; one closed meanwhile makes the calls fail, which is ignored.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        each(socket2::SockRef::from(&fd));
    }
}

/// Handle values asked on Windows: a process holding a share's connection has a few
/// hundred handles; this covers 16 times that many.
#[cfg(windows)]
const HANDLES_ASKED: u64 = 4096;

#[cfg(windows)]
fn for_each_socket(mut each: impl FnMut(socket2::SockRef<'_>)) {
    use std::os::windows::io::BorrowedSocket;
    for value in (1..=HANDLES_ASKED).map(|n| n * 4) {
        // SAFETY: as on Linux, a value is only asked about; Winsock answers
        // WSAENOTSOCK for a handle that is not a socket, which is skipped.
        let socket = unsafe { BorrowedSocket::borrow_raw(value) };
        each(socket2::SockRef::from(&socket));
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
fn for_each_socket(_: impl FnMut(socket2::SockRef<'_>)) {}
