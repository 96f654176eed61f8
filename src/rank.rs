//! Stage 6: ranking.
//!
//! Problems are ranked by how many different complaints they hold: their
//! size less their copies (complaints of at least
//! [`crate::model::COPY_WORDS`] words repeating another of the problem's
//! nearly word for word), so one copy-paste wave counts once and cannot take a
//! top-three slot from a problem many customers describe each in their own
//! words. Then by size, then by lower index (so the order is
//! deterministic). Without copies this is the order of size. The top three
//! are the headline. Coverage says what share of all complaints the top
//! `n` explain.

/// Indices of clusters in rank order: `sizes[c] - copies[c]` descending,
/// then size descending, then index. A missing entry of `copies` is 0.
pub fn rank_order(sizes: &[usize], copies: &[usize]) -> Vec<usize> {
    let distinct = |c: usize| sizes[c].saturating_sub(copies.get(c).copied().unwrap_or(0));
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| distinct(b).cmp(&distinct(a)).then(sizes[b].cmp(&sizes[a])).then(a.cmp(&b)));
    order
}

/// Share of `n_rows` complaints covered by the `n` largest of `ranked_sizes`
/// (already in rank order). Zero rows give zero coverage.
pub fn coverage(ranked_sizes: &[usize], n: usize, n_rows: usize) -> f64 {
    if n_rows == 0 {
        return 0.0;
    }
    ranked_sizes.iter().take(n).sum::<usize>() as f64 / n_rows as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_size_then_index() {
        assert_eq!(rank_order(&[5, 9, 5, 1], &[]), vec![1, 0, 2, 3]);
        assert_eq!(rank_order(&[5, 9, 5, 1], &[0, 0, 0, 0]), vec![1, 0, 2, 3]);
        assert!(rank_order(&[], &[]).is_empty());
    }

    #[test]
    fn a_wave_of_copies_counts_once() {
        // 9 complaints, 6 of them copies: 3 different ones, behind 5.
        assert_eq!(rank_order(&[5, 9, 4], &[0, 6, 0]), vec![0, 2, 1]);
        // Equal different complaints: the larger first.
        assert_eq!(rank_order(&[5, 9], &[0, 4]), vec![1, 0]);
    }

    #[test]
    fn coverage_table() {
        assert_eq!(coverage(&[50, 30, 10], 2, 100), 0.8);
        assert_eq!(coverage(&[50, 30, 10], 10, 100), 0.9);
        assert_eq!(coverage(&[], 3, 0), 0.0);
    }
}
