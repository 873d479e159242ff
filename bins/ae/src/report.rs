//! Formatting results for the terminal.

/// `0.91` -> `91.00%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.2}%", 100.0 * fraction)
}

/// Per-class accuracy as lines of five `class: accuracy` cells; `names` labels the classes
/// (digits when absent).
pub fn per_class_lines(per_class: &[Option<f64>], names: Option<&[String]>) -> Vec<String> {
    let label = |i: usize| {
        names
            .and_then(|n| n.get(i).cloned())
            .unwrap_or_else(|| i.to_string())
    };
    let width = (0..per_class.len())
        .map(|i| label(i).chars().count())
        .max()
        .unwrap_or(1);
    let cells: Vec<String> = per_class
        .iter()
        .enumerate()
        .map(|(i, acc)| {
            let value = acc.map_or_else(|| "   -  ".to_string(), |a| format!("{:5.1}%", 100.0 * a));
            format!("{:>width$} {value}", label(i))
        })
        .collect();
    cells.chunks(5).map(|c| c.join("  ")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_class_cells_are_labelled_and_grouped_by_five() {
        let per_class: Vec<Option<f64>> = (0..10)
            .map(|i| if i == 3 { None } else { Some(0.5) })
            .collect();
        let lines = per_class_lines(&per_class, None);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("0  50.0%  1  50.0%"), "{:?}", lines[0]);
        assert!(lines[0].contains("3    -  "), "{:?}", lines[0]);
        assert_eq!(percent(0.9125), "91.25%");
    }
}
