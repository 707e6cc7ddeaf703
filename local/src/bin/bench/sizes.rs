//! Phase 1: each function's release binary (`bootstrap`) and its `zip -9`, the size that
//! counts against Lambda's limits.

use crate::options::Options;
use anyhow::{bail, Context};
use local_stack::template::Template;
use serde_json::{json, Value};

pub fn sizes(opts: &Options, template: &Template) -> anyhow::Result<Value> {
    let dir = opts.work.join("zip");
    std::fs::create_dir_all(&dir)?;
    let mut out = Vec::new();
    for function in &template.functions {
        let binary = opts.bin_dir.join(&function.package);
        let Ok(meta) = std::fs::metadata(&binary) else {
            eprintln!("[bench] no release binary for {}", function.package);
            continue;
        };
        let bootstrap = dir.join("bootstrap");
        let zip = dir.join(format!("{}.zip", function.package));
        std::fs::copy(&binary, &bootstrap)?;
        let _ = std::fs::remove_file(&zip);
        let status = std::process::Command::new("zip")
            .arg("-9")
            .arg("-q")
            .arg("-j")
            .arg(&zip)
            .arg(&bootstrap)
            .status()
            .context("running zip (apt-get install zip)")?;
        if !status.success() {
            bail!("zip failed for {}", function.package);
        }
        let zipped = std::fs::metadata(&zip)?.len();
        out.push(json!({"function": function.package, "bootstrapBytes": meta.len(), "zipBytes": zipped}));
    }
    Ok(json!(out))
}
