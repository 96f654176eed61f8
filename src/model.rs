//! The problem model: parameters, fitting, scoring and the model file.
//!
//! [`ProblemModelParams`] holds the settings and has [`ProblemModelParams::fit`];
//! only a fit produces a [`ProblemModel`], so an unfitted model cannot be
//! used. A model scores new complaints with exactly the code path that
//! labelled the fitting complaints, so `predict` on the training texts gives
//! the fit's labels, and a row's answer never depends on its batch.
//!
//! Model files are JSON with a schema version ([`SCHEMA_VERSION`]) and the
//! library version that wrote them; they are data, never code.

use crate::answers;
use crate::chargrams;
use crate::chargrams::PieceTable;
use crate::cluster::{self, Centroids, ClusterParams};
use crate::control::Control;
use crate::describe::{self, Example, Keyword};
use crate::edits::{Edit, Lineage};
use crate::embed::{self, Blend, Embeddings};
use crate::error::{Error, Result};
use crate::mixture::{self, Group, Mixture};
use crate::normalize::normalize;
use crate::rank;
use crate::segment::Segmenter;
use crate::vectorize::{Scratch, Slot, SparseVec, Vocabulary, VocabularyParams};
use crate::wordvec;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// Version of the model-file layout this library writes and reads (2: a
/// model may score by its problems' word counts, see [`crate::mixture`];
/// 3: and by their character pieces, see [`crate::chargrams::PieceTable`];
/// 4: the pieces of handles and hashtags, alone in a model fitted with
/// embeddings and beside those of every word otherwise, see
/// [`crate::chargrams::PieceWords`] and [`crate::mixture::Mixture::handles`];
/// 5: the share of the view the pieces of every word carry on their own,
/// see [`crate::mixture::Mixture::pieces_alone`]).
/// Older files still load and score as they did.
pub const SCHEMA_VERSION: u32 = 5;

/// The label given to complaints that fit no problem.
pub const NO_PROBLEM: i64 = -1;

pub(crate) fn segmenter() -> &'static Segmenter {
    Segmenter::shared()
}

/// Settings of a fit. `None` means "choose from the data".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProblemModelParams {
    /// Seed of the one random choice left: the k-means start when no group
    /// of complaints is large enough to stand alone (a rare fallback for
    /// tiny or structureless inputs). The sample a large fit learns from is
    /// chosen by the complaints' content, not by the seed, so otherwise a
    /// fit depends on neither seed nor row order at any size.
    pub seed: u64,
    /// Never more problems than this (default 100).
    pub max_problems: Option<usize>,
    /// Smallest problem, in complaints (default: 0.4% of the rows that hold a complaint, at least 3).
    pub min_size: Option<usize>,
    /// Complaints less similar than this to every problem get -1.
    pub threshold: Option<f32>,
    /// Granularity: above 1 finds more, finer problems; below 1 fewer,
    /// broader ones (the modularity resolution of the clustering).
    pub resolution: f32,
    /// At most this many complaints are clustered; the rest are assigned.
    pub sample_size: usize,
    /// At most this many complaints are read to learn the vocabulary.
    pub vocabulary_sample: usize,
    /// A word must appear in at least this many complaints.
    pub min_df: u32,
    /// With embeddings, the share of the similarity that comes from them
    /// (the rest comes from the keywords), in (0, 1).
    pub embedding_weight: f32,
    /// Without embeddings, group the complaints by the built-in word
    /// vectors and the character pieces of their words as well as by their
    /// keywords (see [`crate::wordvec`], [`crate::chargrams`]); false
    /// groups them by keywords alone.
    pub word_vectors: bool,
}

impl Default for ProblemModelParams {
    fn default() -> Self {
        ProblemModelParams {
            seed: 0,
            max_problems: None,
            min_size: None,
            threshold: None,
            resolution: 1.0,
            sample_size: 20_000,
            vocabulary_sample: 50_000,
            min_df: 2,
            embedding_weight: DEFAULT_EMBEDDING_WEIGHT,
            word_vectors: true,
        }
    }
}

/// The default similarity threshold below which a complaint fits no problem.
pub const DEFAULT_THRESHOLD: f32 = 0.08;
/// The default share of the similarity given to embeddings, when passed.
pub const DEFAULT_EMBEDDING_WEIGHT: f32 = 0.5;
/// The default cap on the number of problems.
pub const DEFAULT_MAX_PROBLEMS: usize = 100;

/// One problem of a fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Stable id: kept across refits that find the same problem.
    pub id: u32,
    /// Short human label ("refund not received").
    pub label: String,
    /// Distinctive keywords, best first.
    pub keywords: Vec<Keyword>,
    /// Number of fitting complaints assigned to it.
    pub size: usize,
    /// `size` over the fitting rows that hold a complaint (blank rows and
    /// non-answers are not counted: see [`ProblemModel::n_empty`]).
    pub share: f64,
    /// Mean similarity of its complaints to its centre, in [0, 1].
    pub cohesion: f32,
    /// Representative complaints, best first: close to the problem's centre
    /// and saying its most distinctive terms.
    pub examples: Vec<Example>,
    /// Its complaints that copy another of its complaints: the same text
    /// once normalised (case, numbers, dates… aside), or nearly (a template
    /// letter with another name or a typo), counted only for complaints of
    /// at least [`COPY_WORDS`] words, which different people do not write
    /// alike: a copy-paste wave. Problems are ranked by `size - copies`,
    /// so a wave counts once (see [`crate::rank`]).
    #[serde(default)]
    pub copies: usize,
}

/// Words a complaint needs before a repeat of it counts as a copy (see
/// [`Problem::copies`]): short answers ("too expensive", "app keeps
/// crashing") recur word for word because many customers say the same.
pub const COPY_WORDS: usize = 10;

/// How many of each problem's top keywords [`ProblemModel::merge_repeats`]
/// compares, and how many two problems must share: the words an analyst
/// reads first.
pub const REPEAT_KEYWORDS: usize = 5;
/// See [`REPEAT_KEYWORDS`].
pub const REPEAT_SHARED: usize = 2;

/// Keywords shown per theme.
pub const THEME_KEYWORDS: usize = 6;

/// A group of related problems (see [`ProblemModel::themes`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Theme {
    /// Its problem's label when it has one problem, else its two (or, to
    /// stay unique, three) most distinctive words, one per word family
    /// ("inquiry / report").
    pub label: String,
    /// Ids of its problems, largest first.
    pub problem_ids: Vec<u32>,
    /// Words frequent in its complaints and rare in the others', best first.
    pub keywords: Vec<String>,
    /// Complaints in its problems.
    pub size: usize,
    /// `size` over the fitting rows that hold a complaint (blank rows and
    /// non-answers are not counted: see [`ProblemModel::n_empty`]).
    pub share: f64,
}

/// A fitted model: vocabulary, problem centres and descriptions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProblemModel {
    schema_version: u32,
    library_version: String,
    params: ProblemModelParams,
    threshold: f32,
    n_rows: usize,
    /// Rows of those without a complaint (missing, blank or a non-answer).
    #[serde(default)]
    n_empty: usize,
    /// Name of the text column the model was fitted on, if known.
    #[serde(default)]
    pub text_column: Option<String>,
    pub(crate) problems: Vec<Problem>,
    pub(crate) vocabulary: Vocabulary,
    /// Unit-length centre of each problem, aligned with `problems`.
    pub(crate) centroids: Vec<SparseVec>,
    /// Centres of dropped problems whose complaints go to -1.
    #[serde(default)]
    pub(crate) suppressed: Vec<SparseVec>,
    /// Their word counts, one entry per centre once loaded, where kept (a
    /// model that scores short complaints by words): a dropped problem
    /// still competes for complaints as it did, and those it wins go to -1,
    /// so a drop moves no other complaint.
    /// (Files without them, and dropped centres a refit carries over from
    /// an older vocabulary, send to -1 whatever is nearest to the centre.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) suppressed_groups: Vec<Option<Group>>,
    /// Centres of dropped problems whose complaints went to their next-best
    /// problem: not scored against, kept so that the next fit with this
    /// model as `previous` drops the problem again if it finds it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) reassigned: Vec<SparseVec>,
    /// The centres of the problems an analyst merged, which score for the
    /// problem they became in place of its own centre (their size-weighted
    /// mean, which describes it): a complaint of either problem stays in
    /// the merged one, as the analyst meant, rather than going to -1 or
    /// elsewhere when the mean of two problems resembles it less than its
    /// own centre did, and no other complaint joins it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) parts: Vec<Part>,
    /// Analyst edits, replayed on the next fit with `previous`.
    #[serde(default)]
    pub(crate) edits: Vec<Edit>,
    /// The next unused problem id.
    #[serde(default)]
    pub(crate) next_id: u32,
    /// How the problems relate to the previous model's, if fitted with one.
    #[serde(default)]
    pub(crate) lineage: Lineage,
    /// How embeddings are blended in, for a model fitted with them.
    #[serde(default)]
    pub(crate) blend: Option<Blend>,
    /// The problems' word counts, for a model that chooses among the
    /// problems a complaint resembles by them (see [`crate::mixture`]).
    #[serde(default)]
    pub(crate) mixture: Option<Mixture>,
    #[serde(skip)]
    scorer: Centroids,
    /// The problem (index) each of `parts` scores for, in the scorers'
    /// last columns.
    #[serde(skip)]
    part_of: Vec<usize>,
    /// Per problem, whether it is merged (scored by its parts).
    #[serde(skip)]
    pub(crate) merged: Vec<bool>,
    /// Per dropped centre (`suppressed`), whether its word counts compete.
    #[serde(skip)]
    dropped_words: Vec<bool>,
    #[serde(skip)]
    words_scorer: Option<mixture::Scorer>,
    /// The embedding part of each problem's centre (unit length), for a
    /// model fitted with embeddings that scores by its words too.
    #[serde(skip)]
    embedding_scorer: Option<Centroids>,
}

/// One of the problems a merged problem was made of (see
/// [`ProblemModel`]'s `parts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// The problem it scores for.
    pub id: u32,
    /// Its unit-length centre, over the model's features.
    pub centre: SparseVec,
    /// Its word counts, for a model that scores short complaints by them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
    /// The label of the problem it was before the merge (files written
    /// before parts kept it have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// The result of a fit: the model and the label of every input row.
#[derive(Debug, Clone)]
pub struct Fit {
    /// The fitted model.
    pub model: ProblemModel,
    /// Problem id per input row, [`NO_PROBLEM`] for none.
    pub labels: Vec<i64>,
    /// Similarity of each row to its problem (to the nearest one for -1 rows).
    pub similarity: Vec<f32>,
}

fn text_of<T: AsRef<str>>(t: &Option<T>) -> &str {
    t.as_ref().map(|s| s.as_ref()).unwrap_or("")
}

/// The `m` rows of text a fit learns from, with their sampling keys (see
/// [`content_keys`]), in row order: all of them when there are no more.
fn content_sample<T: AsRef<str> + Sync>(texts: &[Option<T>], silent: &[bool], m: usize) -> Vec<(u64, usize)> {
    let said: Vec<usize> = (0..texts.len()).filter(|&i| !silent.get(i).copied().unwrap_or(true)).collect();
    lowest(content_keys(texts, &said), m)
}

/// Per row, whether it holds no complaint ([`blank`]), read in parallel
/// chunks that stop when the run is cancelled.
fn silent_rows<T: AsRef<str> + Sync>(texts: &[Option<T>], ctl: &Control) -> Result<Vec<bool>> {
    let parts: Vec<Vec<bool>> = texts
        .par_chunks(CHUNK)
        .map(|rows| if ctl.is_cancelled() { Vec::new() } else { rows.iter().map(blank).collect() })
        .collect();
    ctl.check()?;
    Ok(parts.concat())
}

/// Each row of `candidates` with its sampling key: a hash of its text
/// and, among copies of one text, of which copy it is. A fit learns from
/// the rows of lowest key ([`lowest`]): a fixed pseudo-random sample that
/// depends on the complaints alone, not on the seed nor on where the rows
/// stand, so above the sample size too a fit gives the same problems
/// whatever the seed and however the rows are sorted. Copies of one text
/// are taken in proportion to how many there are, as in a random sample
/// (which copies does not matter: they are the same text).
fn content_keys<T: AsRef<str> + Sync>(texts: &[Option<T>], candidates: &[usize]) -> Vec<(u64, usize)> {
    let hashes: Vec<u64> = candidates.par_iter().map(|&i| text_hash(text_of(&texts[i]))).collect();
    let mut copies: FxHashMap<u64, u64> = FxHashMap::default();
    candidates
        .iter()
        .zip(&hashes)
        .map(|(&i, &h)| {
            let k = copies.entry(h).or_insert(0);
            *k += 1;
            (cluster::mix(h ^ cluster::mix(*k)), i)
        })
        .collect()
}

/// The `m` entries of lowest key (all of them if there are no more), in
/// row order. The sample of a smaller `m` lies within that of a larger one.
fn lowest(mut keys: Vec<(u64, usize)>, m: usize) -> Vec<(u64, usize)> {
    if keys.len() > m {
        if m > 0 {
            keys.select_nth_unstable(m - 1);
        }
        keys.truncate(m);
    }
    keys.sort_unstable_by_key(|&(_, i)| i);
    keys
}

/// A text's hash, the same in every run (on 64-bit platforms, with the
/// locked `rustc-hash`).
fn text_hash(text: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(text.as_bytes());
    h.write_u64(text.len() as u64);
    cluster::mix(h.finish())
}

impl ProblemModelParams {
    /// Default settings.
    pub fn new() -> Self {
        Self::default()
    }

