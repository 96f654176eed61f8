//! Stage 5b: a word mixture settles the problems and scores complaints.
//!
//! The similarity graph ([`crate::cluster`]) finds how many problems there
//! are and roughly where; it compares complaints by cosine, which only
//! counts the words two complaints share. A short complaint such as "I was
//! charged a fee for my transfer" then sits as well with card-payment fees
//! as with transfer fees: "fee" matches, and the word that tells them
//! apart is one the similarity ignores wherever the other side lacks it.
//! A Dirichlet multinomial mixture (the model of GSDMM, Yin & Wang 2014)
//! asks instead how likely the complaint's *every* word is under each
//! problem's word distribution, so a word a problem never uses counts
//! against it.
//!
//! The groups found are refined by hard EM on that mixture: in every sweep
//! each clustered complaint is scored against every group with the counts
//! of the previous sweep (its own counts taken out of its group: the
//! collapsed likelihood), and all complaints move at once, so the result
//! does not depend on their order or on the thread count. Words alone would
//! lose what the vectors know, so each score also carries a second view,
//! [`VIEW`] × the complaint's word count × the cosine of its view vector to
//! the group's mean: its character pieces ([`crate::chargrams`]:
//! misspellings, a brand's several handles), with half of [`VIEW`]
//! ([`PIECES_ALONE`]), and beside them the pieces of its handles and
//! hashtags alone with the other half when it has some ([`side_by_side`],
//! [`Mixture::handles`]). In a fit with the caller's
//! embeddings it is its embedding ([`side_by_side`]: meaning, "card not
//! arrived" and "delivery of my card" say the same) beside the pieces of
//! its handles and hashtags alone ([`crate::chargrams::PieceWords`]: the
//! brand a sentence encoder cannot read). The sweeps stop when no
//! complaint moves, or after [`MAX_SWEEPS`].
//!
//! Complaints of up to [`SHORT`] words move in every sweep; longer ones
//! move in the first sweep only, and then stay ([`LONG_SWEEPS`]; in a fit
//! with the caller's embeddings they do not move). A fitted model keeps
//! each problem's word counts ([`Mixture`]) and scores a short complaint
//! that fits some problem (its centre reaches the threshold) among the
//! problems whose centre shares a keyword with it, by the same likelihood
//! (naive Bayes, linear in the complaint's counts: see [`Scorer`]) plus a
//! second view, as in the fit: the cosine of its embedding to the
//! problem's embedding centre for a model fitted with embeddings (averaged
//! with the cosine of its handles' pieces when it has some; files of
//! schema 3 and older keep none), else the cosine of its character pieces
//! to the problem's piece centre, over the pieces the problems use most
//! ([`Mixture::pieces`], [`crate::chargrams::PieceTable`]; files of schema
//! 2, which keep none, use the complaint's similarity to the problem's
//! centre). Scored by
//! pieces rather than that similarity, complaints a model has not seen
//! (fit on a random half, `predict` the other; mean of 10 draws) went on
//! tweet_complaints from NMI / ARI 0.355 / 0.145 to 0.401 / 0.170 and on
//! banking77 from 0.679 / 0.332 to 0.684 / 0.339, ahead on 9 or 10 draws
//! of 10; on cfpb_products, whose long narratives share most of their
//! pieces whatever the product, from 0.326 / 0.135 to 0.325 / 0.132
//! (ahead on 4 and 3 draws). Measured
//! on the labelled data (whole files; paired draws in the README): with
//! the built-in word vectors, banking77 NMI / ARI 0.665 / 0.320 → 0.688 /
//! 0.346, tweet_complaints 0.540 / 0.231 → 0.550 / 0.240, cfpb_products
//! 0.340 / 0.126 → 0.343 / 0.130 (the pieces' view is what keeps
//! tweet_complaints: without it, 0.54 → 0.36); with MiniLM embeddings,
//! banking77 0.759 / 0.456 → 0.785 / 0.490, tweet_complaints 0.500 /
//! 0.240 → 0.514 / 0.246, cfpb_products 0.363 / 0.119 → 0.374 / 0.126
//! (with the embedding alone as the view, tweet_complaints lost on paired
//! draws).

