//! Built-in word vectors: word meaning without a neural network.
//!
//! Keywords alone see "refund" and "money back" as unrelated. painpoints
//! ships a static vector for each of the 29,525 WordPiece tokens of the
//! all-MiniLM-L6-v2 sentence model, distilled from it with model2vec (each
//! token embedded alone, reduced to 64 dimensions by PCA, stored as 8-bit
//! integers with one scale per token; see `tools/distill_wordvec.py` and
//! `src/wordvec/README.md`).
//!
//! A complaint's vector is the mean of its tokens' vectors, weighted by each
//! token's inverse document frequency in the fitting sample, brought to
//! unit length, less the mean of those vectors over the sample
//! ([`sample_vectors`]). Taking the mean off
//! removes what every complaint shares, so two complaints are close only
//! where they are closer than complaints usually are; keeping the
//! remainder's length (rather than stretching it to unit length) gives
//! complaints that read like the average one little say.
//!
//! The fit blends that vector into the keyword similarity, like embeddings
//! a caller passes (see [`crate::embed`]) but with a smaller weight
//! ([`WORD_VECTOR_WEIGHT`]), while it groups the clustered sample. The
//! problems it finds are then described and scored by their words
//! (keywords and [`crate::mixture`]), so a fitted model needs neither the
//! table nor extra time for it to score.
//!
//! Tokens are found as the sentence model's own tokenizer finds them (BERT's
//! uncased basic tokenizer, then greedy longest-match WordPiece), so a
//! vector means what it meant when it was distilled.

use rustc_hash::FxHashMap;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

static VOCAB: &str = include_str!("wordvec/vocab.txt");
static VECTORS: &[u8] = include_bytes!("wordvec/vectors.bin");

/// Dimensions of a built-in word vector.
pub const DIM: usize = 64;
/// Share of the similarity given to the built-in word vectors while
/// grouping (the rest comes from the keywords). On the three labelled data
/// sets, 0.2 to 0.4 all improve on keywords alone; see the README.
pub const WORD_VECTOR_WEIGHT: f32 = 0.3;
/// Tokens read per complaint: the sentence model's own limit.
pub const MAX_TOKENS: usize = 512;
/// Words longer than this (in characters) are not split into pieces.
const MAX_WORD_CHARS: usize = 100;

/// The token table, parsed once from the compiled-in files.
struct Table {
    index: FxHashMap<&'static str, u32>,
    scales: Vec<f32>,
    values: &'static [u8],
}

impl Table {
    fn parse() -> Option<Table> {
        let header = VECTORS.get(..16)?;
        let word = |i: usize| header.get(i..i + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
        if &header[..4] != b"PPWV" || word(4)? != 1 || word(12)? as usize != DIM {
            return None;
        }
        let n = word(8)? as usize;
        let scales_end = 16 + 4 * n;
        let scales: Vec<f32> = VECTORS
            .get(16..scales_end)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let values = VECTORS.get(scales_end..scales_end + n * DIM)?;
        let tokens: Vec<&'static str> = VOCAB.lines().collect();
        if tokens.len() != n {
            return None;
        }
        let index = tokens.into_iter().enumerate().map(|(i, t)| (t, i as u32)).collect();
        Some(Table { index, scales, values })
    }

    /// The shared table; empty (no tokens) if the compiled-in files were
    /// damaged, which the tests rule out.
    fn get() -> &'static Table {
        static TABLE: OnceLock<Table> = OnceLock::new();
        TABLE.get_or_init(|| {
            Table::parse().unwrap_or(Table { index: FxHashMap::default(), scales: Vec::new(), values: &[] })
        })
    }

    fn len(&self) -> usize {
        self.scales.len()
    }

