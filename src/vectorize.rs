//! Stage 3: vocabulary and weighted term vectors (TF-IDF with a burstiness bonus).
//!
//! [`Vocabulary::learn`] counts term keys over a fitting sample, keeps those
//! in at least `min_df` complaints (plus frequent phrases, see
//! [`crate::phrases`]), remembers the most frequent surface form of each
//! (so labels read "deliveries", not "deliveri") and computes each term's
//! weight. [`Vocabulary::vectorize`] turns one complaint into a sparse,
//! L2-normalised vector of sublinear TF × term weights; the same code path
//! serves fitting and scoring, so a prediction always agrees with the fit.
//!
//! A term's weight is its smoothed IDF plus a burstiness bonus,
//! `BURST_WEIGHT · ln((cf + BURST_PRIOR) / (df + BURST_PRIOR))`, where `cf`
//! counts its occurrences (at most `MAX_COUNTED` per complaint) and `df`
//! the complaints that use it. Words a complaint is *about* recur within it
//! ("credit report" five times in one narrative), words said in passing do
//! not (Church & Gale 1995, "Poisson mixtures"). IDF alone cannot tell them
//! apart and down-weights the word that defines the most common problem
//! because so many complaints use it. The prior shrinks the mean count of
//! rarely seen terms towards 1, so two complaints that repeat an odd word
//! do not make it a topic. In one-line complaints (surveys, tweets, chat)
//! nearly every term occurs once per complaint and the bonus is close to 0;
//! in long narratives it lifts the topic words (measured in
//! docs/quality.md).

use crate::normalize::{normalize, normalize_into};
use crate::phrases::{self, PhraseParams};
use crate::segment::{Lookup, Piece, Segmenter, Step};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// A sparse vector: (term id, weight), sorted by term id.
pub type SparseVec = Vec<(u32, f32)>;

/// What kind of term an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// A stemmed word.
    Word,
    /// A stemmed word under negation ("not received").
    Negated,
    /// Two adjacent terms kept as a unit.
    Phrase,
}

/// One vocabulary entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// Internal key: stem, `not_`+stem, or two keys joined by a space.
    pub key: String,
    /// The most frequent way complaints write it.
    pub surface: String,
    /// Word, negated word, or phrase.
    pub kind: TermKind,
    /// The term's weight: smoothed inverse document frequency plus the
    /// burstiness bonus (see the module docs). Named `idf` in model files.
    pub idf: f32,
    /// For phrases, the two term ids it joins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<[u32; 2]>,
}

/// Weight of the burstiness bonus relative to IDF (see the module docs).
const BURST_WEIGHT: f64 = 2.0;
/// Pseudo-complaints, each using a term once, added to every term's counts
/// before its mean count per complaint is taken.
const BURST_PRIOR: f64 = 10.0;

/// Occurrences of a term counted per complaint, at most: one complaint that
/// repeats a word a hundred times does not make it a topic.
const MAX_COUNTED: usize = 10;

/// Sort one complaint's term occurrences and yield each distinct term with
/// its count, at most `MAX_COUNTED`: the counting rule of the term weights.
fn capped_counts<T: Ord + Copy>(found: &mut [T]) -> impl Iterator<Item = (T, u32)> + '_ {
    found.sort_unstable();
    found.chunk_by(|a, b| a == b).map(|run| (run[0], run.len().min(MAX_COUNTED) as u32))
}

/// A term's weight from the number of complaints `n`, the complaints that
/// use it (`df`) and its occurrences (`cf`): smoothed IDF plus the
/// burstiness bonus.
fn term_weight(n: usize, df: u32, cf: u64) -> f32 {
    let idf = ((1.0 + n as f64) / (1.0 + df as f64)).ln() + 1.0;
    let burst = ((cf as f64 + BURST_PRIOR) / (df as f64 + BURST_PRIOR)).ln().max(0.0);
    (idf + BURST_WEIGHT * burst) as f32
}

/// Learning parameters of the vocabulary.
#[derive(Debug, Clone, Copy)]
pub struct VocabularyParams {
    /// Minimum number of complaints a term must appear in.
    pub min_df: u32,
    /// Keep at most this many word terms (by document frequency).
    pub max_terms: usize,
    /// Phrase detection thresholds.
    pub phrases: PhraseParams,
}

impl Default for VocabularyParams {
    fn default() -> Self {
        VocabularyParams { min_df: 2, max_terms: 200_000, phrases: PhraseParams::default() }
    }
}

/// The learned vocabulary: terms, their weights and the lookups to encode text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "VocabularyFile", into = "VocabularyFile")]
pub struct Vocabulary {
    terms: Vec<Term>,
    /// Surface word -> id of its word term: skips stemming for known words.
    words: FxHashMap<String, u32>,
    key_index: FxHashMap<String, u32>,
    phrase_of: FxHashMap<(u32, u32), u32>,
    /// Stop words, negators and known words in one table: one lookup per word.
    lex: WordMap<Lookup<u32>>,
    /// Scoring tables derived from `terms`: IDF per term, the id of each
    /// term's negated form (`u32::MAX` if none), and whether a term starts a phrase.
    idf: Vec<f32>,
    negated_of: Vec<u32>,
    starts_phrase: Vec<bool>,
    /// Identifies this vocabulary's contents to [`Scratch`]'s word cache.
    uid: u64,
}