use crate::chargrams::PieceTable;
use crate::cluster::Centroids;
use crate::control::Control;
use crate::error::Result;
use crate::vectorize::SparseVec;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Dirichlet prior on the problems' sizes (GSDMM's alpha).
pub const ALPHA: f64 = 0.1;
/// Dirichlet prior on each problem's word distribution (GSDMM's beta).
pub const BETA: f64 = 0.1;
/// Weight of the second view, per word of the complaint: the cosine of its
/// view vector (character pieces or embedding) to the group's mean.
pub const VIEW: f64 = 10.0;
/// Share of [`VIEW`] that the pieces of every word carry in a complaint
/// without handles or hashtags: the half they carry beside the pieces of
/// handles in one that has some ([`side_by_side`]). So the pieces of
/// every word weigh alike in every complaint, and the handles' pieces add
/// theirs. (Before models recorded it, a complaint's pieces weighed the
/// whole of [`VIEW`] when it had no handles: see
/// [`Mixture::pieces_alone`].) The embedding, the view of a fit with the
/// caller's embeddings, weighs the whole of [`VIEW`] on its own.
pub const PIECES_ALONE: f64 = 0.5;
/// Most sweeps of hard EM.
pub const MAX_SWEEPS: usize = 10;
/// Complaints of at most this many counted words are weighed by the
/// mixture in every sweep and when a model scores them; longer ones move
/// in the first [`LONG_SWEEPS`] sweeps only (from the group the centres
/// gave them to the group whose words explain them best), then stay, and
/// a model scores them by its centres. The mixture assumes one topic per
/// text, as short texts have (GSDMM was made for them); over a long
/// narrative its likelihood is so peaked that a few counts more or less
/// in a group move it, so long texts moving in every sweep chase each other and fits of
/// different samples of the same narratives agreed much less; never moving
/// them lost what their words say (see the README). Queries and tweets
/// count fewer than 25 words in 99 of 100, narratives 56 in the median.
pub const SHORT: f32 = 30.0;
/// Sweeps in which a complaint longer than [`SHORT`] words may move, in
/// the default fit (with the built-in word vectors). A fit with the
/// caller's embeddings passes 0: their centres already read what a
/// narrative is about, and moving narratives there gained nothing and
/// matched the largest categories less often (see the README).
pub const LONG_SWEEPS: usize = 1;

/// The word counts of one problem's complaints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// How many complaints it holds.
    pub complaints: f64,
    /// How often each word term occurs over them, sorted by term.
    pub counts: SparseVec,
    /// Its centre over the model's character pieces ([`Mixture::pieces`];
    /// unit length, empty for none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pieces: SparseVec,
    /// Its centre over the model's pieces of handles and hashtags
    /// ([`Mixture::handles`]; unit length, empty for none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handles: SparseVec,
}

impl Group {
    /// The group of the complaints whose word counts are `members`.
    pub fn of<'a>(members: impl IntoIterator<Item = &'a SparseVec>) -> Group {
        let mut sums: rustc_hash::FxHashMap<u32, f64> = Default::default();
        let mut complaints = 0.0;
        for m in members {
            complaints += 1.0;
            for &(t, c) in m {
                *sums.entry(t).or_default() += c as f64;
            }
        }
        let mut counts: SparseVec = sums.into_iter().map(|(t, c)| (t, c as f32)).collect();
        counts.sort_unstable_by_key(|e| e.0);
        Group { complaints, counts, pieces: Vec::new(), handles: Vec::new() }
    }

    /// Two groups as one (a merge of problems).
    pub fn merged(&self, other: &Group) -> Group {
        // Size-weighted, as the mean of both problems' complaints would be.
        let mean = |a: &Group, x: &SparseVec, b: &Group, y: &SparseVec| -> SparseVec {
            let scaled = |v: &SparseVec, n: f64| -> SparseVec { v.iter().map(|&(t, w)| (t, w * n as f32)).collect() };
            crate::cluster::normalized(&crate::cluster::add_scaled(&scaled(x, a.complaints), &scaled(y, b.complaints)))
        };
        Group {
            complaints: self.complaints + other.complaints,
            counts: crate::cluster::add_scaled(&self.counts, &other.counts),
            pieces: mean(self, &self.pieces, other, &other.pieces),
            handles: mean(self, &self.handles, other, &other.handles),
        }
    }

    fn total(&self) -> f64 {
        self.counts.iter().map(|e| e.1 as f64).sum()
    }
}

