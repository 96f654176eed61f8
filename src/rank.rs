//! Stage 6: ranking.
//!
//! Problems are ranked by size, largest first (ties by lower index, so the
//! order is deterministic); the top three are the headline. Coverage says
//! what share of all complaints the top `n` explain.

/// Indices of clusters in rank order: size descending, then index.
pub fn rank_order(sizes: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
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
        assert_eq!(rank_order(&[5, 9, 5, 1]), vec![1, 0, 2, 3]);
        assert!(rank_order(&[]).is_empty());
    }

    #[test]
    fn coverage_table() {
        assert_eq!(coverage(&[50, 30, 10], 2, 100), 0.8);
        assert_eq!(coverage(&[50, 30, 10], 10, 100), 0.9);
        assert_eq!(coverage(&[], 3, 0), 0.0);
    }
}