/// A map keyed by word, with short words packed into integers (length in
/// the top byte, so the packing is one-to-one): lookups of the common short
/// word hash one integer and compare without a byte-by-byte `memcmp`.
#[derive(Debug, Clone)]
struct WordMap<V> {
    short: FxHashMap<u64, V>,
    medium: FxHashMap<u128, V>,
    long: FxHashMap<Box<str>, V>,
}

impl<V> Default for WordMap<V> {
    fn default() -> Self {
        WordMap { short: FxHashMap::default(), medium: FxHashMap::default(), long: FxHashMap::default() }
    }
}

enum WordKey<'a> {
    Short(u64),
    Medium(u128),
    Long(&'a str),
}

/// The bytes of `b` (at most 8) as a little-endian integer, zero-padded,
/// without a variable-length copy.
#[inline]
fn load_le(b: &[u8]) -> u64 {
    let n = b.len();
    let read4 = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as u64;
    match n {
        0 => 0,
        1..=3 => b[0] as u64 | (b[n / 2] as u64) << (8 * (n / 2)) | (b[n - 1] as u64) << (8 * (n - 1)),
        4..=7 => read4(0) | read4(n - 4) << (8 * (n - 4)),
        _ => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    }
}

#[inline]
fn word_key(w: &str) -> WordKey<'_> {
    let b = w.as_bytes();
    let n = b.len();
    if n < 8 {
        WordKey::Short(load_le(b) | (n as u64) << 56)
    } else if n < 16 {
        let lo = load_le(&b[..8]) as u128;
        let hi = load_le(&b[n - 8..]) as u128;
        WordKey::Medium(lo | hi << (8 * (n - 8)) | (n as u128) << 120)
    } else {
        WordKey::Long(w)
    }
}

impl<V> WordMap<V> {
    #[inline]
    fn get(&self, w: &str) -> Option<&V> {
        match word_key(w) {
            WordKey::Short(k) => self.short.get(&k),
            WordKey::Medium(k) => self.medium.get(&k),
            WordKey::Long(k) => self.long.get(k),
        }
    }

    fn insert(&mut self, w: &str, v: V) {
        match word_key(w) {
            WordKey::Short(k) => self.short.insert(k, v),
            WordKey::Medium(k) => self.medium.insert(k, v),
            WordKey::Long(k) => self.long.insert(k.into(), v),
        };
    }

    fn len(&self) -> usize {
        self.short.len() + self.medium.len() + self.long.len()
    }

    fn clear(&mut self) {
        self.short.clear();
        self.medium.clear();
        self.long.clear();
    }
}

/// The serialised shape: plain lists in a fixed order.
#[derive(Serialize, Deserialize)]
struct VocabularyFile {
    terms: Vec<Term>,
    words: Vec<(String, u32)>,
}

impl From<VocabularyFile> for Vocabulary {
    fn from(f: VocabularyFile) -> Self {
        Vocabulary::from_parts(f.terms, f.words.into_iter().collect())
    }
}

impl From<Vocabulary> for VocabularyFile {
    fn from(v: Vocabulary) -> Self {
        let mut words: Vec<(String, u32)> = v.words.into_iter().collect();
        words.sort();
        VocabularyFile { terms: v.terms, words }
    }
}

/// Sum of two tallies of pairs (for parallel counting).
fn add_pair_counts(mut a: FxHashMap<(u32, u32), u32>, b: FxHashMap<(u32, u32), u32>) -> FxHashMap<(u32, u32), u32> {
    for (k, v) in b {
        *a.entry(k).or_insert(0) += v;
    }
    a
}

/// One term occurrence in order, or a break.
pub type Slot = Option<u32>;

