//! The documentation cannot drift from the command line, in either direction.
//!
//! `faultline --help` lists the subcommands; each subcommand's `--help` lists its flags and names
//! the docs page that explains it. Against `README.md` and `docs/**/*.md`:
//! - every `--flag` written after `faultline SUBCOMMAND` in a code span or code block must exist
//!   in that subcommand's help (a renamed or removed flag breaks the docs that name it);
//! - every flag in a subcommand's help must be named on the page its help points to (a new flag is
//!   not done until a user can read about it);
//! - every help points to a docs page that exists, and every relative link in the docs names a
//!   file that exists.
//!
//! Problems are collected and reported together, one line each naming the page, the flag and the
//! subcommand, so a flag added later is reported, not a crash. No Docker is needed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Flags every subcommand has through clap.
const ALWAYS: &[&str] = &["--help", "-h", "--version", "-V"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness/ sits in the workspace")
        .to_path_buf()
}

/// `faultline ARGS --help`, which must succeed.
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .arg("--help")
        .output()
        .expect("run faultline");
    assert!(
        out.status.success(),
        "`faultline {} --help` exited {:?}: {}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The subcommands under `Commands:` in clap's top-level help, without clap's own `help`.
fn subcommands(top_help: &str) -> Vec<String> {
    top_help
        .lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The flags of one help text: the `-x` and `--name` at the start of each option line of the
/// `Options:` section. Option lines are indented by at most 6 spaces; descriptions (in the long
/// form) by 10; the section ends at the next unindented line (e.g. the `after_help` text).
fn help_flags(help: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    let options = help
        .lines()
        .skip_while(|l| l.trim_end() != "Options:")
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '));
    for line in options {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim_start();
        if indent > 6 || !text.starts_with('-') {
            continue;
        }
        for token in text.split([',', ' ']) {
            let token = token.trim();
            if token.starts_with('-') && token.len() > 1 && !token.contains('<') {
                flags.insert(flag_name(token).to_string());
            } else if !token.is_empty() {
                break; // past the flags: the value name or the description
            }
        }
    }
    flags
}

/// `--name=value` → `--name`; punctuation around a flag in prose is dropped.
fn flag_name(token: &str) -> &str {
    let token = token.trim_start_matches(['[', '(', '`']);
    let token = token.split('=').next().unwrap_or(token);
    token.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
}

/// The docs page a help text points to: the first `docs/….md` on its `Documentation:` line.
fn pointed_page(help: &str) -> Option<String> {
    let line = help
        .lines()
        .find(|l| l.trim_start().starts_with("Documentation:"))?;
    line.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '`' | ',' | ';'))
        .map(|w| w.trim_end_matches(['.', ':']))
        .find(|w| w.starts_with("docs/") && w.ends_with(".md"))
        .map(str::to_string)
}

/// README.md and every Markdown file under docs/, as (path relative to the root, text).
fn pages() -> Vec<(String, String)> {
    let root = repo_root();
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let rel = path.strip_prefix(&root).unwrap().display().to_string();
            (rel, text)
        })
        .collect()
}

/// The code of a page, as (line number, text): each logical line of a fenced block (lines ending
/// in `\` joined, shell comments dropped) and each inline code span of a paragraph (a span may
/// cross lines).
fn code_pieces(text: &str) -> Vec<(usize, String)> {
    let mut pieces = Vec::new();
    let mut in_fence = false;
    let mut pending: Option<(usize, String)> = None; // a fenced line continued with `\`
    let mut paragraph: Option<(usize, String)> = None;
    let flush_paragraph = |paragraph: &mut Option<(usize, String)>, pieces: &mut Vec<_>| {
        if let Some((line, text)) = paragraph.take() {
            for span in text.split('`').skip(1).step_by(2) {
                pieces.push((line, span.to_string()));
            }
        }
    };
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if line.trim_start().starts_with("```") {
            flush_paragraph(&mut paragraph, &mut pieces);
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            let code = match line.find(" #") {
                Some(at) => &line[..at],
                None if line.trim_start().starts_with('#') => "",
                None => line,
            };
            let (start, mut joined) = pending.take().unwrap_or((number, String::new()));
            joined.push(' ');
            match code.trim_end().strip_suffix('\\') {
                Some(head) => {
                    joined.push_str(head);
                    pending = Some((start, joined));
                }
                None => {
                    joined.push_str(code);
                    pieces.push((start, joined));
                }
            }
        } else if line.trim().is_empty() {
            flush_paragraph(&mut paragraph, &mut pieces);
        } else {
            let (_, text) = paragraph.get_or_insert((number, String::new()));
            text.push(' ');
            text.push_str(line);
        }
    }
    flush_paragraph(&mut paragraph, &mut pieces);
    pieces
}