/// What a model scores with: the word counts of its problems, aligned with
/// its problem centres. (A dropped problem needs none: a complaint closest
/// to its centre goes to -1 before the words are weighed.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mixture {
    /// Word terms the problems draw from (the vocabulary less its phrases).
    pub words: u32,
    /// One per problem.
    pub problems: Vec<Group>,
    /// The character pieces the problems' complaints use most, for a model
    /// that scores short complaints by them too (see [`Scorer`]).
    #[serde(default)]
    pub pieces: Option<PieceTable>,
    /// The pieces of the handles and hashtags the problems use (none where
    /// the complaints had none), weighed beside the pieces of every word
    /// ([`Self::pieces`]), or beside the embedding in a model fitted with
    /// embeddings, as in the fit (see [`crate::chargrams::PieceWords`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handles: Option<PieceTable>,
    /// Share of [`VIEW`] the pieces of every word ([`Self::pieces`]) carry
    /// when scoring a complaint without handles' pieces: [`PIECES_ALONE`]
    /// in the models fitted now, 1 in files of schema 4 and older, which
    /// were fitted so.
    #[serde(default = "whole_view")]
    pub pieces_alone: f64,
}

/// The view's share in files that do not record it ([`Mixture::pieces_alone`]).
fn whole_view() -> f64 {
    1.0
}

impl Mixture {
    /// Why a model file's mixture cannot be used with `problems` centres
    /// and a vocabulary of `terms`, if so.
    pub(crate) fn check(&self, problems: usize, terms: usize) -> std::result::Result<(), String> {
        if self.problems.len() != problems {
            return Err("the word mixture does not match the problems".into());
        }
        // A fit without any term keeps `words` 1 over an empty vocabulary.
        if self.words == 0 || self.words as usize > terms.max(1) {
            return Err("the word mixture's vocabulary size is invalid".into());
        }
        for g in &self.problems {
            self.check_group(g, terms)?;
        }
        for p in self.pieces.iter().chain(&self.handles) {
            p.check()?;
        }
        if !(self.pieces_alone > 0.0 && self.pieces_alone <= 1.0) {
            return Err("the word mixture's share of the pieces' view must be in (0, 1]".into());
        }
        Ok(())
    }
}

impl Mixture {
    /// Why `g`, one problem's word counts, cannot be scored with this
    /// mixture over a vocabulary of `terms`, if so.
    pub(crate) fn check_group(&self, g: &Group, terms: usize) -> std::result::Result<(), String> {
        let columns = self.pieces.as_ref().map_or(0, |p| p.columns());
        let handle_columns = self.handles.as_ref().map_or(0, |p| p.columns());
        let bad_count = |&(t, c): &(u32, f32)| t as usize >= terms || !c.is_finite() || c < 0.0;
        if !(g.complaints.is_finite() && g.complaints >= 0.0) || g.counts.iter().any(bad_count) {
            return Err("the word mixture refers to unknown terms or has invalid counts".into());
        }
        let bad = |v: &SparseVec, n: usize| v.iter().any(|&(t, w)| t as usize >= n || !w.is_finite());
        if bad(&g.pieces, columns) || bad(&g.handles, handle_columns) {
            return Err("a problem's character pieces refer to unknown pieces or have invalid weights".into());
        }
        Ok(())
    }
}

