//! A small hand-written EDN reader (https://github.com/edn-format/edn) that turns EDN into the
//! history's JSON [`Value`]s, the way [`Value`]'s doc comment promises: keywords and symbols become
//! strings without the colon, vectors, lists and sets become arrays, maps become objects whose keys
//! are the key's text, `nil` is null, tagged elements (`#inst "…"`, `#jepsen.history.Op{…}`) are
//! read as the element they tag.
//!
//! It is one pass over the bytes with no backtracking and no regular expressions, because Jepsen
//! histories of a million operations must load in well under a second. Nesting is bounded so a
//! hostile input gives an error instead of a stack overflow.

use std::borrow::Cow;

use serde_json::{Map, Number};

use crate::history::{InputError, Value};

/// Deeper nesting than this is refused (histories nest four or five levels).
const MAX_DEPTH: usize = 256;

/// A cursor over EDN text that reads one value at a time and knows its line.
pub(crate) struct EdnParser<'a> {
    text: &'a str,
    src: &'a [u8],
    pos: usize,
    line: usize,
    depth: usize,
    name: &'a str,
    /// Elements of the collections being read, innermost last; each collection is moved out into
    /// a vector of exactly its size when it closes, instead of growing its own vector.
    stack: Vec<Value>,
}

impl<'a> EdnParser<'a> {
    /// `name` is the file name used in errors; `first_line` the line `text` starts on.
    pub(crate) fn new(text: &'a str, name: &'a str, first_line: usize) -> Self {
        EdnParser {
            text,
            src: text.as_bytes(),
            pos: 0,
            line: first_line,
            depth: 0,
            name,
            stack: Vec::new(),
        }
    }

    /// The line the cursor is on.
    pub(crate) fn line(&self) -> usize {
        self.line
    }

    pub(crate) fn error(&self, line: usize, message: impl Into<String>) -> InputError {
        InputError::new(self.name, line, message)
    }

