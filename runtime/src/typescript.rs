//! TypeScript policies: types are stripped by a real TypeScript parser (oxc), and the
//! JavaScript that remains runs in the [`crate::sandbox`] like any `.js` policy.
//!
//! The pipeline is oxc's own: parse as TypeScript → semantic analysis (scoping, which
//! the transformer needs to drop type-only imports and to lower `enum`/`namespace`) →
//! the TypeScript transform (no down-levelling: QuickJS runs modern JavaScript) →
//! code generation. Any parse or semantic error refuses the policy at load time with
//! its file, line and column; nothing is guessed.

use oxc_allocator::Allocator;
use oxc_codegen::Codegen;
use oxc_parser::Parser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;
use oxc_transformer::{TransformOptions, Transformer};
use std::path::Path;

/// A TypeScript file that cannot be turned into JavaScript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {file}:{line}:{column}: {message}", code = crate::codes::TYPESCRIPT.id)]
pub struct TsError {
    /// The file.
    pub file: String,
    /// 1-based line of the first error.
    pub line: usize,
    /// 1-based column (in characters) of the first error.
    pub column: usize,
    /// What the parser said (every error, `; `-separated).
    pub message: String,
}

/// 1-based (line, column) of a byte offset.
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// The facts kept from an oxc diagnostic (so no miette types leak out).
struct Diag {
    message: String,
    offset: Option<usize>,
}

fn refuse(path: &Path, source: &str, errors: &[Diag]) -> TsError {
    let offset = errors.iter().find_map(|d| d.offset).unwrap_or(0);
    let (line, column) = line_col(source, offset);
    TsError {
        file: path.display().to_string(),
        line,
        column,
        message: errors
            .iter()
            .map(|d| d.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    }
}

macro_rules! diags {
    ($list:expr) => {
        $list
            .iter()
            .map(|d| Diag {
                message: d.message.to_string(),
                offset: d.labels.first().map(|l| l.offset() as usize),
            })
            .collect::<Vec<_>>()
    };
}

/// Strips the types of a TypeScript module (`path` labels errors and picks `.ts`/`.mts`/
/// `.cts`), returning plain JavaScript with the same `export`s.
pub fn strip_types(path: &Path, source: &str) -> Result<String, TsError> {
    // A bug in the parser must not take the runtime down while it loads a system.
    std::panic::catch_unwind(|| strip(path, source)).unwrap_or_else(|_| {
        Err(TsError {
            file: path.display().to_string(),
            line: 1,
            column: 1,
            message: "the TypeScript transformer failed on this file (internal error)".into(),
        })
    })
}

fn strip(path: &Path, source: &str) -> Result<String, TsError> {
    let allocator = Allocator::default();
    // Policies are modules (`export default function decide`); `.tsx` is not a policy.
    let source_type = SourceType::ts().with_module(true);
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        let mut errors = diags!(parsed.diagnostics.errors().collect::<Vec<_>>());
        if errors.is_empty() {
            errors.push(Diag {
                message: "the TypeScript parser gave up on this file".into(),
                offset: None,
            });
        }
        return Err(refuse(path, source, &errors));
    }
    let mut program = parsed.program;
    let semantic = SemanticBuilder::new()
        .with_excess_capacity(2.0)
        // The enum transform needs the member values the semantic pass computes.
        .with_enum_eval(true)
        .with_check_syntax_error(true)
        .build(&program);
    if semantic.diagnostics.has_errors() {
        return Err(refuse(
            path,
            source,
            &diags!(semantic.diagnostics.errors().collect::<Vec<_>>()),
        ));
    }
    let scoping = semantic.semantic.into_scoping();
    let options = TransformOptions::default();
    let transformed =
        Transformer::new(&allocator, path, &options).build_with_scoping(scoping, &mut program);
    if transformed.diagnostics.has_errors() {
        return Err(refuse(
            path,
            source,
            &diags!(transformed.diagnostics.errors().collect::<Vec<_>>()),
        ));
    }
    Ok(Codegen::new().build(&program).code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::{self, Limits};
    use serde_json::json;

    #[test]
    fn types_interfaces_enums_and_generics_are_stripped() {
        let src = r#"
import type { Thing } from "./types";
interface Rate { carrier: string; price: number }
type Pick2<T> = { value: T };
enum Tier { Low = 1, High = 10 }
function best<T extends Rate>(xs: T[]): T | undefined {
  return [...xs].sort((a: T, b: T) => a.price - b.price)[0];
}
export default function decide(input: { rates: Rate[] }): Pick2<string> | null {
  const r = best<Rate>(input.rates as Rate[]);
  const tier: Tier = r!.price > 5 ? Tier.High : Tier.Low;
  return r ? { value: r.carrier + ":" + tier } : null;
}
"#;
        let js = strip_types(Path::new("p.ts"), src).unwrap();
        assert!(!js.contains("interface"), "{js}");
        assert!(!js.contains(": Rate"), "{js}");
        assert!(!js.contains("import type"), "{js}");
        let out = sandbox::run(
            &js,
            &json!({"rates": [{"carrier": "a", "price": 9}, {"carrier": "b", "price": 3}]}),
            Limits::default(),
        )
        .unwrap();
        assert_eq!(out, json!({"value": "b:1"}));
    }

    #[test]
    fn syntax_errors_name_file_line_and_column() {
        let e = strip_types(
            Path::new("bad.policy.ts"),
            "export default function decide(input: number) {\n  return input +;\n}\n",
        )
        .unwrap_err();
        assert_eq!(e.file, "bad.policy.ts");
        assert_eq!(e.line, 2, "{e}");
        assert!(e.column > 1, "{e}");
        assert!(
            e.to_string()
                .starts_with("claw::runtime::typescript: bad.policy.ts:2:"),
            "{e}"
        );
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé\nf", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé\nf", 3), (2, 1));
        assert_eq!(line_col("ab\ncdé\nf", 8), (3, 1));
        assert_eq!(line_col("x", 99), (1, 2));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,200}") {
            let _ = strip_types(Path::new("p.ts"), &s);
        }

        #[test]
        fn ts_like_input_never_panics(s in "(let|const|type|interface|enum|export|default|function|[a-z]|:|<|>|\\{|\\}|\\(|\\)|;|=|,| |\n|number|string|\\?|\\.){0,60}") {
            let _ = strip_types(Path::new("p.ts"), &s);
        }
    }
}
