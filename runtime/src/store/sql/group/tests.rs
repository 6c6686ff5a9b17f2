//! Unit tests of the group commit's statement chunking and placeholder text.

use super::{MAX_ROWS_PER_STATEMENT, Params, chunk_sizes, placeholders};

#[test]
fn chunks_are_powers_of_two() {
    assert_eq!(chunk_sizes(0), Vec::<usize>::new());
    assert_eq!(chunk_sizes(7), vec![4, 2, 1]);
    let big = chunk_sizes(3 * MAX_ROWS_PER_STATEMENT + 5);
    assert_eq!(big.iter().sum::<usize>(), 3 * MAX_ROWS_PER_STATEMENT + 5);
    assert!(
        big.iter()
            .all(|n| n.is_power_of_two() && *n <= MAX_ROWS_PER_STATEMENT)
    );
    assert_eq!(placeholders(2, 2, Params::Numbered), "($1, $2), ($3, $4)");
    assert_eq!(placeholders(2, 2, Params::Anonymous), "(?, ?), (?, ?)");
}