/// True if `surface`, a slice of `text`, is written as an @handle.
fn after_at(text: &str, surface: &str) -> bool {
    let offset = (surface.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    offset.checked_sub(1).and_then(|i| text.as_bytes().get(i)) == Some(&b'@')
}

/// How a word variant is shown: "not " before a negated word, "@" before a handle.
fn shown_as(word: &str, negated: bool, handle: bool) -> String {
    format!("{}{}{word}", if negated { "not " } else { "" }, if handle { "@" } else { "" })
}

impl Vocabulary {
    fn from_parts(terms: Vec<Term>, words: FxHashMap<String, u32>) -> Self {
        let mut key_index = FxHashMap::default();
        let mut phrase_of = FxHashMap::default();
        for (i, t) in terms.iter().enumerate() {
            key_index.insert(t.key.clone(), i as u32);
            if let (TermKind::Phrase, Some(p)) = (t.kind, t.parts) {
                phrase_of.insert((p[0], p[1]), i as u32);
            }
        }
        let n = terms.len() as u32;
        let words: FxHashMap<String, u32> = words.into_iter().filter(|(_, id)| *id < n).collect();
        let mut lex = WordMap::default();
        for (w, &id) in &words {
            lex.insert(w, Lookup::Content(Some(id)));
        }
        for (w, c) in Segmenter::shared().word_classes() {
            lex.insert(w, c);
        }
        let idf = terms.iter().map(|t| t.idf).collect();
        let negated_of =
            terms.iter().map(|t| key_index.get(&format!("not_{}", t.key)).copied().unwrap_or(u32::MAX)).collect();
        let mut starts_phrase = vec![false; terms.len()];
        for &(a, _) in phrase_of.keys() {
            if let Some(s) = starts_phrase.get_mut(a as usize) {
                *s = true;
            }
        }
        static NEXT_UID: AtomicU64 = AtomicU64::new(1);
        let uid = NEXT_UID.fetch_add(1, Ordering::Relaxed);
        Vocabulary { terms, words, key_index, phrase_of, lex, idf, negated_of, starts_phrase, uid }
    }

    /// Check internal consistency of a deserialised vocabulary.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let n = self.terms.len() as u32;
        for (i, t) in self.terms.iter().enumerate() {
            if !t.idf.is_finite() || t.idf < 0.0 {
                return Err(format!("term {i} has an invalid weight"));
            }
            if let Some(p) = t.parts {
                if p[0] >= n || p[1] >= n {
                    return Err(format!("phrase {i} refers to a missing term"));
                }
            }
            if t.kind == TermKind::Phrase && t.parts.is_none() {
                return Err(format!("phrase {i} has no parts"));
            }
        }
        if self.key_index.len() != self.terms.len() {
            return Err("duplicate term keys".into());
        }
        Ok(())
    }

    /// Number of terms (the dimension of vectors).
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True when nothing was learned (e.g. every complaint was empty).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// All terms, indexed by id.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The term with this id.
    pub fn term(&self, id: u32) -> Option<&Term> {
        self.terms.get(id as usize)
    }

    /// The phrase made of terms `a` then `b`, if the vocabulary has one.
    pub fn phrase(&self, a: u32, b: u32) -> Option<u32> {
        self.phrase_of.get(&(a, b)).copied()
    }

    /// Look up a term id by key.
    pub fn id_of(&self, key: &str) -> Option<u32> {
        self.key_index.get(key).copied()
    }

    /// Learn a vocabulary from already-normalised complaints.
    pub fn learn(seg: &Segmenter, normalized: &[String], p: &VocabularyParams) -> Vocabulary {
        // 1. Distinct (surface, negated, written as @handle) words; each is
        // stemmed once. A handle keys like the bare word but shows its "@".
        let distinct: FxHashSet<(&str, bool, bool)> = normalized
            .par_iter()
            .fold(FxHashSet::default, |mut acc, text| {
                seg.for_each_piece(text, |piece| {
                    if let Piece::Word { surface, negated } = piece {
                        acc.insert((surface, negated, after_at(text, surface)));
                    }
                });
                acc
            })
            .reduce(FxHashSet::default, |mut a, b| {
                a.extend(b);
                a
            });
        let mut variants: Vec<(&str, bool, bool)> = distinct.into_iter().collect();
        variants.sort_unstable();
        let stems: Vec<String> = variants
            .par_iter()
            .map(|&(w, neg, _)| if neg { format!("not_{}", seg.key(w)) } else { seg.key(w).into_owned() })
            .collect();
        // Intern keys in sorted order (deterministic ids).
        let mut keys: Vec<&str> = stems.iter().map(String::as_str).collect();
        keys.sort_unstable();
        keys.dedup();
        let key_of: FxHashMap<&str, u32> = keys.iter().enumerate().map(|(i, &k)| (k, i as u32)).collect();
        let variant_key: Vec<u32> = stems.iter().map(|k| key_of.get(k.as_str()).copied().unwrap_or(0)).collect();
        let variant_of: FxHashMap<(&str, bool, bool), u32> =
            variants.iter().enumerate().map(|(i, &v)| (v, i as u32)).collect();

        // 2. Per complaint: ordered variant ids (None = break).
        let docs: Vec<Vec<Option<u32>>> = normalized
            .par_iter()
            .map(|text| {
                let mut out = Vec::new();
                seg.for_each_piece(text, |piece| match piece {
                    Piece::Word { surface, negated } => {
                        out.push(variant_of.get(&(surface, negated, after_at(text, surface))).copied())
                    }
                    Piece::Break => out.push(None),
                });
                out
            })
            .collect();

        // 3. Document frequency of keys, their occurrences (at most
        // `MAX_COUNTED` per complaint), occurrences of variants (integer
        // sums: exact in any order).
        let nk = keys.len();
        let nv = variants.len();
        let (df, cf, vcount) = docs
            .par_iter()
            .fold(
                || (vec![0u32; nk], vec![0u32; nk], vec![0u32; nv], Vec::new()),
                |(mut df, mut cf, mut vc, mut seen), doc| {
                    seen.clear();
                    for &v in doc.iter().flatten() {
                        vc[v as usize] += 1;
                        seen.push(variant_key[v as usize]);
                    }
                    for (k, count) in capped_counts(&mut seen) {
                        df[k as usize] += 1;
                        cf[k as usize] += count;
                    }
                    (df, cf, vc, seen)
                },
            )
            .map(|(df, cf, vc, _)| (df, cf, vc))
            .reduce(
                || (vec![0u32; nk], vec![0u32; nk], vec![0u32; nv]),
                |(mut a, mut ca, mut va), (b, cb, vb)| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    ca.iter_mut().zip(cb).for_each(|(x, y)| *x += y);
                    va.iter_mut().zip(vb).for_each(|(x, y)| *x += y);
                    (a, ca, va)
                },
            );

        // 4. Keep frequent keys.
        let mut kept: Vec<u32> = (0..nk as u32).filter(|&k| df[k as usize] >= p.min_df).collect();
        if kept.len() > p.max_terms {
            kept.sort_by(|&a, &b| df[b as usize].cmp(&df[a as usize]).then(a.cmp(&b)));
            kept.truncate(p.max_terms);
            kept.sort_unstable();
        }
        let n_docs = normalized.len();
        let mut term_of_key = vec![u32::MAX; nk];
        for (i, &k) in kept.iter().enumerate() {
            term_of_key[k as usize] = i as u32;
        }
        // Most frequent surface word per key (ties: the alphabetically
        // first), shown with "@" when most of its uses are handles.
        let mut uses: FxHashMap<(&str, bool), (u32, u32)> = FxHashMap::default();
        for (v, &(w, neg, at)) in variants.iter().enumerate() {
            let e = uses.entry((w, neg)).or_insert((0, 0));
            e.0 += vcount[v];
            e.1 += if at { vcount[v] } else { 0 };
        }
        let mut best: Vec<(u32, &str)> = vec![(0, ""); nk];
        for (v, &(w, neg, _)) in variants.iter().enumerate() {
            let k = variant_key[v] as usize;
            let c = uses.get(&(w, neg)).map_or(0, |u| u.0);
            if c > best[k].0 || (c == best[k].0 && (best[k].1.is_empty() || w < best[k].1)) {
                best[k] = (c, w);
            }
        }
        let mut terms: Vec<Term> = kept
            .iter()
            .map(|&k| {
                let key = keys[k as usize];
                let negated = key.starts_with("not_");
                let w = best[k as usize].1;
                let (all, at) = uses.get(&(w, negated)).copied().unwrap_or((0, 0));
                Term {
                    key: key.to_string(),
                    surface: shown_as(w, negated, 2 * at > all),
                    kind: if negated { TermKind::Negated } else { TermKind::Word },
                    idf: term_weight(n_docs, df[k as usize], u64::from(cf[k as usize])),
                    parts: None,
                }
            })
            .collect();
        // Surface words of word terms, for encoding without stemming.
        let mut words: FxHashMap<String, u32> = FxHashMap::default();
        for (v, &(w, neg, _)) in variants.iter().enumerate() {
            let t = term_of_key[variant_key[v] as usize];
            if !neg && t != u32::MAX {
                words.insert(w.to_string(), t);
            }
        }

        // 5. Phrases from adjacent kept terms.
        let term_docs: Vec<u32> = kept.iter().map(|&k| df[k as usize]).collect();
        let to_term = |slot: &Option<u32>| -> Slot {
            slot.and_then(|v| {
                let t = term_of_key[variant_key[v as usize] as usize];
                (t != u32::MAX).then_some(t)
            })
        };
        let pair_docs = docs
            .par_iter()
            .fold(FxHashMap::<(u32, u32), u32>::default, |mut acc, doc| {
                let ids: Vec<Slot> = doc.iter().map(to_term).collect();
                let mut pairs: Vec<(u32, u32)> = ids
                    .windows(2)
                    .filter_map(|w| match (w[0], w[1]) {
                        (Some(a), Some(b)) => Some((a, b)),
                        _ => None,
                    })
                    .collect();
                pairs.sort_unstable();
                pairs.dedup();
                for pr in pairs {
                    *acc.entry(pr).or_insert(0) += 1;
                }
                acc
            })
            .reduce(FxHashMap::default, add_pair_counts);
        let chosen = phrases::select(&pair_docs, &term_docs, n_docs, &p.phrases);
        let mut chosen_sorted: Vec<((u32, u32), String)> = chosen
            .into_iter()
            .map(|(a, b)| ((a, b), format!("{} {}", terms[a as usize].key, terms[b as usize].key)))
            .collect();
        chosen_sorted.sort_by(|x, y| x.1.cmp(&y.1));
        // A phrase is shown as complaints most often write it ("wells
        // fargo"), not as its words' own most frequent forms ("well fargo").
        let chosen_set: FxHashSet<(u32, u32)> = chosen_sorted.iter().map(|x| x.0).collect();
        // How often each written pair of a phrase occurs, and each
        // phrase's occurrences (at most `MAX_COUNTED` per complaint).
        type PairCounts = FxHashMap<(u32, u32), u32>;
        let (pair_surfaces, phrase_cf) = if chosen_set.is_empty() {
            (PairCounts::default(), PairCounts::default())
        } else {
            docs.par_iter()
                .fold(
                    || (PairCounts::default(), PairCounts::default(), Vec::new()),
                    |(mut written, mut cf, mut found), doc| {
                        found.clear();
                        for w in doc.windows(2) {
                            if let (Some(va), Some(vb)) = (w[0], w[1]) {
                                if let (Some(a), Some(b)) = (to_term(&w[0]), to_term(&w[1])) {
                                    if chosen_set.contains(&(a, b)) {
                                        *written.entry((va, vb)).or_insert(0) += 1;
                                        found.push((a, b));
                                    }
                                }
                            }
                        }
                        for (pair, count) in capped_counts(&mut found) {
                            *cf.entry(pair).or_insert(0) += count;
                        }
                        (written, cf, found)
                    },
                )
                .map(|(written, cf, _)| (written, cf))
                .reduce(
                    || (PairCounts::default(), PairCounts::default()),
                    |(wa, ca), (wb, cb)| (add_pair_counts(wa, wb), add_pair_counts(ca, cb)),
                )
        };
        // Most frequent written pair per phrase (ties: the alphabetically first).
        let mut phrase_surface: FxHashMap<(u32, u32), (u32, String)> = FxHashMap::default();
        for (&(va, vb), &c) in &pair_surfaces {
            let (Some(a), Some(b)) = (to_term(&Some(va)), to_term(&Some(vb))) else { continue };
            let shown = |v: u32| variants.get(v as usize).map_or(String::new(), |&(w, neg, at)| shown_as(w, neg, at));
            let text = format!("{} {}", shown(va), shown(vb));
            let slot = phrase_surface.entry((a, b)).or_insert((0, String::new()));
            if c > slot.0 || (c == slot.0 && text < slot.1) {
                *slot = (c, text);
            }
        }
        for ((a, b), key) in chosen_sorted {
            let c = pair_docs.get(&(a, b)).copied().unwrap_or(1);
            let surface = match phrase_surface.remove(&(a, b)) {
                Some((_, text)) => text,
                _ => format!("{} {}", terms[a as usize].surface, terms[b as usize].surface),
            };
            let weight = term_weight(n_docs, c, u64::from(phrase_cf.get(&(a, b)).copied().unwrap_or(c)));
            terms.push(Term { key, surface, kind: TermKind::Phrase, idf: weight, parts: Some([a, b]) });
        }
        Vocabulary::from_parts(terms, words)
    }

    fn word_id(&self, seg: &Segmenter, surface: &str, negated: bool, hint: Option<u32>) -> Slot {
        match hint {
            Some(id) if negated => self.negated(id),
            Some(id) => Some(id),
            None => {
                let key = seg.key(surface);
                if negated {
                    self.key_index.get(&format!("not_{key}")).copied()
                } else {
                    self.key_index.get(key.as_ref()).copied()
                }
            }
        }
    }

    /// The id of `not_` + the key of term `id`.
    fn negated(&self, id: u32) -> Slot {
        self.negated_of.get(id as usize).copied().filter(|&n| n != u32::MAX)
    }

    /// [`Vocabulary::word_id`] with the ids of words outside the lexicon
    /// (stemmed on every occurrence otherwise) remembered in `cache`.
    fn word_id_cached(
        &self,
        seg: &Segmenter,
        surface: &str,
        negated: bool,
        hint: Option<u32>,
        cache: &mut WordCache,
    ) -> Slot {
        if hint.is_some() {
            return self.word_id(seg, surface, negated, hint);
        }
        let (plain, not) = match cache.words.get(surface) {
            Some(&ids) => ids,
            None => {
                let key = seg.key(surface);
                let ids =
                    (self.key_index.get(key.as_ref()).copied(), self.key_index.get(&format!("not_{key}")).copied());
                if cache.words.len() >= WordCache::CAPACITY {
                    cache.words.clear();
                }
                cache.words.insert(surface, ids);
                ids
            }
        };
        if negated {
            not
        } else {
            plain
        }
    }

    /// The ordered term ids of a normalised complaint (`None` marks a break
    /// or an unknown word), without phrases.
    pub fn sequence(&self, seg: &Segmenter, normalized: &str, out: &mut Vec<Slot>) {
        out.clear();
        seg.walk(
            normalized,
            |w| self.lookup(w),
            |step| match step {
                Step::Word { surface, negated, hint } => out.push(self.word_id(seg, surface, negated, hint)),
                Step::Break => out.push(None),
            },
        );
    }

    /// How the segmenter should treat word `w`: a word of the lexicon (with
    /// its id) or a content word outside it.
    fn lookup(&self, w: &str) -> Lookup<u32> {
        self.lex.get(w).copied().unwrap_or(Lookup::Content(None))
    }

    /// How `normalized` writes each of its terms: `f(term, shown)` for every
    /// word and phrase occurrence, shown as the vocabulary shows a surface
    /// form ("not " before a negated word, "@" before a handle, a phrase's
    /// two words as written side by side). See [`crate::describe::respell`].
    pub fn spellings(&self, seg: &Segmenter, normalized: &str, mut f: impl FnMut(u32, String)) {
        let mut last: Option<(u32, String)> = None;
        seg.walk(
            normalized,
            |w| self.lookup(w),
            |step| match step {
                Step::Word { surface, negated, hint } => {
                    let Some(t) = self.word_id(seg, surface, negated, hint) else {
                        last = None;
                        return;
                    };
                    let shown = shown_as(surface, negated, after_at(normalized, surface));
                    if let Some((a, before)) = &last {
                        if let Some(p) = self.phrase(*a, t) {
                            f(p, format!("{before} {shown}"));
                        }
                    }
                    f(t, shown.clone());
                    last = Some((t, shown));
                }
                Step::Break => last = None,
            },
        );
    }

    /// [`Vocabulary::sequence`] with a word cache (the scoring path).
    fn sequence_cached(&self, seg: &Segmenter, normalized: &str, out: &mut Vec<Slot>, cache: &mut WordCache) {
        out.clear();
        cache.bind(self, seg);
        seg.walk(
            normalized,
            |w| self.lookup(w),
            |step| match step {
                Step::Word { surface, negated, hint } => {
                    out.push(self.word_id_cached(seg, surface, negated, hint, cache))
                }
                Step::Break => out.push(None),
            },
        );
    }

    /// Encode a raw complaint into its L2-normalised weighted term vector.
    pub fn vectorize(&self, seg: &Segmenter, text: &str) -> SparseVec {
        let normalized = normalize(text);
        self.vectorize_normalized(seg, &normalized)
    }

    /// Encode an already-normalised complaint.
    pub fn vectorize_normalized(&self, seg: &Segmenter, normalized: &str) -> SparseVec {
        let mut seq = Vec::new();
        self.sequence(seg, normalized, &mut seq);
        self.weigh(&seq)
    }

    /// Sublinear TF × term weights of an ordered sequence of term ids, phrases added.
    pub fn weigh(&self, seq: &[Slot]) -> SparseVec {
        let mut ids = Vec::new();
        let mut out = Vec::new();
        self.weigh_into(seq, &mut ids, &mut out);
        out
    }

    /// How often a complaint uses each word term (phrases aside), from its
    /// term sequence: sorted by term, at most `MAX_COUNTED` per term (the
    /// counting rule of the term weights). What [`crate::mixture`] counts.
    pub fn word_counts(seq: &[Slot], out: &mut SparseVec) {
        Self::word_counts_with(seq, &mut Vec::new(), out)
    }

    /// [`Vocabulary::word_counts`] with a buffer of the caller's.
    fn word_counts_with(seq: &[Slot], ids: &mut Vec<u32>, out: &mut SparseVec) {
        out.clear();
        ids.clear();
        ids.extend(seq.iter().flatten().copied());
        out.extend(capped_counts(ids).map(|(t, c)| (t, c as f32)));
    }

    /// Encode a raw complaint into `scratch.vector`, reusing its buffers
    /// (the hot path of scoring: no allocation but the normalised text).
    pub fn vectorize_with<'s>(&self, seg: &Segmenter, text: &str, scratch: &'s mut Scratch) -> &'s SparseVec {
        normalize_into(text, &mut scratch.text);
        self.sequence_cached(seg, &scratch.text, &mut scratch.seq, &mut scratch.cache);
        self.weigh_into(&scratch.seq, &mut scratch.ids, &mut scratch.vector);
        &scratch.vector
    }

    fn weigh_into(&self, seq: &[Slot], ids: &mut Vec<u32>, out: &mut SparseVec) {
        ids.clear();
        out.clear();
        ids.extend(seq.iter().flatten().copied());
        if !self.phrase_of.is_empty() {
            for w in seq.windows(2) {
                if let (Some(a), Some(b)) = (w[0], w[1]) {
                    if !self.starts_phrase.get(a as usize).copied().unwrap_or(false) {
                        continue;
                    }
                    if let Some(&p) = self.phrase_of.get(&(a, b)) {
                        ids.push(p);
                    }
                }
            }
        }
        ids.sort_unstable();
        let mut i = 0;
        while i < ids.len() {
            let id = ids[i];
            let mut j = i;
            while j < ids.len() && ids[j] == id {
                j += 1;
            }
            // Sublinear TF, 1 + ln(tf); most terms occur once.
            let tf = if j - i == 1 { 1.0 } else { 1.0 + ((j - i) as f32).ln() };
            let idf = self.idf.get(id as usize).copied().unwrap_or(0.0);
            let w = tf * idf;
            if w > 0.0 {
                out.push((id, w));
            }
            i = j;
        }
        let norm = out.iter().map(|&(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for e in out.iter_mut() {
                e.1 /= norm;
            }
        }
    }
}

