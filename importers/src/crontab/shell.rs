//! What cron does to a command before `sh -c` sees it (`%` → stdin, `\%`, Debian's `\\`), and
//! the light-weight shell reading the importer needs: top-level list splitting, guard peeling
//! and the questions the importer asks of a command (output discarded, lock taken, program).
//! Finding credentials in a command is `credentials.rs`.
//!
//! This is not a shell parser. It tracks quotes, `\` escapes, `$( … )`, `( … )`, `{ … }` and
//! back-quotes well enough to find the top-level `&&`, `||`, `;` and `&` operators; anything it
//! cannot read with confidence is left alone (no guard is peeled), which keeps the imported
//! command identical to what cron ran.

use std::ops::Range;

/// A command split the way cron splits it at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronCommand {
    /// The part given to `sh -c`.
    pub command: String,
    /// What cron writes to the command's stdin (`%` → newline, final newline added), if any.
    pub stdin: Option<String>,
    /// Whether a `\\` was turned into `\` (Debian only; cronie keeps both).
    pub collapsed_backslash: bool,
    /// The first `%` cut a shell construct in two: its character offset in the raw command and
    /// the construct (`$(…)`, `$((…))`, `` `…` ``, `'…'`, `"…"`), so cron ran a broken command.
    pub split_inside: Option<(usize, &'static str)>,
}

/// Applies cron's `%` rules: the first unescaped `%` ends the command; the rest is stdin with
/// each unescaped `%` turned into a newline and a final newline added; `\%` is a literal `%`
/// in both parts. In the command part Debian also turns `\\` into `\`.
pub fn split_percent(raw: &str) -> CronCommand {
    let mut command = String::new();
    let mut stdin: Option<String> = None;
    let mut collapsed = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let in_command = stdin.is_none();
        let target = stdin.as_mut().unwrap_or(&mut command);
        if c == '\\' {
            match chars.peek() {
                Some('%') => {
                    target.push('%');
                    chars.next();
                }
                Some('\\') if in_command => {
                    target.push('\\');
                    collapsed = true;
                    chars.next();
                }
                _ => target.push('\\'),
            }
        } else if c == '%' {
            match stdin.as_mut() {
                None => stdin = Some(String::new()),
                Some(s) => s.push('\n'),
            }
        } else {
            target.push(c);
        }
    }
    if let Some(s) = stdin.as_mut() {
        s.push('\n');
    }
    CronCommand {
        split_inside: stdin.as_ref().and_then(|_| split_context(raw)),
        command,
        stdin,
        collapsed_backslash: collapsed,
    }
}

