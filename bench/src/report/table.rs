//! A minimal Markdown table.

/// Rows under a header, rendered as a GitHub-flavoured Markdown table.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells render empty, extra cells are dropped).
    pub fn row(&mut self, cells: Vec<String>) -> &mut Self {
        self.rows.push(cells);
        self
    }

    /// The table as Markdown, one line per row, ending with a newline.
    pub fn render(&self) -> String {
        let line = |cells: &[String]| {
            let cells: Vec<&str> = (0..self.header.len())
                .map(|i| cells.get(i).map_or("", String::as_str))
                .collect();
            format!("| {} |\n", cells.join(" | "))
        };
        let mut out = line(&self.header);
        out.push_str(&line(&vec!["---".to_owned(); self.header.len()]));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_renders_header_separator_and_padded_rows() {
        let mut table = Table::new(&["a", "b"]);
        table.row(vec!["1".to_owned(), "2".to_owned()]);
        table.row(vec!["3".to_owned()]);
        assert_eq!(
            table.render(),
            "| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 |  |\n"
        );
    }
}
