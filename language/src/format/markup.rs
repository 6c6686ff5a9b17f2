//! `text.markdownToHtml` and `text.htmlToMarkdown`: Formatter by Zapier's "Convert Markdown to
//! HTML" (`string.markdown`) and "Convert HTML to Markdown" (`string.htmlmarkdown`).
//!
//! Markdown is read as CommonMark with tables and strikethrough (pulldown-cmark); HTML is read
//! by an HTML5 parser and written as ATX-headed Markdown (htmd). Zapier uses Python's
//! `markdown` and `html2text`, so spacing and list markers can differ (docs/importers/zapier.md).

use super::{FormatError, Out, each};
use pulldown_cmark::{Options, Parser, html};
use serde_json::Value;

/// Markdown text → HTML (each item of a list on its own).
pub(super) fn markdown_to_html(args: &[Value]) -> Out {
    each(&args[0], &|s| {
        let mut opts = Options::empty();
        opts.insert(Options::ENABLE_TABLES);
        opts.insert(Options::ENABLE_STRIKETHROUGH);
        let mut out = String::with_capacity(s.len() + s.len() / 2);
        html::push_html(&mut out, Parser::new_ext(s, opts));
        // The trailing newline after the last block is the renderer's, not the text's.
        Ok(Value::String(out.trim_end_matches('\n').to_string()))
    })
}

/// HTML → Markdown: headings as `#`, emphasis as `*`/`**`, list items as `* `, links inline,
/// `script`, `style` and `head` dropped.
pub(super) fn html_to_markdown(args: &[Value]) -> Out {
    each(&args[0], &|s| {
        // One space after a list marker, as html2text writes it (htmd's default is three).
        let options = htmd::options::Options {
            ul_bullet_spacing: 1,
            ol_number_spacing: 1,
            ..Default::default()
        };
        let converter = htmd::HtmlToMarkdown::builder()
            .options(options)
            .skip_tags(vec!["script", "style", "head"])
            .build();
        converter
            .convert(s)
            .map(|m| Value::String(m.trim().to_string()))
            .map_err(|e| FormatError::new(format!("the HTML could not be read: {e}")))
    })
}

#[cfg(test)]
mod tests {
    //! Zapier's "Convert Markdown to HTML" and "Convert HTML to Markdown" (Text transforms,
    //! Zapier help center, "Text"; github.com/zapier/
    //! transformer `transformer/transforms/string/markdown.py` and `htmlmarkdown.py`).
    use crate::format::testing::eval;
    use serde_json::json;

    /// string.markdown: "Convert Markdown into HTML".
    #[test]
    fn markdown_to_html() {
        assert_eq!(
            eval("text.markdownToHtml('# Hi\\n\\nSome **bold** and [a link](https://x.test).')"),
            json!(
                "<h1>Hi</h1>\n<p>Some <strong>bold</strong> and <a href=\"https://x.test\">a link</a>.</p>"
            )
        );
        assert_eq!(
            eval("text.markdownToHtml('* a\\n* b')"),
            json!("<ul>\n<li>a</li>\n<li>b</li>\n</ul>")
        );
        assert_eq!(eval("text.markdownToHtml('')"), json!(""));
        assert_eq!(
            eval("text.markdownToHtml(['*x*'])"),
            json!(["<p><em>x</em></p>"])
        );
    }

    /// string.htmlmarkdown: "Convert HTML into Markdown".
    #[test]
    fn html_to_markdown() {
        assert_eq!(
            eval(
                "text.htmlToMarkdown('<h1>Hi</h1><p>Some <strong>bold</strong> and <a href=\"https://x.test\">a link</a>.</p>')"
            ),
            json!("# Hi\n\nSome **bold** and [a link](https://x.test).")
        );
        assert_eq!(
            eval("text.htmlToMarkdown('<p>a</p><script>alert(1)</script>')"),
            json!("a")
        );
        assert_eq!(
            eval("text.htmlToMarkdown('<ul><li><em>one</em></li><li>two</li></ul>')"),
            json!("* *one*\n* two")
        );
        assert_eq!(eval("text.htmlToMarkdown('')"), json!(""));
    }
}
