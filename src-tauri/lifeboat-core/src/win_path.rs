//! Paths for Windows' own calls (those std does not make for us).

use std::path::Path;

/// A path for Windows' own calls, NUL-terminated. std adds the `\\?\` prefix that
/// lifts the 260-character limit to its own calls; a path past the limit gets it here
/// too (`\\?\UNC\` for a share), with `\` separators, as such a path must have.
pub(crate) fn wide(path: &Path) -> Vec<u16> {
    use std::os::windows::ffi::OsStrExt;
    const MAX_PATH: usize = 260;
    let backslash = |c: u16| if c == u16::from(b'/') { u16::from(b'\\') } else { c };
    let plain: Vec<u16> = path.as_os_str().encode_wide().collect();
    let verbatim: Vec<u16> = r"\\?\".encode_utf16().collect();
    let mut out: Vec<u16> = if plain.len() < MAX_PATH - 12 || !path.is_absolute() || plain.starts_with(&verbatim) {
        plain
    } else if plain.starts_with(&[u16::from(b'\\'); 2]) {
        // \\server\share\… becomes \\?\UNC\server\share\…
        r"\\?\UNC".encode_utf16().chain(plain[1..].iter().copied().map(backslash)).collect()
    } else {
        verbatim.iter().copied().chain(plain.into_iter().map(backslash)).collect()
    };
    out.push(0);
    out
}