    /// Skips whitespace, commas, `;` comments and `#_` discarded forms. Returns the next byte
    /// without consuming it, `None` at the end.
    pub(crate) fn skip_ws(&mut self) -> Result<Option<u8>, InputError> {
        loop {
            let Some(&b) = self.src.get(self.pos) else {
                return Ok(None);
            };
            match b {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | b',' | 0x0c => self.pos += 1,
                b';' => {
                    while let Some(&c) = self.src.get(self.pos) {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                b'#' if self.src.get(self.pos + 1) == Some(&b'_') => {
                    self.pos += 2;
                    self.enter(self.line)?;
                    self.value()?;
                    self.depth -= 1;
                }
                // A UTF-8 byte order mark at the start of a file.
                0xef if self.src[self.pos..].starts_with(&[0xef, 0xbb, 0xbf]) => self.pos += 3,
                _ => return Ok(Some(b)),
            }
        }
    }

    /// True when only whitespace and comments remain.
    pub(crate) fn at_end(&mut self) -> Result<bool, InputError> {
        Ok(self.skip_ws()?.is_none())
    }

    /// Reads one value.
    pub(crate) fn value(&mut self) -> Result<Value, InputError> {
        let Some(b) = self.skip_ws()? else {
            return Err(self.error(self.line, "unexpected end of input; expected a value"));
        };
        match b {
            b'[' => {
                let line = self.line;
                self.pos += 1;
                self.sequence(b']', "vector", line).map(Value::Array)
            }
            b'(' => {
                let line = self.line;
                self.pos += 1;
                self.sequence(b')', "list", line).map(Value::Array)
            }
            b'{' => {
                let line = self.line;
                self.pos += 1;
                self.map_body(line).map(Value::Object)
            }
            b'#' => self.dispatch(),
            b'"' => self.string().map(Value::String),
            b':' => {
                let token = self.token();
                let name = token.trim_start_matches(':');
                if name.is_empty() {
                    return Err(self.error(self.line, "expected a keyword name after `:`"));
                }
                Ok(Value::String(name.to_string()))
            }
            b'\\' => self.character().map(Value::String),
            b']' | b')' | b'}' => Err(self.error(
                self.line,
                format!("unexpected `{}`; no collection is open here", b as char),
            )),
            b'0'..=b'9' => self.number(),
            b'+' | b'-'
                if self
                    .src
                    .get(self.pos + 1)
                    .is_some_and(|c| c.is_ascii_digit()) =>
            {
                self.number()
            }
            _ => {
                let line = self.line;
                let token = self.token();
                if token.is_empty() {
                    // A byte no token can start with (a stray delimiter was handled above).
                    let c = self.src[self.pos..]
                        .utf8_chunks()
                        .next()
                        .and_then(|c| c.valid().chars().next())
                        .unwrap_or('\u{fffd}');
                    return Err(self.error(line, format!("unexpected character {c:?}")));
                }
                Ok(match token {
                    "nil" => Value::Null,
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    symbol => Value::String(symbol.to_string()),
                })
            }
        }
    }

    /// Reads a map's entries after its `{`, as an ordered JSON object.
    pub(crate) fn map_body(&mut self, open_line: usize) -> Result<Map<String, Value>, InputError> {
        let mut map = Map::new();
        self.map_entries(open_line, |key, value| {
            map.insert(key.into_owned(), value);
            Ok(())
        })?;
        Ok(map)
    }

    /// Reads a map's entries after its `{`, handing each to `entry` with its key as text
    /// (keywords without their colon, borrowed from the input). An error from `entry` is reported
    /// at the line where the map opened.
    pub(crate) fn map_entries(
        &mut self,
        open_line: usize,
        mut entry: impl FnMut(Cow<'a, str>, Value) -> Result<(), String>,
    ) -> Result<(), InputError> {
        self.enter(open_line)?;
        loop {
            match self.skip_ws()? {
                None => {
                    return Err(self.error(
                        self.line,
                        format!("expected `}}` to close the map opened at line {open_line}"),
                    ))
                }
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                Some(c @ (b']' | b')')) => {
                    return Err(self.error(
                        self.line,
                        format!(
                            "expected `}}` to close the map opened at line {open_line}, found `{}`",
                            c as char
                        ),
                    ))
                }
                Some(first) => {
                    let key_line = self.line;
                    let keyword = if first == b':' {
                        Some(self.token().trim_start_matches(':')).filter(|k| !k.is_empty())
                    } else {
                        None
                    };
                    let key = match keyword {
                        Some(k) => Cow::Borrowed(k),
                        None => Cow::Owned(map_key(self.value()?)),
                    };
                    if let Some(b'}') | None = self.skip_ws()? {
                        return Err(self.error(
                            key_line,
                            format!(
                                "map opened at line {open_line} has key {key:?} without a value"
                            ),
                        ));
                    }
                    let value = self.value()?;
                    entry(key, value).map_err(|message| self.error(open_line, message))?;
                }
            }
        }
    }

    /// If the next value is a map or a tagged map (`#jepsen.history.Op{…}`), consumes its tag and
    /// `{` and returns the line of the `{`; the caller reads the rest with [`Self::map_body`].
    pub(crate) fn at_map(&mut self) -> Result<Option<usize>, InputError> {
        match self.skip_ws()? {
            Some(b'{') => {
                self.pos += 1;
                Ok(Some(self.line))
            }
            Some(b'#') => {
                let save = (self.pos, self.line);
                self.pos += 1;
                let tag = self.token();
                if !tag.is_empty() && self.skip_ws()? == Some(b'{') {
                    self.pos += 1;
                    return Ok(Some(self.line));
                }
                (self.pos, self.line) = save;
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// A short description of the next value for errors: its first characters.
    pub(crate) fn peek_text(&self) -> String {
        let rest = &self.src[self.pos..self.src.len().min(self.pos + 24)];
        let text = String::from_utf8_lossy(rest);
        text.lines().next().unwrap_or("").to_string()
    }

    /// Consumes `open` if it is the next byte.
    pub(crate) fn eat(&mut self, open: u8) -> Result<bool, InputError> {
        if self.skip_ws()? == Some(open) {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    fn enter(&mut self, line: usize) -> Result<(), InputError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                line,
                format!("values nest more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    fn sequence(
        &mut self,
        close: u8,
        what: &str,
        open_line: usize,
    ) -> Result<Vec<Value>, InputError> {
        self.enter(open_line)?;
        let base = self.stack.len();
        loop {
            match self.skip_ws()? {
                None => {
                    return Err(self.error(
                        self.line,
                        format!(
                            "expected `{}` to close the {what} opened at line {open_line}",
                            close as char
                        ),
                    ))
                }
                Some(c) if c == close => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(self.stack.drain(base..).collect());
                }
                Some(c @ (b']' | b')' | b'}')) => {
                    return Err(self.error(
                        self.line,
                        format!(
                        "expected `{}` to close the {what} opened at line {open_line}, found `{}`",
                        close as char, c as char
                    ),
                    ))
                }
                Some(_) => {
                    let item = self.value()?;
                    self.stack.push(item);
                }
            }
        }
    }

    /// After `#`: a set `#{…}`, a symbolic value `##Inf`, or a tagged element `#tag value`.
    fn dispatch(&mut self) -> Result<Value, InputError> {
        let line = self.line;
        self.pos += 1;
        match self.src.get(self.pos) {
            Some(b'{') => {
                self.pos += 1;
                self.sequence(b'}', "set", line).map(Value::Array)
            }
            Some(b'#') => {
                self.pos += 1;
                let token = self.token();
                match token {
                    // JSON has no infinities or NaN; keep the symbol's name.
                    "Inf" | "-Inf" | "NaN" => Ok(Value::String(format!("##{token}"))),
                    _ => Err(self.error(line, format!("unknown symbolic value ##{token}"))),
                }
            }
            _ => {
                let tag = self.token();
                if tag.is_empty() {
                    return Err(self.error(line, "expected a tag, `{` or `_` after `#`"));
                }
                if self.at_end()? {
                    return Err(self.error(
                        self.line,
                        format!("unexpected end of input; expected the value tagged #{tag}"),
                    ));
                }
                self.enter(line)?;
                let value = self.value()?;
                self.depth -= 1;
                Ok(value)
            }
        }
    }

    /// A symbol, keyword or number token: everything up to the next delimiter.
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(&c) = self.src.get(self.pos) {
            if is_delimiter(c) {
                break;
            }
            self.pos += 1;
        }
        // Tokens start after an ASCII byte and end before one, so these are character boundaries.
        self.text.get(start..self.pos).unwrap_or("")
    }

    fn string(&mut self) -> Result<String, InputError> {
        let open_line = self.line;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.src.get(self.pos) else {
                return Err(self.error(
                    self.line,
                    format!("expected `\"` to close the string opened at line {open_line}"),
                ));
            };
            self.pos += 1;
            match c {
                b'"' => break,
                b'\n' => {
                    self.line += 1;
                    out.push(c);
                }
                b'\\' => {
                    let Some(&e) = self.src.get(self.pos) else {
                        continue;
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'u' => {
                            let ch = self.hex4()?;
                            let mut buf = [0; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        other => {
                            return Err(self.error(
                                self.line,
                                format!("unknown string escape \\{}", other as char),
                            ))
                        }
                    }
                }
                _ => out.push(c),
            }
        }
        // The input is valid UTF-8 and escapes insert whole characters.
        String::from_utf8(out).map_err(|_| self.error(self.line, "string is not valid UTF-8"))
    }

    fn hex4(&mut self) -> Result<char, InputError> {
        let digits = self
            .src
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok());
        match digits.and_then(char::from_u32) {
            Some(ch) => {
                self.pos += 4;
                Ok(ch)
            }
            None => Err(self.error(
                self.line,
                "expected four hex digits of a character after \\u",
            )),
        }
    }

    /// `\a`, `\newline`, `\space`, `\tab`, `\uXXXX`…, read as a one-character string.
    fn character(&mut self) -> Result<String, InputError> {
        self.pos += 1;
        let start = self.pos;
        let Some(first) = self.src[start..]
            .utf8_chunks()
            .next()
            .and_then(|c| c.valid().chars().next())
        else {
            return Err(self.error(self.line, "expected a character after `\\`"));
        };
        self.pos += first.len_utf8();
        // Named characters are letters following the first one.
        while let Some(&c) = self.src.get(self.pos) {
            if is_delimiter(c) {
                break;
            }
            self.pos += 1;
        }
        let name = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("");
        let ch = match name {
            "newline" => '\n',
            "space" => ' ',
            "tab" => '\t',
            "return" => '\r',
            "formfeed" => '\u{c}',
            "backspace" => '\u{8}',
            _ if name.len() == first.len_utf8() => first,
            _ if name.len() == 5 && name.starts_with('u') => u32::from_str_radix(&name[1..], 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| self.error(self.line, format!("bad character \\{name}")))?,
            _ => return Err(self.error(self.line, format!("unknown character \\{name}"))),
        };
        Ok(ch.to_string())
    }

    fn number(&mut self) -> Result<Value, InputError> {
        let line = self.line;
        let token = self.token();
        parse_number(token).ok_or_else(|| self.error(line, format!("bad number {token:?}")))
    }
}

/// EDN delimiters: whitespace, commas, brackets, quotes and comments end a token.
fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b','
            | 0x0c
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'"'
            | b';'
    )
}

/// Integers (with an optional `N`), floats (with an optional `M`) and ratios. Integers beyond 64
/// bits become strings of their digits, which keeps them exact for the equality checkers use.
fn parse_number(token: &str) -> Option<Value> {
    if let Some(n) = small_integer(token) {
        return Some(Value::from(n));
    }
    if let Some(digits) = token.strip_suffix('N') {
        return parse_integer(digits);
    }
    if let Some(decimal) = token.strip_suffix('M') {
        return parse_float(decimal);
    }
    if let Some((num, den)) = token.split_once('/') {
        let (n, d) = (num.parse::<f64>().ok()?, den.parse::<f64>().ok()?);
        return Number::from_f64(n / d).map(Value::Number);
    }
    if token.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return parse_float(token);
    }
    parse_integer(token)
}

/// The common case, an optionally negative integer of at most 18 digits, without the general
/// parser's passes.
fn small_integer(token: &str) -> Option<i64> {
    let (negative, digits) = match token.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Some(if negative { -n } else { n })
}

fn parse_integer(digits: &str) -> Option<Value> {
    let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    if let Ok(i) = digits.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(u) = digits.parse::<u64>() {
        return Some(Value::from(u));
    }
    Some(Value::String(digits.to_string()))
}

fn parse_float(text: &str) -> Option<Value> {
    let first = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !first.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

/// A map key as an object key: strings and keywords by name, anything else by its JSON text
/// (`{0 100}` gives `{"0": 100}`, as Jepsen's JSON export does).
pub(crate) fn map_key(key: Value) -> String {
    match key {
        Value::String(s) => s,
        Value::Null => "nil".to_string(),
        other => other.to_string(),
    }
}

/// Reads a single EDN value from `text` (e.g. `--initial {x 0 y 0}`), requiring nothing after it.
pub fn parse_value(text: &str, name: &str) -> Result<Value, InputError> {
    let mut parser = EdnParser::new(text, name, 1);
    let value = parser.value()?;
    if !parser.at_end()? {
        return Err(parser.error(
            parser.line(),
            "expected a single value, but more text follows it",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> Value {
        parse_value(text, "t.edn").unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str) -> String {
        parse_value(text, "t.edn").unwrap_err().to_string()
    }

    #[test]
    fn scalars() {
        assert_eq!(read(":invoke"), json!("invoke"));
        assert_eq!(read(":jepsen/op"), json!("jepsen/op"));
        assert_eq!(read("nil"), Value::Null);
        assert_eq!(read("true"), json!(true));
        assert_eq!(read("false"), json!(false));
        assert_eq!(read("unlocked"), json!("unlocked"));
        assert_eq!(read("-17"), json!(-17));
        assert_eq!(read("+4"), json!(4));
        assert_eq!(read("42N"), json!(42));
        assert_eq!(read("18446744073709551615"), json!(u64::MAX));
        assert_eq!(
            read("123456789012345678901234567890N"),
            json!("123456789012345678901234567890")
        );
        assert_eq!(read("1.5"), json!(1.5));
        assert_eq!(read("-2.5e3"), json!(-2500.0));
        assert_eq!(read("1.25M"), json!(1.25));
        assert_eq!(read("1/4"), json!(0.25));
        assert_eq!(read(r#""a\"b\n\u00e9""#), json!("a\"b\né"));
        assert_eq!(read(r"\a"), json!("a"));
        assert_eq!(read(r"\newline"), json!("\n"));
        assert_eq!(read(r"\u00e9"), json!("é"));
        assert_eq!(read("##Inf"), json!("##Inf"));
    }

    #[test]
    fn collections() {
        assert_eq!(read("[1 2, 3]"), json!([1, 2, 3]));
        assert_eq!(read("(:a \"b\")"), json!(["a", "b"]));
        assert_eq!(read("#{1}"), json!([1]));
        assert_eq!(read("{:x 0, :y [1 nil]}"), json!({"x": 0, "y": [1, null]}));
        assert_eq!(read("{x 0 y 0}"), json!({"x": 0, "y": 0}));
        assert_eq!(read("{0 100, 1 0}"), json!({"0": 100, "1": 0}));
        assert_eq!(read("{nil 1 [1 2] 3}"), json!({"nil": 1, "[1,2]": 3}));
        assert_eq!(read("#jepsen.history.Op{:type :ok}"), json!({"type": "ok"}));
        assert_eq!(read("#inst \"2020-01-01\""), json!("2020-01-01"));
    }

    #[test]
    fn comments_and_discards() {
        assert_eq!(read("; hello\n[1 #_ 2 3] ; bye"), json!([1, 3]));
        assert_eq!(read("#_ {:a 1} :b"), json!("b"));
    }

    #[test]
    fn errors_say_what_and_where() {
        assert_eq!(
            err("\n\n{:a 1\n:b 2"),
            "t.edn:4: expected `}` to close the map opened at line 3"
        );
        assert_eq!(
            err("[1 2\n}"),
            "t.edn:2: expected `]` to close the vector opened at line 1, found `}`"
        );
        assert!(err("{:a}").contains("without a value"), "{}", err("{:a}"));
        assert!(err("]").contains("unexpected `]`"));
        assert!(err("\"abc").contains("close the string"));
        assert!(err("1 2").contains("single value"));
        assert!(err("12abc").contains("bad number"));
        assert!(err("").contains("end of input"));
        assert!(err("#").contains("after `#`"));
        assert!(err("#foo").contains("tagged #foo"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        for text in [
            "[".repeat(100_000),
            "#_".repeat(100_000),
            "#a ".repeat(100_000),
        ] {
            assert!(err(&text).contains("nest more than"), "{}", &text[..10]);
        }
    }
}
