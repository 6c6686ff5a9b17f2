//! Reading a workbook or a CSV/TSV file into plain cell grids: one per worksheet, with
//! formulas as their cached values, date serials as ISO text and merged regions filled in.

use super::error::SheetError;
use calamine::{Data, Dimensions, Ods, Range, Reader, Xls, Xlsx};
use std::io::Cursor;

/// A cell's value as the importer sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// Nothing (or only blanks).
    Empty,
    /// Text, trimmed.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A fractional number.
    Float(f64),
    /// TRUE / FALSE.
    Bool(bool),
    /// A date or date-time from a serial number or ISO cell, as `YYYY-MM-DD[ HH:MM[:SS]]`.
    Date(String),
    /// A time of day (a date serial below 1), as `HH:MM[:SS]`.
    Time(String),
    /// A spreadsheet error value such as `#DIV/0!`.
    Error(String),
}

impl Val {
    /// The value as text, as a person reading the sheet would see it.
    pub fn text(&self) -> String {
        match self {
            Val::Empty => String::new(),
            Val::Text(s) | Val::Date(s) | Val::Time(s) | Val::Error(s) => s.clone(),
            Val::Int(i) => i.to_string(),
            Val::Float(f) => fmt_float(*f),
            Val::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        }
    }

    /// Whether the cell holds nothing.
    pub fn is_empty(&self) -> bool {
        matches!(self, Val::Empty)
    }
}

/// Formats a float without a spurious `.0` and without exponent noise for ordinary values.
pub fn fmt_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// One cell plus where a merged region filled it from.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The value.
    pub val: Val,
    /// `(row, col)` of the merged region's top-left cell when this value was copied from it.
    pub merged_from: Option<(usize, usize)>,
}

/// A merged region that was filled, for the findings.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeFill {
    /// Top-left cell.
    pub start: (usize, usize),
    /// Bottom-right cell.
    pub end: (usize, usize),
}

/// One worksheet as rows of cells, addressed in the sheet's own coordinates (0-based).
#[derive(Debug, Clone)]
pub struct Grid {
    /// Worksheet name (the file stem for CSV/TSV).
    pub sheet: String,
    /// Row index of `cells[0]` in the sheet.
    pub row0: usize,
    /// Column index of `cells[_][0]` in the sheet.
    pub col0: usize,
    /// Cells, row-major; every row has the same length.
    pub cells: Vec<Vec<Cell>>,
    /// Merged regions that were filled.
    pub merges: Vec<MergeFill>,
}

impl Grid {
    /// Number of rows held.
    pub fn height(&self) -> usize {
        self.cells.len()
    }

    /// Number of columns held.
    pub fn width(&self) -> usize {
        self.cells.first().map_or(0, Vec::len)
    }

    /// The cell at grid-relative `(r, c)`, if inside.
    pub fn get(&self, r: usize, c: usize) -> Option<&Cell> {
        self.cells.get(r).and_then(|row| row.get(c))
    }

    /// The text of grid-relative `(r, c)`, empty outside.
    pub fn text(&self, r: usize, c: usize) -> String {
        self.get(r, c).map(|c| c.val.text()).unwrap_or_default()
    }

    /// Whether a grid row holds nothing.
    pub fn row_is_blank(&self, r: usize) -> bool {
        self.cells
            .get(r)
            .is_none_or(|row| row.iter().all(|c| c.val.is_empty()))
    }

    /// `Sheet1!C7` for grid-relative `(r, c)`.
    pub fn addr(&self, r: usize, c: usize) -> String {
        cell_name(&self.sheet, self.row0 + r, self.col0 + c)
    }

    /// `C` for a grid-relative column.
    pub fn col_name(&self, c: usize) -> String {
        column_letters(self.col0 + c)
    }

    /// The 1-based sheet row number of a grid-relative row.
    pub fn row_number(&self, r: usize) -> usize {
        self.row0 + r + 1
    }
}

/// `A`, `B`, ..., `Z`, `AA`, ... for a 0-based column.
pub fn column_letters(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// `Sheet!C7` for a 0-based `(row, col)`; sheet names with spaces or punctuation are quoted as
/// spreadsheets quote them.
pub fn cell_name(sheet: &str, row: usize, col: usize) -> String {
    let plain = sheet.chars().all(|c| c.is_alphanumeric() || c == '_');
    let sheet = if plain {
        sheet.to_string()
    } else {
        format!("'{}'", sheet.replace('\'', "''"))
    };
    format!("{sheet}!{}{}", column_letters(col), row + 1)
}

/// Input kinds we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Office Open XML workbook.
    Xlsx,
    /// Legacy Excel workbook.
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
}

