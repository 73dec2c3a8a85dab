//! Replays every fuzz input kept in `fuzz/corpus/<target>/` (and any past failure left in
//! `fuzz/artifacts/<target>/`) through the same check the fuzz target runs. The fuzzer
//! needs nightly and minutes; this needs neither, so whatever the fuzzer once found stays
//! a regression test in every `cargo test`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use mycloud::fuzzing::{
    check_multipart, check_names_and_comments, check_range, check_settings, check_signed_link,
};

#[test]
fn range_corpus_passes_its_checks() {
    replay("range", check_range);
}

#[test]
fn multipart_corpus_passes_its_checks() {
    replay("multipart", check_multipart);
}

#[test]
fn names_and_comments_corpus_passes_its_checks() {
    replay("names_and_comments", check_names_and_comments);
}

#[test]
fn settings_corpus_passes_its_checks() {
    replay("settings", check_settings);
}

#[test]
fn signed_link_corpus_passes_its_checks() {
    replay("signed_link", check_signed_link);
}

/// Runs `check` on every input of `target`, then fails naming each input that panicked
/// and why, so one bad input does not hide the others.
fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = inputs(&fuzz.join("corpus").join(target));
    // The committed seeds are the floor: a moved or emptied corpus must not pass by
    // checking nothing.
    assert!(
        corpus
            .iter()
            .any(|path| file_name(path).starts_with("seed-")),
        "fuzz/corpus/{target}/ holds no seed-* input: was the corpus moved?"
    );
    let artifacts = inputs(&fuzz.join("artifacts").join(target));

    let mut failures = Vec::new();
    for path in corpus.iter().chain(&artifacts) {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            failures.push(format!("{}: {}", path.display(), message(&*payload)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs failed the {target} checks (replay one with \
         `cargo +nightly fuzz run {target} <file>` in fuzz/):\n{}",
        failures.len(),
        corpus.len() + artifacts.len(),
        failures.join("\n")
    );
}

/// The files of `dir`, in name order so failures list the same way each run; none when
/// it does not exist (the artifacts folder only appears after a failure).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// The text of a panic, as `panic!` and `assert!` leave it.
fn message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(a panic without a message)")
}