/// Reusable buffers for [`Vocabulary::vectorize_with`].
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    text: String,
    seq: Vec<Slot>,
    ids: Vec<u32>,
    /// The last vector encoded.
    pub vector: SparseVec,
    /// Similarity scores (for the caller's use).
    pub scores: Vec<f32>,
    /// Word counts of the last complaint encoded, when asked for (see
    /// [`Scratch::count_words`]).
    pub counts: SparseVec,
    /// Scores for the caller's use.
    pub more_scores: Vec<f32>,
    /// More scores for the caller's use.
    pub view_scores: Vec<f32>,
    /// Yet more scores for the caller's use.
    pub piece_scores: Vec<f32>,
    /// A vector for the caller's use.
    pub part: SparseVec,
    pieces: crate::chargrams::PieceMemo,
    /// A second memo, for a model's table of handles' pieces.
    handles: crate::chargrams::PieceMemo,
    cache: WordCache,
}

impl Scratch {
    /// The last text encoded, normalised.
    pub fn normalized(&self) -> &str {
        &self.text
    }

    /// Put the piece vector of the complaint last encoded into
    /// [`Scratch::part`] (see [`crate::chargrams::PieceTable::vector`]).
    pub fn piece_vector(&mut self, table: &crate::chargrams::PieceTable) {
        table.vector(&self.text, &mut self.pieces, &mut self.part);
    }

