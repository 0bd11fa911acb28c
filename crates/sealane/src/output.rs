//! How human output reaches the administrator, shared by every command:
//! colour on a terminal (never through a pipe, never with `NO_COLOR`,
//! whatever `--color` says), lines wrapped at the terminal's width, `-q`
//! for nothing but the exit status and errors, `-v` for the log of what was
//! done. JSON goes out as it is: never coloured, wrapped or mixed with text.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use anstyle::{AnsiColor, Style};

/// When to colour human output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set or `TERM` is `dumb`.
    #[default]
    Auto,
    /// Always, even through a pipe.
    Always,
    /// Never.
    Never,
}

/// The output options every command takes.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Options {
    /// Colour the output: auto (on a terminal, unless NO_COLOR is set),
    /// always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t, global = true)]
    pub color: ColorWhen,
    /// Print nothing but errors: the exit status tells the outcome.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also log on standard error what is being done: connections, TLS,
    /// DNSSEC anchors (-vv adds every SMTP command and reply).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// What the options and the terminal decided, once per process.
#[derive(Clone, Copy, Debug)]
struct Settings {
    colour: bool,
    quiet: bool,
    width: Option<usize>,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Decides colour, quietness and width from `options`, the environment and
/// whether standard output is a terminal. Called once, before any output.
pub fn init(options: &Options) {
    let terminal = std::io::stdout().is_terminal();
    let colour = match options.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    };
    let width = terminal
        .then(|| terminal_size::terminal_size_of(std::io::stdout()))
        .flatten()
        .map(|(terminal_size::Width(w), _)| usize::from(w));
    let _ = SETTINGS.set(Settings {
        colour,
        quiet: options.quiet,
        width,
    });
}

fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or(Settings {
        colour: false,
        quiet: false,
        width: None,
    })
}

/// Whether human output is coloured.
pub fn colour() -> bool {
    settings().colour
}

