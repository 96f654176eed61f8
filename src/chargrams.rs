//! Character n-grams of words, for grouping only.
//!
//! Keywords match only where two complaints use the same stem; a misspelt
//! word ("recieved"), a run-together one ("creditreport") or a brand's
//! handles ("@upshelp", "@ups") share nothing. Their characters still do.
//! Every word of the normalised text (a run of letters, digits, `@`, `#`
//! or `_`; masks such as `_date_` excepted), padded by a space on each
//! side, gives its 4- and 5-character pieces, as scikit-learn's `char_wb`
//! analyser cuts them (`" rec"`, `"reci"`, …, `" reci"`, …). Pieces found in at
//! least two of the clustered complaints are weighted like keywords
//! (sublinear count × smoothed IDF, unit length).
//!
//! The fit blends these vectors into the similarity while it groups the
//! clustered sample, with a weight ([`CHAR_WEIGHT`]) that shrinks for
//! complaints longer than [`FULL_WEIGHT_WORDS`] words (see [`weight`]),
//! like the built-in word vectors ([`crate::wordvec`]). Neighbours are
//! still found by shared keywords, then ranked with the pieces (see
//! [`crate::cluster::ClusterParams::search_words`]). The problems are then
//! described and scored by their words (keywords, and the word mixture
//! of [`crate::mixture`], where the pieces are a second view while it
//! settles the groups), so a fitted model holds no pieces.
//!
//! (Measured on the labelled data: 3- to 5-character pieces scored the
//! same and cost more time, a third more pieces per complaint; 4-character
//! pieces alone cost less but split tweet_complaints into more problems
//! than it has topics ×4.)

use crate::cluster::normalized;
use crate::normalize::is_mask;
use crate::vectorize::SparseVec;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::Hasher;

/// Share of the similarity (before the word vectors take theirs) that comes
/// from character pieces; the keywords keep the rest.
pub const CHAR_WEIGHT: f32 = 0.2;
/// Shortest and longest piece, in characters (the padding spaces included).
const MIN_N: usize = 4;
const MAX_N: usize = 5;

/// Complaints of up to this many words take their full [`CHAR_WEIGHT`].
pub const FULL_WEIGHT_WORDS: usize = 20;
/// Pieces read per complaint (about 200 words): a long narrative's pieces
/// weigh little (see [`weight`]) and it has said what it is about by then.
const MAX_PIECES: usize = 1000;
/// Most piece columns: beyond, pieces share columns by their hash, so the
/// grouping's centres (one float per column each) stay small.
const BUCKETS: usize = 16384;
/// Longest word (in characters) cut into pieces; longer runs are not words.
const MAX_WORD_CHARS: usize = 40;

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '@' || c == '#' || c == '_'
}

/// The hashes of `text`'s pieces, with how often each occurs, sorted by
/// hash; and how many words it has.
fn pieces(text: &str, chars: &mut Vec<char>) -> (Vec<(u64, u32)>, usize) {
    let mut out: Vec<u64> = Vec::new();
    let mut words = 0;
    for word in text.split(|c: char| !word_char(c)).filter(|w| !w.is_empty()) {
        words += 1;
        // A mask ("_date_", "_money_") stands for what the complaint said,
        // not for how it spelt it.
        if is_mask(word) {
            continue;
        }
        if out.len() >= MAX_PIECES {
            continue;
        }
        chars.clear();
        chars.push(' ');
        chars.extend(word.chars().take(MAX_WORD_CHARS + 1));
        if chars.len() > MAX_WORD_CHARS + 1 {
            continue;
        }
        chars.push(' ');
        for n in MIN_N..=MAX_N {
            for w in chars.windows(n) {
                let mut h = FxHasher::default();
                for &c in w {
                    h.write_u32(c as u32);
                }
                h.write_usize(n);
                out.push(h.finish());
            }
        }
    }
    out.truncate(MAX_PIECES);
    out.sort_unstable();
    let mut counted: Vec<(u64, u32)> = Vec::with_capacity(out.len());
    for h in out {
        match counted.last_mut() {
            Some(last) if last.0 == h => last.1 += 1,
            _ => counted.push((h, 1)),
        }
    }
    (counted, words)
}

