//! The repository stands on its own: no test, benchmark, script or library
//! reads the project's shared folder (the `shared` folder beside the clone), which a user's clone does
//! not have. Everything they used — the Mesa reference runs, the peer script,
//! the episode timelines, the NAVCO data — is copied into the repository with
//! its citation (validation/mesa/, data/). Comments may still cite where a copy
//! came from; code may not read it.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if p.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | ".git" | "node_modules" | "corpus" | "artifacts"
            ) {
                files(&p, out);
            }
        } else if [".rs", ".sh", ".py", ".toml", ".js", ".mjs"]
            .iter()
            .any(|x| name.ends_with(x))
            || name == "run"
        {
            out.push(p);
        }
    }
}

/// A line that is only a comment in any of the languages above.
fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("//") || t.starts_with('#') || t.starts_with("*") || t.starts_with("\"\"\"")
}

#[test]
fn nothing_reads_the_shared_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut all = Vec::new();
    for d in [
        "crates",
        "scripts",
        "validation",
        ".ci",
        "fuzz",
        "web-tests",
        "examples",
    ] {
        files(&root.join(d), &mut all);
    }
    assert!(all.len() > 50, "the walk found the sources ({} files)", all.len());
    let this = Path::new(file!()).file_name().unwrap().to_owned();
    // Spelt in two parts so that this file does not name the path it forbids.
    let outside = ["..", "shared"].join("/");
    let mut offenders = Vec::new();
    for f in &all {
        if f.file_name() == Some(this.as_os_str()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        for (n, line) in text.lines().enumerate() {
            if (line.contains(&outside) || line.contains("shared/peers")) && !is_comment(line) {
                offenders.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "reads outside the repository:\n{}",
        offenders.join("\n")
    );
}