    fn validate(&self) -> Result<()> {
        if self.max_problems == Some(0) {
            return Err(Error::param("max_problems must be at least 1"));
        }
        if let Some(t) = self.threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(Error::param(format!("threshold must be between 0 and 1, got {t}")));
            }
        }
        if !(self.resolution.is_finite() && self.resolution > 0.0 && self.resolution <= 100.0) {
            return Err(Error::param(format!("resolution must be above 0 (and at most 100), got {}", self.resolution)));
        }
        if !(self.embedding_weight > 0.0 && self.embedding_weight < 1.0) {
            return Err(Error::param(format!(
                "embedding_weight must be between 0 and 1 (exclusive), got {}",
                self.embedding_weight
            )));
        }
        if self.sample_size < 2 || self.vocabulary_sample < 2 {
            return Err(Error::param("sample sizes must be at least 2"));
        }
        Ok(())
    }

    /// Fit problems to `texts` (`None` = missing). Runs in the current rayon
    /// pool; `ctl` reports progress and can cancel.
    pub fn fit<T: AsRef<str> + Sync>(&self, texts: &[Option<T>], ctl: &Control) -> Result<Fit> {
        self.fit_with(texts, None, ctl)
    }

    /// Like [`ProblemModelParams::fit`], but problems found again keep their
    /// id in `previous`, and `previous`'s analyst edits are replayed (see
    /// [`crate::edits`]).
    pub fn fit_with<T: AsRef<str> + Sync>(
        &self,
        texts: &[Option<T>],
        previous: Option<&ProblemModel>,
        ctl: &Control,
    ) -> Result<Fit> {
        self.fit_embedded(texts, None, previous, ctl)
    }

    /// Like [`ProblemModelParams::fit_with`], with one embedding per text
    /// blended into the similarity (see [`crate::embed`]). The model then
    /// needs embeddings from the same model to score new complaints.
    pub fn fit_embedded<T: AsRef<str> + Sync>(
        &self,
        texts: &[Option<T>],
        embeddings: Option<&Embeddings>,
        previous: Option<&ProblemModel>,
        ctl: &Control,
    ) -> Result<Fit> {
        self.validate()?;
        if let Some(e) = embeddings {
            embed::check_shape(e, texts.len(), None)?;
        }
        let blend = embeddings.map(|e| Blend { dim: e.dim(), weight: self.embedding_weight });
        // Without embeddings, the built-in word vectors take part in the
        // grouping only: the problems found are then described and scored
        // by their words (keywords and the word mixture), so the model
        // needs no vectors to score.
        let builtin = (embeddings.is_none() && self.word_vectors)
            .then_some(Blend { dim: wordvec::DIM, weight: wordvec::WORD_VECTOR_WEIGHT });
        let seg = segmenter();
        let n = texts.len();
        // The whole fit's work, announced once so a progress bar never
        // moves back: the vocabulary (2), the grouping, one assignment pass
        // over every row (two when refitting on a previous model), the
        // descriptions (2), and one more pass if problems said two ways are
        // merged (see `ProblemModel::merge_repeats`; skipped at once if not).
        let passes = if previous.is_some() { 3 } else { 2 };
        ctl.add_total(4 + cluster::PROGRESS_STEPS + passes * n.div_ceil(CHUNK) as u64);

        // Vocabulary from a sample; the clustered rows are a sub-sample of it.
        let silent = silent_rows(texts, ctl)?;
        let vocab_keys = content_sample(texts, &silent, self.vocabulary_sample.max(self.sample_size));
        let vocab_rows: Vec<usize> = vocab_keys.iter().map(|&(_, i)| i).collect();
        let normalized: Vec<String> = vocab_rows.par_iter().map(|&i| normalize(text_of(&texts[i]))).collect();
        ctl.check()?;
        let vocabulary =
            Vocabulary::learn(seg, &normalized, &VocabularyParams { min_df: self.min_df.max(1), ..Default::default() });
        ctl.advance(2);
        ctl.check()?;
        // The clustered rows: the sample's lowest-ranked, so the same rows
        // whatever the vocabulary sample's size (positions in `vocab_rows`).
        let picked: Vec<usize> = lowest(vocab_keys, self.sample_size)
            .into_iter()
            .filter_map(|(_, i)| vocab_rows.binary_search(&i).ok())
            .collect();
        let seqs: Vec<Vec<Option<u32>>> = picked
            .par_iter()
            .map(|&p| {
                let mut s = Vec::new();
                vocabulary.sequence(seg, &normalized[p], &mut s);
                s
            })
            .collect();
        // Word vectors of the clustered rows, weighed over them alone.
        // Character pieces too, with them (see `chargrams`), and with the
        // caller's embeddings, where the pieces only join the word
        // mixture's view (see `mixture`).
        let with_pieces = builtin.is_some() || blend.is_some();
        let sample: Vec<&str> =
            if with_pieces { picked.iter().map(|&p| normalized[p].as_str()).collect() } else { Vec::new() };
        let word_vectors = builtin.map(|_| wordvec::sample_vectors(&sample));
        // (With the caller's embeddings, only handles and hashtags give
        // pieces: see `chargrams::PieceWords`.)
        let which = if builtin.is_some() { chargrams::PieceWords::All } else { chargrams::PieceWords::Handles };
        let pieces = if with_pieces { chargrams::sample_vectors(&sample, which) } else { Default::default() };
        // With the built-in word vectors the mixture's view also weighs the
        // pieces of handles and hashtags on their own, beside those of
        // every word (see `chargrams::PieceWords`).
        let handles = if builtin.is_some() {
            chargrams::sample_vectors(&sample, chargrams::PieceWords::Handles)
        } else {
            Default::default()
        };
        // The sample's own copy (for the model's piece table, after the
        // mixture), so that every row's normalised text can go below.
        let sample: Vec<String> = sample.into_iter().map(str::to_string).collect();
        // Piece columns of the similarity.
        let char_columns = if builtin.is_some() { pieces.columns } else { 0 };
        let offset = vocabulary.len() as u32;
        let wv_offset = offset + char_columns as u32;
        let rows: Vec<SparseVec> = seqs
            .par_iter()
            .zip(&picked)
            .enumerate()
            .map(|(i, (s, &p))| {
                let mut x = vocabulary.weigh(s);
                if let (Some(b), Some(e)) = (&blend, embeddings) {
                    b.apply(&mut x, e.row(vocab_rows[p]), offset);
                } else if let (Some(b), Some(wv), false) = (&builtin, &word_vectors, x.is_empty()) {
                    // (Made from the normalised text, as the keywords see it:
                    // masked numbers, ids and dates read alike.) A complaint
                    // without keywords stays out of the grouping, as it does
                    // without word vectors.
                    if let (Some(g), Some(&w)) = (pieces.rows.get(i), pieces.weights.get(i)) {
                        chargrams::blend(&mut x, g, offset, w);
                    }
                    b.apply_unscaled(
                        &mut x,
                        wv.get(i * wordvec::DIM..(i + 1) * wordvec::DIM).unwrap_or(&[]),
                        wv_offset,
                    );
                }
                x
            })
            .collect();
        drop(word_vectors);
        // In the default fit the pieces of every word carry half the view
        // in a complaint without handles, as beside the handles' pieces in
        // one with some (see `mixture::PIECES_ALONE`).
        let shares: Vec<f64> = if builtin.is_some() {
            (0..seqs.len())
                .map(|i| match handles.rows.get(i) {
                    Some(h) if !h.is_empty() => 1.0,
                    _ => mixture::PIECES_ALONE,
                })
                .collect()
        } else {
            Vec::new()
        };
        let (piece_rows, view_columns) = if handles.columns > 0 {
            let rows = pieces
                .rows
                .iter()
                .zip(&handles.rows)
                .map(|(all, h)| mixture::side_by_side(all, h, char_columns as u32))
                .collect();
            (rows, char_columns + handles.columns)
        } else {
            (pieces.rows, char_columns)
        };
        drop(handles);
        let grouping_features = vocabulary.len() + char_columns + blend.or(builtin).map(|b| b.dim).unwrap_or(0);
        drop(normalized);

        let max_problems = self.max_problems.unwrap_or(DEFAULT_MAX_PROBLEMS);
        // The default scales with the complaints that say something: a
        // survey's blank answers do not make every problem too small.
        let said = silent.iter().filter(|&&s| !s).count();
        let min_size = self.min_size.unwrap_or_else(|| ((said as f64 * 0.004).round() as usize).max(3));
        // The sample's share of those complaints (it holds none of the rest).
        let scale = rows.len() as f64 / said.max(1) as f64;
        let initial = ((rows.len() as f64).sqrt() * 1.5).round() as usize;
        let cp = ClusterParams {
            seed: self.seed,
            initial: initial.clamp(2, max_problems.saturating_mul(2).max(2)),
            max_problems,
            min_size: ((min_size as f64 * scale).round() as usize).max(1),
            resolution: self.resolution,
            max_iter: 20,
            // k-means to convergence only with the built-in word vectors
            // (see `ClusterParams::refine_rounds`).
            refine_rounds: if builtin.is_some() { 20 } else { 0 },
            // (The pieces count in the similarity like the keywords, but
            // only the keywords find neighbours.)
            words: vocabulary.len() + char_columns,
            search_words: vocabulary.len(),
            dense_search: builtin.is_none(),
            // With the caller's embeddings, communities that hold several
            // clear ones are split (see `cluster::SPLIT_MODULARITY`).
            split_modularity: blend.is_some().then_some(cluster::SPLIT_MODULARITY),
        };
        let mut centroids = cluster::cluster(&rows, grouping_features, &cp, ctl)?;
        let mut mixture = None;
        let mut rows = rows;
        if builtin.is_some() {
            // The word mixture settles the groups (see `mixture`); then
            // keep the words of each centre (and of each clustered row, for
            // the descriptions): the model scores by keywords and words.
            let (centres, mut groups) = refine_by_mixture(
                &rows,
                grouping_features,
                &centroids,
                &seqs,
                (&piece_rows, view_columns, &shares),
                &vocabulary,
                Some((&sample, chargrams::PieceWords::All)),
                mixture::LONG_SWEEPS,
                ctl,
            )?;
            let words = vocabulary.len() as u32;
            let words_only: Vec<SparseVec> = centres.iter().map(|c| cluster::words_only(c, words)).collect();
            let kept: Vec<bool> = words_only.iter().map(|c| !c.is_empty()).collect();
            centroids = words_only.into_iter().filter(|c| !c.is_empty()).collect();
            groups.problems = groups.problems.into_iter().zip(&kept).filter(|(_, &k)| k).map(|(g, _)| g).collect();
            mixture = Some(groups);
            rows = rows.iter().map(|x| cluster::words_only(x, words)).collect();
        } else if let Some(b) = &blend {
            // With the caller's embeddings, the mixture weighs them and the
            // character pieces beside the words; the centres keep words and
            // embeddings, and a model scores by both.
            let view: Vec<SparseVec> = rows
                .par_iter()
                .zip(piece_rows.par_iter())
                .map(|(x, p)| mixture::side_by_side(&Blend::part(x, offset), p, b.dim as u32))
                .collect();
            let view_columns = b.dim + pieces.columns;
            let (centres, groups) = refine_by_mixture(
                &rows,
                grouping_features,
                &centroids,
                &seqs,
                (&view, view_columns, &[]),
                &vocabulary,
                Some((&sample, which)),
                // Narratives stay where the centres put them (see
                // `mixture::LONG_SWEEPS`).
                0,
                ctl,
            )?;
            centroids = centres;
            mixture = Some(groups);
        }
        drop(piece_rows);
        drop(sample);

        let threshold = self.threshold.unwrap_or(DEFAULT_THRESHOLD);
        let mut model = ProblemModel {
            schema_version: SCHEMA_VERSION,
            library_version: crate::VERSION.to_string(),
            params: self.clone(),
            threshold,
            n_rows: n,
            n_empty: 0,
            text_column: None,
            problems: Vec::new(),
            scorer: Centroids::default(),
            part_of: Vec::new(),
            merged: Vec::new(),
            dropped_words: Vec::new(),
            vocabulary,
            centroids,
            suppressed: Vec::new(),
            suppressed_groups: Vec::new(),
            reassigned: Vec::new(),
            parts: Vec::new(),
            edits: Vec::new(),
            next_id: 0,
            lineage: Lineage::default(),
            blend,
            mixture,
            words_scorer: None,
            embedding_scorer: None,
        };
        model.rebuild_scorer();

        // Assign every row; dissolve problems that end up too small.
        let (mut best, mut nearest): (Vec<Assignment>, Vec<Option<usize>>) =
            model.place_rows(texts, &silent, embeddings, ctl)?.into_iter().unzip();
        model.dissolve_small(texts, &silent, embeddings, min_size, &mut best, &mut nearest);
        ctl.check()?;

        // Describe from the clustered sample, then rank and number problems.
        let k = model.centroids.len();
        model.problems = (0..k as u32).map(Problem::placeholder).collect();
        let sample_rows = SampleRows { index: picked.iter().map(|&p| vocab_rows[p]).collect(), rows, seqs };
        let (mut labels, mut similarity) = model.summarize(texts, &silent, best, &sample_rows, true);
        // Problems that are one problem said two ways become one, and every
        // row is placed again (not with the caller's embeddings: see
        // `ProblemModel::merge_repeats`).
        if embeddings.is_none() && model.merge_repeats() {
            let (mut best, mut nearest): (Vec<Assignment>, Vec<Option<usize>>) =
                model.place_rows(texts, &silent, embeddings, ctl)?.into_iter().unzip();
            model.dissolve_small(texts, &silent, embeddings, min_size, &mut best, &mut nearest);
            model.problems = (0..model.centroids.len() as u32).map(Problem::placeholder).collect();
            (labels, similarity) = model.summarize(texts, &silent, best, &sample_rows, true);
        } else {
            ctl.advance(n.div_ceil(CHUNK) as u64);
        }
        let k = model.centroids.len();
        model.next_id = k as u32;
        if let Some(prev) = previous {
            // This fit's sampled complaints with their problem, for
            // carry_over to see where last month's centres put them.
            let members: Vec<(usize, &SparseVec)> = sample_rows
                .index
                .iter()
                .zip(&sample_rows.rows)
                .filter_map(|(&i, row)| labels.get(i).and_then(|&l| usize::try_from(l).ok()).map(|c| (c, row)))
                .collect();
            model.carry_over(prev, texts, &members);
            model.rebuild_scorer();
            let best = model.assign_rows(texts, Some(&silent), embeddings, ctl)?;
            (labels, similarity) = model.summarize(texts, &silent, best, &sample_rows, false);
        }
        ctl.advance(2);
        Ok(Fit { model, labels, similarity })
    }
}