/// The character pieces of a sample of complaints.
#[derive(Debug, Clone, Default)]
pub struct Pieces {
    /// One unit-length vector per text (empty for a text with no piece
    /// shared with another), columns numbered from 0.
    pub rows: Vec<SparseVec>,
    /// Each text's share of similarity from its pieces (see [`weight`]).
    pub weights: Vec<f32>,
    /// How many piece columns there are.
    pub columns: usize,
}

/// The share of a complaint's similarity that comes from its pieces:
/// [`CHAR_WEIGHT`] for a complaint of up to [`FULL_WEIGHT_WORDS`] words,
/// less in proportion beyond. A misspelt or unusual word matters in a
/// one-line complaint; in a long narrative its other words say enough,
/// and the pieces of two long texts overlap whatever they are about.
pub fn weight(words: usize) -> f32 {
    CHAR_WEIGHT * (FULL_WEIGHT_WORDS as f32 / words.max(1) as f32).min(1.0)
}

/// The column of the `i`-th of `kept` pieces, hash `h`.
fn bucket(i: usize, h: u64, kept: usize) -> u32 {
    if kept <= BUCKETS {
        i as u32
    } else {
        ((h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % BUCKETS as u64) as u32
    }
}

/// The pieces of `texts` (normalised complaints, see [`crate::normalize`]).
/// Deterministic: columns follow the pieces' hashes.
pub fn sample_vectors<S: AsRef<str> + Sync>(texts: &[S]) -> Pieces {
    let counted: Vec<(Vec<(u64, u32)>, usize)> =
        texts.par_iter().map_init(Vec::new, |chars, t| pieces(t.as_ref(), chars)).collect();
    let mut df: FxHashMap<u64, u32> = FxHashMap::default();
    for (row, _) in &counted {
        for &(h, _) in row {
            *df.entry(h).or_insert(0) += 1;
        }
    }
    let mut kept: Vec<u64> = df.iter().filter(|&(_, &d)| d >= 2).map(|(&h, _)| h).collect();
    kept.sort_unstable();
    let n = texts.len() as f32;
    let column: FxHashMap<u64, (u32, f32)> = kept
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let d = df.get(h).copied().unwrap_or(1) as f32;
            (*h, (bucket(i, *h, kept.len()), ((1.0 + n) / (1.0 + d)).ln() + 1.0))
        })
        .collect();
    let columns = kept.len().min(BUCKETS);
    let rows = counted
        .par_iter()
        .map(|(row, _)| {
            let mut v: SparseVec = row
                .iter()
                .filter_map(|(h, c)| column.get(h).map(|&(j, idf)| (j, (1.0 + (*c as f32).ln()) * idf)))
                .collect();
            v.sort_unstable_by_key(|e| e.0);
            v.dedup_by(|b, a| {
                let same = a.0 == b.0;
                if same {
                    a.1 += b.1;
                }
                same
            });
            normalized(&v)
        })
        .collect();
    Pieces { rows, weights: counted.iter().map(|(_, w)| weight(*w)).collect(), columns }
}