/// Prints human text to standard output: highlighted when colour is on,
/// wrapped at the terminal's width, nothing with `-q`. A closed pipe
/// (`| head`) ends the output quietly.
pub fn human(text: &str) {
    let settings = settings();
    if settings.quiet {
        return;
    }
    let mut text = match settings.width {
        Some(width) => wrap(text, width),
        None => text.to_owned(),
    };
    text = if settings.colour {
        highlight(&text)
    } else {
        strip(&text)
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Prints text that must stay as it is (zone-file records to copy):
/// never wrapped or coloured, nothing with `-q`.
pub fn verbatim(text: &str) {
    if settings().quiet {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Prints one JSON document (or line) as it is, with a newline.
pub fn json(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// What a word says, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Passed, secure, delivered.
    Good,
    /// For information.
    Note,
    /// Worth a look.
    Warning,
    /// Failed, bogus, refused.
    Bad,
    /// A verdict or heading.
    Strong,
}

fn style(tone: Tone) -> Style {
    match tone {
        Tone::Good => AnsiColor::Green.on_default(),
        Tone::Note => AnsiColor::Cyan.on_default(),
        Tone::Warning => AnsiColor::Yellow.on_default(),
        Tone::Bad => AnsiColor::Red.on_default().bold(),
        Tone::Strong => Style::new().bold(),
    }
}

/// `text` in the colour of `tone`; the escapes are removed again by
/// [`human`] when colour is off.
pub fn paint(tone: Tone, text: &str) -> String {
    let style = style(tone);
    format!("{style}{text}{style:#}")
}

/// The words that get a colour wherever they follow one of these
/// prefixes, so that commands keep writing plain text.
const TONES: &[(&str, &str, Tone)] = &[
    ("dnssec: ", "secure", Tone::Good),
    ("dnssec: ", "insecure", Tone::Warning),
    ("dnssec: ", "bogus", Tone::Bad),
    ("dnssec: ", "indeterminate", Tone::Bad),
    ("DNSSEC ", "secure", Tone::Good),
    ("DNSSEC ", "insecure", Tone::Warning),
    ("DNSSEC ", "bogus", Tone::Bad),
    ("DNSSEC ", "indeterminate", Tone::Bad),
];

/// Colours the status words of [`TONES`] and makes verdict lines bold.
fn highlight(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = line
            .strip_suffix('\n')
            .map_or((line, ""), |body| (body, "\n"));
        let mut body = body.to_owned();
        for (prefix, word, tone) in TONES {
            let needle = format!("{prefix}{word}");
            let at_word_end = |rest: &str| !rest.starts_with(|c: char| c.is_alphanumeric());
            if let Some(at) = body.find(&needle)
                && at_word_end(&body[at + needle.len()..])
            {
                let start = at + prefix.len();
                let painted = paint(*tone, word);
                body.replace_range(start..start + word.len(), &painted);
            }
        }
        if body.starts_with("Verdict:") || body.starts_with("Outcome:") {
            body = paint(Tone::Strong, &body);
        }
        out.push_str(&body);
        out.push_str(end);
    }
    out
}

/// `text` without ANSI escape sequences.
pub fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Breaks every line longer than `width` columns at spaces; continuation
/// lines are indented under the text of the first, after a leading
/// `label: ` (`seen: `, `fix:  `). Escape sequences take no column.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = line
            .strip_suffix('\n')
            .map_or((line, ""), |body| (body, "\n"));
        if columns(body) <= width {
            out.push_str(line);
            continue;
        }
        let indent = hanging_indent(body);
        // Too narrow a terminal to indent under the label.
        let indent = if indent + 20 > width { 0 } else { indent };
        let mut used = 0;
        for (i, word) in body.split(' ').enumerate() {
            let needed = columns(word);
            if i > 0 {
                if used + 1 + needed > width && used > indent {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                    used = indent;
                } else {
                    out.push(' ');
                    used += 1;
                }
            }
            out.push_str(word);
            used += needed;
        }
        out.push_str(end);
    }
    out
}

/// The column where the text of a line starts: after its leading spaces
/// and a first word ending in `:` with the spaces after it.
fn hanging_indent(line: &str) -> usize {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[spaces..];
    match rest.split_once(' ') {
        Some((label, after)) if label.ends_with(':') && label.len() <= 12 => {
            let gap = after.len() - after.trim_start_matches(' ').len();
            spaces + label.chars().count() + 1 + gap
        }
        _ => spaces,
    }
}

/// The visible width of `text`: characters outside escape sequences.
fn columns(text: &str) -> usize {
    strip(text).chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_under_their_label() {
        let line = "            seen: one two three four five six seven eight nine ten\n";
        let wrapped = wrap(line, 40);
        assert_eq!(
            wrapped,
            "            seen: one two three four\n                  five six seven eight\n                  nine ten\n"
        );
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 40),
            "{wrapped}"
        );
    }

    #[test]
    fn short_lines_and_long_words_are_left_alone() {
        assert_eq!(wrap("short\n", 40), "short\n");
        let word = format!("{}\n", "x".repeat(50));
        assert_eq!(wrap(&word, 40), word);
    }

    #[test]
    fn escapes_take_no_column() {
        let painted = format!("{} ok\n", paint(Tone::Bad, "error"));
        assert_eq!(wrap(&painted, 8), painted);
        assert_eq!(strip(&painted), "error ok\n");
    }

    #[test]
    fn status_words_are_coloured_and_only_they() {
        let text = ";; secure.test. A  dnssec: bogus\nsecure data\n";
        let lit = highlight(text);
        assert!(lit.contains(&paint(Tone::Bad, "bogus")), "{lit:?}");
        assert_eq!(strip(&lit), text);
        assert!(lit.ends_with("secure data\n"));
        assert_eq!(highlight("dnssec: secured\n"), "dnssec: secured\n");
    }
}
