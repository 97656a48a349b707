//! No function in `src/` is longer than [`MAX_LINES`]: a long function is
//! several jobs, and the next reader has to find the seams that a name
//! would have given. Counted from the `fn` line to its closing brace.
//!
//! The check covers every file under `src/` ([`CHECKED`]: the empty
//! prefix), so a new folder is held to it from its first line.

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 150;

/// Prefixes of the paths under `src/` held to the limit: all of them.
const CHECKED: &[&str] = &[""];

struct Function {
    file: PathBuf,
    name: String,
    line: usize,
    lines: usize,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source with comments, string and char literals blanked out (line
/// breaks kept), so that braces can be counted.
fn code_only(src: &str) -> Vec<u8> {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let end = if rest.starts_with(b"//") {
            i + rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len())
        } else if rest.starts_with(b"/*") {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            j
        } else if let Some(hashes) = raw_string_start(rest) {
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            let body = i + hashes + 2 + usize::from(rest[0] == b'b');
            body + find(&b[body..], &close).map_or(b.len() - body, |k| k + close.len())
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            j + 1
        } else if rest[0] == b'\'' {
            // A char literal ('{', '\n', '\u{7b}'), not a lifetime ('a).
            match (rest.get(1), rest.get(2)) {
                (Some(b'\\'), _) => {
                    i + 3 + rest[3..].iter().position(|&c| c == b'\'').unwrap_or(0) + 1
                }
                (Some(_), Some(b'\'')) => i + 3,
                _ => i + 1,
            }
        } else {
            i + 1
        };
        if end > i + 1 || rest[0] == b'"' {
            blank(&mut out, i, end);
        }
        i = end.max(i + 1);
    }
    out
}

/// `r"`, `r#"`, `br##"`...: the number of `#`.
fn raw_string_start(s: &[u8]) -> Option<usize> {
    let s = s.strip_prefix(b"b").unwrap_or(s);
    let s = s.strip_prefix(b"r")?;
    let hashes = s.iter().take_while(|&&c| c == b'#').count();
    (s.get(hashes) == Some(&b'"')).then_some(hashes)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The name of the function declared on this line, if one is.
fn declared_fn(line: &str) -> Option<String> {
    let mut words = line.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let qualifier = w.starts_with("pub")
            || matches!(
                w,
                "const" | "async" | "unsafe" | "extern" | "\"C\"" | "default"
            );
        if w == "fn" {
            let name: String = words
                .next()?
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            return (!name.is_empty()).then_some(name);
        }
        if !qualifier {
            return None;
        }
    }
    None
}

/// Every function with a body in `file`, with its length in lines.
fn functions(file: &Path) -> Vec<Function> {
    let src = std::fs::read_to_string(file).unwrap_or_default();
    let code = String::from_utf8(code_only(&src)).unwrap_or_default();
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = declared_fn(line) else {
            continue;
        };
        // The body opens at the first `{` before any `;` outside brackets
        // (a `;` first is a declaration without a body, as in a trait;
        // `[u8; 4]` in the signature is not).
        let mut depth = 0usize;
        let mut brackets = 0usize;
        let mut opened = false;
        'scan: for (n, l) in lines.iter().enumerate().skip(start) {
            for c in l.chars() {
                match c {
                    '(' | '[' if !opened => brackets += 1,
                    ')' | ']' if !opened => brackets = brackets.saturating_sub(1),
                    ';' if !opened && brackets == 0 => break 'scan,
                    '{' => {
                        opened = true;
                        depth += 1;
                    }
                    '}' if opened => {
                        depth -= 1;
                        if depth == 0 {
                            found.push(Function {
                                file: file.to_path_buf(),
                                name: name.clone(),
                                line: start + 1,
                                lines: n - start + 1,
                            });
                            break 'scan;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    found
}

fn long_functions() -> (Vec<Function>, Vec<Function>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut long: Vec<Function> = files
        .iter()
        .flat_map(|f| functions(f))
        .filter(|f| f.lines > MAX_LINES)
        .collect();
    long.sort_by_key(|f| std::cmp::Reverse(f.lines));
    long.into_iter().partition(|f| {
        let rel = f.file.strip_prefix(&src).unwrap_or(&f.file);
        let rel = rel.to_string_lossy();
        CHECKED.iter().any(|c| rel.starts_with(c))
    })
}

fn describe(fs: &[Function]) -> String {
    fs.iter()
        .map(|f| {
            format!(
                "  {}:{} fn {} ({} lines)",
                f.file.display(),
                f.line,
                f.name,
                f.lines
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_function_is_longer_than_the_limit() {
    let (checked, others) = long_functions();
    if !others.is_empty() {
        eprintln!(
            "functions over {MAX_LINES} lines outside the checked folders:\n{}",
            describe(&others)
        );
    }
    assert!(
        checked.is_empty(),
        "functions over {MAX_LINES} lines (cut them where their jobs meet):\n{}",
        describe(&checked)
    );
}

/// The counter itself: a body is measured from `fn` to its closing
/// brace, and braces in strings, chars and comments do not count.
#[test]
fn the_counter_measures_bodies_not_literals() {
    let dir = std::env::temp_dir().join(format!("gov-fnlen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let file = dir.join("sample.rs");
    let sample = "pub(crate) fn a() {\n    let s = \"}}}\";\n    let c = '}';\n    let q = '\\'';\n    // }\n    let r = r#\"}\"#;\n}\n\ntrait T {\n    fn decl(&self);\n    fn with_body(&self) -> u8 {\n        /* { */ 1\n    }\n}\nfn lifetime<'a>(x: &'a str, _: [u8; 2]) -> &'a str {\n    x\n}\n";
    std::fs::write(&file, sample).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(String, usize, usize)> = functions(&file)
        .into_iter()
        .map(|f| (f.name, f.line, f.lines))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        got,
        [
            ("a".to_string(), 1, 7),
            ("with_body".to_string(), 11, 3),
            ("lifetime".to_string(), 15, 3),
        ]
    );
}