    /// [`Scratch::piece_vector`] with its columns in the order the
    /// complaint first uses them (enough to score it against centres).
    pub fn unsorted_piece_vector(&mut self, table: &crate::chargrams::PieceTable) {
        table.unsorted_vector(&self.text, &mut self.pieces, &mut self.part);
    }

    /// [`Scratch::piece_vector`] over a model's second table, of handles'
    /// pieces (its own memo, so that the two tables do not evict each
    /// other's words).
    pub fn handle_vector(&mut self, table: &crate::chargrams::PieceTable) {
        table.vector(&self.text, &mut self.handles, &mut self.part);
    }

    /// [`Scratch::handle_vector`], its columns unsorted.
    pub fn unsorted_handle_vector(&mut self, table: &crate::chargrams::PieceTable) {
        table.unsorted_vector(&self.text, &mut self.handles, &mut self.part);
    }

    /// Fill [`Scratch::counts`] with the word counts of the complaint last
    /// encoded by [`Vocabulary::vectorize_with`]; returns their total.
    pub fn count_words(&mut self) -> f32 {
        Vocabulary::word_counts_with(&self.seq, &mut self.ids, &mut self.counts);
        self.counts.iter().map(|e| e.1).sum()
    }
}

/// Term ids (plain, negated) of words outside the lexicon, for one
/// vocabulary and segmenter at a time.
#[derive(Debug, Default, Clone)]
struct WordCache {
    owner: (u64, usize),
    words: WordMap<(Slot, Slot)>,
}