/// Each `faultline SUBCOMMAND … --flag` in a piece of code, as (subcommand, flag). A command ends
/// at the end of the piece, at a shell separator, or where the next `faultline` begins.
fn commands_with_flags(code: &str, subs: &BTreeSet<String>) -> Vec<(String, String)> {
    let tokens: Vec<&str> = code.split_whitespace().collect();
    let mut found = Vec::new();
    let mut current: Option<&str> = None;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        if token == "faultline" || token.ends_with("/faultline") {
            // `cargo run -p faultline -- bench` names the subcommand after `--`.
            let mut next = i + 1;
            if tokens.get(next) == Some(&"--") {
                next += 1;
            }
            current = tokens
                .get(next)
                .map(|t| t.trim_end_matches(['`', ',', '.', ':', ')']))
                .and_then(|t| subs.get(t))
                .map(String::as_str);
            i = if current.is_some() { next + 1 } else { i + 1 };
            continue;
        }
        if matches!(token, "|" | "||" | "&&" | ";") || token.ends_with(';') {
            current = None;
        } else if let Some(sub) = current {
            let name = flag_name(token);
            let is_long = name.starts_with("--") && name.len() > 2;
            let is_short = name.len() == 2
                && name.starts_with('-')
                && name[1..].chars().all(|c| c.is_ascii_alphabetic());
            if (is_long || is_short) && !name[2.min(name.len())..].starts_with('-') {
                found.push((sub.to_string(), name.to_string()));
            }
        }
        i += 1;
    }
    found
}

