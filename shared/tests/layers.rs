//! The layering ARCHITECTURE.md describes, read from the sources: no import
//! cycle between shared's modules (top level and one level down), `store`
//! never names `Services`, `domain` imports nothing of ours but the domain,
//! and `service` holds no `json!`. Test code (`#[cfg(test)]` and below) is
//! left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The module a file belongs to, `depth` segments deep (`service::bookings`).
fn module_of(path: &Path, depth: usize) -> String {
    let relative = path.strip_prefix(root()).unwrap().with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.truncate(depth);
    parts.join("::")
}

/// The file's code without its tests and comment lines.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Every `crate::…` path the code names, groups of `use crate::{…}` included.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            paths.extend(group[..end].split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()));
        } else {
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            paths.push(rest[..end].to_string());
        }
    }
    paths
}

fn target_module(path: &str, depth: usize) -> String {
    let aliases = [("ApiError", "error"), ("ErrorCode", "error_code"), ("Services", "services"), ("Config", "config")];
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let segments: Vec<&str> = match aliases.iter().find(|(name, _)| segments.first() == Some(name)) {
        Some((_, module)) => vec![module],
        None => segments.into_iter().filter(|s| s.starts_with(|c: char| c.is_lowercase())).collect(),
    };
    segments.into_iter().take(depth).collect::<Vec<_>>().join("::")
}

fn dependencies(depth: usize) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(&root(), &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let from = module_of(&file, depth);
        for path in crate_paths(&code(&file)) {
            let to = target_module(&path, depth);
            let nested = to.starts_with(&format!("{from}::")) || from.starts_with(&format!("{to}::"));
            if !to.is_empty() && to != from && !nested {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

/// A cycle through `start`, if any (depth-first search).
fn cycle_through(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, trail)) = stack.pop() {
        for next in edges.get(&node).into_iter().flatten() {
            if next == start {
                let mut cycle = trail.clone();
                cycle.push(start.to_string());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = trail.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_import_cycle_between_modules() {
    for depth in [1, 2] {
        let edges = dependencies(depth);
        for module in edges.keys() {
            if let Some(cycle) = cycle_through(&edges, module) {
                panic!("an import cycle at depth {depth}: {}", cycle.join(" -> "));
            }
        }
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle_through(&edges, "a"), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle_through(&edges, "a").unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(target_module("store::bookings::PgBookings", 2), "store::bookings");
    assert_eq!(target_module("ApiError", 2), "error");
    assert_eq!(crate_paths("use crate::{ApiError, store::x};"), ["ApiError", "store::x"]);
}

#[test]
fn the_layers_point_one_way() {
    let edges = dependencies(1);
    let of = |m: &str| edges.get(m).cloned().unwrap_or_default();
    assert!(!of("store").contains("services"), "store must not see Services: {:?}", of("store"));
    for upward in ["http", "service", "services"] {
        assert!(!of("store").contains(upward), "store imports {upward}");
        assert!(!of("domain").contains(upward), "domain imports {upward}");
        assert!(!of("service").contains("http"), "service imports http");
    }
    assert!(of("domain").is_empty(), "domain imports {:?}", of("domain"));
}

#[test]
fn services_return_no_json_values() {
    let mut files = Vec::new();
    sources(&root().join("service"), &mut files);
    for file in files {
        let code = code(&file);
        assert!(!code.contains("json!"), "{} builds JSON", file.display());
        assert!(
            !code.contains("-> Result<Value") && !code.contains("serde_json::Value"),
            "{} returns JSON",
            file.display()
        );
    }
}