/// The clustered rows' groups refined by the word mixture (see
/// [`crate::mixture`]): their centres over the grouping features, and their
/// word counts. `rows` are the clustered rows (grouping features, `dim` of
/// them), `centroids` the groups found, `seqs` the rows' term sequences and
/// `view` their vectors for the mixture's second view (`view_columns`
/// columns: character pieces, or embeddings), each weighing its share of
/// it (none: the whole, see [`mixture::refine`]); `texts` the rows' normalised
/// texts and the words the view's pieces were cut from, for the model's
/// piece tables (none: the model keeps no pieces): of every word
/// ([`chargrams::PieceWords::All`]) and of handles alone, or of handles
/// alone.
#[allow(clippy::too_many_arguments)]
fn refine_by_mixture(
    rows: &[SparseVec],
    dim: usize,
    centroids: &[SparseVec],
    seqs: &[Vec<Slot>],
    (view, view_columns, shares): (&[SparseVec], usize, &[f64]),
    vocabulary: &Vocabulary,
    texts: Option<(&[String], chargrams::PieceWords)>,
    long_sweeps: usize,
    ctl: &Control,
) -> Result<(Vec<SparseVec>, Mixture)> {
    let k = centroids.len();
    let grouping = Centroids::from_sparse(dim, centroids);
    let start: Vec<Option<usize>> =
        rows.par_iter()
            .map_init(Vec::new, |s, x| {
                if x.is_empty() {
                    None
                } else {
                    grouping.best(x, s).filter(|b| b.1 > 0.0).map(|b| b.0)
                }
            })
            .collect();
    let counts: Vec<SparseVec> = seqs
        .par_iter()
        .map(|s| {
            let mut c = Vec::new();
            Vocabulary::word_counts(s, &mut c);
            c
        })
        .collect();
    let words = vocabulary.terms().iter().filter(|t| t.parts.is_none()).count() as u32;
    let z = mixture::refine(&counts, view, view_columns, shares, &start, k, vocabulary.len(), words, long_sweeps, ctl)?;
    // The groups that kept members, in their order.
    let mut size = vec![0usize; k];
    for &c in z.iter().flatten() {
        size[c] += 1;
    }
    let mut index = vec![usize::MAX; k];
    let mut kept = 0;
    for (c, &m) in size.iter().enumerate() {
        if m > 0 {
            index[c] = kept;
            kept += 1;
        }
    }
    let labels: Vec<usize> = z.iter().map(|c| c.map_or(usize::MAX, |c| index[c])).collect();
    let centres = Centroids::means(dim, kept, rows, &labels).to_sparse();
    let mut members: Vec<Vec<&SparseVec>> = vec![Vec::new(); kept];
    for (x, &l) in counts.iter().zip(&labels) {
        if let Some(m) = members.get_mut(l) {
            m.push(x);
        }
    }
    let mut problems: Vec<Group> = members.into_iter().map(Group::of).collect();
    let pieces = texts.filter(|(_, which)| *which == chargrams::PieceWords::All).map(|(t, _)| {
        let (table, centres) =
            PieceTable::learn(t, chargrams::PieceWords::All, &labels, kept, chargrams::KEPT_PER_PROBLEM);
        for (g, c) in problems.iter_mut().zip(centres) {
            g.pieces = c;
        }
        table
    });
    // The pieces of handles alone, if the complaints had any.
    let handles = texts.and_then(|(t, _)| {
        let (table, centres) =
            PieceTable::learn(t, chargrams::PieceWords::Handles, &labels, kept, chargrams::KEPT_PER_PROBLEM);
        (table.columns() > 0).then(|| {
            for (g, c) in problems.iter_mut().zip(centres) {
                g.handles = c;
            }
            table
        })
    });
    Ok((centres, Mixture { words: words.max(1), problems, pieces, handles, pieces_alone: mixture::PIECES_ALONE }))
}

/// A row that holds no complaint: missing, blank, or a non-answer such as
/// "n/a" or "no comment" ([`answers::says_nothing`]).
fn blank<T: AsRef<str>>(text: &Option<T>) -> bool {
    answers::row_says_nothing(text.as_ref().map(|s| s.as_ref()))
}

/// The clustered sample: row numbers, vectors and term sequences.
struct SampleRows {
    index: Vec<usize>,
    rows: Vec<SparseVec>,
    seqs: Vec<Vec<Option<u32>>>,
}

impl Problem {
    fn placeholder(id: u32) -> Problem {
        Problem {
            id,
            label: String::new(),
            keywords: Vec::new(),
            size: 0,
            share: 0.0,
            cohesion: 0.0,
            examples: Vec::new(),
            copies: 0,
        }
    }
}

/// A row's problem (index into the centroids; `None` = no problem) and its
/// similarity to that problem's centre.
type Assignment = (Option<usize>, f32);

/// An assignment, and the problem whose centre the row resembles most when
/// that one fits it: the row's words may give it another problem (the word
/// mixture), whose choice depends on that centre being there.
type Placement = (Assignment, Option<usize>);

fn count(best: &[Assignment], k: usize) -> Vec<usize> {
    let mut sizes = vec![0usize; k];
    for b in best {
        if let Some(c) = b.0 {
            if c < k {
                sizes[c] += 1;
            }
        }
    }
    sizes
}