/// Two unit-length view vectors `a` and `b` (its columns numbered from
/// `b_offset` on) side by side at unit length, each weighing alike: the
/// cosine of two such vectors is the mean of the two views' cosines. One
/// empty vector leaves the other alone.
pub fn side_by_side(a: &SparseVec, b: &SparseVec, b_offset: u32) -> SparseVec {
    let half = if a.is_empty() || b.is_empty() { 1.0 } else { std::f32::consts::FRAC_1_SQRT_2 };
    let mut out: SparseVec = a.iter().map(|&(t, w)| (t, w * half)).collect();
    out.extend(b.iter().map(|&(t, w)| (t + b_offset, w * half)));
    out
}

/// Naive Bayes over a [`Mixture`]'s groups: for counts `c` (total `T`),
/// group `k` scores ln(complaints + α) + Σ c_w ln((n_kw + β) / β) +
/// T ln(β / (n_k + Vβ)), the log-probability of the complaint's words
/// under the group up to a constant. The sum runs over the complaint's
/// terms against a term-major table, as the centres are scored.
#[derive(Debug, Clone, Default)]
pub struct Scorer {
    table: Centroids,
    prior: Vec<f32>,
    per_word: Vec<f32>,
    /// The problems' centres over the character pieces, if kept.
    pub pieces: Option<Centroids>,
    /// Their centres over the pieces of handles, if kept.
    pub handles: Option<Centroids>,
}

impl Scorer {
    /// The scorer of `groups` over a vocabulary of `dim` terms, `words` of
    /// them words.
    pub fn new(dim: usize, groups: &[Group], words: u32, tables: [Option<&PieceTable>; 2]) -> Scorer {
        let [pieces, handles] = tables;
        let vb = words.max(1) as f64 * BETA;
        // The groups' centres over a piece table's columns.
        let centres = |table: &PieceTable, of: fn(&Group) -> &SparseVec| {
            let rows: Vec<SparseVec> = groups.iter().map(|g| of(g).clone()).collect();
            Centroids::from_sparse(table.columns(), &rows)
        };
        let rows: Vec<SparseVec> =
            groups.iter().map(|g| g.counts.iter().map(|&(t, c)| (t, lift(c as f64) as f32)).collect()).collect();
        Scorer {
            table: Centroids::from_sparse(dim, &rows),
            prior: groups.iter().map(|g| (g.complaints + ALPHA).ln() as f32).collect(),
            per_word: groups.iter().map(|g| (BETA.ln() - (g.total() + vb).ln()) as f32).collect(),
            pieces: pieces.map(|p| centres(p, |g| &g.pieces)),
            handles: handles.map(|p| centres(p, |g| &g.handles)),
        }
    }

    /// Every group's score for a complaint with word counts `counts`
    /// (summing to `total`), into `out`.
    pub fn scores(&self, counts: &SparseVec, total: f32, out: &mut Vec<f32>) {
        self.table.scores(counts, out);
        for ((o, &p), &w) in out.iter_mut().zip(&self.prior).zip(&self.per_word) {
            *o += p + total * w;
        }
    }
}

/// ln((n + β) / β): what one occurrence of a word adds to the score of a
/// group that has `n` of it, against one that has none.
fn lift(n: f64) -> f64 {
    (n + BETA).ln() - BETA.ln()
}

/// Σ_{j<c} ln((n + β + j) / (β + j)): what `c` more occurrences of a word
/// add to a group that has `n`, against one that has none.
fn gain(n: f64, c: f32, ln_first: f32) -> f64 {
    if c <= 1.0 {
        return ln_first as f64;
    }
    (0..c as u32).map(|j| ((n + BETA + j as f64) / (BETA + j as f64)).ln()).sum()
}

/// ln Γ(a + t) − ln Γ(a): the normaliser of `t` words drawn from a group
/// whose counts total `a − Vβ`.
fn rising(a: f64, t: f64) -> f64 {
    libm::lgamma(a + t) - libm::lgamma(a)
}

