//! A store that fills up: an HTTP proxy in front of a real object-storage server
//! (Azurite, moto) that passes every request on until the uploads through it pass
//! a quota, then answers each further upload (a PUT with a body) with the refusal
//! a real service sends (a full MinIO's 507, Azure's 403 for a key that may not
//! write) instead of passing it on. Deletes, reads and lists still go through, so
//! what the client does about the refusal reaches the real server.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

pub struct RefusingProxy {
    pub port: u16,
    /// Upload bytes still let through.
    room: Arc<AtomicU64>,
    refused: Arc<AtomicUsize>,
}

/// What a full MinIO answers (S3's own API has no quota; S3-compatible stores do).
pub const S3_STORAGE_FULL: &str = "HTTP/1.1 507 Insufficient Storage";
pub const S3_STORAGE_FULL_BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>XMinioStorageFull</Code>\
    <Message>Storage backend has reached its minimum free drive threshold. Please delete a few objects to proceed.</Message></Error>";
/// What Azure answers a key (or SAS) that may read and delete but not write.
pub const AZURE_NO_WRITE: &str = "HTTP/1.1 403 This request is not authorized to perform this operation using this permission.";
pub const AZURE_NO_WRITE_BODY: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code>\
    <Message>This request is not authorized to perform this operation using this permission.</Message></Error>";

impl RefusingProxy {
    /// Proxies to `upstream` on loopback, letting `quota` bytes of uploads through,
    /// then answering uploads with `status` and `body`.
    pub fn start(upstream: u16, quota: u64, status: &'static str, body: &'static str) -> RefusingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = RefusingProxy { port, room: Arc::new(AtomicU64::new(quota)), refused: Arc::new(AtomicUsize::new(0)) };
        let (room, refused) = (proxy.room.clone(), proxy.refused.clone());
        let refusal = format!("{status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (room, refused, refusal) = (room.clone(), refused.clone(), refusal.clone());
                std::thread::spawn(move || {
                    let _ = serve(client, upstream, &room, &refused, &refusal);
                });
            }
        });
        proxy
    }

    /// Uploads refused so far.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// Room again: every upload goes through from now on.
    pub fn lift(&self) {
        self.room.store(u64::MAX, Ordering::SeqCst);
    }
}

/// Takes `len` bytes of room; once one upload does not fit, none does.
fn take(room: &AtomicU64, len: u64) -> bool {
    room.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| Some(left.saturating_sub(len))).is_ok_and(|left| left >= len)
}

fn serve(client: TcpStream, upstream: u16, room: &AtomicU64, refused: &AtomicUsize, refusal: &str) -> io::Result<()> {
    let mut from_client = BufReader::new(client.try_clone()?);
    let mut to_client = client;
    let server = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut from_server = BufReader::new(server.try_clone()?);
    let mut to_server = server;
    // One request at a time (the clients do not pipeline): request, then answer.
    while let Some(head) = read_head(&mut from_client)? {
        let method = head.split(' ').next().unwrap_or_default().to_owned();
        if header(&head, "transfer-encoding").is_some() {
            return Err(io::Error::other("chunked requests are not proxied"));
        }
        let length: u64 = header(&head, "content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length as usize];
        from_client.read_exact(&mut body)?;
        if method == "PUT" && length > 0 && !take(room, length) {
            refused.fetch_add(1, Ordering::SeqCst);
            to_client.write_all(refusal.as_bytes())?;
            continue;
        }
        to_server.write_all(head.as_bytes())?;
        to_server.write_all(&body)?;
        relay_answer(&mut from_server, &mut to_client, method == "HEAD")?;
    }
    Ok(())
}

/// A message's head up to and including its empty line; None at the end of the stream.
fn read_head(from: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if from.read_line(&mut line)? == 0 {
            return if head.is_empty() { Ok(None) } else { Err(io::ErrorKind::UnexpectedEof.into()) };
        }
        head.push_str(&line);
        if line == "\r\n" {
            return Ok(Some(head));
        }
    }
}

/// A header's value; the first line (the request or status line) holds none.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// Passes the server's answer on: its head, then its body by length or chunks.
fn relay_answer(from: &mut impl BufRead, to: &mut impl Write, to_head: bool) -> io::Result<()> {
    let head = read_head(from)?.ok_or(io::ErrorKind::UnexpectedEof)?;
    to.write_all(head.as_bytes())?;
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    if to_head || status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok(());
    }
    if header(&head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size_line = String::new();
            from.read_line(&mut size_line)?;
            to.write_all(size_line.as_bytes())?;
            let size = u64::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16).map_err(io::Error::other)?;
            if size == 0 {
                // Trailers, up to the empty line.
                let trailers = read_head(from)?.unwrap_or_default();
                return to.write_all(trailers.as_bytes());
            }
            io::copy(&mut from.take(size + 2), to)?;
        }
    }
    match header(&head, "content-length").and_then(|v| v.parse::<u64>().ok()) {
        Some(length) => io::copy(&mut from.take(length), to).map(drop),
        // Delimited by the end of the connection.
        None => io::copy(from, to).and(Err(io::ErrorKind::UnexpectedEof.into())),
    }
}