/// Whether `text` names `flag` as a whole word (`--rate` is not named by `--rate-limit`).
fn names_flag(text: &str, flag: &str) -> bool {
    text.match_indices(flag).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + flag.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

struct Cli {
    /// Subcommand → its flags.
    flags: BTreeMap<String, BTreeSet<String>>,
    /// Subcommand (and "" for `faultline` itself) → the docs page its help points to.
    pages: BTreeMap<String, Option<String>>,
}

fn cli() -> Cli {
    let top = help(&[]);
    let subs = subcommands(&top);
    assert!(
        subs.len() >= 2,
        "found no subcommands in `faultline --help`:\n{top}"
    );
    let mut flags = BTreeMap::new();
    let mut pages = BTreeMap::from([(String::new(), pointed_page(&top))]);
    for sub in subs {
        let text = help(&[&sub]);
        let sub_flags = help_flags(&text);
        assert!(
            sub_flags.contains("--help"),
            "no flags parsed from `faultline {sub} --help`:\n{text}"
        );
        pages.insert(sub.clone(), pointed_page(&text));
        flags.insert(sub, sub_flags);
    }
    Cli { flags, pages }
}

/// What is wrong between the help texts and the pages, one line per problem.
fn problems(cli: &Cli, docs: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let root = repo_root();
    let subs: BTreeSet<String> = cli.flags.keys().cloned().collect();

    // Docs → CLI: every flag written after `faultline SUB` exists in SUB's help.
    for (page, text) in docs {
        for (line, code) in code_pieces(text) {
            for (sub, flag) in commands_with_flags(&code, &subs) {
                if !ALWAYS.contains(&flag.as_str()) && !cli.flags[&sub].contains(&flag) {
                    problems.push(format!(
                        "{page}:{line}: names `faultline {sub} … {flag}`, but `faultline {sub} --help` has no {flag}"
                    ));
                }
            }
        }
    }

    // Help → docs: each help points to a page that exists and names every flag.
    for (sub, page) in &cli.pages {
        let command = if sub.is_empty() {
            "faultline".to_string()
        } else {
            format!("faultline {sub}")
        };
        let Some(page) = page else {
            problems.push(format!(
                "`{command} --help` points to no docs page (add a line `Documentation: docs/….md` to its after_help)"
            ));
            continue;
        };
        let Some((_, text)) = docs.iter().find(|(p, _)| p == page) else {
            problems.push(format!(
                "`{command} --help` points to {page}, which does not exist"
            ));
            continue;
        };
        for flag in cli.flags.get(sub).into_iter().flatten() {
            if flag.starts_with("--") && !ALWAYS.contains(&flag.as_str()) && !names_flag(text, flag)
            {
                problems.push(format!(
                    "{page}: `{command} --help` lists {flag}, but {page} (the page its help points to) never names it"
                ));
            }
        }
    }

    // Relative links between pages name files that exist.
    for (page, text) in docs {
        let dir = root.join(page).parent().unwrap().to_path_buf();
        for (at, _) in text.match_indices("](") {
            let target = text[at + 2..].split(')').next().unwrap_or("");
            let file = target.split('#').next().unwrap_or("");
            if file.is_empty() || file.contains("://") || file.starts_with("mailto:") {
                continue;
            }
            if !dir.join(file).exists() {
                let line = text[..at].lines().count();
                problems.push(format!(
                    "{page}:{line}: links to {file}, which does not exist"
                ));
            }
        }
    }
    problems
}

#[test]
fn the_docs_and_the_help_name_the_same_flags_and_pages() {
    let cli = cli();
    let docs = pages();
    let problems = problems(&cli, &docs);
    assert!(
        problems.is_empty(),
        "the docs and the CLI disagree ({} problems):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The checker above must catch what it is for: a flag the help lacks, a flag the docs lack, a
/// missing page, a broken link. Checked on pages made up here, against the real help.
#[test]
fn the_comparison_catches_each_kind_of_drift() {
    let cli = cli();
    let mut docs = pages();
    let run_page = cli.pages["run"].clone().expect("run's help names a page");
    // A renamed flag in a code block of the README.
    let readme = docs.iter_mut().find(|(p, _)| p == "README.md").unwrap();
    readme
        .1
        .push_str("\n```sh\ntarget/release/faultline run --nemsis kill \\\n  --seed 1\n```\n");
    // A flag dropped from the page run's help points to.
    let page = docs.iter_mut().find(|(p, _)| *p == run_page).unwrap();
    page.1 = page.1.replace("--max-clock-skew", "--max-skew");
    // A broken link.
    docs.push((
        "docs/extra.md".into(),
        "See [nowhere](no-such-page.md).\n".into(),
    ));

    let found = problems(&cli, &docs);
    let expect = [
        "README.md:".to_string(),
        "names `faultline run … --nemsis`, but `faultline run --help` has no --nemsis".into(),
        format!("{run_page}: `faultline run --help` lists --max-clock-skew"),
        "docs/extra.md:1: links to no-such-page.md".into(),
    ];
    for want in &expect {
        assert!(
            found.iter().any(|p| p.contains(want.as_str())),
            "expected a problem containing {want:?}, found:\n{}",
            found.join("\n")
        );
    }
    // `faultline run --nemsis` is reported, `--seed` on its continuation line is not.
    assert!(!found.iter().any(|p| p.contains("--seed")), "{found:?}");
}

#[test]
fn commands_are_read_from_code_spans_and_blocks() {
    let subs: BTreeSet<String> = ["run", "check", "bench"].map(String::from).into();
    let text =
        "Run `faultline check h.jsonl -m register --json` or `faultline run\n--time-limit 10`.\n\n\
                ```sh\ncargo run --release -p faultline -- bench --quick  # --not-this\n\
                faultline-refnode --mode raft\nfaultline run --seed=7 | tee --append log\n```\n\
                Prose --ignored faultline run --ignored-too.\n";
    let found: Vec<(String, String)> = code_pieces(text)
        .into_iter()
        .flat_map(|(_, code)| commands_with_flags(&code, &subs))
        .collect();
    let pairs: Vec<(&str, &str)> = found
        .iter()
        .map(|(s, f)| (s.as_str(), f.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("check", "-m"),
            ("check", "--json"),
            ("run", "--time-limit"),
            ("bench", "--quick"),
            ("run", "--seed"),
        ]
    );
}