impl Kind {
    /// Name as shown in messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Xlsx => "xlsx",
            Kind::Xls => "xls",
            Kind::Ods => "ods",
            Kind::Csv => "csv",
            Kind::Tsv => "tsv",
        }
    }

    /// From a file extension (case-insensitive).
    pub fn from_extension(ext: &str) -> Option<Kind> {
        match ext.to_ascii_lowercase().as_str() {
            "xlsx" | "xlsm" => Some(Kind::Xlsx),
            "xls" => Some(Kind::Xls),
            "ods" => Some(Kind::Ods),
            "csv" => Some(Kind::Csv),
            "tsv" | "tab" => Some(Kind::Tsv),
            _ => None,
        }
    }

    /// Guesses the kind of unnamed input (standard input) from its first bytes.
    pub fn sniff(bytes: &[u8]) -> Kind {
        if bytes.starts_with(b"PK\x03\x04") {
            // Both xlsx and ods are zip files; ods names its mimetype first, uncompressed.
            let head = &bytes[..bytes.len().min(200)];
            if head
                .windows(39)
                .any(|w| w == b"application/vnd.oasis.opendocument.spr")
            {
                return Kind::Ods;
            }
            return Kind::Xlsx;
        }
        if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            return Kind::Xls;
        }
        let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
        let tabs = first_line.iter().filter(|b| **b == b'\t').count();
        let commas = first_line.iter().filter(|b| **b == b',').count();
        if tabs > commas { Kind::Tsv } else { Kind::Csv }
    }
}

/// Reads every worksheet of `bytes` (in workbook order). `file` labels errors.
pub fn read(file: &str, kind: Kind, bytes: &[u8]) -> Result<Vec<Grid>, SheetError> {
    match kind {
        Kind::Csv | Kind::Tsv => Ok(vec![read_delimited(file, kind, bytes)?]),
        Kind::Xlsx => read_workbook::<Xlsx<_>, _>(file, kind, bytes, |wb, name| {
            wb.merge_cells_by_sheet_name(name)
                .map_err(|e| e.to_string())
        }),
        Kind::Xls => read_workbook::<Xls<_>, _>(file, kind, bytes, |wb, name| {
            wb.merge_cells_by_sheet_name(name)
                .map_err(|e| e.to_string())
        }),
        // calamine does not expose ODS merged regions; covered cells read as empty.
        Kind::Ods => read_workbook::<Ods<_>, _>(file, kind, bytes, |_, _| Ok(Vec::new())),
    }
}

/// Reads every worksheet of a workbook in any format calamine reads; `merges` gives a
/// worksheet's merged regions (the one call calamine's `Reader` trait does not have).
fn read_workbook<'b, W, M>(
    file: &str,
    kind: Kind,
    bytes: &'b [u8],
    merges: M,
) -> Result<Vec<Grid>, SheetError>
where
    W: Reader<Cursor<&'b [u8]>>,
    W::Error: std::fmt::Display,
    M: Fn(&mut W, &str) -> Result<Vec<Dimensions>, String>,
{
    let mut wb: W = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| unreadable(file, kind, e))?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| unreadable(file, kind, format!("worksheet `{name}`: {e}")))?;
        let merged = merges(&mut wb, &name)
            .map_err(|e| unreadable(file, kind, format!("worksheet `{name}`: {e}")))?;
        out.push(to_grid(&name, &range, &merged));
    }
    Ok(out)
}

fn unreadable(file: &str, kind: Kind, e: impl std::fmt::Display) -> SheetError {
    SheetError::Unreadable {
        file: file.to_string(),
        kind: kind.name(),
        message: e.to_string(),
    }
}

/// Converts one calamine cell.
pub fn convert(d: &Data) -> Val {
    match d {
        Data::Empty => Val::Empty,
        Data::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                Val::Empty
            } else {
                Val::Text(t.to_string())
            }
        }
        Data::Int(i) => Val::Int(*i),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Val::Int(*f as i64)
            } else {
                Val::Float(*f)
            }
        }
        Data::Bool(b) => Val::Bool(*b),
        Data::DateTime(dt) => {
            let v = dt.as_f64();
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            let time = if s == 0 {
                format!("{h:02}:{mi:02}")
            } else {
                format!("{h:02}:{mi:02}:{s:02}")
            };
            if dt.is_duration() || (0.0..1.0).contains(&v) {
                Val::Time(time)
            } else if v.fract() == 0.0 {
                Val::Date(format!("{y:04}-{mo:02}-{d:02}"))
            } else {
                Val::Date(format!("{y:04}-{mo:02}-{d:02} {time}"))
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => Val::Date(s.clone()),
        Data::Error(e) => Val::Error(format!("{e}")),
    }
}