    /// Add `w` times token `t`'s vector to `out`.
    fn add(&self, t: u32, w: f32, out: &mut [f32]) {
        let t = t as usize;
        if let (Some(&s), Some(row)) = (self.scales.get(t), self.values.get(t * DIM..(t + 1) * DIM)) {
            let ws = w * s;
            for (o, &v) in out.iter_mut().zip(row) {
                *o += ws * (v as i8) as f32;
            }
        }
    }
}

/// Reusable buffers for [`tokens`], with a cache of the words already
/// split (most words recur, and splitting an unknown one takes many
/// lookups).
#[derive(Debug, Default, Clone)]
pub struct TokenScratch {
    clean: String,
    piece: String,
    /// The token ids of the last text.
    pub ids: Vec<u32>,
    /// Word → its pieces' range in `pieces`; `None` for a word that
    /// matches no pieces.
    words: FxHashMap<Box<str>, Option<(u32, u32)>>,
    pieces: Vec<u32>,
}

/// Words cached per [`TokenScratch`] before the cache starts afresh.
const CACHED_WORDS: usize = 1 << 16;

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_ascii() && c.general_category_group() == GeneralCategoryGroup::Punctuation)
}

/// BERT's "Chinese character" ranges, which its tokenizer spaces out (not
/// [`crate::segment`]'s ideograph set, which adds kana: the pieces must
/// split as the sentence model's own tokenizer splits them).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// The WordPiece token ids of `text` (at most [`MAX_TOKENS`], counting
/// unknown words, which are then dropped), into `s.ids`.
pub fn tokens(text: &str, s: &mut TokenScratch) {
    let table = Table::get();
    s.ids.clear();
    // BERT's basic tokenizer: drop control characters, space out CJK
    // characters, lower-case, strip accents, split at punctuation.
    s.clean.clear();
    for c in text.chars() {
        if c.is_ascii() {
            if matches!(c, ' ' | '\t' | '\n' | '\r') {
                s.clean.push(' ');
            } else if !c.is_ascii_control() {
                s.clean.push(c.to_ascii_lowercase());
            }
        } else if c == '\u{FFFD}' {
            continue;
        } else if c.is_whitespace() {
            s.clean.push(' ');
        } else if c.is_control() || c.general_category() == GeneralCategory::Format {
            continue;
        } else if is_cjk(c) {
            s.clean.push(' ');
            s.clean.push(c);
            s.clean.push(' ');
        } else {
            for l in c.to_lowercase().nfd() {
                if l.general_category() != GeneralCategory::NonspacingMark {
                    s.clean.push(l);
                }
            }
        }
    }
    let mut seen = 0usize;
    let TokenScratch { clean, piece, ids, words, pieces } = s;
    for chunk in clean.split(' ') {
        let mut rest = chunk;
        while !rest.is_empty() {
            let cut = rest.char_indices().find(|&(_, c)| is_punctuation(c));
            let (word, next) = match cut {
                Some((0, c)) => (&rest[..c.len_utf8()], &rest[c.len_utf8()..]),
                Some((i, _)) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            rest = next;
            let range = match words.get(word) {
                Some(r) => *r,
                None => {
                    if words.len() >= CACHED_WORDS {
                        words.clear();
                        pieces.clear();
                    }
                    let start = pieces.len();
                    let r = if wordpiece(table, word, piece, pieces) {
                        Some((start as u32, (pieces.len() - start) as u32))
                    } else {
                        pieces.truncate(start);
                        None
                    };
                    words.insert(word.into(), r);
                    r
                }
            };
            match range {
                // An unknown word counts as one token.
                None => seen += 1,
                Some((start, len)) => {
                    let take = (len as usize).min(MAX_TOKENS.saturating_sub(seen));
                    ids.extend_from_slice(pieces.get(start as usize..start as usize + take).unwrap_or(&[]));
                    seen += len as usize;
                }
            }
            if seen >= MAX_TOKENS {
                return;
            }
        }
    }
}

/// Greedy longest-match-first split of `word` into known pieces; false
/// (and nothing to keep) when some part matches no piece.
fn wordpiece(table: &Table, word: &str, piece: &mut String, ids: &mut Vec<u32>) -> bool {
    if word.chars().count() > MAX_WORD_CHARS {
        return false;
    }
    let mut start = 0;
    while start < word.len() {
        let mut end = word.len();
        let mut found = None;
        while end > start {
            piece.clear();
            if start > 0 {
                piece.push_str("##");
            }
            piece.push_str(&word[start..end]);
            if let Some(&id) = table.index.get(piece.as_str()) {
                found = Some(id);
                break;
            }
            end = word[..end].char_indices().next_back().map(|(i, _)| i).unwrap_or(start);
        }
        match found {
            Some(id) => {
                ids.push(id);
                start = end;
            }
            None => return false,
        }
    }
    true
}

/// The vectors of the complaints in a fitting sample, one row of [`DIM`]
/// values per text, row-major: each text's tokens' vectors averaged with
/// weights from their inverse document frequency in `texts`, brought to
/// unit length, less the mean of those rows. A text with no known token
/// gets a row of zeros (and does not count in the mean).
pub fn sample_vectors<S: AsRef<str> + Sync>(texts: &[S]) -> Vec<f32> {
    use rayon::prelude::*;
    let ids: Vec<Vec<u32>> = texts
        .par_iter()
        .map_init(TokenScratch::default, |s, t| {
            tokens(t.as_ref(), s);
            s.ids.clone()
        })
        .collect();
    let idf = token_idf(&ids);
    let mut rows = vec![0.0f32; texts.len() * DIM];
    rows.par_chunks_exact_mut(DIM).zip(&ids).for_each(|(row, ids)| unit_mean(ids, &idf, row));
    // The mean of the rows with tokens, summed in a fixed order: the same
    // whatever the number of threads.
    let mut mean = vec![0.0f64; DIM];
    let mut count = 0usize;
    for row in rows.chunks_exact(DIM).filter(|r| r.iter().any(|&x| x != 0.0)) {
        count += 1;
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += x as f64;
        }
    }
    let count = count.max(1) as f64;
    let mean: Vec<f32> = mean.iter().map(|m| (m / count) as f32).collect();
    rows.par_chunks_exact_mut(DIM).for_each(|row| {
        if row.iter().any(|&x| x != 0.0) {
            for (x, m) in row.iter_mut().zip(&mean) {
                *x -= m;
            }
        }
    });
    rows
}

