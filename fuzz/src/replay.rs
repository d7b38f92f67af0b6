//! Shared by the three `fuzz_replay` tests (included with `#[path]`): reads
//! `fuzz/corpus/<target>/*`, feeds each file to the target's body, and checks that the
//! corpus holds the current seeds (`seeds()` of each body file) and that every target in
//! `fuzz/fuzz_targets/` of a module has a body and a corpus.

use std::path::{Path, PathBuf};

/// `fuzz/` of the workspace.
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The command that rewrites the seeds (printed when they are missing or stale).
pub const REWRITE: &str = "CORRIDOR_WRITE_CORPUS=1 cargo test -p <crate> --test fuzz_replay -- --ignored write_seed_corpora";

/// Feeds every file of `fuzz/corpus/<target>/` to `body`; fails naming the file that
/// panics. Returns how many files it replayed.
pub fn replay(target: &str, body: fn(&[u8])) -> usize {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("no corpus {}: {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "corpus {} has {} files; it needs a handful",
        dir.display(),
        files.len()
    );
    for file in &files {
        let data = std::fs::read(file).expect("a corpus file");
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", file.display());
    }
    files.len()
}

/// Every seed of `seeds` is in the corpus with the same bytes (so the committed corpus
/// holds valid encodings of the current formats).
pub fn seeds_present(seeds: &[(&'static str, Vec<(String, Vec<u8>)>)]) {
    for (target, files) in seeds {
        for (name, bytes) in files {
            let path = fuzz_dir().join("corpus").join(target).join(name);
            let held = std::fs::read(&path).ok();
            assert!(
                held.as_deref() == Some(bytes.as_slice()),
                "{} is missing or stale; rewrite the seeds: {REWRITE}",
                path.display()
            );
        }
    }
}

/// Writes the seeds (only with `CORRIDOR_WRITE_CORPUS=1`).
pub fn write_seeds(seeds: &[(&'static str, Vec<(String, Vec<u8>)>)]) {
    if std::env::var_os("CORRIDOR_WRITE_CORPUS").is_none() {
        eprintln!("set CORRIDOR_WRITE_CORPUS=1 to write the seed corpora");
        return;
    }
    for (target, files) in seeds {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).expect("corpus directory");
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).expect("corpus file");
        }
    }
}

/// Every target in `fuzz/fuzz_targets/` whose body is in `module` is in `targets`, and
/// every one of `targets` has a target file.
pub fn targets_match(module: &str, targets: &[(&str, fn(&[u8]))]) {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(fuzz_dir().join("fuzz_targets")).expect("fuzz_targets") {
        let path = entry.expect("a directory entry").path();
        let text = std::fs::read_to_string(&path).expect("a target file");
        let name = path
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        if text.contains(&format!("corridor_fuzz::{module}::{name}(data)")) {
            found.push(name);
        }
    }
    found.sort();
    let mut listed: Vec<String> = targets.iter().map(|(n, _)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "fuzz targets of {module} and their bodies differ"
    );
}
