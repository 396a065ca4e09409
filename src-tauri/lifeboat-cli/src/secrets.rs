//! Secrets (passphrases, keys, passwords) come from stdin only, never from
//! arguments: prompted without echo on a terminal.

use std::io::{IsTerminal, Read, Write};

use lifeboat_core::{Error, Result};
use zeroize::Zeroizing;

/// Reads one secret from stdin: prompted without echo on a terminal, else the whole
/// input with one trailing newline removed.
pub fn read_stdin(prompt: &str) -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("{prompt}: ")).map(Zeroizing::new).map_err(|e| Error::input(format!("Could not read from the terminal: {e}.")));
    }
    let mut text = Zeroizing::new(String::new());
    std::io::stdin().take(64 * 1024).read_to_string(&mut text).map_err(|e| Error::input(format!("Could not read the secret from stdin: {e} (it must be UTF-8 text).")))?;
    let trimmed_len = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).map(str::len).unwrap_or(text.len());
    text.truncate(trimmed_len);
    Ok(text)
}

/// Reads one line from stdin (prompted without echo on a terminal), leaving the rest
/// for the next secret: for commands that take two, one per line.
pub fn read_stdin_line(prompt: &str) -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        return read_stdin(prompt);
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin().read_line(&mut line).map_err(|e| Error::input(format!("Could not read the secret from stdin: {e} (it must be UTF-8 text).")))?;
    let trimmed_len = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(trimmed_len);
    Ok(line)
}

/// Reads a secret from a file given for scripts (`--admin-password-file`): the
/// file's text with one trailing newline removed.
pub fn read_file(path: &std::path::Path, what: &str) -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(lifeboat_core::fsutil::read_small_file(path, what)?);
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::input(format!("The {what} in {} is not UTF-8 text.", path.display())))?;
    Ok(Zeroizing::new(text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(text).to_owned()))
}

/// Asks on the terminal, without echo; `None` when there is no terminal to ask on.
pub fn ask_on_terminal(prompt: &str) -> Option<Zeroizing<String>> {
    if !std::io::stdin().is_terminal() && !std::io::stderr().is_terminal() {
        return None;
    }
    rpassword::prompt_password(format!("{prompt}: ")).ok().map(Zeroizing::new)
}

/// Asks before something that cannot be undone: `--yes` answers for scripts; a
/// terminal is asked; anything else is refused with what to add.
pub fn confirm(question: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::NeedsConfirmation(format!("{question} Nothing was done.")));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| Error::input(format!("Could not read the answer: {e}.")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
        Ok(())
    } else {
        Err(Error::Canceled)
    }
}