/// Smoothed inverse document frequency of every token over texts given as
/// their token ids: ln((1 + n) / (1 + df)) + 1.
fn token_idf(ids: &[Vec<u32>]) -> Vec<f32> {
    let mut df = vec![0u32; Table::get().len()];
    let mut seen: Vec<u32> = Vec::new();
    for t in ids {
        seen.clear();
        seen.extend_from_slice(t);
        seen.sort_unstable();
        seen.dedup();
        for &i in &seen {
            if let Some(d) = df.get_mut(i as usize) {
                *d += 1;
            }
        }
    }
    let n = ids.len() as f32;
    df.iter().map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0).collect()
}

/// The `idf`-weighted mean of the vectors of tokens `ids`, at unit length,
/// into `out` (zeros when none is known).
fn unit_mean(ids: &[u32], idf: &[f32], out: &mut [f32]) {
    let table = Table::get();
    out.fill(0.0);
    for &t in ids {
        table.add(t, idf.get(t as usize).copied().unwrap_or(0.0), out);
    }
    let n = out.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 && n.is_finite() {
        out.iter_mut().for_each(|x| *x /= n);
    } else {
        out.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&'static str> {
        let table = Table::get();
        let names: Vec<&'static str> = VOCAB.lines().collect();
        let mut s = TokenScratch::default();
        tokens(text, &mut s);
        assert!(table.len() > 0);
        s.ids.iter().map(|&i| names[i as usize]).collect()
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        let d: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        d / (n(a) * n(b))
    }

    #[test]
    fn the_table_is_complete() {
        let t = Table::get();
        assert_eq!(t.len(), 29_525);
        assert_eq!(t.values.len(), t.len() * DIM);
        assert!(t.scales.iter().all(|s| s.is_finite() && *s > 0.0));
    }

    #[test]
    fn tokenizes_like_bert_uncased() {
        assert_eq!(pieces("Don't CHARGE me!"), ["don", "'", "t", "charge", "me", "!"]);
        // Expected pieces as the sentence model's own tokenizer gives them.
        assert_eq!(pieces("Café  refunds"), ["cafe", "ref", "##unds"]);
        assert_eq!(pieces("unbelievablyxq"), ["un", "##bel", "##ie", "##va", "##bly", "##x", "##q"]);
        assert_eq!(pieces("Zoë’s naïve résumé—ok?"), ["zoe", "’", "s", "naive", "resume", "—", "ok", "?"]);
        assert_eq!(pieces("e-mail me@x.com #help"), ["e", "-", "mail", "me", "@", "x", ".", "com", "#", "help"]);
        // CJK characters stand alone; those outside the table are dropped.
        assert_eq!(pieces("退款 not received"), ["not", "received"]);
        assert!(pieces("").is_empty());
        assert!(pieces("\u{0}\u{200B}").is_empty());
    }

    #[test]
    fn long_texts_stop_at_the_token_limit() {
        let text = "refund ".repeat(2 * MAX_TOKENS);
        assert_eq!(pieces(&text).len(), MAX_TOKENS);
        let long_word = "a".repeat(MAX_WORD_CHARS + 1);
        assert!(pieces(&long_word).is_empty());
    }

    #[test]
    fn related_words_are_closer_than_unrelated_ones() {
        let ones = vec![1.0f32; Table::get().len()];
        let mut s = TokenScratch::default();
        let mut v = |t: &str| {
            tokens(t, &mut s);
            let mut out = vec![0.0f32; DIM];
            unit_mean(&s.ids, &ones, &mut out);
            out
        };
        let (refund, money_back, mortgage) = (v("refund"), v("reimbursement"), v("mortgage"));
        assert!(cosine(&refund, &money_back) > cosine(&refund, &mortgage));
        let (late, delayed, password) = (v("late delivery"), v("delayed shipping"), v("password reset"));
        assert!(cosine(&late, &delayed) > cosine(&late, &password));
    }

    #[test]
    fn common_tokens_weigh_less() {
        let id = |t: &str| VOCAB.lines().position(|l| l == t).expect("token");
        let texts = ["the card", "the loan", "the fee", "the card fee"];
        let mut s = TokenScratch::default();
        let ids: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| {
                tokens(t, &mut s);
                s.ids.clone()
            })
            .collect();
        let idf = token_idf(&ids);
        assert!(idf[id("the")] < idf[id("card")]);
        assert!(idf[id("card")] < idf[id("loan")]);
    }

    #[test]
    fn sample_vectors_are_centred_rows() {
        let texts = ["refund not received", "", "app crashes at login", "my refund is late", "\u{0}"];
        let rows = sample_vectors(&texts);
        assert_eq!(rows.len(), texts.len() * DIM);
        let row = |i: usize| &rows[i * DIM..(i + 1) * DIM];
        // No known token: a row of zeros, not minus the mean.
        assert!(row(1).iter().all(|&x| x == 0.0));
        assert!(row(4).iter().all(|&x| x == 0.0));
        // The rows with tokens sum to zero: their mean is taken off.
        for j in 0..DIM {
            let sum: f32 = (0..texts.len()).map(|i| row(i)[j]).sum();
            assert!(sum.abs() < 1e-4, "column {j} sums to {sum}");
        }
        assert!(cosine(row(0), row(3)) > cosine(row(0), row(2)));
        assert_eq!(sample_vectors(&texts), rows);
    }
}
