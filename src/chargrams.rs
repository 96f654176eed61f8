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
//! settles the groups). A fitted model keeps only the pieces its problems
//! use most ([`PieceTable`]), to give a short complaint the same second
//! view when it scores one.
//!
//! With a caller's sentence embeddings the pieces serve the word mixture
//! and scoring only, beside the embedding, and are cut from handles and
//! hashtags alone ([`PieceWords::Handles`]): on ten paired draws with
//! MiniLM vectors that gained on banking77 (+0.009 NMI / +0.016 ARI) and
//! tweet_complaints (+0.066 / +0.041) over the pieces of every word, which
//! blurred what the embedding says (see the README). Without embeddings
//! the word mixture weighs the pieces of handles on their own too, beside
//! those of every word (tweet_complaints +0.025 / +0.013; sets without
//! handles unchanged).
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
use serde::{Deserialize, Serialize};
use std::hash::Hasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// Share of the similarity (before the word vectors take theirs) that comes
/// from character pieces; the keywords keep the rest.
pub const CHAR_WEIGHT: f32 = 0.2;
/// Shortest and longest piece, in characters (the padding spaces included).
const MIN_N: usize = 4;
const MAX_N: usize = 5;

/// Pieces a fitted model keeps per problem (see [`PieceTable`]): its
/// heaviest, about 150 words' worth. (Measured on new halves of the
/// labelled data: 150, 400, 1,000 and 3,000 scored alike on
/// tweet_complaints and banking77; on cfpb_products' long narratives,
/// whose pieces spread wider, fewer lost more against scoring by the
/// centres: ARI −0.007 with 150 or 400, −0.003 with 1,000, −0.002 with
/// 3,000. 1,000 costs a model of 59 problems 0.8 MB more than 400.)
pub const KEPT_PER_PROBLEM: usize = 1000;

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

/// Which words of a complaint its pieces are cut from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PieceWords {
    /// Every word: the default fit, where the pieces catch misspellings
    /// and run-together words as well as handles.
    #[default]
    All,
    /// Handles and hashtags only (words that start with `@` or `#`): with
    /// a caller's sentence embeddings, which already know the language's
    /// words (misspelt ones too, by their word pieces) but split a brand's
    /// handle into pieces that mean nothing to them. The pieces of every
    /// word would blur what the embedding says; those of handles add what
    /// it cannot (see the README).
    Handles,
}

impl PieceWords {
    /// Every word (the default; model files leave it out).
    fn is_all(&self) -> bool {
        *self == PieceWords::All
    }

    /// Whether `word` gives pieces.
    fn cuts(self, word: &str) -> bool {
        match self {
            PieceWords::All => true,
            PieceWords::Handles => word.starts_with('@') || word.starts_with('#'),
        }
    }
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '@' || c == '#' || c == '_'
}

/// The hash of one piece (its characters, then its length).
fn hash_piece(piece: &[char]) -> u64 {
    let mut h = FxHasher::default();
    for &c in piece {
        h.write_u32(c as u32);
    }
    h.write_usize(piece.len());
    h.finish()
}

/// Calls `f` with every piece of `text` (its characters and hash), word by
/// word until at least `limit` pieces were given, of the words `which`
/// picks; returns how many words `text` has (all of them).
fn each_piece(
    text: &str,
    chars: &mut Vec<char>,
    limit: usize,
    which: PieceWords,
    mut f: impl FnMut(&[char], u64),
) -> usize {
    let mut words = 0;
    let mut given = 0;
    for word in text.split(|c: char| !word_char(c)).filter(|w| !w.is_empty()) {
        words += 1;
        // A mask ("_date_", "_money_") stands for what the complaint said,
        // not for how it spelt it.
        if is_mask(word) || given >= limit || !which.cuts(word) {
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
                f(w, hash_piece(w));
                given += 1;
            }
        }
    }
    words
}

/// The hashes of `text`'s first [`MAX_PIECES`] pieces, sorted, into
/// `hashes`; returns how many words it has.
fn piece_hashes(text: &str, chars: &mut Vec<char>, which: PieceWords, hashes: &mut Vec<u64>) -> usize {
    hashes.clear();
    let words = each_piece(text, chars, MAX_PIECES, which, |_, h| hashes.push(h));
    hashes.truncate(MAX_PIECES);
    hashes.sort_unstable();
    words
}

/// Runs of equal values in sorted `hashes`: (hash, how often).
fn runs(hashes: &[u64]) -> impl Iterator<Item = (u64, u32)> + '_ {
    hashes.chunk_by(|a, b| a == b).map(|run| (run[0], run.len() as u32))
}

