//! Linux programs the tests use as tools (openssl, python3, tar). On Linux a test runs
//! them itself. Under Wine it cannot: Wine starts a Linux program but gives no handle
//! to wait for it. There the test asks `examples/host-programs.rs`, which
//! scripts/test.sh starts on the Linux side, to run it: one request per connection,
//! with the paths of the Wine prefix's drives turned into the Linux paths they stand for.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

/// The programs the server runs; nothing else.
pub const PROGRAMS: [&str; 3] = ["openssl", "python3", "tar"];

/// The variable that carries the server's "PORT TOKEN" to the tests under Wine.
pub const ADDRESS_VARIABLE: &str = "LIFEBOAT_TEST_HOST_PROGRAMS";

/// Runs `program` with `args` in `dir` (or the current folder), `stdin` as its input.
pub fn output<S: AsRef<OsStr>>(program: &str, args: &[S], dir: Option<&Path>, stdin: &[u8]) -> Output {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut command = Command::new(program);
        command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let mut child = command.spawn().unwrap_or_else(|e| panic!("{program} is installed (scripts/setup.sh): {e}"));
        let mut input = child.stdin.take().unwrap();
        let stdin = stdin.to_vec();
        let writer = std::thread::spawn(move || input.write_all(&stdin));
        let out = child.wait_with_output().unwrap();
        let _ = writer.join();
        out
    }
    #[cfg(windows)]
    {
        use std::io::{BufRead, BufReader, Write};
        use std::os::windows::process::ExitStatusExt;
        let address =
            std::env::var(ADDRESS_VARIABLE).unwrap_or_else(|_| panic!("{ADDRESS_VARIABLE} names the host-programs server (scripts/test.sh starts it for the tests under Wine)"));
        let (port, token) = address.split_once(' ').expect("PORT TOKEN");
        let text = |s: &OsStr| s.to_str().expect("arguments are UTF-8").to_owned();
        let request = serde_json::json!({
            "token": token,
            "program": program,
            "args": args.iter().map(|a| text(a.as_ref())).collect::<Vec<_>>(),
            "dir": dir.map(|d| text(d.as_os_str())),
            "stdin": stdin,
        });
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).expect("the host-programs server answers");
        writeln!(stream, "{request}").unwrap();
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).unwrap();
        let reply: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("host-programs replied {line:?}: {e}"));
        let bytes = |key: &str| serde_json::from_value::<Vec<u8>>(reply[key].clone()).unwrap();
        Output { status: std::process::ExitStatus::from_raw(reply["code"].as_i64().unwrap() as u32), stdout: bytes("stdout"), stderr: bytes("stderr") }
    }
}

/// Runs `program` and asserts that it succeeded; returns its output as text.
pub fn run<S: AsRef<OsStr>>(program: &str, args: &[S], dir: Option<&Path>) -> String {
    let out = output(program, args, dir, b"");
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    assert!(out.status.success(), "{program} {shown:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{program} {shown:?} printed non-UTF-8: {e}"))
}

/// The Linux path a Windows path of the Wine prefix stands for (`C:\x` is
/// `$WINEPREFIX/dosdevices/c:/x`), a Linux path joined to on Windows with its
/// separators mended (`/src\tests` is `/src/tests`); any other argument unchanged.
pub fn linux_argument(arg: &str, wine_prefix: &Path) -> String {
    if arg.starts_with('/') {
        return arg.replace('\\', "/");
    }
    let b = arg.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/') {
        let drive = format!("{}:", (b[0] as char).to_ascii_lowercase());
        let rest = arg[3..].replace('\\', "/");
        return wine_prefix.join("dosdevices").join(drive).join(rest).to_string_lossy().into_owned();
    }
    arg.to_owned()
}