/// Where the first unescaped `%` of a raw cron command falls inside a shell construct that it
/// cuts in two: its character offset in `raw` and the construct (`$(…)`, `$((…))`, backticks,
/// quotes). `None` when it is at the top level (the cut is what the author meant) or absent.
fn split_context(raw: &str) -> Option<(usize, &'static str)> {
    let mut stack: Vec<&'static str> = Vec::new();
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let top = stack.last().copied();
        match c {
            '\\' if top != Some("'…'") => {
                if chars.get(i + 1) == Some(&'%') {
                    i += 2;
                    continue;
                }
                // A backslash escapes the next character for the shell too.
                i += 2;
                continue;
            }
            '%' => return top.map(|t| (i, t)),
            '\'' if top == Some("'…'") => {
                stack.pop();
            }
            '\'' if top != Some("\"…\"") => stack.push("'…'"),
            '"' if top == Some("\"…\"") => {
                stack.pop();
            }
            '"' if top != Some("'…'") => stack.push("\"…\""),
            '`' if top == Some("`…`") => {
                stack.pop();
            }
            '`' if top != Some("'…'") => stack.push("`…`"),
            '$' if top != Some("'…'") && chars.get(i + 1) == Some(&'(') => {
                if chars.get(i + 2) == Some(&'(') {
                    stack.push("$((…))");
                    i += 3;
                } else {
                    stack.push("$(…)");
                    i += 2;
                }
                continue;
            }
            '(' if matches!(top, Some("$(…)") | Some("$((…))") | Some("(…)")) => {
                stack.push("(…)")
            }
            ')' if matches!(top, Some("$(…)") | Some("(…)")) => {
                stack.pop();
            }
            ')' if top == Some("$((…))") && chars.get(i + 1) == Some(&')') => {
                stack.pop();
                i += 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// An operator joining the commands of a shell list at the top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOperator {
    /// `&&`
    And,
    /// `||`
    Or,
    /// `;` or a newline
    Seq,
    /// `&` (background)
    Background,
}

/// One top-level piece of a command list and the operator after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Byte range in the command.
    pub range: Range<usize>,
    /// Operator that follows, `None` for the last piece.
    pub op: Option<ListOperator>,
}

/// Splits a command at its top-level `&&`, `||`, `;`, `&` and newlines. `None` when the text
/// has unbalanced quotes or brackets (the importer then leaves the command whole).
pub fn top_level(cmd: &str) -> Option<Vec<Piece>> {
    let b = cmd.as_bytes();
    let mut out = Vec::new();
    let mut depth: i32 = 0;
    let mut start = 0;
    let mut i = 0;
    let mut quote: Option<u8> = None;
    let mut word_start = true;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if q == b'\'' {
                if c == b'\'' {
                    quote = None;
                }
            } else if c == b'\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            b'\\' => {
                i += 2;
                word_start = false;
                continue;
            }
            b'\'' | b'"' | b'`' => quote = Some(c),
            b'#' if word_start && depth == 0 => {
                // A comment runs to the end of the line; keep it in the current piece.
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'{' => depth += 1,
            b')' | b'}' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            b'$' if b.get(i + 1) == Some(&b'(') => {
                depth += 1;
                i += 2;
                continue;
            }
            c if word_start && c.is_ascii_alphabetic() => {
                // Compound commands nest like brackets, so `if …; fi` is one top-level piece.
                let word_end = cmd[i..]
                    .find(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | ')' | '}'))
                    .map_or(cmd.len(), |e| i + e);
                depth += compound_nesting(&cmd[i..word_end]);
                if depth < 0 {
                    return None;
                }
                word_start = false;
                i = word_end.max(i + 1);
                continue;
            }
            _ => {}
        }
        if depth == 0 && quote.is_none() {
            if c == b';' && b.get(i + 1) == Some(&b';') {
                return None; // `case` arms: leave whole
            }
            if let Some((op, len)) = list_operator_at(b, i) {
                out.push(Piece {
                    range: start..i,
                    op: Some(op),
                });
                i += len;
                start = i;
                word_start = true;
                continue;
            }
        }
        word_start = matches!(c, b' ' | b'\t' | b'(' | b'{' | b'|');
        i += 1;
    }
    if quote.is_some() || depth != 0 {
        return None;
    }
    out.push(Piece {
        range: start..cmd.len(),
        op: None,
    });
    Some(out)
}

/// How a word changes the nesting of compound commands: `if`, `case`, `for`, `while` and
/// `until` open one (+1), `fi`, `esac` and `done` close one (-1); other words 0.
fn compound_nesting(word: &str) -> i32 {
    match word {
        "if" | "case" | "for" | "while" | "until" => 1,
        "fi" | "esac" | "done" => -1,
        _ => 0,
    }
}

/// The list operator starting at byte `i` (outside quotes and brackets) and its length:
/// `&&`, `||`, `;` or a newline, `&` (not in a redirection such as `&>` or `2>&1`).
fn list_operator_at(b: &[u8], i: usize) -> Option<(ListOperator, usize)> {
    match (b[i], b.get(i + 1).copied()) {
        (b'&', Some(b'&')) => Some((ListOperator::And, 2)),
        (b'|', Some(b'|')) => Some((ListOperator::Or, 2)),
        (b';', _) | (b'\n', _) => Some((ListOperator::Seq, 1)),
        // `&>`, `>&`, `2>&1` are redirections, not background jobs.
        (b'&', Some(b'>')) => None,
        (b'&', _) if i > 0 && b[i - 1] == b'>' => None,
        (b'&', _) => Some((ListOperator::Background, 1)),
        _ => None,
    }
}

/// A test that gates a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    /// The test as written (`test -x /usr/sbin/foo`, `[ -f /etc/x ]`, `[ -x a ] && [ -d b ]`).
    pub test: String,
    /// `true` when the job runs if the test succeeds (`&&`, `if`), `false` for `||`.
    pub runs_when: bool,
    /// How it was written: `&&`, `||` or `if`.
    pub form: &'static str,
}