impl WordCache {
    /// Entries kept before the cache starts over (bounds its memory).
    const CAPACITY: usize = 1 << 16;

    fn bind(&mut self, vocabulary: &Vocabulary, seg: &Segmenter) {
        let owner = (vocabulary.uid, seg as *const Segmenter as usize);
        if self.owner != owner {
            self.words.clear();
            self.owner = owner;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learn<S: AsRef<str>>(texts: &[S]) -> (Segmenter, Vocabulary) {
        let seg = Segmenter::english();
        let norm: Vec<String> = texts.iter().map(|t| normalize(t.as_ref())).collect();
        let v = Vocabulary::learn(&seg, &norm, &VocabularyParams { min_df: 1, ..Default::default() });
        (seg, v)
    }

    #[test]
    fn vectors_are_unit_length_and_sorted() {
        let (seg, v) = learn(&["late delivery again", "refund not received", "delivery late"]);
        let x = v.vectorize(&seg, "Late delivery, very late");
        let norm: f32 = x.iter().map(|e| e.1 * e.1).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(x.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn negated_term_differs() {
        let (seg, v) = learn(&["refund not received", "parcel received", "refund not received today"]);
        let a = v.vectorize(&seg, "not received");
        let b = v.vectorize(&seg, "received");
        assert!(!a.is_empty() && !b.is_empty());
        assert_ne!(a[0].0, b[0].0);
        assert_eq!(v.term(a[0].0).map(|t| t.surface.as_str()), Some("not received"));
    }

    #[test]
    fn words_a_complaint_is_about_weigh_more_than_words_said_in_passing() {
        // "escrow" and "branch" are each in 20 of 40 complaints; "escrow"
        // recurs in every complaint that uses it, "branch" is said once.
        let mut texts = Vec::new();
        for i in 0..20 {
            texts.push(format!("escrow shortage again, the escrow account and escrow payment {i}"));
            texts.push(format!("visited the branch about my card {i}"));
        }
        let (_, v) = learn(&texts);
        let weight = |key: &str| v.id_of(key).and_then(|i| v.term(i)).map(|t| t.idf).unwrap_or(0.0);
        let plain = term_weight(40, 20, 20);
        assert!((weight("branch") - plain).abs() < 1e-6, "once per complaint: plain IDF");
        assert!(weight("escrow") > plain + 1.0, "{} vs {plain}", weight("escrow"));
        // One complaint repeating a word counts at most MAX_COUNTED times.
        let mut spam = texts.clone();
        spam.push(format!("{} ok", "scam ".repeat(500)));
        spam.push("scam again".to_string());
        let (_, v_spam) = learn(&spam);
        let scam = v_spam.id_of("scam").and_then(|i| v_spam.term(i)).map(|t| t.idf).unwrap_or(0.0);
        assert!((scam - term_weight(42, 2, (MAX_COUNTED + 1) as u64)).abs() < 1e-6, "{scam}");
        // A rare word repeated in two complaints is shrunk towards no bonus.
        let unshrunk = BURST_WEIGHT as f32 * (8.0f32 / 2.0).ln();
        assert!(term_weight(40, 2, 8) - term_weight(40, 2, 2) < unshrunk / 3.0);
        // In one-line complaints the weight is the smoothed IDF.
        assert!((term_weight(100, 5, 5) - ((101.0f64 / 6.0).ln() + 1.0) as f32).abs() < 1e-6);
    }

    #[test]
    fn min_df_prunes_and_idf_orders() {
        let seg = Segmenter::english();
        let norm: Vec<String> = ["card late", "card lost", "card stolen"].iter().map(|t| normalize(t)).collect();
        let v = Vocabulary::learn(&seg, &norm, &VocabularyParams { min_df: 2, ..Default::default() });
        assert_eq!(v.len(), 1);
        assert_eq!(v.terms()[0].surface, "card");
        let (_, v1) = learn(&["card late", "card lost", "card stolen"]);
        let card = v1.id_of("card").and_then(|i| v1.term(i)).map(|t| t.idf).unwrap_or(0.0);
        let late = v1.id_of("late").and_then(|i| v1.term(i)).map(|t| t.idf).unwrap_or(0.0);
        assert!(card < late);
    }

    #[test]
    fn handles_are_shown_with_their_at() {
        let (seg, v) = learn(&["@AcmeCare my order is late", "@acmecare still waiting", "acmecare refund please"]);
        let id = v.id_of("acmecar").or_else(|| v.id_of("acmecare")).expect("handle is a term");
        // Written as a handle twice, as a bare word once: shown as the handle.
        assert_eq!(v.term(id).map(|t| t.surface.as_str()), Some("@acmecare"));
        // One term either way: the "@" does not split the counts.
        assert_eq!(v.vectorize(&seg, "@acmecare"), v.vectorize(&seg, "acmecare"));
        // A word's uses count together, handle or not; "@" only when most are handles.
        let (_, mixed) = learn(&["@acme late again", "acme late again", "acmes late again"]);
        let acme = mixed.id_of("acm").and_then(|i| mixed.term(i)).map(|t| t.surface.as_str());
        assert_eq!(acme, Some("acme"));
        // A lone "@" marks no handle.
        let (_, plain) = learn(&["meet @ noon", "noon again", "at noon"]);
        let noon = plain.id_of("noon").and_then(|i| plain.term(i)).map(|t| t.surface.as_str());
        assert_eq!(noon, Some("noon"));
    }

    /// Twelve numbered copies of `texts`, each round with five unrelated
    /// complaints, so that phrase statistics have a background.
    fn with_background(texts: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..12 {
            out.extend(texts.iter().map(|t| format!("{t} {i}")));
            for w in ["late parcel", "broken screen", "rude driver", "wrong size", "missing item"] {
                out.push(format!("{w} {i}"));
            }
        }
        out
    }

    #[test]
    fn phrase_is_shown_as_complaints_write_it() {
        // "well" alone is more frequent than "wells", but the phrase is
        // always written "wells fargo".
        let texts = with_background(&[
            "wells fargo closed my account",
            "complaint about wells fargo fees",
            "it went well until today",
            "well the refund never came",
            "as well as a late fee",
        ]);
        let (_, v) = learn(&texts);
        let well = v.id_of("well").expect("word learned");
        assert_eq!(v.term(well).map(|t| t.surface.as_str()), Some("well"));
        let fargo = v.id_of("fargo").expect("word learned");
        let id = v.phrase(well, fargo).expect("phrase learned");
        assert_eq!(v.term(id).map(|t| t.surface.as_str()), Some("wells fargo"));
    }

    #[test]
    fn frequent_phrase_becomes_a_term() {
        let texts = with_background(&[
            "customer service was rude",
            "waiting for customer service reply",
            "the service fee is high",
            "another customer complained",
        ]);
        let (seg, v) = learn(&texts);
        let id = v.id_of("custom servic").expect("phrase learned");
        assert_eq!(v.term(id).map(|t| t.surface.as_str()), Some("customer service"));
        let x = v.vectorize(&seg, "Customer service never answered");
        assert!(x.iter().any(|e| e.0 == id));
    }

    #[test]
    fn unknown_words_and_empty_text() {
        let (seg, v) = learn(&["late delivery"]);
        assert!(v.vectorize(&seg, "zzzz qqqq").is_empty());
        assert!(v.vectorize(&seg, "").is_empty());
    }

    #[test]
    fn word_keys_are_one_to_one() {
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdef",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmno",
            "abcdefghijklmnop",
            "a\0",
            "\0",
            "\0\0",
            "ba",
            "abcdefgh\0",
            "zyxwvutsrqponm",
        ];
        let mut m = WordMap::default();
        for (i, w) in words.iter().enumerate() {
            m.insert(w, i);
        }
        assert_eq!(m.len(), words.len());
        for (i, w) in words.iter().enumerate() {
            assert_eq!(m.get(w), Some(&i), "{w:?}");
            match word_key(w) {
                WordKey::Short(k) => assert_eq!(k.to_le_bytes()[..w.len()], w.as_bytes()[..]),
                WordKey::Medium(k) => assert_eq!(k.to_le_bytes()[..w.len()], w.as_bytes()[..]),
                WordKey::Long(k) => assert_eq!(k, *w),
            }
        }
        assert_eq!(m.get("abcdefgj"), None);
        assert_eq!(m.get("abd"), None);
    }

    #[test]
    fn serde_round_trip_is_identical() {
        let (seg, v) = learn(&["refund not received", "customer service rude", "customer service slow"]);
        let json = serde_json::to_string(&v).expect("serialise");
        let back: Vocabulary = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(v.vectorize(&seg, "customer service refund"), back.vectorize(&seg, "customer service refund"));
        assert_eq!(serde_json::to_string(&back).expect("serialise"), json);
    }
}
