//! Runs Linux programs for the tests under Wine (`tests/common/host_programs.rs` says
//! why). Prints one line, "PORT TOKEN", then serves on loopback until its stdin is
//! closed. Each connection carries one request as a JSON line: the token, one of the
//! allowed programs, its arguments, folder and input; the reply is one JSON line with
//! the exit code and the output.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "../tests/common/host_programs.rs"]
mod host_programs;

fn main() {
    let prefix = PathBuf::from(std::env::var_os("WINEPREFIX").expect("WINEPREFIX names the Wine prefix whose drives the tests use"));
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
    let token: String = (0..32).map(|_| format!("{:x}", rand::random::<u8>() & 15)).collect();
    let mut out = std::io::stdout();
    writeln!(out, "{} {token}", listener.local_addr().unwrap().port()).and_then(|_| out.flush()).expect("writing to stdout");
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    for stream in listener.incoming().flatten() {
        let (prefix, token) = (prefix.clone(), token.clone());
        std::thread::spawn(move || {
            if let Err(e) = serve(stream, &prefix, &token) {
                eprintln!("host-programs: {e}");
            }
        });
    }
}

fn serve(stream: TcpStream, prefix: &Path, token: &str) -> std::io::Result<()> {
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    let reply = match serde_json::from_str::<serde_json::Value>(&line) {
        Ok(request) if request["token"] == token => run(&request, prefix),
        Ok(_) => failure("wrong token"),
        Err(e) => failure(&format!("not a request: {e}")),
    };
    writeln!(&stream, "{reply}")
}

fn run(request: &serde_json::Value, prefix: &Path) -> serde_json::Value {
    let program = request["program"].as_str().unwrap_or_default();
    if !host_programs::PROGRAMS.contains(&program) {
        return failure(&format!("{program:?} is not one of {:?}", host_programs::PROGRAMS));
    }
    let linux = |v: &serde_json::Value| host_programs::linux_argument(v.as_str().unwrap_or_default(), prefix);
    let mut command = Command::new(program);
    command.args(request["args"].as_array().into_iter().flatten().map(linux));
    if !request["dir"].is_null() {
        command.current_dir(linux(&request["dir"]));
    }
    let stdin: Vec<u8> = serde_json::from_value(request["stdin"].clone()).unwrap_or_default();
    let child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return failure(&format!("starting {program}: {e}")),
    };
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let reply = match child.wait_with_output() {
        Ok(out) => serde_json::json!({ "code": out.status.code().unwrap_or(-1), "stdout": out.stdout, "stderr": out.stderr }),
        Err(e) => failure(&format!("waiting for {program}: {e}")),
    };
    let _ = writer.join();
    reply
}

fn failure(message: &str) -> serde_json::Value {
    serde_json::json!({ "code": -1, "stdout": [], "stderr": message.as_bytes() })
}