/// The hashes of `text`'s pieces, with how often each occurs, sorted by
/// hash; and how many words it has.
fn pieces(text: &str, chars: &mut Vec<char>, which: PieceWords) -> (Vec<(u64, u32)>, usize) {
    let mut hashes = Vec::new();
    let words = piece_hashes(text, chars, which, &mut hashes);
    (runs(&hashes).collect(), words)
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

/// A piece's IDF among `n` complaints, `d` of which have it (smoothed, as
/// for words).
fn piece_idf(n: f32, d: u32) -> f32 {
    ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0
}

/// The weight of a piece of IDF `idf` in a complaint that has it `count`
/// times.
fn piece_weight(count: f32, idf: f32) -> f32 {
    (1.0 + count.ln()) * idf
}

/// The column of the `i`-th of `kept` pieces, hash `h`.
fn bucket(i: usize, h: u64, kept: usize) -> u32 {
    if kept <= BUCKETS {
        i as u32
    } else {
        ((h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % BUCKETS as u64) as u32
    }
}

/// The pieces of `texts` (normalised complaints, see [`crate::normalize`]),
/// cut from the words `which` picks. Deterministic: columns follow the
/// pieces' hashes.
pub fn sample_vectors<S: AsRef<str> + Sync>(texts: &[S], which: PieceWords) -> Pieces {
    let counted: Vec<(Vec<(u64, u32)>, usize)> =
        texts.par_iter().map_init(Vec::new, |chars, t| pieces(t.as_ref(), chars, which)).collect();
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
        .map(|(i, h)| (*h, (bucket(i, *h, kept.len()), piece_idf(n, df.get(h).copied().unwrap_or(1)))))
        .collect();
    let columns = kept.len().min(BUCKETS);
    let rows = counted
        .par_iter()
        .map(|(row, _)| {
            let mut v: SparseVec = row
                .iter()
                .filter_map(|(h, c)| column.get(h).map(|&(j, idf)| (j, piece_weight(*c as f32, idf))))
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

/// The character pieces a fitted model keeps, to score new complaints by
/// them as the fit grouped them: the pieces its problems use most, with
/// their IDF over the fitted sample. Each problem's centre over these
/// columns is kept with its word counts ([`crate::mixture::Group`]).
/// Pieces are stored as text (spaces mark a word's edges), so a model file
/// does not depend on how pieces are hashed in memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PieceTable {
    /// Column `j` is the piece `pieces[j]`, sorted.
    pub pieces: Vec<String>,
    /// Each column's IDF over the fitted sample.
    pub idf: Vec<f32>,
    /// The words the pieces are cut from: handles and hashtags alone in a
    /// model's table of handles ([`crate::mixture::Mixture::handles`]).
    #[serde(default, skip_serializing_if = "PieceWords::is_all")]
    pub words: PieceWords,
    #[serde(skip)]
    lookup: FxHashMap<u64, u32>,
    /// Which table this is, for [`PieceMemo`] (set when built or read).
    #[serde(skip)]
    uid: u64,
}

/// Tables made so far, to number them.
static NEXT_TABLE: AtomicU64 = AtomicU64::new(1);

/// Remembers, for one [`PieceTable`], the table's columns of each word's
/// pieces, so that scoring cuts and looks up a frequent word once (one
/// memo per thread; it forgets everything when it grows past
/// `MOST_WORDS` (100,000) words).
#[derive(Debug, Clone, Default)]
pub struct PieceMemo {
    owner: u64,
    /// A word's hash → its span in `columns` and how many pieces it has.
    words: FxHashMap<u64, (u32, u32, u32)>,
    columns: Vec<u32>,
    chars: Vec<char>,
    found: Vec<u32>,
    /// How often the complaint uses each column (zero but where it does).
    counts: Vec<u16>,
}

impl PieceMemo {
    /// Most words remembered.
    const MOST_WORDS: usize = 100_000;
}

impl PieceTable {
    /// The table of the pieces the groups of `texts` (normalised
    /// complaints; `labels[i]` the group of `texts[i]`, `k` or more for
    /// none) use most: each group's `keep` heaviest pieces, by the weight
    /// of its centre (the normalised mean of its complaints' piece
    /// vectors, as the fit weighs them). Returns the table and the groups'
    /// centres over its columns (unit length; empty for a group without
    /// pieces).
    pub fn learn<S: AsRef<str> + Sync>(
        texts: &[S],
        which: PieceWords,
        labels: &[usize],
        k: usize,
        keep: usize,
    ) -> (PieceTable, Vec<SparseVec>) {
        let counted: Vec<(Vec<(u64, u32)>, usize)> =
            texts.par_iter().map_init(Vec::new, |chars, t| pieces(t.as_ref(), chars, which)).collect();
        let mut df: FxHashMap<u64, u32> = FxHashMap::default();
        for (row, _) in &counted {
            for &(h, _) in row {
                *df.entry(h).or_insert(0) += 1;
            }
        }
        let n = texts.len() as f32;
        // Each group's sum of its complaints' unit-length piece vectors.
        let mut sums: Vec<FxHashMap<u64, f32>> = vec![FxHashMap::default(); k];
        for ((row, _), &l) in counted.iter().zip(labels) {
            let Some(sum) = sums.get_mut(l) else { continue };
            let v: Vec<(u64, f32)> = row
                .iter()
                .filter_map(|&(h, c)| {
                    let d = df.get(&h).copied().unwrap_or(0);
                    (d >= 2).then(|| (h, piece_weight(c as f32, piece_idf(n, d))))
                })
                .collect();
            let norm = v.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
            if norm > 0.0 {
                for (h, w) in v {
                    *sum.entry(h).or_insert(0.0) += w / norm;
                }
            }
        }
        let heaviest: Vec<Vec<(u64, f32)>> = sums
            .into_iter()
            .map(|sum| {
                let mut v: Vec<(u64, f32)> = sum.into_iter().collect();
                v.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                v.truncate(keep);
                v
            })
            .collect();
        // The pieces' text, from the first complaint that has each.
        let mut text_of: FxHashMap<u64, String> = heaviest.iter().flatten().map(|&(h, _)| (h, String::new())).collect();
        let mut missing = text_of.len();
        let mut chars = Vec::new();
        for t in texts {
            if missing == 0 {
                break;
            }
            each_piece(t.as_ref(), &mut chars, MAX_PIECES, which, |w, h| {
                if let Some(s) = text_of.get_mut(&h) {
                    if s.is_empty() {
                        s.extend(w);
                        missing -= 1;
                    }
                }
            });
        }
        let mut named: Vec<(String, u64)> = text_of.into_iter().map(|(h, s)| (s, h)).collect();
        named.sort_unstable();
        let column: FxHashMap<u64, u32> = named.iter().enumerate().map(|(j, (_, h))| (*h, j as u32)).collect();
        let table = PieceTable {
            idf: named.iter().map(|(_, h)| piece_idf(n, df.get(h).copied().unwrap_or(0))).collect(),
            pieces: named.into_iter().map(|(s, _)| s).collect(),
            words: which,
            lookup: column.clone(),
            uid: NEXT_TABLE.fetch_add(1, Ordering::Relaxed),
        };
        let centres = heaviest
            .iter()
            .map(|v| {
                let mut c: SparseVec = v.iter().filter_map(|(h, w)| column.get(h).map(|&j| (j, *w))).collect();
                c.sort_unstable_by_key(|e| e.0);
                normalized(&c)
            })
            .collect();
        (table, centres)
    }

    /// Rebuild what is not stored (after reading a model file).
    pub fn rebuild(&mut self) {
        self.uid = NEXT_TABLE.fetch_add(1, Ordering::Relaxed);
        self.lookup = self
            .pieces
            .iter()
            .enumerate()
            .map(|(j, s)| (hash_piece(&s.chars().collect::<Vec<char>>()), j as u32))
            .collect();
    }

    /// How many columns there are.
    pub fn columns(&self) -> usize {
        self.pieces.len()
    }

    /// Why this table cannot be used, if so.
    pub fn check(&self) -> std::result::Result<(), String> {
        let piece_ok = |s: &String| (MIN_N..=MAX_N).contains(&s.chars().count());
        if self.pieces.len() != self.idf.len()
            || !self.pieces.iter().all(piece_ok)
            || !self.idf.iter().all(|w| w.is_finite() && *w > 0.0)
            || self.pieces.windows(2).any(|w| w[0] >= w[1])
        {
            return Err("the character pieces are invalid".into());
        }
        Ok(())
    }

    /// The columns of `text`'s first [`MAX_PIECES`] pieces that the table
    /// keeps, once per occurrence, into `memo.found` (unsorted).
    fn collect(&self, text: &str, memo: &mut PieceMemo) {
        if memo.owner != self.uid || memo.words.len() > PieceMemo::MOST_WORDS {
            memo.words.clear();
            memo.columns.clear();
            memo.owner = self.uid;
        }
        let PieceMemo { words, columns, chars, found, .. } = memo;
        found.clear();
        let mut given = 0usize;
        for word in text.split(|c: char| !word_char(c)).filter(|w| !w.is_empty()) {
            if given >= MAX_PIECES {
                break;
            }
            // (A word the table cuts no pieces from, such as any but a
            // handle in a table of handles, costs no lookup.)
            if !self.words.cuts(word) {
                continue;
            }
            let key = {
                let mut h = FxHasher::default();
                h.write(word.as_bytes());
                h.finish()
            };
            let (start, len, cut) = match words.get(&key) {
                Some(&span) => span,
                None => {
                    let start = columns.len() as u32;
                    let cut = self.word_columns(word, chars, columns);
                    let span = (start, columns.len() as u32 - start, cut);
                    words.insert(key, span);
                    span
                }
            };
            if given + cut as usize <= MAX_PIECES {
                found.extend_from_slice(&columns[start as usize..(start + len) as usize]);
            } else {
                // The last word read: only its first pieces count.
                let mut left = MAX_PIECES - given;
                each_piece(word, chars, usize::MAX, self.words, |_, h| {
                    if left > 0 {
                        left -= 1;
                        if let Some(&j) = self.lookup.get(&h) {
                            found.push(j);
                        }
                    }
                });
            }
            given += cut as usize;
        }
    }

    /// The weight of a piece seen `count` times in a complaint, column `j`.
    fn weight_of(&self, j: u32, count: f32) -> f32 {
        piece_weight(count, self.idf.get(j as usize).copied().unwrap_or(0.0))
    }

    /// The unit-length piece vector of `text` (a normalised complaint) over
    /// this table's columns, into `out` (empty when it has none of them):
    /// its first `MAX_PIECES` pieces that the table keeps, counted as the
    /// fit counts them. `memo` remembers each word's columns.
    pub fn vector(&self, text: &str, memo: &mut PieceMemo, out: &mut SparseVec) {
        self.unsorted_vector(text, memo, out);
        out.sort_unstable_by_key(|e| e.0);
    }

    /// [`Self::vector`] with its columns in the order the complaint first
    /// uses them, not sorted: enough to score it against centres
    /// ([`crate::cluster::Centroids::scores`]), and cheaper.
    pub fn unsorted_vector(&self, text: &str, memo: &mut PieceMemo, out: &mut SparseVec) {
        self.collect(text, memo);
        out.clear();
        let PieceMemo { found, counts, .. } = memo;
        counts.resize(self.columns(), 0);
        for &j in found.iter() {
            if let Some(n) = counts.get_mut(j as usize) {
                if *n == 0 {
                    out.push((j, 0.0));
                }
                *n = n.saturating_add(1);
            }
        }
        for e in out.iter_mut() {
            if let Some(n) = counts.get_mut(e.0 as usize) {
                e.1 = self.weight_of(e.0, f32::from(*n));
                *n = 0;
            }
        }
        let norm = out.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
        if norm > 0.0 {
            out.iter_mut().for_each(|e| e.1 /= norm);
        } else {
            out.clear();
        }
    }

    /// Appends to `columns` the table's columns of `word`'s pieces; returns
    /// how many pieces it has (kept or not).
    fn word_columns(&self, word: &str, chars: &mut Vec<char>, columns: &mut Vec<u32>) -> u32 {
        let mut cut = 0;
        each_piece(word, chars, usize::MAX, self.words, |_, h| {
            cut += 1;
            if let Some(&j) = self.lookup.get(&h) {
                columns.push(j);
            }
        });
        cut
    }
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
        let Pieces { rows, weights, columns } = sample_vectors(&texts, PieceWords::All);
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
    fn handles_alone_give_pieces_when_asked() {
        let texts = ["@upshelp my parcel is late", "@upshelp parcel lost #fail", "parcel late again #fail"];
        let all = sample_vectors(&texts, PieceWords::All);
        let handles = sample_vectors(&texts, PieceWords::Handles);
        // Only "@upshelp" and "#fail" give pieces: the first two complaints
        // share all of their handle's, the third has only its hashtag's.
        assert!(cos(&handles.rows[0], &handles.rows[1]) > 0.8);
        assert!(cos(&all.rows[0], &all.rows[1]) < cos(&handles.rows[0], &handles.rows[1]));
        assert!(cos(&handles.rows[0], &handles.rows[2]) == 0.0);
        assert!(cos(&handles.rows[1], &handles.rows[2]) > 0.0);
        assert!(handles.columns < all.columns);
        // A complaint's share of similarity still counts all its words.
        assert_eq!(handles.weights, all.weights);
        let none = sample_vectors(&["my parcel is late", "parcel lost"], PieceWords::Handles);
        assert!(none.rows.iter().all(|r| r.is_empty()) && none.columns == 0);
    }

    #[test]
    fn pieces_seen_once_are_dropped_and_odd_input_is_safe() {
        let long = "x".repeat(500);
        let texts = ["zzqx", "", "   ", long.as_str(), "日本語のテキスト", "a b", "_date_ _money_", "_date_ _money_"];
        let p = sample_vectors(&texts, PieceWords::All);
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
        let (counted, n) = pieces(&long.join(" "), &mut Vec::new(), PieceWords::All);
        assert_eq!(n, 500);
        assert!(counted.iter().map(|e| e.1 as usize).sum::<usize>() <= MAX_PIECES);
        let p = sample_vectors(&[long.join(" "), long[..10].join(" ")], PieceWords::All);
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
        let p = sample_vectors(&texts, PieceWords::All);
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
    fn a_model_table_knows_new_spellings_of_its_problems() {
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..6 {
            texts.push(format!("@upshelp my package {i} is late again"));
            labels.push(0);
            texts.push(format!("@comcastcares internet down since monday {i}"));
            labels.push(1);
        }
        texts.push("nothing here at all".to_string());
        labels.push(usize::MAX);
        let (table, centres) = PieceTable::learn(&texts, PieceWords::All, &labels, 2, 50);
        assert_eq!(centres.len(), 2);
        assert!(table.columns() > 0 && table.columns() <= 100);
        assert!(table.check().is_ok());
        assert!(table.pieces.iter().all(|p| (MIN_N..=MAX_N).contains(&p.chars().count())));
        for c in &centres {
            assert!(c.len() <= 50);
            let norm: f32 = c.iter().map(|e| e.1 * e.1).sum();
            assert!((norm - 1.0).abs() < 1e-4);
        }
        // A new complaint, a handle written another way and a misspelling:
        // no word of it is a word of the groups, its pieces are.
        let (mut chars, mut memo, mut v) = (Vec::new(), PieceMemo::default(), Vec::new());
        table.vector("@upshelps packge latte", &mut memo, &mut v);
        assert!(cos(&v, &centres[0]) > 0.3 && cos(&v, &centres[1]) < 0.05, "{v:?}");
        table.vector("xyzw", &mut memo, &mut v);
        assert!(v.is_empty(), "no known piece: no vector");
        // The same vector as counting all of a complaint's first pieces
        // (a long one's too, cut inside a word) without the memo.
        let long: String = (0..MAX_PIECES).map(|i| format!("internet{} package ", i % 7)).collect();
        for text in ["@upshelp @upshelp my package is late, internet down", long.as_str()] {
            table.vector(text, &mut memo, &mut v);
            let mut all: SparseVec = pieces(text, &mut chars, PieceWords::All)
                .0
                .into_iter()
                .filter_map(|(h, c)| {
                    let j = *table.lookup.get(&h)?;
                    Some((j, (1.0 + (c as f32).ln()) * table.idf[j as usize]))
                })
                .collect();
            all.sort_unstable_by_key(|e| e.0);
            assert!(v.len() > 10 && v.iter().any(|e| e.1 != v[0].1));
            let want = normalized(&all);
            assert_eq!(v.iter().map(|e| e.0).collect::<Vec<_>>(), want.iter().map(|e| e.0).collect::<Vec<_>>());
            assert!(v.iter().zip(&want).all(|(a, b)| (a.1 - b.1).abs() < 1e-6), "{v:?} {want:?}");
        }
        // Read back from a model file, it gives the same vectors.
        let mut back: PieceTable = serde_json::from_str(&serde_json::to_string(&table).unwrap()).unwrap();
        back.rebuild();
        let mut w = Vec::new();
        for t in ["@upshelps packge latte", "internet down"] {
            table.vector(t, &mut memo, &mut v);
            back.vector(t, &mut memo, &mut w);
            assert_eq!(v, w);
        }
        let mut bad = table.clone();
        bad.pieces[0] = "ab".into();
        assert!(bad.check().is_err());
        let mut bad = table.clone();
        bad.idf.pop();
        assert!(bad.check().is_err());
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
