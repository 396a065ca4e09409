//! `lifeboat manual DIR`: the manual pages, generated from the command definitions
//! (the packages ship them): `lifeboat.1` and `lifeboat-VERB[-SUBVERB].1`.

use std::path::Path;

use lifeboat_core::error::IoContext;
use lifeboat_core::{Error, Result};

pub fn write(command: clap::Command, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_path("creating", dir)?;
    page(command.name("lifeboat").version(env!("CARGO_PKG_VERSION")), "lifeboat", dir)
}

fn page(command: clap::Command, name: &str, dir: &Path) -> Result<()> {
    let command = command.name(name.to_owned());
    let mut roff = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut roff).map_err(|e| Error::operation(format!("writing the manual page of {name}: {e}")))?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, roff).with_path("writing", &path)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        page(sub.clone(), &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}
