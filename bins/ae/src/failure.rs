//! How failures reach the user: one line on stderr, a non-zero exit code, never a Rust panic
//! message or backtrace.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set while a panic is expected and handled (see [`catch_quietly`]).
static QUIET: AtomicBool = AtomicBool::new(false);

/// Replaces Rust's panic message with a one-line report. A panic is a bug in ae or in a
/// library (user mistakes are errors, not panics); the message still says where it happened.
/// A GPU backend's launch or memory limit (a batch too large for the device) is no bug: it is
/// reported as what to change, with exit code 1.
pub fn install_panic_hook() {
    panic::set_hook(Box::new(|info| {
        if QUIET.load(Ordering::SeqCst) {
            return;
        }
        // `ae datasets | head`: the reader left; stop quietly, as a process killed by SIGPIPE.
        let text = payload_text(info.payload());
        if text.starts_with("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(141);
        }
        // Not a bug but the device's limit: say what to change, exit as any error does (1).
        if let Some(line) = backend_limit_line(&text) {
            eprintln!("error: {line}");
            std::process::exit(1);
        }
        let location = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal failure: {}{location}. This is a bug; please report it with the command you ran.",
            one_line(&payload_text(info.payload()))
        );
    }));
}

/// How the GPU runtimes (cubecl, wgpu) word a launch beyond the device's limits or its memory.
const BACKEND_LIMITS: [&str; 6] = [
    "Cube count too big",
    "Cube dim too big",
    "Shared memory too big",
    "SharedMemoryTooBig",
    "OutOfMemory",
    "out of memory",
];

/// The one line for a panic that is a device limit, not a bug: what was refused and what to
/// change. `None` for any other panic.
fn backend_limit_line(text: &str) -> Option<String> {
    let text = one_line(text);
    let start = BACKEND_LIMITS.iter().filter_map(|m| text.find(m)).min()?;
    // The limit and its figures, e.g. "Cube count too big (256000, 4, 1)".
    let rest = &text[start..];
    let end = match (rest.find('('), rest.find(')')) {
        (Some(open), Some(close)) if open < close && close < 80 => close + 1,
        _ => {
            // At most 80 characters (on a character boundary), up to the next `;`.
            let cap = rest.char_indices().nth(80).map_or(rest.len(), |(i, _)| i);
            rest.find(';').unwrap_or(rest.len()).min(cap)
        }
    };
    let what = rest[..end].trim_end_matches([' ', ':', '.']);
    Some(format!(
        "the compute device cannot run a step this large ({what}). Use a smaller batch_size \
         (in a copy of the recipe: `batch_size = ...`), or --device flex"
    ))
}

/// Runs `f`, turning a panic into `Err(message)` without printing anything.
#[cfg_attr(not(feature = "wgpu"), allow(dead_code))] // used to probe wgpu adapters
pub fn catch_quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    QUIET.store(true, Ordering::SeqCst);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.store(false, Ordering::SeqCst);
    result.map_err(|payload| one_line(&payload_text(payload.as_ref())))
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// The error and its causes as one line: each cause is added unless the text already holds it.
pub fn error_line(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    one_line(&text)
}

/// Joins a multi-line message into one line (`; ` between lines, a space after `:` or `.`). Source snippets of parse errors (`3 | key = 1`,
/// `  |   ^^^`) are dropped; the line and column are in the message's first line.
pub fn one_line(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if is_snippet(line) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(if out.ends_with([':', '.']) { " " } else { "; " });
        }
        out.push_str(line);
    }
    out
}

fn is_snippet(line: &str) -> bool {
    let rest = line
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start();
    rest.starts_with('|')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_snippets_are_dropped_and_lines_joined() {
        let msg = "models/x.toml: TOML parse error at line 3, column 1\n  |\n3 | foo = 1\n  | ^^^\nunknown field `foo`, expected one of `name`, `seed`\n";
        assert_eq!(
            one_line(msg),
            "models/x.toml: TOML parse error at line 3, column 1; unknown field `foo`, expected one of `name`, `seed`"
        );
    }

    #[test]
    fn a_list_after_a_colon_continues_the_line() {
        let msg =
            "dataset 'cifar10' not found.\n  searched:\n    /a (none of them)\n    /b (missing x)";
        assert_eq!(
            one_line(msg),
            "dataset 'cifar10' not found. searched: /a (none of them); /b (missing x)"
        );
    }

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = anyhow::Error::new(io).context("x.toml: cannot read recipe: no such file");
        assert_eq!(error_line(&err), "x.toml: cannot read recipe: no such file");
        let err = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_line(&err), "outer: inner");
    }

    #[test]
    fn device_limits_are_one_line_that_says_what_to_change() {
        let panic = "Failed to launch: internal failure: ...\nmatmul_naive: Unable to launch matmul because a required feature is unavailable: Cube count too big (256000, 4, 1)\n";
        assert_eq!(
            backend_limit_line(panic).as_deref(),
            Some(
                "the compute device cannot run a step this large (Cube count too big (256000, 4, 1)). \
                 Use a smaller batch_size (in a copy of the recipe: `batch_size = ...`), or --device flex"
            )
        );
        let oom =
            backend_limit_line("Allocation failed: OutOfMemory; requested 4 GB").expect("oom");
        assert!(
            oom.contains("(OutOfMemory)") && oom.contains("smaller batch_size"),
            "{oom}"
        );
        assert_eq!(
            backend_limit_line("index out of bounds: the len is 3"),
            None
        );
    }

    #[test]
    fn caught_panics_become_messages() {
        let caught = catch_quietly(|| -> u32 { panic!("AdapterUnavailable\nmore") });
        assert_eq!(caught, Err("AdapterUnavailable; more".to_string()));
        assert_eq!(catch_quietly(|| 7), Ok(7));
    }
}
