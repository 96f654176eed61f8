//! Stage 2b: frequent phrases.
//!
//! Adjacent term pairs that occur together far more often than chance
//! ("customer service", "credit report", "refund not received") are kept as
//! units, scored by normalised pointwise mutual information (NPMI, Bouma
//! 2009) over the fitting sample. A phrase is added as a term of its own
//! beside its two words, so "credit report" matches itself strongly and
//! "credit card" still shares "credit".

use rustc_hash::FxHashMap;

/// Thresholds for keeping a phrase.
#[derive(Debug, Clone, Copy)]
pub struct PhraseParams {
    /// Minimum number of complaints the pair must occur in.
    pub min_count: u32,
    /// Minimum NPMI in [-1, 1]; 0 is independence, 1 is "always together".
    pub min_npmi: f64,
    /// At most this many phrases, the most frequent first.
    pub max_phrases: usize,
}

impl Default for PhraseParams {
    fn default() -> Self {
        PhraseParams { min_count: 5, min_npmi: 0.35, max_phrases: 5000 }
    }
}

/// Pick phrases from pair and term counts.
///
/// `pair_docs` counts complaints containing the adjacent pair, `term_docs`
/// complaints containing each term, `n_docs` the sample size. Returns the
/// kept pairs sorted by (descending count, then ids) so the result does not
/// depend on hash-map order.
pub fn select(
    pair_docs: &FxHashMap<(u32, u32), u32>,
    term_docs: &[u32],
    n_docs: usize,
    p: &PhraseParams,
) -> Vec<(u32, u32)> {
    if n_docs == 0 {
        return Vec::new();
    }
    let n = n_docs as f64;
    let mut kept: Vec<((u32, u32), u32)> = pair_docs
        .iter()
        .filter(|(&(a, b), &c)| {
            if c < p.min_count || a == b {
                return false;
            }
            let (Some(&da), Some(&db)) = (term_docs.get(a as usize), term_docs.get(b as usize)) else {
                return false;
            };
            let pab = c as f64 / n;
            let pa = da as f64 / n;
            let pb = db as f64 / n;
            if pab >= 1.0 {
                return false;
            }
            let npmi = (pab / (pa * pb)).ln() / -pab.ln();
            npmi >= p.min_npmi
        })
        .map(|(&k, &c)| (k, c))
        .collect();
    kept.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    kept.truncate(p.max_phrases);
    kept.into_iter().map(|(k, _)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collocations_kept_chance_pairs_dropped() {
        // 100 complaints: terms 0,1 ("credit report") always together in 20;
        // terms 2,3 common and together only by chance.
        let term_docs = vec![20, 20, 60, 60];
        let mut pairs = FxHashMap::default();
        pairs.insert((0, 1), 20);
        pairs.insert((2, 3), 36);
        pairs.insert((1, 2), 3);
        let got = select(&pairs, &term_docs, 100, &PhraseParams::default());
        assert_eq!(got, vec![(0, 1)]);
    }

    #[test]
    fn empty_inputs() {
        assert!(select(&FxHashMap::default(), &[], 0, &PhraseParams::default()).is_empty());
    }
}