/// Per problem, its complaints of at least [`COPY_WORDS`] words that copy
/// another of its complaints (see [`Problem::copies`]): its long
/// complaints less the groups of copies they form.
///
/// Two complaints are copies when, once normalised, they share the same
/// [`COPY_SKETCH`] least hashes of their runs of three words (a bottom-k
/// sketch) under any of [`COPY_SKETCHES`] hash functions: word for word
/// repeats always do, and so, with high probability, do template letters
/// that differ in a name or a few words, while complaints that merely say
/// the same thing share too few runs of three words to.
fn copies<T: AsRef<str> + Sync>(texts: &[Option<T>], best: &[Assignment], k: usize) -> Vec<usize> {
    // (Only the long complaints are kept: most survey answers are short.)
    let long: Vec<(usize, [u64; COPY_SKETCHES])> = texts
        .par_iter()
        .zip(best)
        .filter_map(|(t, b)| {
            let c = b.0.filter(|&c| c < k)?;
            let text = normalize(text_of(t));
            let words: Vec<&str> = text.split_whitespace().collect();
            Some((c, sketches(&words)?))
        })
        .collect();
    // Copies are joined through any sketch they share (union-find).
    let mut parent: Vec<usize> = (0..long.len()).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for s in 0..COPY_SKETCHES {
        let mut first: FxHashMap<(usize, u64), usize> = FxHashMap::default();
        for (i, (c, keys)) in long.iter().enumerate() {
            let j = *first.entry((*c, keys[s])).or_insert(i);
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut out = vec![0usize; k];
    for i in 0..long.len() {
        if root(&mut parent, i) != i {
            out[long[i].0] += 1;
        }
    }
    out
}

/// Least hashes of a complaint's runs of three words kept per sketch.
const COPY_SKETCH: usize = 4;
/// Sketches per complaint (each under its own hash function).
const COPY_SKETCHES: usize = 3;

/// A complaint's [`COPY_SKETCHES`] sketches, each the hash of its
/// [`COPY_SKETCH`] least hashes of runs of three words; `None` for a
/// complaint of fewer than [`COPY_WORDS`] words, which is never a copy.
fn sketches(words: &[&str]) -> Option<[u64; COPY_SKETCHES]> {
    if words.len() < COPY_WORDS {
        return None;
    }
    let runs: Vec<u64> = words
        .windows(3)
        .map(|w| {
            use std::hash::Hasher;
            let mut h = rustc_hash::FxHasher::default();
            for x in w {
                h.write(x.as_bytes());
                h.write_u8(0xff);
            }
            h.finish()
        })
        .collect();
    let mut out = [0u64; COPY_SKETCHES];
    let mut least: Vec<u64> = Vec::with_capacity(runs.len());
    for (s, slot) in out.iter_mut().enumerate() {
        let salt = cluster::mix(s as u64 + 1);
        least.clear();
        least.extend(runs.iter().map(|&h| cluster::mix(h ^ salt)));
        least.sort_unstable();
        least.dedup();
        least.truncate(COPY_SKETCH);
        *slot = least.iter().fold(cluster::mix(least.len() as u64), |acc, &h| cluster::mix(acc ^ h));
    }
    Some(out)
}

/// Complaints per problem read for how they write its keywords and label.
const SPELLING_SAMPLE: usize = 200;

/// Candidates per problem for its examples: its complaints most similar to
/// its centre.
const EXAMPLE_POOL: usize = 200;

/// Up to five typical complaints per problem that show what sets it apart,
/// skipping near-copies. Of the complaints most similar to the problem's
/// centre, those first that also say its most distinctive terms (its
/// [`describe::Description::profile`]): the centre alone favours short,
/// generic complaints ("Why did I get a fee?" for a problem about fees
/// charged twice), which the label then does not describe.
fn examples<T: AsRef<str> + Sync>(
    texts: &[Option<T>],
    best: &[Assignment],
    descriptions: &[describe::Description],
    vocabulary: &Vocabulary,
) -> Vec<Vec<Example>> {
    let k = descriptions.len();
    let mut top: Vec<Vec<(f32, usize)>> = vec![Vec::new(); k];
    for (i, &(c, s)) in best.iter().enumerate() {
        if let Some(t) = c.and_then(|c| top.get_mut(c)) {
            t.push((s, i));
            if t.len() >= 2 * EXAMPLE_POOL {
                t.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                t.truncate(EXAMPLE_POOL);
            }
        }
    }
    top.into_par_iter()
        .zip(descriptions.par_iter())
        .map_init(Scratch::default, |scratch, (mut t, d)| {
            t.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            t.truncate(EXAMPLE_POOL);
            let mut scored: Vec<(f32, f32, usize)> = t
                .into_iter()
                .map(|(s, i)| {
                    let x = vocabulary.vectorize_with(segmenter(), text_of(&texts[i]), scratch);
                    (s + cluster::dot(x, &d.profile), s, i)
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
            // Examples say different things: no two alike once normalised,
            // nor copies of one long complaint (see `copies`).
            let mut seen: Vec<String> = Vec::new();
            let mut seen_long: Vec<[u64; COPY_SKETCHES]> = Vec::new();
            let mut out = Vec::new();
            for (_, s, i) in scored {
                let text = text_of(&texts[i]);
                let normal = normalize(text);
                let words: Vec<&str> = normal.split_whitespace().collect();
                if let Some(keys) = sketches(&words) {
                    if seen_long.iter().any(|k| k.iter().zip(&keys).any(|(a, b)| a == b)) {
                        continue;
                    }
                    seen_long.push(keys);
                }
                let key = words.join(" ");
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                out.push(Example { row: i, text: text.to_string(), similarity: s });
                if out.len() == 5 {
                    break;
                }
            }
            out
        })
        .collect()
}

/// Rows scored per progress/cancel check.
const CHUNK: usize = 8192;

impl ProblemModel {
    pub(crate) fn rebuild_scorer(&mut self) {
        let mut all = self.centroids.clone();
        all.extend(self.suppressed.iter().cloned());
        // Merged problems' parts come last in every scorer, in one order.
        // (A model file's parts all have word counts when it has a mixture:
        // see `validate`.)
        let parts: Vec<(usize, &Part)> = self
            .parts
            .iter()
            .filter_map(|part| self.problems.iter().position(|p| p.id == part.id).map(|i| (i, part)))
            .collect();
        self.part_of = parts.iter().map(|&(i, _)| i).collect();
        self.merged = vec![false; self.centroids.len()];
        for &i in &self.part_of {
            if let Some(m) = self.merged.get_mut(i) {
                *m = true;
            }
        }
        all.extend(parts.iter().map(|(_, p)| p.centre.clone()));
        self.scorer = Centroids::from_sparse(self.features(), &all);
        self.dropped_words = self.suppressed_groups.iter().map(Option::is_some).collect();
        self.words_scorer = self.mixture.as_ref().map(|m| {
            let mut groups = m.problems.clone();
            groups.extend(self.suppressed_groups.iter().map(|g| g.clone().unwrap_or_default()));
            groups.extend(parts.iter().map(|(_, p)| p.group.clone().unwrap_or_default()));
            mixture::Scorer::new(self.vocabulary.len(), &groups, m.words, [m.pieces.as_ref(), m.handles.as_ref()])
        });
        let offset = self.vocabulary.len() as u32;
        self.embedding_scorer = self.blend.filter(|_| self.mixture.is_some()).map(|b| {
            let centres = self.centroids.iter().chain(&self.suppressed).chain(parts.iter().map(|(_, p)| &p.centre));
            let embedded: Vec<SparseVec> = centres.map(|c| Blend::part(c, offset)).collect();
            Centroids::from_sparse(b.dim, &embedded)
        });
    }

    /// Number of features of a complaint vector: the vocabulary, then the
    /// embedding columns for a model fitted with embeddings.
    pub(crate) fn features(&self) -> usize {
        self.vocabulary.len() + self.blend.map(|b| b.dim).unwrap_or(0)
    }

    /// Columns of the embeddings this model needs to score, if any.
    pub fn embedding_dim(&self) -> Option<usize> {
        self.blend.map(|b| b.dim)
    }

    /// Per problem, how its complaints write the terms its description
    /// shows: read from up to [`SPELLING_SAMPLE`] of its clustered
    /// complaints (rows `index` of `texts`, in problems `labels`).
    fn spellings<T: AsRef<str> + Sync>(
        &self,
        texts: &[Option<T>],
        index: &[usize],
        labels: &[Option<usize>],
        descriptions: &[describe::Description],
    ) -> Vec<FxHashMap<u32, String>> {
        let k = descriptions.len();
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
        for (&i, l) in index.iter().zip(labels) {
            if let Some(m) = l.and_then(|c| members.get_mut(c)) {
                if m.len() < SPELLING_SAMPLE {
                    m.push(i);
                }
            }
        }
        let seg = segmenter();
        members
            .par_iter()
            .zip(descriptions)
            .map(|(rows, d)| {
                let wanted: FxHashSet<u32> =
                    d.keyword_terms.iter().chain(d.label_terms.iter().flatten()).copied().collect();
                let mut found = Vec::new();
                for &i in rows {
                    let text = normalize(texts.get(i).map_or("", text_of));
                    self.vocabulary.spellings(seg, &text, |t, shown| {
                        if wanted.contains(&t) {
                            found.push((t, shown));
                        }
                    });
                }
                describe::most_frequent(found)
            })
            .collect()
    }

    /// Drop the problems smaller than `min_size` (in `best`, each row's
    /// problem and similarity, and `nearest`, each row's nearest centre),
    /// moving only the rows they held or whose nearest centre they were
    /// (others keep their best, which is still present and still chosen: a
    /// fitted model scores the rows as the fit labels them). When none is
    /// large enough, every problem dissolves and every row is left without
    /// one, as `min_size` promises.
    fn dissolve_small<T: AsRef<str> + Sync>(
        &mut self,
        texts: &[Option<T>],
        silent: &[bool],
        embeddings: Option<&Embeddings>,
        min_size: usize,
        best: &mut [Assignment],
        nearest: &mut [Option<usize>],
    ) {
        loop {
            let sizes = count(best, self.centroids.len());
            let keep: Vec<usize> = (0..sizes.len()).filter(|&c| sizes[c] >= min_size.max(1)).collect();
            if keep.len() == sizes.len() {
                return;
            }
            let mut remap = vec![None; sizes.len()];
            for (new, &old) in keep.iter().enumerate() {
                remap[old] = Some(new);
            }
            self.centroids = keep.iter().map(|&c| self.centroids[c].clone()).collect();
            if let Some(m) = &mut self.mixture {
                m.problems = keep.iter().filter_map(|&c| m.problems.get(c).cloned()).collect();
            }
            self.rebuild_scorer();
            let gone = |c: Option<usize>| matches!(c, Some(c) if remap[c].is_none());
            // Rows without a problem go again too: the centre they resembled
            // most (below the threshold, their similarity) may be gone.
            let unplaced = |i: usize| best[i].0.is_none() && !silent.get(i).copied().unwrap_or(true);
            let moved: Vec<usize> =
                (0..best.len()).filter(|&i| gone(best[i].0) || gone(nearest[i]) || unplaced(i)).collect();
            let this = &*self;
            let redo: Vec<Placement> = moved
                .par_iter()
                .map_init(Scratch::default, |scratch, &i| {
                    this.place_said(text_of(&texts[i]), embeddings.map(|e| e.row(i)), scratch)
                })
                .collect();
            for c in best.iter_mut().map(|b| &mut b.0).chain(nearest.iter_mut()) {
                *c = c.and_then(|c| remap[c]);
            }
            for (&i, (b, c)) in moved.iter().zip(redo) {
                best[i] = b;
                nearest[i] = c;
            }
        }
    }

    /// The unit-length mean of the centres at `idx`, each weighed by its
    /// problem's size: the centre of problems merged into one.
    pub(crate) fn size_weighted_centre(&self, idx: &[usize]) -> SparseVec {
        let mut acc: SparseVec = Vec::new();
        for &i in idx {
            let w = self.problems[i].size.max(1) as f32;
            let scaled: SparseVec = self.centroids[i].iter().map(|&(t, x)| (t, x * w)).collect();
            acc = cluster::add_scaled(&acc, &scaled);
        }
        cluster::normalized(&acc)
    }

    /// Merge the problems that are one problem said two ways: two problems
    /// whose [`REPEAT_KEYWORDS`] top keywords share [`REPEAT_SHARED`], and
    /// whose centres are each other's nearest. Either alone is common
    /// between different problems (two problems share their most
    /// distinctive words when they are about different things said in the
    /// same words, and every problem has a nearest one); both together mark
    /// a problem split by how its complaints speak. Returns whether any
    /// were merged; the rows must then be placed again and the problems
    /// described again. Run once, on problems just described and ranked.
    ///
    /// Fits with the caller's embeddings do not run it: there the sentence
    /// vectors split problems along lines their words do not draw (card
    /// payments "declined" and "transfer declined", HWU64's "list" and
    /// "remove"), and such pairs share their top keywords and are each
    /// other's nearest while being different problems; merging them lost
    /// on banking77's paired draws (see docs/quality.md).
    fn merge_repeats(&mut self) -> bool {
        let k = self.centroids.len();
        let top: Vec<FxHashSet<String>> = self
            .problems
            .iter()
            .map(|p| p.keywords.iter().take(REPEAT_KEYWORDS).map(|w| w.text.to_lowercase()).collect())
            .collect();
        let centroids = &self.centroids;
        let nearest: Vec<Option<usize>> = (0..k)
            .into_par_iter()
            .map(|i| {
                let mut best: Option<(usize, f32)> = None;
                for j in (0..k).filter(|&j| j != i) {
                    let s = cluster::dot(&centroids[i], &centroids[j]);
                    if best.map_or(true, |b| s > b.1) {
                        best = Some((j, s));
                    }
                }
                best.map(|b| b.0)
            })
            .collect();
        let pairs: Vec<(usize, usize)> = (0..k)
            .filter_map(|i| nearest[i].map(|j| (i, j)))
            .filter(|&(i, j)| i < j && nearest[j] == Some(i))
            .filter(|&(i, j)| match (top.get(i), top.get(j)) {
                (Some(a), Some(b)) => a.intersection(b).count() >= REPEAT_SHARED,
                _ => false,
            })
            .collect();
        if pairs.is_empty() {
            return false;
        }
        // Each pair into its larger problem (the first: they are ranked),
        // size-weighted as an analyst's merge is; the pairs are disjoint,
        // nearest neighbours being mutual.
        for &(i, j) in &pairs {
            self.centroids[i] = self.size_weighted_centre(&[i, j]);
            if let Some(m) = &mut self.mixture {
                if let (Some(a), Some(b)) = (m.problems.get(i), m.problems.get(j)) {
                    m.problems[i] = a.merged(b);
                }
            }
        }
        let mut gone: Vec<usize> = pairs.iter().map(|&(_, j)| j).collect();
        gone.sort_unstable_by(|a, b| b.cmp(a));
        for j in gone {
            self.centroids.remove(j);
            self.problems.remove(j);
            if let Some(m) = &mut self.mixture {
                if j < m.problems.len() {
                    m.problems.remove(j);
                }
            }
        }
        self.rebuild_scorer();
        true
    }

    /// Sizes, copies, shares, cohesion, keywords and examples from an
    /// assignment; problems re-ranked by different complaints (size less
    /// copies), then size. With `fresh_labels`, labels are chosen
    /// and ids numbered by rank; otherwise ids and labels are kept (an empty
    /// label is filled in). `silent` says which rows hold no complaint
    /// ([`silent_rows`]). Returns per-row ids and similarities.
    fn summarize<T: AsRef<str> + Sync>(
        &mut self,
        texts: &[Option<T>],
        silent: &[bool],
        best: Vec<Assignment>,
        sample_rows: &SampleRows,
        fresh_labels: bool,
    ) -> (Vec<i64>, Vec<f32>) {
        let n = texts.len();
        let k = self.centroids.len();
        let sample_labels: Vec<Option<usize>> =
            sample_rows.index.iter().map(|&i| best.get(i).and_then(|b| b.0)).collect();
        let mut descriptions =
            describe::describe(&self.vocabulary, k, &sample_rows.rows, &sample_rows.seqs, &sample_labels);
        let spellings = self.spellings(texts, &sample_rows.index, &sample_labels, &descriptions);
        describe::respell(&mut descriptions, &spellings, &self.vocabulary);
        let sizes = count(&best, k);
        let copies = copies(texts, &best, k);
        // Shares are of the complaints that say something: a survey export's
        // blank answers are not complaints without a problem.
        let n_empty = best.iter().zip(silent).filter(|(b, &s)| b.0.is_none() && s).count();
        let answered = n - n_empty;
        let order = rank::rank_order(&sizes, &copies);
        let examples = examples(texts, &best, &descriptions, &self.vocabulary);
        let mut cohesion = vec![0.0f64; k];
        for &(c, s) in &best {
            if let Some(c) = c {
                cohesion[c] += s as f64;
            }
        }
        let ranked: Vec<&describe::Description> = order.iter().map(|&c| &descriptions[c]).collect();
        let fresh = describe::unique_labels(&ranked);
        let mut new_index = vec![0usize; k];
        let mut problems = Vec::with_capacity(k);
        for (r, &c) in order.iter().enumerate() {
            new_index[c] = r;
            let old = &self.problems[c];
            let (id, label) = if fresh_labels {
                (r as u32, fresh[r].clone())
            } else if old.label.is_empty() {
                (old.id, fresh[r].clone())
            } else {
                (old.id, old.label.clone())
            };
            problems.push(Problem {
                id,
                label,
                keywords: descriptions[c].keywords.clone(),
                size: sizes[c],
                share: if answered == 0 { 0.0 } else { sizes[c] as f64 / answered as f64 },
                cohesion: if sizes[c] == 0 { 0.0 } else { (cohesion[c] / sizes[c] as f64) as f32 },
                examples: examples[c].clone(),
                copies: copies[c],
            });
        }
        self.centroids = order.iter().map(|&c| self.centroids[c].clone()).collect();
        if let Some(m) = &mut self.mixture {
            m.problems = order.iter().filter_map(|&c| m.problems.get(c).cloned()).collect();
        }
        self.problems = problems;
        self.n_rows = n;
        self.n_empty = n_empty;
        self.rebuild_scorer();
        let ids: Vec<i64> =
            best.iter().map(|b| b.0.map(|c| self.problems[new_index[c]].id as i64).unwrap_or(NO_PROBLEM)).collect();
        (ids, best.iter().map(|b| b.1).collect())
    }

    /// Re-assign `texts` (the fitting complaints) and refresh every
    /// problem's statistics, keeping ids and labels. Returns ids and
    /// similarities per row.
    pub fn refresh<T: AsRef<str> + Sync>(
        &mut self,
        texts: &[Option<T>],
        ctl: &Control,
    ) -> Result<(Vec<i64>, Vec<f32>)> {
        self.refresh_embedded(texts, None, ctl)
    }

    /// Like [`ProblemModel::refresh`], with the fitting complaints' embeddings
    /// (needed for a model fitted with embeddings).
    pub fn refresh_embedded<T: AsRef<str> + Sync>(
        &mut self,
        texts: &[Option<T>],
        embeddings: Option<&Embeddings>,
        ctl: &Control,
    ) -> Result<(Vec<i64>, Vec<f32>)> {
        self.check_embeddings(embeddings, texts.len())?;
        let seg = segmenter();
        let silent = silent_rows(texts, ctl)?;
        let index: Vec<usize> =
            content_sample(texts, &silent, self.params.sample_size).into_iter().map(|(_, i)| i).collect();
        let seqs: Vec<Vec<Option<u32>>> = index
            .par_iter()
            .map(|&i| {
                let mut s = Vec::new();
                self.vocabulary.sequence(seg, &normalize(text_of(&texts[i])), &mut s);
                s
            })
            .collect();
        let rows: Vec<SparseVec> = seqs.par_iter().map(|s| self.vocabulary.weigh(s)).collect();
        let best = self.assign_indices(texts, Some(&silent), embeddings, ctl)?;
        Ok(self.summarize(texts, &silent, best, &SampleRows { index, rows, seqs }, false))
    }

    /// Check that `embeddings` suit this model for `rows` texts.
    pub(crate) fn check_embeddings(&self, embeddings: Option<&Embeddings>, rows: usize) -> Result<()> {
        match (&self.blend, embeddings) {
            (Some(_), None) if rows == 0 => Ok(()),
            (Some(b), e) => b.check(e, rows),
            (None, Some(_)) => Err(Error::input(
                "this model was fitted without embeddings: call it without embeddings=, or refit with them",
            )),
            (None, None) => Ok(()),
        }
    }

    /// A row's assignment, with the problem whose centre it resembles most
    /// when that one fits it ([`Placement`]).
    fn place_one(&self, text: &str, dense: Option<&[f32]>, scratch: &mut Scratch) -> Placement {
        // A blank row or a non-answer says nothing, whatever its embedding.
        let glance = answers::at_a_glance(text);
        if glance == Some(true) {
            return ((None, 0.0), None);
        }
        self.vocabulary.vectorize_with(segmenter(), text, scratch);
        if glance.is_none() && answers::says_nothing_normalized(scratch.normalized()) {
            return ((None, 0.0), None);
        }
        self.place_vectorized(dense, scratch)
    }

    /// [`ProblemModel::place_one`] for a row already known to hold a
    /// complaint (a fit reads that of every row once, see [`silent_rows`]).
    fn place_said(&self, text: &str, dense: Option<&[f32]>, scratch: &mut Scratch) -> Placement {
        self.vocabulary.vectorize_with(segmenter(), text, scratch);
        self.place_vectorized(dense, scratch)
    }

    /// The placement of the complaint `scratch` holds, vectorised.
    fn place_vectorized(&self, dense: Option<&[f32]>, scratch: &mut Scratch) -> Placement {
        if let (Some(b), Some(d)) = (&self.blend, dense) {
            b.apply(&mut scratch.vector, d, self.vocabulary.len() as u32);
        }
        let found = self.scorer.best(&scratch.vector, &mut scratch.scores);
        let found = if self.part_of.is_empty() { found } else { found.map(|_| self.fold_parts(&mut scratch.scores)) };
        let k = self.centroids.len();
        match found {
            // Nearest to a dropped problem: its complaints go to -1, unless
            // its words compete and choose a problem that remains.
            Some((c, s)) if c >= k => {
                let words = self.words_scorer.as_ref().filter(|_| self.dropped_words.get(c - k) == Some(&true));
                match words.filter(|_| self.fits(s)).and_then(|w| self.by_words(w, scratch)) {
                    Some((chosen, sim)) if chosen < k => ((Some(chosen), sim), None),
                    _ => ((None, s.max(0.0)), None),
                }
            }
            Some((c, s)) if self.fits(s) => match &self.words_scorer {
                Some(words) => match self.by_words(words, scratch) {
                    Some((chosen, sim)) if chosen < k => ((Some(chosen), sim), Some(c)),
                    // Its words chose a dropped problem.
                    Some(_) => ((None, s), None),
                    None => ((Some(c), s), Some(c)),
                },
                None => ((Some(c), s), Some(c)),
            },
            Some((_, s)) => ((None, s.max(0.0)), None),
            None => ((None, 0.0), None),
        }
    }

    /// A merged problem's similarity as the best of its parts' (see
    /// `parts`; its own centre, their mean, describes it but does not score
    /// for it, so a merge moves no complaint in or out), in `scores` (the
    /// scorer's columns: the problems', the dropped centres', then the
    /// parts', which stay); and the best of the first two kinds.
    fn fold_parts(&self, scores: &mut [f32]) -> (usize, f32) {
        let base = self.centroids.len() + self.suppressed.len();
        for &i in &self.part_of {
            if let Some(s) = scores.get_mut(i) {
                *s = f32::NEG_INFINITY;
            }
        }
        for (j, &i) in self.part_of.iter().enumerate() {
            if let (Some(&s), true) = (scores.get(base + j), i < base) {
                if s > scores[i] {
                    scores[i] = s;
                }
            }
        }
        // (The parts' own columns stay, for the words' choice.)
        let mut best = (0usize, f32::NEG_INFINITY);
        for (c, &s) in scores.iter().take(base).enumerate() {
            if s > best.1 {
                best = (c, s);
            }
        }
        best
    }

    /// Whether a complaint this similar to a problem's centre can be given it.
    fn fits(&self, similarity: f32) -> bool {
        similarity >= self.threshold && similarity > 0.0
    }

    /// Of the problems whose centre shares a keyword with the complaint last
    /// encoded in `scratch` (its similarities in `scratch.scores` above 0),
    /// the one its words are most likely drawn from,
    /// plus the second view ([`mixture::VIEW`] × its word count × a
    /// cosine, as in the fit: of its embedding to the problem's embedding
    /// centre in a model fitted with embeddings, averaged with that of its
    /// handles' pieces when it has some; else of its character pieces to
    /// the problem's piece centre, averaged likewise with that of its
    /// handles' pieces, or alone with the model's share of the view
    /// ([`Mixture::pieces_alone`]); of the complaint to the centre in files that keep
    /// no pieces), and its similarity to that
    /// centre; `None`
    /// for a complaint longer than [`mixture::SHORT`] words, which goes
    /// by its centres alone. The caller has checked that some centre
    /// reaches the threshold (else the complaint fits no problem); the
    /// problem its words choose may resemble it less, as the fit's mixture
    /// moves a complaint to any group its words are likelier under. A
    /// column past the problems is a dropped problem's (the complaint goes
    /// to -1).
    fn by_words(&self, words: &mixture::Scorer, scratch: &mut Scratch) -> Option<(usize, f32)> {
        let k = self.centroids.len();
        // The problems, and the dropped problems whose words compete (their
        // columns follow the problems'; one chosen sends the complaint to -1).
        let competes = |c: usize| c < k || self.dropped_words.get(c - k) == Some(&true);
        let candidates = scratch.scores.iter().enumerate().filter(|&(c, &sim)| sim > 0.0 && competes(c)).count();
        if candidates < 2 {
            return None;
        }
        let total = scratch.count_words();
        if total > mixture::SHORT {
            return None;
        }
        words.scores(&scratch.counts, total, &mut scratch.more_scores);
        let view = mixture::VIEW as f32 * total;
        // The second view: the cosine of the complaint's embedding or
        // character pieces to the problem's, as in the fit (into
        // `view_scores`); else, in files that keep no pieces, its
        // similarity to the problem's centre.
        let mixture = self.mixture.as_ref();
        let viewed = if let Some(e) = &self.embedding_scorer {
            Blend::part_into(&scratch.vector, self.vocabulary.len() as u32, &mut scratch.part);
            e.scores(&scratch.part, &mut scratch.view_scores);
            true
        } else if let (Some(table), Some(centres)) = (mixture.and_then(|m| m.pieces.as_ref()), &words.pieces) {
            scratch.unsorted_piece_vector(table);
            centres.scores(&scratch.part, &mut scratch.view_scores);
            true
        } else {
            false
        };
        // Beside it, the pieces of the complaint's handles, if it has any
        // and the model keeps them: the two cosines weigh alike, as side by
        // side in the fit.
        let mut with_handles = false;
        if let (true, Some(table), Some(centres)) = (viewed, mixture.and_then(|m| m.handles.as_ref()), &words.handles) {
            scratch.unsorted_handle_vector(table);
            if !scratch.part.is_empty() {
                with_handles = true;
                centres.scores(&scratch.part, &mut scratch.piece_scores);
                for (v, &p) in scratch.view_scores.iter_mut().zip(&scratch.piece_scores) {
                    *v = 0.5 * (*v + p);
                }
            }
        }
        // Without them, the pieces of every word carry the share of the
        // view the model was fitted with (the embedding its whole).
        let view = match mixture {
            Some(m) if viewed && !with_handles && self.embedding_scorer.is_none() => view * m.pieces_alone as f32,
            _ => view,
        };
        let dropped = self.suppressed.len();
        let score_of = |column: usize, sim: f32| {
            let like = scratch.more_scores.get(column).copied().unwrap_or(f32::NEG_INFINITY);
            let cosine = if viewed { scratch.view_scores.get(column).copied().unwrap_or(0.0) } else { sim };
            like + view * cosine
        };
        // A merged problem scores as the best of its parts (into
        // `piece_scores`, free again).
        let mut merged_scores = std::mem::take(&mut scratch.piece_scores);
        merged_scores.clear();
        if !self.part_of.is_empty() {
            merged_scores.resize(k, f32::NEG_INFINITY);
        }
        for (j, &i) in self.part_of.iter().enumerate() {
            // The part's own similarity (the merged problem's is the best of its parts').
            let sim = scratch.scores.get(k + dropped + j).or(scratch.scores.get(i)).copied().unwrap_or(0.0);
            if let Some(m) = merged_scores.get_mut(i) {
                *m = m.max(score_of(k + dropped + j, sim));
            }
        }
        // (column, similarity, score) of the best so far.
        let mut best: Option<(usize, f32, f32)> = None;
        for (c, &sim) in scratch.scores.iter().take(k + dropped).enumerate().filter(|&(c, _)| competes(c)) {
            let score = match merged_scores.get(c) {
                Some(&m) if self.merged.get(c).copied().unwrap_or(false) => m,
                _ => score_of(c, sim),
            };
            if sim > 0.0 && best.map_or(true, |b| score > b.2) {
                best = Some((c, sim, score));
            }
        }
        scratch.piece_scores = merged_scores;
        best.map(|(c, sim, _)| (c, sim))
    }

    /// Every row's assignment, its work added to `ctl`'s total (`silent`:
    /// see [`ProblemModel::assign_rows`]).
    fn assign_indices<T: AsRef<str> + Sync>(
        &self,
        texts: &[Option<T>],
        silent: Option<&[bool]>,
        embeddings: Option<&Embeddings>,
        ctl: &Control,
    ) -> Result<Vec<Assignment>> {
        ctl.add_total(texts.len().div_ceil(CHUNK) as u64);
        self.assign_rows(texts, silent, embeddings, ctl)
    }

    /// Every row's assignment, advancing `ctl` one unit per `CHUNK` rows
    /// (for a caller that counted them in its total). `silent`, when the
    /// caller has read it ([`silent_rows`]), says which rows hold no
    /// complaint, so they are not read again.
    fn assign_rows<T: AsRef<str> + Sync>(
        &self,
        texts: &[Option<T>],
        silent: Option<&[bool]>,
        embeddings: Option<&Embeddings>,
        ctl: &Control,
    ) -> Result<Vec<Assignment>> {
        self.rows_by(texts, silent, embeddings, ctl, |p| p.0)
    }

    /// [`ProblemModel::assign_rows`] with every row's [`Placement`].
    fn place_rows<T: AsRef<str> + Sync>(
        &self,
        texts: &[Option<T>],
        silent: &[bool],
        embeddings: Option<&Embeddings>,
        ctl: &Control,
    ) -> Result<Vec<Placement>> {
        self.rows_by(texts, Some(silent), embeddings, ctl, |p| p)
    }

    /// Every row placed, then kept as `keep` makes it, in parallel chunks.
    fn rows_by<T: AsRef<str> + Sync, R: Send>(
        &self,
        texts: &[Option<T>],
        silent: Option<&[bool]>,
        embeddings: Option<&Embeddings>,
        ctl: &Control,
        keep: impl Fn(Placement) -> R + Sync,
    ) -> Result<Vec<R>> {
        let chunks: Vec<Result<Vec<R>>> = texts
            .par_chunks(CHUNK)
            .enumerate()
            .map_init(Scratch::default, |scratch, (ci, chunk)| {
                ctl.check()?;
                let out = chunk
                    .iter()
                    .enumerate()
                    .map(|(j, t)| {
                        let i = ci * CHUNK + j;
                        let dense = embeddings.map(|e| e.row(i));
                        keep(match silent.and_then(|s| s.get(i)) {
                            Some(true) => ((None, 0.0), None),
                            Some(false) => self.place_said(text_of(t), dense, scratch),
                            None => self.place_one(text_of(t), dense, scratch),
                        })
                    })
                    .collect();
                ctl.advance(1);
                Ok(out)
            })
            .collect();
        let mut out = Vec::with_capacity(texts.len());
        for c in chunks {
            out.extend(c?);
        }
        Ok(out)
    }

    /// Problem id and similarity for every text, in order. A row whose best
    /// similarity is below the threshold gets [`NO_PROBLEM`] (and that
    /// similarity); a row that holds no complaint (missing, blank, or a
    /// non-answer such as "n/a": [`crate::answers`]) gets (-1, 0).
    pub fn score<T: AsRef<str> + Sync>(&self, texts: &[Option<T>], ctl: &Control) -> Result<(Vec<i64>, Vec<f32>)> {
        self.score_embedded(texts, None, ctl)
    }

    /// Like [`ProblemModel::score`], with one embedding per text (required,
    /// and only allowed, for a model fitted with embeddings).
    pub fn score_embedded<T: AsRef<str> + Sync>(
        &self,
        texts: &[Option<T>],
        embeddings: Option<&Embeddings>,
        ctl: &Control,
    ) -> Result<(Vec<i64>, Vec<f32>)> {
        self.check_embeddings(embeddings, texts.len())?;
        let best = self.assign_indices(texts, None, embeddings, ctl)?;
        let ids = best
            .iter()
            .map(|b| b.0.and_then(|c| self.problems.get(c)).map(|p| p.id as i64).unwrap_or(NO_PROBLEM))
            .collect();
        Ok((ids, best.iter().map(|b| b.1).collect()))
    }

    /// Problem id for every text, in order ([`NO_PROBLEM`] for none).
    pub fn predict<T: AsRef<str> + Sync>(&self, texts: &[Option<T>], ctl: &Control) -> Result<Vec<i64>> {
        Ok(self.score(texts, ctl)?.0)
    }

    /// The problems, largest first at fit time.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Themes: groups of problems whose complaints are more similar to
    /// each other than chance (see [`crate::themes`]), largest first (by
    /// different complaints, as problems are ranked: see [`Problem::copies`]).
    /// Computed from the model alone, so they follow every edit.
    pub fn themes(&self) -> Vec<Theme> {
        let sizes: Vec<usize> = self.problems.iter().map(|p| p.size).collect();
        let cohesion: Vec<f32> = self.problems.iter().map(|p| p.cohesion).collect();
        let found = crate::themes::themes(&self.centroids, &sizes, &cohesion);
        // Ranked as problems are (`rank::rank_order`): by different
        // complaints, a copy-paste wave counting once, then by size.
        let copies: Vec<usize> = self.problems.iter().map(|p| p.copies).collect();
        let total = |g: &Vec<usize>, of: &[usize]| g.iter().map(|&a| of.get(a).copied().unwrap_or(0)).sum::<usize>();
        let groups: Vec<Vec<usize>> = rank::rank_order(
            &found.iter().map(|g| total(g, &sizes)).collect::<Vec<_>>(),
            &found.iter().map(|g| total(g, &copies)).collect::<Vec<_>>(),
        )
        .into_iter()
        .map(|i| found[i].clone())
        .collect();
        let n_words = self.vocabulary.len();
        // Each problem's complaints summed (words only): size · cohesion · centre.
        let summed: Vec<SparseVec> = (0..self.problems.len().min(self.centroids.len()))
            .map(|a| {
                let mass = sizes[a] as f32 * cohesion[a].max(0.0);
                self.centroids[a].iter().filter(|e| (e.0 as usize) < n_words).map(|&(t, w)| (t, w * mass)).collect()
            })
            .collect();
        let everyone: SparseVec = summed.iter().fold(Vec::new(), |acc, v| cluster::add_scaled(&acc, v));
        let overall: rustc_hash::FxHashMap<u32, f32> = everyone.iter().copied().collect();
        let avg_mass = everyone.iter().map(|e| e.1 as f64).sum::<f64>() / groups.len().max(1) as f64;
        let out: Vec<(Theme, Option<String>)> = groups
            .into_iter()
            .map(|g| {
                let g: Vec<usize> = rank::rank_order(
                    &g.iter().map(|&a| sizes[a]).collect::<Vec<_>>(),
                    &g.iter().map(|&a| copies.get(a).copied().unwrap_or(0)).collect::<Vec<_>>(),
                )
                .into_iter()
                .map(|i| g[i])
                .collect();
                // Keywords: words heavy in the theme's complaints and rare in
                // the others' (the class-based weighting problems use).
                let sum: SparseVec = g.iter().fold(Vec::new(), |acc, &a| cluster::add_scaled(&acc, &summed[a]));
                let mass = sum.iter().map(|e| e.1 as f64).sum::<f64>().max(1e-12);
                let mut scored: Vec<(u32, f64)> = sum
                    .iter()
                    .map(|&(t, w)| {
                        let all = overall.get(&t).copied().unwrap_or(w).max(1e-12) as f64;
                        (t, (w as f64 / mass) * (1.0 + avg_mass / all).ln())
                    })
                    .collect();
                scored.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                // A phrase replaces its words ("customer service" makes
                // "service" redundant, before or after it).
                let mut picked: Vec<u32> = Vec::new();
                let mut shown: Vec<u32> = Vec::new();
                for &(t, _) in &scored {
                    if picked.len() >= THEME_KEYWORDS {
                        break;
                    }
                    let Some(term) = self.vocabulary.term(t) else { continue };
                    if shown.contains(&t) {
                        continue;
                    }
                    shown.push(t);
                    if let Some(p) = term.parts {
                        shown.extend_from_slice(&p);
                        picked.retain(|x| !p.contains(x));
                    }
                    picked.push(t);
                }
                let keywords: Vec<String> =
                    picked.iter().filter_map(|&t| self.vocabulary.term(t).map(|x| x.surface.clone())).collect();
                let size = g.iter().map(|&a| sizes[a]).sum();
                // One problem: its own label. Several: their two most distinctive
                // words ("report / credit"), one per word family (not
                // "verified / verification"); a third keeps labels unique.
                let words = crate::themes::one_per_family(
                    picked
                        .iter()
                        .filter_map(|&t| self.vocabulary.term(t))
                        .map(|x| (x.key.as_str(), x.surface.as_str())),
                );
                let label = if g.len() == 1 || words.len() < 2 {
                    self.problems[g[0]].label.clone()
                } else {
                    words[..2].join(" / ")
                };
                let longer = (g.len() > 1 && words.len() >= 3).then(|| words[..3].join(" / "));
                (
                    Theme {
                        label,
                        problem_ids: g.iter().map(|&a| self.problems[a].id).collect(),
                        keywords,
                        size,
                        share: g.iter().map(|&a| self.problems[a].share).sum(),
                    },
                    longer,
                )
            })
            .collect();
        let mut seen: Vec<String> = Vec::new();
        let mut themes = Vec::with_capacity(out.len());
        for (mut t, longer) in out {
            if seen.contains(&t.label) {
                if let Some(l) = longer {
                    t.label = l;
                }
            }
            seen.push(t.label.clone());
            themes.push(t);
        }
        themes
    }

    /// The similarity threshold below which a complaint fits no problem.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Change the threshold (0..=1) for later scoring.
    pub fn set_threshold(&mut self, t: f32) -> Result<()> {
        if !(0.0..=1.0).contains(&t) {
            return Err(Error::param(format!("threshold must be between 0 and 1, got {t}")));
        }
        self.threshold = t;
        Ok(())
    }

    /// The settings the model was fitted with.
    pub fn params(&self) -> &ProblemModelParams {
        &self.params
    }

    /// Number of rows (including empty ones) the model was fitted on.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Of those, the rows without a complaint (missing, blank, or a
    /// non-answer such as "n/a": [`crate::answers`]), which have no problem:
    /// problem shares leave them out.
    pub fn n_empty(&self) -> usize {
        self.n_empty
    }

    /// The learned vocabulary.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// Library version that wrote this model.
    pub fn library_version(&self) -> &str {
        &self.library_version
    }

    /// Serialise to the JSON model file format.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::format(format!("cannot write model: {e}")))
    }

    /// Read a model file. Damaged files, files from a newer schema and
    /// non-model JSON give a [`crate::ErrorKind::ModelFormat`] error saying what is wrong.
    pub fn from_json(json: &str) -> Result<ProblemModel> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
            Error::format(format!(
                "not a painpoints model file: invalid JSON ({e}); the file may be truncated or damaged"
            ))
        })?;
        let version = match value.get("schema_version") {
            None => return Err(Error::format("not a painpoints model file: no schema_version field")),
            Some(v) => v.as_u64().ok_or_else(|| {
                Error::format(format!(
                    "damaged painpoints model file: schema_version is {v}, not a whole number from 1 to \
                     {SCHEMA_VERSION}; write the model again with model.save(path) or `painpoints fit`"
                ))
            })?,
        };
        if version > SCHEMA_VERSION as u64 {
            let by = value.get("library_version").and_then(|v| v.as_str()).unwrap_or("a newer painpoints");
            return Err(Error::format(format!(
                "model schema version {version} is newer than this painpoints supports ({SCHEMA_VERSION}); it was written by painpoints {by}: upgrade painpoints to read it"
            )));
        }
        if version == 0 {
            return Err(Error::format("model schema version 0 is not valid"));
        }
        let mut model: ProblemModel =
            serde_json::from_value(value).map_err(|e| Error::format(format!("damaged painpoints model file: {e}")))?;
        if let Some(m) = model.mixture.as_mut() {
            m.pieces.iter_mut().chain(m.handles.iter_mut()).for_each(PieceTable::rebuild);
        }
        model.validate().map_err(|e| Error::format(format!("damaged painpoints model file: {e}")))?;
        // One entry per dropped centre from here on (files written before
        // drops kept word counts have none).
        model.suppressed_groups.resize(model.suppressed.len(), None);
        model.rebuild_scorer();
        Ok(model)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        self.vocabulary.validate()?;
        if self.centroids.len() != self.problems.len() {
            return Err(format!("{} problem centres for {} problems", self.centroids.len(), self.problems.len()));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err("threshold out of range".into());
        }
        if let Some(b) = &self.blend {
            if b.dim == 0 || b.dim > embed::MAX_DIM || !(b.weight > 0.0 && b.weight < 1.0) {
                return Err("invalid embedding blend".into());
            }
        }
        if let Some(m) = &self.mixture {
            m.check(self.centroids.len(), self.vocabulary.len())?;
        }
        let dim = self.features() as u32;
        let parts = self.parts.iter().map(|p| &p.centre);
        for (i, c) in self.centroids.iter().chain(&self.suppressed).chain(&self.reassigned).chain(parts).enumerate() {
            if c.iter().any(|&(t, w)| t >= dim || !w.is_finite()) {
                return Err(format!("problem centre {i} refers to unknown terms or has invalid weights"));
            }
        }
        if let Some(p) = self.parts.iter().find(|p| !self.problems.iter().any(|q| q.id == p.id)) {
            return Err(format!("a merged problem's centre belongs to no problem (id {})", p.id));
        }
        if self.suppressed_groups.len() > self.suppressed.len() {
            return Err("more dropped problems' word counts than dropped problems".into());
        }
        if let Some(m) = &self.mixture {
            for part in &self.parts {
                let group = part.group.as_ref().ok_or("a merged problem's part has no word counts")?;
                m.check_group(group, self.vocabulary.len())?;
            }
            for group in self.suppressed_groups.iter().flatten() {
                m.check_group(group, self.vocabulary.len())?;
            }
        }
        let mut ids: Vec<u32> = self.problems.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err("two problems share an id".into());
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cluster::Rng;

    pub(crate) fn corpus() -> Vec<Option<String>> {
        let mut t = Vec::new();
        let delivery = [
            "late delivery of my parcel",
            "my delivery is late again",
            "parcel delivery was late by a week",
            "the courier made the delivery late",
        ];
        let refund = [
            "refund not received",
            "my refund for the return was not received",
            "my refund has not been received",
            "refund for my return not received",
        ];
        let app = [
            "the app crashes on login",
            "app keeps crashing at login",
            "login crashes the app",
            "app crash when I open it",
        ];
        for i in 0..40 {
            t.push(Some(format!("{} {}", delivery[i % 4], if i % 3 == 0 { "again" } else { "" })));
            t.push(Some(refund[i % 4].to_string()));
            t.push(Some(app[i % 4].to_string()));
        }
        t.push(None);
        t.push(Some(String::new()));
        t
    }

    fn fit() -> Fit {
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        p.fit(&corpus(), &Control::new()).expect("fit")
    }

    #[test]
    fn progress_is_announced_once_and_ends_at_its_total() {
        // Many rows, so the assignment passes span several chunks.
        let texts: Vec<Option<String>> = corpus().into_iter().cycle().take(12 * CHUNK).collect();
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let watch = |previous: Option<&ProblemModel>| {
            let ctl = Control::new();
            let done = std::sync::atomic::AtomicBool::new(false);
            let seen = std::thread::scope(|scope| {
                let watcher = scope.spawn(|| {
                    let mut seen = Vec::new();
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        seen.push(ctl.progress());
                        std::thread::yield_now();
                    }
                    seen
                });
                let f = p.fit_with(&texts, previous, &ctl).expect("fit");
                done.store(true, std::sync::atomic::Ordering::Relaxed);
                (f, watcher.join().expect("watcher"))
            });
            let (f, seen) = seen;
            let (done, total) = ctl.progress();
            assert!(total > 0 && done == total, "ended at {done} of {total}");
            // Every total seen is the final one, and work never exceeds it.
            for (d, t) in seen {
                assert!(t == 0 || (t == total && d <= t), "saw {d} of {t}, total {total}");
            }
            f.model
        };
        let first = watch(None);
        watch(Some(&first));
    }

    #[test]
    fn finds_the_three_problems() {
        let f = fit();
        assert_eq!(
            f.model.problems().len(),
            3,
            "{:?}",
            f.model.problems().iter().map(|p| &p.label).collect::<Vec<_>>()
        );
        let labels: Vec<&str> = f.model.problems().iter().map(|p| p.label.as_str()).collect();
        assert!(labels.iter().any(|l| l.contains("refund")), "{labels:?}");
        assert!(labels.iter().any(|l| l.contains("app") || l.contains("crash")), "{labels:?}");
        assert_eq!(f.labels.len(), corpus().len());
        assert_eq!(f.labels[f.labels.len() - 1], NO_PROBLEM);
        assert_eq!(f.labels[f.labels.len() - 2], NO_PROBLEM);
        let sizes: Vec<usize> = f.model.problems().iter().map(|p| p.size).collect();
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]));
        for p in f.model.problems() {
            assert!(!p.examples.is_empty() && p.examples.len() <= 5);
            for e in &p.examples {
                assert_eq!(f.labels[e.row], p.id as i64);
            }
        }
    }

    #[test]
    fn problems_said_two_ways_merge_only_when_each_is_the_others_nearest_and_they_share_keywords() {
        let fitted = fit().model;
        assert_eq!(fitted.problems.len(), 3);
        let kw = |m: &ProblemModel, i: usize| -> Vec<String> {
            m.problems[i].keywords.iter().take(REPEAT_KEYWORDS).map(|k| k.text.clone()).collect()
        };
        // Problem 1 made to say two of problem 0's top keywords.
        let sharing = |mut m: ProblemModel| {
            let words = kw(&m, 0);
            for (k, w) in m.problems[1].keywords.iter_mut().zip(words.into_iter().take(REPEAT_SHARED)) {
                k.text = w;
            }
            m
        };
        let towards = |m: &mut ProblemModel, from: usize, to: usize| {
            m.centroids[from] = cluster::normalized(&cluster::add_scaled(
                &m.centroids[to],
                &m.centroids[from].iter().map(|&(t, w)| (t, 0.2 * w)).collect(),
            ));
        };
        // Sharing keywords, each the other's nearest: one problem.
        let mut m = sharing(fitted.clone());
        towards(&mut m, 1, 0);
        let (a, b) = (m.centroids[0].clone(), m.centroids[1].clone());
        let (sa, sb) = (m.problems[0].size as f32, m.problems[1].size as f32);
        let counts = m.mixture.as_ref().map(|x| x.problems[0].complaints + x.problems[1].complaints);
        let kept = m.problems[2].label.clone();
        assert!(m.merge_repeats());
        assert_eq!(m.centroids.len(), 2);
        assert_eq!(m.problems.len(), 2);
        assert_eq!(m.problems[1].label, kept);
        let merged = cluster::normalized(&cluster::add_scaled(
            &a.iter().map(|&(t, w)| (t, w * sa)).collect(),
            &b.iter().map(|&(t, w)| (t, w * sb)).collect(),
        ));
        assert_eq!(m.centroids[0], merged);
        assert_eq!(m.mixture.as_ref().map(|x| x.problems[0].complaints), counts);
        assert_eq!(m.mixture.as_ref().map(|x| x.problems.len()), Some(2));
        // Nearest to each other without sharing keywords: apart.
        let mut m = fitted.clone();
        towards(&mut m, 1, 0);
        assert!(!m.merge_repeats());
        assert_eq!(m.centroids.len(), 3);
        // Sharing keywords, but 0 and 2 are each other's nearest: apart.
        let mut m = sharing(fitted.clone());
        towards(&mut m, 2, 0);
        assert!(!m.merge_repeats());
        assert_eq!(m.centroids.len(), 3);
        // Fitted, the three problems are apart.
        assert!(!fitted.clone().merge_repeats());
    }

    #[test]
    fn unrelated_problems_are_themes_of_their_own() {
        // Delivery, refunds and app crashes have nothing in common: each
        // problem is its own theme, named like it, and every problem is in
        // exactly one theme. (How related problems are grouped is tested in
        // `themes`.)
        let f = fit();
        let themes = f.model.themes();
        assert_eq!(themes.len(), f.model.problems().len());
        for (t, p) in themes.iter().zip(f.model.problems()) {
            assert_eq!(t.problem_ids, vec![p.id]);
            assert_eq!(t.label, p.label);
            assert_eq!(t.size, p.size);
            assert!(!t.keywords.is_empty());
        }
    }

    #[test]
    fn examples_show_what_sets_the_problem_apart() {
        // One problem about being charged twice; its short generic complaints
        // sit closest to its centre, but its examples should say "twice".
        let seg = segmenter();
        let mut texts: Vec<Option<String>> = Vec::new();
        let things = ["coffee", "lunch", "taxi", "book", "ticket", "hotel", "pizza", "game", "film", "shirt"];
        for x in things {
            texts.push(Some(format!("why was i charged for the {x}")));
            texts.push(Some(format!("charged twice for one {x}")));
            texts.push(Some(format!("the card was charged twice at the {x} shop")));
        }
        let norm: Vec<String> = texts.iter().map(|t| normalize(text_of(t))).collect();
        let vocab = Vocabulary::learn(seg, &norm, &VocabularyParams::default());
        let rows: Vec<SparseVec> = norm.iter().map(|t| vocab.vectorize_normalized(seg, t)).collect();
        let seqs: Vec<Vec<Option<u32>>> = norm
            .iter()
            .map(|t| {
                let mut q = Vec::new();
                vocab.sequence(seg, t, &mut q);
                q
            })
            .collect();
        let labels = vec![Some(0usize); texts.len()];
        // A second problem makes "twice" distinctive only if it lacks it.
        let mut other_rows = rows.clone();
        let mut other_seqs = seqs.clone();
        let mut all_labels = labels.clone();
        for x in things {
            let t = normalize(&format!("my parcel with the {x} was late"));
            other_rows.push(vocab.vectorize_normalized(seg, &t));
            let mut q = Vec::new();
            vocab.sequence(seg, &t, &mut q);
            other_seqs.push(q);
            all_labels.push(Some(1));
        }
        let d = describe::describe(&vocab, 2, &other_rows, &other_seqs, &all_labels);
        // The generic complaints are given the highest centre similarity.
        let best: Vec<Assignment> =
            texts.iter().map(|t| (Some(0), if text_of(t).contains("twice") { 0.6 } else { 0.9 })).collect();
        let got = examples(&texts, &best, &d[..1], &vocab);
        assert_eq!(got[0].len(), 5);
        assert!(got[0].iter().all(|e| e.text.contains("twice")), "{:?}", got[0]);
        // Similarity stays the similarity to the centre.
        assert!(got[0].iter().all(|e| e.similarity == 0.6));
        // With nothing distinctive to say, the centre decides.
        let plain = describe::Description::default();
        let got = examples(&texts, &best, std::slice::from_ref(&plain), &vocab);
        assert!(got[0].iter().all(|e| !e.text.contains("twice")), "{:?}", got[0]);
    }

    #[test]
    fn predict_agrees_with_fit_and_batches() {
        let f = fit();
        let texts = corpus();
        let all = f.model.predict(&texts, &Control::new()).expect("predict");
        assert_eq!(all, f.labels);
        for (i, t) in texts.iter().enumerate().step_by(7) {
            let one = f.model.predict(std::slice::from_ref(t), &Control::new()).expect("predict");
            assert_eq!(one[0], all[i]);
        }
    }

    #[test]
    fn json_round_trip() {
        let f = fit();
        let json = f.model.to_json().expect("json");
        let back = ProblemModel::from_json(&json).expect("load");
        assert_eq!(back.predict(&corpus(), &Control::new()).expect("predict"), f.labels);
        assert_eq!(back.to_json().expect("json"), json);
    }

    #[test]
    fn embedded_fit_scores_the_same_and_needs_embeddings() {
        let texts = corpus();
        let dim = 4;
        let mut rng = Rng::new(7);
        let data: Vec<f32> = (0..texts.len() * dim).map(|_| rng.next_f64() as f32 - 0.5).collect();
        let emb = Embeddings::new(&data, texts.len(), dim).expect("embeddings");
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let f = p.fit_embedded(&texts, Some(&emb), None, &Control::new()).expect("fit");
        assert_eq!(f.model.embedding_dim(), Some(dim));
        let (ids, _) = f.model.score_embedded(&texts, Some(&emb), &Control::new()).expect("score");
        assert_eq!(ids, f.labels);
        assert!(f.model.score(&texts, &Control::new()).is_err());
        let back = ProblemModel::from_json(&f.model.to_json().expect("json")).expect("load");
        assert_eq!(back.score_embedded(&texts, Some(&emb), &Control::new()).expect("score").0, f.labels);
        let short = Embeddings::new(&data[..dim], 1, dim).expect("one row");
        assert!(p.fit_embedded(&texts, Some(&short), None, &Control::new()).is_err());
        assert!(fit().model.score_embedded(&texts, Some(&emb), &Control::new()).is_err());
    }

    #[test]
    fn an_embedded_fit_weighs_the_embedding_beside_the_words() {
        // Each problem's complaints share one direction of the embedding.
        let texts = corpus();
        let dim = 3;
        let direction = |i: usize| match i % 3 {
            0 => [1.0, 0.0, 0.0],
            1 => [0.0, 1.0, 0.0],
            _ => [0.0, 0.0, 1.0],
        };
        let data: Vec<f32> = (0..texts.len()).flat_map(direction).collect();
        let emb = Embeddings::new(&data, texts.len(), dim).expect("embeddings");
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let f = p.fit_embedded(&texts, Some(&emb), None, &Control::new()).expect("fit");
        assert!(f.model.mixture.is_some(), "an embedded fit keeps its word counts");
        let delivery = f.labels[0];
        let refund = f.labels[1];
        assert_ne!(delivery, refund);
        // The same words, read with either problem's embedding.
        let ambiguous = vec![Some("refund of a late delivery"); 2];
        let e = Embeddings::new(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 2, dim).expect("two rows");
        let (ids, _) = f.model.score_embedded(&ambiguous, Some(&e), &Control::new()).expect("score");
        assert_eq!(ids, [delivery, refund]);
        let back = ProblemModel::from_json(&f.model.to_json().expect("json")).expect("load");
        assert_eq!(back.score_embedded(&ambiguous, Some(&e), &Control::new()).expect("score").0, ids);
    }

    /// Forty complaints of each of two problems, alternating, `#` in each
    /// replaced by the complaint's number.
    fn two_problems(a: &str, b: &str) -> Vec<Option<String>> {
        (0..40).flat_map(|i| [a, b].map(|t| Some(t.replace('#', &i.to_string())))).collect()
    }

    /// Two brands' customers writing alike, but for their handles.
    fn brand_tweets() -> Vec<Option<String>> {
        two_problems("@upshelp my parcel # is late", "@comcastcares my internet # is down")
    }

    /// `table` holds pieces of [`brand_tweets`]' two handles and nothing else.
    fn assert_handles_alone(table: &PieceTable) {
        assert_eq!(table.words, chargrams::PieceWords::Handles);
        assert!(!table.pieces.is_empty());
        assert!(table
            .pieces
            .iter()
            .all(|p| " @upshelp ".contains(p.as_str()) || " @comcastcares ".contains(p.as_str())));
    }

    #[test]
    fn an_embedded_model_knows_a_brand_by_its_handle() {
        // Two brands' customers write alike, and their embeddings say
        // nothing: only the handles tell them apart.
        let texts = brand_tweets();
        let dim = 8;
        let mut rng = Rng::new(11);
        let mut noise = |rows: usize| -> Vec<f32> { (0..rows * dim).map(|_| rng.next_f64() as f32 - 0.5).collect() };
        let data = noise(texts.len());
        let emb = Embeddings::new(&data, texts.len(), dim).expect("embeddings");
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let f = p.fit_embedded(&texts, Some(&emb), None, &Control::new()).expect("fit");
        let (ups, comcast) = (f.labels[0], f.labels[1]);
        assert_ne!(ups, comcast);
        let mixture = f.model.mixture.as_ref().expect("a word mixture");
        assert!(mixture.pieces.is_none(), "no pieces of every word beside embeddings");
        let table = mixture.handles.as_ref().expect("a table of handles' pieces");
        assert_handles_alone(table);
        // Handles written another way, with words of both problems.
        let new = vec![Some("@upshelps late and down"), Some("@comcastcare late and down")];
        let rows = noise(2);
        let e = Embeddings::new(&rows, 2, dim).expect("two rows");
        let (ids, _) = f.model.score_embedded(&new, Some(&e), &Control::new()).expect("score");
        assert_eq!(ids, [ups, comcast]);
        let json = f.model.to_json().expect("json");
        assert!(json.contains("\"words\":\"handles\""));
        let back = ProblemModel::from_json(&json).expect("load");
        assert_eq!(back.score_embedded(&new, Some(&e), &Control::new()).expect("score").0, ids);
        // The default fit cuts every word, and its files say nothing of it.
        assert!(!fit().model.to_json().expect("json").contains("\"words\":\""));
    }

    #[test]
    fn a_model_keeps_the_pieces_of_handles_where_its_complaints_have_some() {
        let texts = brand_tweets();
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let f = p.fit(&texts, &Control::new()).expect("fit");
        let m = f.model.mixture.as_ref().expect("a word mixture");
        assert_eq!(m.pieces.as_ref().expect("pieces of every word").words, chargrams::PieceWords::All);
        assert_handles_alone(m.handles.as_ref().expect("pieces of handles alone"));
        assert!(m.problems.iter().all(|g| !g.handles.is_empty()));
        // New spellings of the handles find their brands, and a model file
        // scores as the model it was saved from.
        let new = vec![Some("@upshelps late and down"), Some("@comcastcare late and down")];
        let (ids, _) = f.model.score(&new, &Control::new()).expect("score");
        assert_eq!(ids, [f.labels[0], f.labels[1]]);
        let back = ProblemModel::from_json(&f.model.to_json().expect("json")).expect("load");
        assert_eq!(back.predict(&texts, &Control::new()).expect("predict"), f.labels);
        assert_eq!(back.score(&new, &Control::new()).expect("score").0, ids);
        // Complaints without handles: no such table, and files as before.
        let plain = fit();
        assert!(plain.model.mixture.as_ref().expect("a word mixture").handles.is_none());
        assert!(!plain.model.to_json().expect("json").contains("\"handles\""));
    }

    /// Two problems: parcels a courier lost, and internet down.
    fn parcels_and_routers() -> Vec<Option<String>> {
        two_problems("my parcel # is late and the courier lost it", "my internet # is down and the router is broken")
    }

    #[test]
    fn words_choose_among_every_problem_a_complaint_shares_a_keyword_with() {
        let texts = parcels_and_routers();
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let mut model = p.fit(&texts, &Control::new()).expect("fit").model;
        let ids = |m: &ProblemModel, t: &str| m.score(&[Some(t)], &Control::new()).expect("score");
        let (parcel, internet) = (ids(&model, "parcel late").0[0], ids(&model, "internet down").0[0]);
        assert_ne!(parcel, internet);
        // It names the internet twice: its words are likelier under that
        // problem, though its keywords resemble the parcels' centre more.
        let mixed = "late courier internet internet";
        model.threshold = 0.5;
        let (id, sim) = ids(&model, mixed);
        assert_eq!(id[0], internet);
        assert!(sim[0] > 0.0 && sim[0] < model.threshold, "{sim:?}");
        // No centre reaches the threshold: no problem at all.
        model.threshold = 0.9;
        assert_eq!(ids(&model, mixed).0[0], NO_PROBLEM);
    }

    #[test]
    fn the_pieces_of_every_word_weigh_the_share_the_model_was_fitted_with() {
        let mut texts = parcels_and_routers();
        texts.extend((0..40).map(|i| Some(format!("the delivery {i} of my package was delayed"))));
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let model = p.fit(&texts, &Control::new()).expect("fit").model;
        let json = model.to_json().expect("json");
        assert!(json.contains(&format!("\"pieces_alone\":{}", mixture::PIECES_ALONE)));
        let id = |m: &ProblemModel, t: &str| m.score(&[Some(t)], &Control::new()).expect("score").0[0];
        let (courier, package) = (id(&model, "courier lost"), id(&model, "package delayed"));
        assert_ne!(courier, package);
        // Its words lean to the packages' problem (whose complaints say
        // fewer words), its pieces to the couriers'. With half the view,
        // the words decide.
        let both = "packages couriers";
        assert_eq!(id(&model, both), package);
        // A file of schema 4 was fitted with the whole view for the pieces
        // and scores so.
        let older = json.replacen(&format!("\"schema_version\":{SCHEMA_VERSION}"), "\"schema_version\":4", 1).replacen(
            &format!(",\"pieces_alone\":{}", mixture::PIECES_ALONE),
            "",
            1,
        );
        assert!(!older.contains("pieces_alone"));
        let older = ProblemModel::from_json(&older).expect("a schema-4 file loads");
        assert_eq!(older.mixture.as_ref().map(|m| m.pieces_alone), Some(1.0));
        assert_eq!(id(&older, both), courier);
    }

    #[test]
    fn keywords_and_labels_are_spelt_as_their_complaints_write_them() {
        // "delivery" is the commoner form overall; one problem only ever
        // writes "deliveries".
        let late = ["late delivery of my parcel", "the delivery was late", "my delivery is late again"];
        let address = ["deliveries go to the wrong address", "my deliveries arrive at the wrong address"];
        let app = ["the app crashes on login", "app keeps crashing at login"];
        let mut texts: Vec<Option<String>> = Vec::new();
        for i in 0..60 {
            texts.push(Some(late[i % 3].to_string()));
            texts.push(Some(app[i % 2].to_string()));
            if i % 2 == 0 {
                texts.push(Some(address[i % 4 / 2].to_string()));
            }
        }
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let f = p.fit(&texts, &Control::new()).expect("fit");
        let shown = |row: usize| {
            let id = f.labels[row];
            let problem = f.model.problems().iter().find(|p| p.id as i64 == id).expect("a problem");
            let words: Vec<String> = problem.keywords.iter().map(|k| k.text.clone()).collect();
            (problem.label.clone(), words)
        };
        let (_, late_words) = shown(0);
        let (address_label, address_words) = shown(2);
        assert!(late_words.iter().any(|w| w.contains("delivery")), "{late_words:?}");
        assert!(address_words.iter().any(|w| w.contains("deliveries")), "{address_words:?}");
        assert!(!address_words.iter().any(|w| w.contains("delivery")), "{address_words:?}");
        assert!(!address_label.contains("delivery"), "{address_label}");
    }

    #[test]
    fn damaged_files_are_format_errors() {
        let json = fit().model.to_json().expect("json");
        let cases = [
            json[..json.len() / 2].to_string(),
            "not json".to_string(),
            "{}".to_string(),
            json.replacen(&format!("\"schema_version\":{SCHEMA_VERSION}"), "\"schema_version\":99", 1),
            json.replacen("\"centroids\":[[", "\"centroids\":[[[999999999,0.5],", 1),
            json.replacen("\"counts\":[[", "\"counts\":[[999999999,1.0],[", 1),
            json.replacen(
                "\"problems\":[{\"complaints\"",
                "\"problems\":[{\"complaints\":1.0,\"counts\":[]},{\"complaints\"",
                1,
            ),
        ];
        // A merged problem's parts: each must belong to a problem, refer to
        // known terms, and carry word counts in a model that has a mixture.
        let mut merged = fit().model;
        let ids: Vec<u32> = merged.problems().iter().map(|p| p.id).take(2).collect();
        let texts = corpus();
        merged.edit(Edit::Merge { ids: ids.clone(), label: None }, &texts, &Control::new()).expect("merge");
        let good = merged.to_json().expect("json");
        assert!(ProblemModel::from_json(&good).is_ok());
        let part = format!("\"parts\":[{{\"id\":{}", ids[0]);
        assert!(good.contains(&part));
        // Dropped problems' word counts: at most one per dropped centre. A
        // file without them (an older one) still loads.
        let mut dropped = fit().model;
        let id = dropped.problems()[0].id;
        dropped.edit(Edit::Drop { id, reassign: false }, &texts, &Control::new()).expect("drop");
        let with_groups = dropped.to_json().expect("json");
        let older = serde_json::to_string(&{
            let mut v: serde_json::Value = serde_json::from_str(&with_groups).expect("json");
            v.as_object_mut().and_then(|o| o.remove("suppressed_groups")).expect("the drop keeps word counts");
            v
        })
        .expect("json");
        assert!(ProblemModel::from_json(&older).is_ok());
        let bad = [
            with_groups.replacen("\"suppressed_groups\":[", "\"suppressed_groups\":[null,", 1),
            good.replacen(&part, "\"parts\":[{\"id\":4000000", 1),
            good.replacen(&format!("{part},\"centre\":["), &format!("{part},\"centre\":[[999999999,0.5],"), 1),
            good.replacen("]],\"group\":{", "]],\"no_group\":{", 1),
        ];
        for (i, c) in cases.into_iter().chain(bad).enumerate() {
            assert!(c != json && c != good && c != with_groups, "case {i} damages the file");
            let Err(err) = ProblemModel::from_json(&c) else { panic!("case {i} must fail") };
            assert_eq!(err.kind(), crate::ErrorKind::ModelFormat, "{}", err);
        }
    }

    #[test]
    fn same_seed_same_result_any_threads() {
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            pool.install(|| p.fit(&corpus(), &Control::new()).expect("fit"))
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.model.to_json().expect("json"), b.model.to_json().expect("json"));
    }

    #[test]
    fn copies_are_long_complaints_that_repeat_another_nearly_word_for_word() {
        let letter = |name: &str, word: &str| {
            Some(format!(
                "Dear Sir, my name is {name}. I dispute the late payment reported on my account ending in 1234, \
                 which I paid on time every month since I opened it. Please {word} this error within thirty days."
            ))
        };
        let texts = vec![
            letter("John Smith", "correct"),
            letter("Mary Jones", "correct"), // another name
            letter("John Smith", "corect"),  // a typo
            letter("Ana Lopez", "fix"),
            // The same problem in other words: not a copy.
            Some(
                "The bureau shows a late payment on my card that I never missed, I paid it on time and want it gone."
                    .into(),
            ),
            // Short answers repeat without being copies.
            Some("too expensive".into()),
            Some("too expensive".into()),
            // A copy in another problem is not a copy of this one's.
            letter("John Smith", "correct"),
            // No problem: not counted.
            letter("John Smith", "correct"),
        ];
        let best: Vec<Assignment> = vec![
            (Some(0), 1.0),
            (Some(0), 1.0),
            (Some(0), 1.0),
            (Some(0), 1.0),
            (Some(0), 1.0),
            (Some(0), 1.0),
            (Some(0), 1.0),
            (Some(1), 1.0),
            (None, 0.0),
        ];
        assert_eq!(copies(&texts, &best, 2), vec![3, 0]);
        // Each sketch is a function of the words alone.
        let words =
            |t: &Option<String>| normalize(text_of(t)).split_whitespace().map(str::to_string).collect::<Vec<_>>();
        let (a, b) = (words(&texts[0]), words(&texts[7]));
        let view = |w: &Vec<String>| sketches(&w.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(view(&a), view(&b));
        assert_ne!(view(&a), view(&words(&texts[4])));
    }

    #[test]
    fn a_wave_of_copies_counts_once_in_the_ranking() {
        // 60 copies of one long complaint, beside three problems of 40
        // whose short complaints also repeat word for word.
        let mut texts = corpus();
        let wave = "I demand that you stop selling my personal data to third parties and delete every record you hold";
        texts.extend((0..60).map(|i| Some(if i % 2 == 0 { wave.to_string() } else { wave.to_uppercase() })));
        let f =
            ProblemModelParams { min_size: Some(5), ..Default::default() }.fit(&texts, &Control::new()).expect("fit");
        let problems = f.model.problems();
        let last = problems.last().expect("problems");
        assert!(last.keywords.iter().any(|k| k.text == "personal data" || k.text == "selling"), "{last:?}");
        assert_eq!((last.size, last.copies), (60, 59));
        assert!(problems.len() >= 4);
        for p in &problems[..problems.len() - 1] {
            assert_eq!(p.copies, 0, "short complaints repeat without being copies: {p:?}");
            assert!(p.size < last.size);
        }
        // Ids follow the ranking, so the wave's rows carry the last id.
        assert!(f.labels[texts.len() - 60..].iter().all(|&l| l == last.id as i64));
    }

    #[test]
    fn the_sample_depends_on_the_complaints_alone() {
        // 200 distinct texts and 200 copies of one more.
        let mut texts: Vec<Option<String>> = (0..200).map(|i| Some(format!("complaint number {i}"))).collect();
        texts.extend((0..200).map(|_| Some("the same copy".to_string())));
        let rows: Vec<usize> = (0..texts.len()).collect();
        let chosen = |texts: &[Option<String>], m| -> Vec<String> {
            let mut s: Vec<String> = lowest(content_keys(texts, &rows), m)
                .into_iter()
                .map(|(_, i)| text_of(&texts[i]).to_string())
                .collect();
            s.sort();
            s
        };
        let small = chosen(&texts, 40);
        assert_eq!(small.len(), 40);
        // Copies are taken about as often as they occur (half the rows).
        let copies = small.iter().filter(|t| t.as_str() == "the same copy").count();
        assert!((10..=30).contains(&copies), "{copies} copies of 40");
        // The same texts however the rows are sorted.
        let mut reversed = texts.clone();
        reversed.reverse();
        assert_eq!(chosen(&reversed, 40), small);
        // A smaller sample lies within a larger one.
        let large = chosen(&texts, 120);
        assert!(small.iter().all(|t| large.contains(t)));
        // Row order within the sample, and all rows when there are few.
        let picked: Vec<usize> = lowest(content_keys(&texts, &rows), 40).into_iter().map(|(_, i)| i).collect();
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(lowest(content_keys(&texts, &rows[..30]), 40).len(), 30);
        assert!(lowest(content_keys(&texts, &rows), 0).is_empty());
        // Rows without a complaint are never sampled.
        let mut gaps = texts.clone();
        gaps[3] = None;
        gaps[5] = Some("  ".into());
        gaps[7] = Some("N/A".into());
        let all: Vec<usize> =
            content_sample(&gaps, &silent_rows(&gaps, &Control::new()).expect("not cancelled"), gaps.len())
                .into_iter()
                .map(|(_, i)| i)
                .collect();
        assert_eq!(all.len(), gaps.len() - 3);
        assert!(!all.contains(&3) && !all.contains(&5) && !all.contains(&7));
    }

    #[test]
    fn a_fit_above_the_sample_size_depends_on_neither_seed_nor_row_order() {
        let texts = corpus();
        let m = texts.len() / 2;
        let fit = |seed, texts: &[Option<String>]| {
            ProblemModelParams { seed, min_size: Some(5), sample_size: m, ..Default::default() }
                .fit(texts, &Control::new())
                .expect("fit")
        };
        let a = fit(0, &texts);
        assert_eq!(fit(9, &texts).labels, a.labels);
        let mut reversed = texts.clone();
        reversed.reverse();
        let mut b = fit(0, &reversed).labels;
        b.reverse();
        // The same groups (ids may be numbered otherwise).
        let pairs: FxHashSet<(i64, i64)> = a.labels.iter().copied().zip(b.iter().copied()).collect();
        let ids: FxHashSet<i64> = a.labels.iter().copied().collect();
        assert!(ids.len() > 1);
        assert_eq!(pairs.len(), ids.len());
        assert_eq!(b.iter().copied().collect::<FxHashSet<i64>>().len(), ids.len());
    }

    #[test]
    fn empty_and_degenerate_inputs() {
        let c = Control::new();
        let p = ProblemModelParams::default();
        let none: Vec<Option<String>> = vec![];
        let f = p.fit(&none, &c).expect("empty fit");
        assert!(f.labels.is_empty() && f.model.problems().is_empty());
        let blanks = vec![None, Some(String::new()), Some("   ".to_string())];
        let f = p.fit(&blanks, &c).expect("blank fit");
        assert_eq!(f.labels, vec![-1, -1, -1]);
        let one = vec![Some("card stolen".to_string())];
        assert_eq!(p.fit(&one, &c).expect("one").labels.len(), 1);
        // Models of such fits (no problem, perhaps no term) save and load.
        for texts in [none, blanks, one] {
            let f = p.fit(&texts, &c).expect("fit");
            let json = f.model.to_json().expect("json");
            let back = ProblemModel::from_json(&json).expect("a model without terms loads");
            assert_eq!(back.predict(&texts, &c).expect("predict"), f.labels);
        }
    }

    #[test]
    fn bad_params_are_errors() {
        let p = ProblemModelParams { threshold: Some(2.0), ..Default::default() };
        let none: Vec<Option<String>> = vec![];
        assert_eq!(
            p.fit(&none, &Control::new()).map(|_| ()).map_err(|e| e.kind()),
            Err(crate::ErrorKind::InvalidParameter)
        );
    }
}