fn to_grid(name: &str, range: &Range<Data>, merges: &[Dimensions]) -> Grid {
    let (row0, col0) = range
        .start()
        .map(|(r, c)| (r as usize, c as usize))
        .unwrap_or((0, 0));
    let mut cells: Vec<Vec<Cell>> = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|d| Cell {
                    val: convert(d),
                    merged_from: None,
                })
                .collect()
        })
        .collect();
    let mut fills = Vec::new();
    let mut sorted: Vec<&Dimensions> = merges.iter().collect();
    sorted.sort_by_key(|d| (d.start, d.end));
    for m in sorted {
        let (sr, sc) = (m.start.0 as usize, m.start.1 as usize);
        let (er, ec) = (m.end.0 as usize, m.end.1 as usize);
        // Regions outside the used range hold nothing to copy.
        if sr < row0 || sc < col0 || er < sr || ec < sc {
            continue;
        }
        let Some(val) = cells
            .get(sr - row0)
            .and_then(|r| r.get(sc - col0))
            .map(|c| c.val.clone())
        else {
            continue;
        };
        if val.is_empty() {
            continue;
        }
        for r in sr..=er {
            for c in sc..=ec {
                if (r, c) == (sr, sc) {
                    continue;
                }
                if let Some(cell) = cells
                    .get_mut(r - row0)
                    .and_then(|row| row.get_mut(c - col0))
                    && cell.val.is_empty()
                {
                    {
                        *cell = Cell {
                            val: val.clone(),
                            merged_from: Some((sr - row0, sc - col0)),
                        };
                    }
                }
            }
        }
        fills.push(MergeFill {
            start: (sr - row0, sc - col0),
            end: (er - row0, ec - col0),
        });
    }
    Grid {
        sheet: name.to_string(),
        row0,
        col0,
        cells,
        merges: fills,
    }
}

fn read_delimited(file: &str, kind: Kind, bytes: &[u8]) -> Result<Grid, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(pos) = bytes.iter().position(|b| *b == 0) {
        let (line, column) = line_col(bytes, pos);
        return Err(SheetError::Binary {
            file: file.to_string(),
            line,
            column,
        });
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let (line, column) = line_col(bytes, e.valid_up_to());
        return Err(SheetError::NotUtf8 {
            file: file.to_string(),
            line,
            column,
        });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(if kind == Kind::Tsv { b'\t' } else { b',' })
        .from_reader(bytes);
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let (line, column) = match e.position() {
                Some(p) => (p.line() as usize, 1),
                None => (0, 0),
            };
            SheetError::Csv {
                file: file.to_string(),
                line,
                column,
                message: e.to_string(),
            }
        })?;
        rows.push(
            rec.iter()
                .map(|f| Cell {
                    val: csv_value(f),
                    merged_from: None,
                })
                .collect(),
        );
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    for r in &mut rows {
        r.resize(
            width,
            Cell {
                val: Val::Empty,
                merged_from: None,
            },
        );
    }
    let sheet = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty() && *s != "-")
        .unwrap_or("stdin")
        .to_string();
    Ok(Grid {
        sheet,
        row0: 0,
        col0: 0,
        cells: rows,
        merges: Vec::new(),
    })
}

/// A CSV field: numbers stay numbers (as a spreadsheet would show them), the rest is text.
fn csv_value(f: &str) -> Val {
    let t = f.trim();
    if t.is_empty() {
        return Val::Empty;
    }
    // Leading zeros and signs are kept as text: they are codes, not quantities.
    if let Ok(i) = t.parse::<i64>()
        && (!t.starts_with('0') || t.len() == 1)
        && !t.starts_with('+')
    {
        return Val::Int(i);
    }
    Val::Text(t.to_string())
}

/// 1-based line and column (in characters) of byte offset `pos`.
pub fn line_col(bytes: &[u8], pos: usize) -> (usize, usize) {
    let pos = pos.min(bytes.len());
    let before = &bytes[..pos];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_spreadsheet_naming() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(cell_name("Sheet1", 6, 2), "Sheet1!C7");
        assert_eq!(cell_name("On call", 0, 0), "'On call'!A1");
    }

    #[test]
    fn csv_reads_ragged_rows_and_locates_bad_bytes() {
        let g = read("x.csv", Kind::Csv, b"a,b,c\n1,2\n").unwrap();
        assert_eq!(g[0].width(), 3);
        assert_eq!(g[0].text(1, 0), "1");
        assert!(g[0].get(1, 2).unwrap().val.is_empty());
        match read("x.csv", Kind::Csv, b"a,b\nok,\xff\xfe") {
            Err(SheetError::NotUtf8 { line, column, .. }) => assert_eq!((line, column), (2, 4)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read("x.csv", Kind::Csv, b"a\0b"),
            Err(SheetError::Binary { .. })
        ));
    }

    #[test]
    fn sniffing() {
        assert_eq!(Kind::sniff(b"a\tb\tc\n"), Kind::Tsv);
        assert_eq!(Kind::sniff(b"a,b\n"), Kind::Csv);
        assert_eq!(Kind::sniff(b"PK\x03\x04rest"), Kind::Xlsx);
    }
}