impl Guard {
    /// Whether this guard makes the job a fallback for a systemd timer
    /// (`[ -d /run/systemd/system ]` family, run only when systemd is absent).
    pub fn is_systemd_fallback(&self) -> bool {
        let Some(at) = self.test.find("/run/systemd/system") else {
            return false;
        };
        // The test is true when systemd is absent if it is negated (`! -d`, `\! -d`, `[ ! …`).
        let before = &self.test[..at];
        let negated = before
            .rsplit(['[', '&', '|'])
            .next()
            .unwrap_or(before)
            .contains('!');
        negated == self.runs_when
    }
}

/// Whether a piece of shell is a side-effect-free test that packages use as a guard.
pub fn is_test(piece: &str) -> bool {
    let p = piece.trim();
    let p = p.strip_prefix("! ").map(str::trim_start).unwrap_or(p);
    if p.is_empty() {
        return false;
    }
    let first = p.split_whitespace().next().unwrap_or("");
    match first {
        "test" | "/usr/bin/test" | "/bin/test" => true,
        "[" => p.ends_with(']') && !p.ends_with("]]"),
        "[[" => p.ends_with("]]"),
        // `command -v x >/dev/null`, `which x >/dev/null`, `type x >/dev/null`: lookups only.
        "command" => p.split_whitespace().nth(1) == Some("-v") && only_redirections_after(p, 3),
        "which" | "type" => only_redirections_after(p, 2),
        _ => false,
    }
}

fn only_redirections_after(p: &str, words: usize) -> bool {
    p.split_whitespace().skip(words).all(|w| {
        w.starts_with('>')
            || w.starts_with("2>")
            || w.starts_with("&>")
            || w.starts_with("1>")
            || w == "/dev/null"
    })
}

/// Peels the guards off the front of a command, as long as doing so keeps the shell's meaning:
/// `A && REST` only when REST joins its parts with `&&` alone; `A || REST` only when REST is one
/// piece; `if C; then BODY; fi` only when nothing follows `fi` and there is no `elif`/`else`.
/// Returns the guards in order and the remaining body (trimmed).
pub fn peel_guards(cmd: &str) -> (Vec<Guard>, String) {
    let mut guards = Vec::new();
    let mut body = cmd.trim().to_string();
    // Each round removes at least one guard, so this ends.
    loop {
        if let Some((g, rest)) = peel_if(&body) {
            guards.extend(g);
            body = rest;
            continue;
        }
        let Some(pieces) = top_level(&body) else {
            break;
        };
        if pieces.len() < 2 {
            break;
        }
        let first = &body[pieces[0].range.clone()];
        if !is_test(first) {
            break;
        }
        let rest_ops: Vec<ListOperator> = pieces[1..].iter().filter_map(|p| p.op).collect();
        let (ok, runs_when, form) = match pieces[0].op {
            Some(ListOperator::And) => {
                (rest_ops.iter().all(|o| *o == ListOperator::And), true, "&&")
            }
            Some(ListOperator::Or) => (rest_ops.is_empty(), false, "||"),
            _ => (false, true, ""),
        };
        if !ok {
            break;
        }
        guards.push(Guard {
            test: first.trim().to_string(),
            runs_when,
            form,
        });
        body = body[pieces[1].range.start..].trim().to_string();
    }
    (guards, body)
}

fn peel_if(cmd: &str) -> Option<(Vec<Guard>, String)> {
    // The whole command must be one `if … fi`.
    let whole = top_level(cmd)?;
    if whole.len() != 1 {
        return None;
    }
    let rest = cmd.strip_prefix("if ")?.trim_end();
    let rest = rest.strip_suffix("fi")?.trim_end();
    if !rest.ends_with(';') && !rest.ends_with('\n') {
        return None;
    }
    let pieces = top_level(rest)?;
    // if COND ; then BODY ; fi  → the COND pieces end at the first piece starting with `then`.
    let then_idx = pieces
        .iter()
        .position(|p| rest[p.range.clone()].trim_start().starts_with("then "))?;
    if then_idx == 0 || pieces[then_idx - 1].op != Some(ListOperator::Seq) {
        return None;
    }
    let cond_pieces = &pieces[..then_idx];
    // The condition may itself be a list of tests joined by && / ||.
    if !cond_pieces.iter().all(|p| is_test(&rest[p.range.clone()])) {
        return None;
    }
    if cond_pieces[..then_idx - 1]
        .iter()
        .any(|p| !matches!(p.op, Some(ListOperator::And) | Some(ListOperator::Or)))
    {
        return None;
    }
    // `…; fi` was cut off, so the last piece is the empty text after the final `;`.
    let fi_idx = pieces.len() - 1;
    if !rest[pieces[fi_idx].range.clone()].trim().is_empty() || fi_idx <= then_idx {
        return None;
    }
    if pieces[then_idx..fi_idx].iter().any(|p| {
        let t = rest[p.range.clone()].trim_start();
        t.starts_with("elif ")
            || t == "else"
            || t.starts_with("else ")
            || t == "fi"
            || t.starts_with("if ")
    }) {
        return None;
    }
    let cond_end = cond_pieces[then_idx - 1].range.end;
    let test = rest[..cond_end].trim().to_string();
    let body_start =
        pieces[then_idx].range.start + rest[pieces[then_idx].range.clone()].find("then ")? + 5;
    let body_end = pieces[fi_idx - 1].range.end;
    if body_start > body_end {
        return None;
    }
    let body = rest[body_start..body_end].trim().to_string();
    if body.is_empty() {
        return None;
    }
    Some((
        vec![Guard {
            test,
            runs_when: true,
            form: "if",
        }],
        body,
    ))
}