/// Hard EM from the groups `labels` (`None`: left out) of `k` groups.
/// `counts` are the complaints' word counts over a vocabulary of `dim`
/// terms (`words` of them words), `view` their unit-length view vectors
/// (character pieces or embeddings) over `view_columns` columns (none or
/// an empty one: no view for that complaint), each weighing its share
/// in `shares` of [`VIEW`] (none: the whole for every complaint).
/// Complaints of at most [`SHORT`] words may move in every sweep; longer
/// ones in the first `long_sweeps` sweeps only, and count in their group's
/// words where they are after that. Returns the new labels; a group may
/// end up empty.
#[allow(clippy::too_many_arguments)]
pub fn refine(
    counts: &[SparseVec],
    view: &[SparseVec],
    view_columns: usize,
    shares: &[f64],
    labels: &[Option<usize>],
    k: usize,
    dim: usize,
    words: u32,
    long_sweeps: usize,
    ctl: &Control,
) -> Result<Vec<Option<usize>>> {
    let vb = words.max(1) as f64 * BETA;
    let mut z: Vec<Option<usize>> = labels.iter().map(|l| l.filter(|&c| c < k)).collect();
    let totals: Vec<f32> = counts.iter().map(|x| x.iter().map(|e| e.1).sum()).collect();
    for sweep in 0..MAX_SWEEPS {
        ctl.check()?;
        // The groups' counts, term-major: n[t * k + c].
        let mut n = vec![0.0f32; dim * k];
        let mut mass = vec![0.0f64; k];
        let mut members = vec![0.0f64; k];
        for (x, c) in counts.iter().zip(&z) {
            let Some(c) = *c else { continue };
            members[c] += 1.0;
            for &(t, w) in x {
                if let Some(slot) = n.get_mut(t as usize * k + c) {
                    *slot += w;
                    mass[c] += w as f64;
                }
            }
        }
        let ln_first: Vec<f32> = n.par_iter().map(|&v| lift(v as f64) as f32).collect();
        let means = (view_columns > 0).then(|| {
            let as_index: Vec<usize> = z.iter().map(|c| c.unwrap_or(usize::MAX)).collect();
            Centroids::means(view_columns, k, view, &as_index)
        });
        // Each group's prior and normaliser depend on the complaint only
        // through its word count, which few distinct values take: computed
        // once per count (the same expressions, so the same bits).
        let moves = |i: usize| z[i].is_some() && (sweep < long_sweeps || totals[i] <= SHORT);
        let mut lengths: Vec<u32> = (0..counts.len()).filter(|&i| moves(i)).map(|i| totals[i].to_bits()).collect();
        lengths.sort_unstable();
        lengths.dedup();
        let group_term = |c: usize, t: f64| {
            if members[c] > 0.0 {
                (members[c] + ALPHA).ln() - rising(mass[c] + vb, t)
            } else {
                f64::NEG_INFINITY
            }
        };
        let base: Vec<f64> = lengths
            .par_iter()
            .flat_map_iter(|&bits| (0..k).map(move |c| group_term(c, f32::from_bits(bits) as f64)))
            .collect();
        let next: Vec<Option<usize>> = (0..counts.len())
            .into_par_iter()
            .map_init(
                || (vec![0.0f64; k], Vec::<f32>::new()),
                |(score, cos), i| {
                    let own = z[i]?;
                    let x = &counts[i];
                    if !moves(i) {
                        return Some(own);
                    }
                    let t = totals[i] as f64;
                    match lengths.binary_search(&totals[i].to_bits()).ok().and_then(|j| base.get(j * k..(j + 1) * k)) {
                        Some(terms) => score.copy_from_slice(terms),
                        None => score.iter_mut().enumerate().for_each(|(c, s)| *s = group_term(c, t)),
                    }
                    for &(term, w) in x {
                        let at = term as usize * k;
                        let (Some(row), Some(first)) = (n.get(at..at + k), ln_first.get(at..at + k)) else {
                            continue;
                        };
                        for ((s, &nc), &f) in score.iter_mut().zip(row).zip(first) {
                            if nc > 0.0 {
                                *s += gain(nc as f64, w, f);
                            }
                        }
                    }
                    // The complaint's own group, without it.
                    let mut mine = (members[own] - 1.0 + ALPHA).ln() - rising(mass[own] - t + vb, t);
                    for &(term, w) in x {
                        let left = n.get(term as usize * k + own).map_or(0.0, |&v| (v - w).max(0.0) as f64);
                        if left > 0.0 {
                            mine += gain(left, w, lift(left) as f32);
                        }
                    }
                    score[own] = mine;
                    if let (Some(v), Some(p)) = (&means, view.get(i)) {
                        if !p.is_empty() {
                            v.scores(p, cos);
                            let weight = VIEW * t * shares.get(i).copied().unwrap_or(1.0);
                            for (s, &cs) in score.iter_mut().zip(cos.iter()) {
                                *s += weight * cs as f64;
                            }
                        }
                    }
                    let mut best = own;
                    for (c, &s) in score.iter().enumerate() {
                        if s > score[best] || (s == score[best] && c < best) {
                            best = c;
                        }
                    }
                    Some(best)
                },
            )
            .collect();
        let moved = next.iter().zip(&z).filter(|(a, b)| a != b).count();
        z = next;
        if moved == 0 {
            break;
        }
    }
    Ok(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Word counts of a complaint from term ids.
    fn doc(terms: &[u32]) -> SparseVec {
        let mut ids = terms.to_vec();
        ids.sort_unstable();
        let mut out: SparseVec = Vec::new();
        for t in ids {
            match out.last_mut() {
                Some(e) if e.0 == t => e.1 += 1.0,
                _ => out.push((t, 1.0)),
            }
        }
        out
    }

    #[test]
    fn a_word_the_problem_never_uses_counts_against_it() {
        // Term 0 "fee", 1 "card", 2 "transfer". Both groups say "fee";
        // only the second says "transfer".
        let card = Group::of(&[doc(&[0, 1]), doc(&[0, 1]), doc(&[0, 1, 1])]);
        let transfer = Group::of(&[doc(&[0, 2]), doc(&[0, 2])]);
        let s = Scorer::new(3, &[card, transfer], 3, [None, None]);
        let mut out = Vec::new();
        let x = doc(&[0, 2]);
        s.scores(&x, 2.0, &mut out);
        assert!(out[1] > out[0], "{out:?}");
        let x = doc(&[0, 1]);
        s.scores(&x, 2.0, &mut out);
        assert!(out[0] > out[1], "{out:?}");
    }

    #[test]
    fn refining_moves_a_misplaced_complaint_and_keeps_the_rest() {
        let mut counts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..12 {
            counts.push(doc(&[0, 1, 3 + (i % 3)]));
            labels.push(Some(0));
            counts.push(doc(&[0, 2, 6 + (i % 3)]));
            labels.push(Some(1));
        }
        // A "transfer fee" complaint the graph put with the card fees.
        counts.push(doc(&[0, 2, 2]));
        labels.push(Some(0));
        labels.push(None);
        counts.push(doc(&[9]));
        let z = refine(&counts, &[], 0, &[], &labels, 2, 10, 10, LONG_SWEEPS, &Control::default()).unwrap();
        assert_eq!(z[24], Some(1));
        assert_eq!(z[25], None, "a complaint left out stays out");
        assert!(z[..24].iter().zip(&labels).all(|(a, b)| a == b));
    }

    #[test]
    fn a_long_complaint_moves_once_to_the_group_its_words_fit() {
        // Ten short complaints per group; a narrative of 40 words that all
        // belong to group 1 was put in group 0 (as centres can, by a few
        // words the two share).
        let mut counts = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..10 {
            counts.push(doc(&[0, 1]));
            labels.push(Some(0));
            counts.push(doc(&[2, 3]));
            labels.push(Some(1));
        }
        let long: Vec<u32> = (0..40).map(|i| 2 + i % 2).collect();
        counts.push(doc(&long));
        labels.push(Some(0));
        assert!(counts[20].iter().map(|e| e.1).sum::<f32>() > SHORT);
        let z = refine(&counts, &[], 0, &[], &labels, 2, 4, 4, LONG_SWEEPS, &Control::default()).unwrap();
        assert_eq!(z[20], Some(1));
        assert_eq!(z[..20], labels[..20]);
        // A fit with the caller's embeddings keeps it where it is.
        let kept = refine(&counts, &[], 0, &[], &labels, 2, 4, 4, 0, &Control::default()).unwrap();
        assert_eq!(kept, labels);
    }

    #[test]
    fn the_pieces_view_can_hold_a_complaint_its_words_would_move() {
        // Words alone send the last complaint to group 1; its pieces are
        // all group 0's.
        let mut counts = Vec::new();
        let mut pieces = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..10 {
            counts.push(doc(&[0, 1]));
            pieces.push(vec![(0u32, 1.0f32)]);
            labels.push(Some(0));
            counts.push(doc(&[2, 3]));
            pieces.push(vec![(1u32, 1.0f32)]);
            labels.push(Some(1));
        }
        counts.push(doc(&[3]));
        pieces.push(vec![(0u32, 1.0f32)]);
        labels.push(Some(0));
        let words_only = refine(&counts, &[], 0, &[], &labels, 2, 4, 4, LONG_SWEEPS, &Control::default()).unwrap();
        assert_eq!(words_only[20], Some(1));
        let with_pieces = refine(&counts, &pieces, 2, &[], &labels, 2, 4, 4, LONG_SWEEPS, &Control::default()).unwrap();
        assert_eq!(with_pieces[20], Some(0));
        // A complaint's share of the view scales it: at 0.3 its pieces no
        // longer outweigh its word, while the others' hold them.
        let mut shares = vec![1.0; counts.len()];
        shares[20] = 0.3;
        let less = refine(&counts, &pieces, 2, &shares, &labels, 2, 4, 4, LONG_SWEEPS, &Control::default()).unwrap();
        assert_eq!(less[20], Some(1));
        assert_eq!(less[..20], with_pieces[..20]);
    }

    #[test]
    fn views_side_by_side_weigh_alike() {
        let a: SparseVec = vec![(0, 0.6), (1, 0.8)];
        let b: SparseVec = vec![(0, 1.0)];
        let x = side_by_side(&a, &b, 2);
        let y = side_by_side(&a, &Vec::new(), 2);
        let cos = |u: &SparseVec, v: &SparseVec| crate::cluster::dot(u, v);
        assert!((cos(&x, &x) - 1.0).abs() < 1e-6);
        assert!((cos(&y, &y) - 1.0).abs() < 1e-6, "one view alone is still unit length");
        // Same embedding, no pieces in common: half the cosine.
        let z = side_by_side(&a, &vec![(1, 1.0)], 2);
        assert!((cos(&x, &z) - 0.5).abs() < 1e-6);
        assert_eq!(side_by_side(&Vec::new(), &b, 2), vec![(2, 1.0)]);
    }

    #[test]
    fn merged_groups_add_up() {
        let a = Group::of(&[doc(&[0, 1])]);
        let b = Group::of(&[doc(&[1, 2]), doc(&[2])]);
        let m = a.merged(&b);
        assert_eq!(m.complaints, 3.0);
        assert_eq!(m.counts, vec![(0, 1.0), (1, 2.0), (2, 2.0)]);
    }

    #[test]
    fn damaged_mixtures_are_refused() {
        let g = Group::of(&[doc(&[0, 1])]);
        let ok =
            Mixture { words: 2, problems: vec![g.clone()], pieces: None, handles: None, pieces_alone: PIECES_ALONE };
        assert!(ok.check(1, 2).is_ok());
        assert!(ok.check(2, 2).is_err());
        assert!(ok.check(1, 1).is_err());
        let bad = Mixture {
            words: 2,
            problems: vec![Group {
                complaints: 1.0,
                counts: vec![(0, f32::NAN)],
                pieces: Vec::new(),
                handles: Vec::new(),
            }],
            pieces: None,
            handles: None,
            pieces_alone: PIECES_ALONE,
        };
        assert!(bad.check(1, 2).is_err());
        for share in [0.0, 1.5, f64::NAN] {
            assert!(Mixture { pieces_alone: share, ..ok.clone() }.check(1, 2).is_err());
        }
    }
}