/// `x` (unit length, or empty) joined by `pieces` at columns from `offset`
/// on, so that a dot product of two such rows is `(1 - w) × x·x' + w ×
/// pieces·pieces'`. An empty `x` stays empty: a complaint without keywords
/// stays out of the grouping, as it does without pieces.
pub fn blend(x: &mut SparseVec, pieces: &SparseVec, offset: u32, w: f32) {
    if x.is_empty() || pieces.is_empty() {
        return;
    }
    let (a, b) = ((1.0 - w).max(0.0).sqrt(), w.max(0.0).sqrt());
    x.iter_mut().for_each(|e| e.1 *= a);
    x.extend(pieces.iter().map(|&(j, v)| (offset + j, v * b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &SparseVec, b: &SparseVec) -> f32 {
        crate::cluster::dot(a, b)
    }

    #[test]
    fn a_misspelling_shares_pieces_with_the_word() {
        let texts = ["refund not received", "refund not recieved", "app crashes at login", "app crash at login"];
        let Pieces { rows, weights, columns } = sample_vectors(&texts);
        assert!(columns > 0);
        assert_eq!(weights, vec![CHAR_WEIGHT; 4]);
        assert!(cos(&rows[0], &rows[1]) > 0.5, "{}", cos(&rows[0], &rows[1]));
        assert!(cos(&rows[0], &rows[2]) < 0.1);
        for r in &rows {
            let norm: f32 = r.iter().map(|e| e.1 * e.1).sum();
            assert!((norm - 1.0).abs() < 1e-4);
            assert!(r.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn pieces_seen_once_are_dropped_and_odd_input_is_safe() {
        let long = "x".repeat(500);
        let texts = ["zzqx", "", "   ", long.as_str(), "日本語のテキスト", "a b", "_date_ _money_", "_date_ _money_"];
        let p = sample_vectors(&texts);
        assert_eq!(p.columns, 0);
        assert!(p.rows.iter().all(|r| r.is_empty()));
        assert_eq!(p.rows.len(), texts.len());
    }

    #[test]
    fn long_complaints_weigh_their_pieces_less_and_are_cut() {
        assert_eq!(weight(0), CHAR_WEIGHT);
        assert_eq!(weight(FULL_WEIGHT_WORDS), CHAR_WEIGHT);
        assert!((weight(10 * FULL_WEIGHT_WORDS) - CHAR_WEIGHT / 10.0).abs() < 1e-6);
        let words = ["alpha", "bravo", "charlie", "delta", "echo"];
        let long: Vec<&str> = (0..500).map(|i| words[i % 5]).collect();
        let (counted, n) = pieces(&long.join(" "), &mut Vec::new());
        assert_eq!(n, 500);
        assert!(counted.iter().map(|e| e.1 as usize).sum::<usize>() <= MAX_PIECES);
        let p = sample_vectors(&[long.join(" "), long[..10].join(" ")]);
        assert_eq!(p.weights, vec![weight(500), CHAR_WEIGHT]);
    }

    #[test]
    fn many_pieces_share_a_bounded_number_of_columns() {
        // Each word twice, so that its pieces are kept: far more pieces
        // than columns.
        let word =
            |i: usize| -> String { (0..5).map(|k| (b'a' + ((i / 26usize.pow(k)) % 26) as u8) as char).collect() };
        let texts: Vec<String> = (0..8000).map(|i| format!("{} {}", word(i), word(i + 8000))).collect();
        let texts: Vec<&str> = texts.iter().chain(texts.iter()).map(|t| t.as_str()).collect();
        let p = sample_vectors(&texts);
        assert_eq!(p.columns, BUCKETS);
        for r in &p.rows {
            assert!(!r.is_empty());
            assert!(r.windows(2).all(|w| w[0].0 < w[1].0));
            assert!(r.iter().all(|e| (e.0 as usize) < BUCKETS));
            let norm: f32 = r.iter().map(|e| e.1 * e.1).sum();
            assert!((norm - 1.0).abs() < 1e-4);
        }
        // The same text has the same vector.
        assert_eq!(p.rows[0], p.rows[8000]);
    }

    #[test]
    fn blending_weighs_the_two_similarities() {
        let mut x: SparseVec = vec![(0, 0.6), (1, 0.8)];
        let mut y: SparseVec = vec![(0, 1.0)];
        blend(&mut x, &vec![(0, 1.0)], 10, 0.25);
        blend(&mut y, &vec![(0, 1.0)], 10, 0.25);
        assert!((cos(&x, &y) - (0.75 * 0.6 + 0.25)).abs() < 1e-6);
        let mut empty = SparseVec::new();
        blend(&mut empty, &vec![(0, 1.0)], 10, 0.25);
        assert!(empty.is_empty());
    }
}