/// The shell command of a guard check: prints `claw-guard:pass` when the job would run,
/// `claw-guard:fail` when cron's shell would have skipped it, and always exits 0 so a false
/// guard is an ordinary outcome rather than a failed run.
pub fn guard_check_command(guards: &[Guard]) -> String {
    let cond = guards
        .iter()
        .map(|g| {
            if g.runs_when {
                format!("{{ {}; }}", g.test)
            } else {
                format!("! {{ {}; }}", g.test)
            }
        })
        .collect::<Vec<_>>()
        .join(" && ");
    format!("if {cond}; then echo claw-guard:pass; else echo claw-guard:fail; fi")
}

/// Whether both stdout and stderr are thrown away (`>/dev/null 2>&1`, `&>/dev/null`, …).
pub fn discards_output(cmd: &str) -> bool {
    let c: String = cmd.split_whitespace().collect::<Vec<_>>().join(" ");
    let c = c
        .replace("> /dev/null", ">/dev/null")
        .replace("2> /dev/null", "2>/dev/null");
    if c.contains("&>/dev/null") || c.contains(">&/dev/null") {
        return true;
    }
    let out = c.contains(" >/dev/null") || c.contains("1>/dev/null") || c.starts_with(">/dev/null");
    let err = c.contains("2>&1") || c.contains("2>/dev/null");
    out && err
}

/// Whether the command takes a lock or otherwise prevents overlapping runs.
pub fn has_lock(cmd: &str) -> bool {
    const TOOLS: &[&str] = &[
        "flock",
        "run-one",
        "chronic",
        "lockfile",
        "lckdo",
        "lockrun",
        "setlock",
        "solo",
        "start-stop-daemon",
    ];
    cmd.split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | '{'))
        .map(|w| w.rsplit('/').next().unwrap_or(w))
        .any(|w| TOOLS.contains(&w))
        || cmd.contains(".lock")
        || cmd.contains(".pid")
        || cmd.contains("--pidfile")
}

/// Escapes `{{` so the runtime's templates leave the text as it is.
pub fn escape_template(s: &str) -> String {
    s.replace("{{", "\\{{")
}

/// The program a command runs, for naming: the first word that is not an assignment, `cd`,
/// `nice`, `ionice`, `exec`, `sudo`, … reduced to its base name.
pub fn program_name(cmd: &str) -> Option<String> {
    const WRAPPERS: &[&str] = &[
        "exec", "nice", "ionice", "sudo", "env", "nohup", "time", "timeout", "chronic", "run-one",
        "flock", "setsid", "su", "-c", "then", "do", "{", "(", "!",
    ];
    let mut skip_next = false;
    for w in cmd
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '{' | '}'))
    {
        if w.is_empty() {
            continue;
        }
        if skip_next {
            skip_next = false;
            continue;
        }
        if w == "cd" || w == "-n" {
            skip_next = true;
            continue;
        }
        if WRAPPERS.contains(&w)
            || w.starts_with('-')
            || w.contains('=')
            || w.chars().all(|c| c.is_ascii_digit())
            || w.starts_with('>')
            || w.starts_with('<')
        {
            continue;
        }
        let base = w.rsplit('/').next().unwrap_or(w);
        let base: String = base
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
            .collect();
        if !base.is_empty() {
            return Some(base);
        }
    }
    None
}

#[cfg(test)]
mod tests;
