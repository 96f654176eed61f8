//! Analyst edits and stable problem ids across refits.
//!
//! An analyst can rename a problem, merge several into one, drop one (its
//! complaints go to -1, or to their next-best problem) and seed a problem
//! from a few keywords. Each edit is recorded in the model file and replayed
//! on the next fit with `previous`, after that fit's problems have been
//! matched to the previous ones by the similarity of their centres (in term
//! space, so it works across vocabularies): a problem that is still there
//! keeps its id, a new one gets a new id, and the ones that vanished are
//! reported. A new problem is found again as a merged or dropped problem,
//! or as a part of one, only where most of its complaints are nearest to
//! that problem (by last month's centres, a merged one's parts included):
//! a centre alike is not enough.

use crate::cluster::{add_scaled as add, dot, normalized, words_only};
use crate::control::Control;
use crate::error::{Error, Result};
use crate::mixture::Group;
use crate::model::ProblemModel;
use crate::vectorize::{Scratch, SparseVec, Vocabulary};
use serde::{Deserialize, Serialize};

/// One analyst edit, as stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum Edit {
    /// Give a problem a new label.
    Rename {
        /// The problem.
        id: u32,
        /// Its new label.
        label: String,
    },
    /// Merge problems into the first one.
    Merge {
        /// The problems; the first keeps its id.
        ids: Vec<u32>,
        /// Label of the merged problem (else the first one's).
        label: Option<String>,
    },
    /// Remove a problem.
    Drop {
        /// The problem.
        id: u32,
        /// True: its complaints go to their next-best problem; false: to -1.
        reassign: bool,
    },
    /// A problem defined by keywords the analyst knows matter.
    Seed {
        /// Its id.
        id: u32,
        /// The keywords ("refund", "chargeback").
        keywords: Vec<String>,
        /// Its label.
        label: String,
    },
}

/// How a refit relates to the previous model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    /// Ids of problems found again (kept from the previous model).
    pub kept: Vec<u32>,
    /// Ids of problems that are new in this fit.
    pub new: Vec<u32>,
    /// (id, label) of previous problems not found again.
    pub vanished: Vec<(u32, String)>,
}

/// Minimum centre similarity for a new problem to inherit a previous id.
pub const MATCH_SIMILARITY: f32 = 0.5;

/// Re-express a centre from one vocabulary in another, by term key.
pub(crate) fn translate(v: &SparseVec, from: &Vocabulary, to: &Vocabulary) -> SparseVec {
    let mut out: SparseVec =
        v.iter().filter_map(|&(t, w)| from.term(t).and_then(|term| to.id_of(&term.key)).map(|id| (id, w))).collect();
    out.sort_by_key(|e| e.0);
    out.dedup_by_key(|e| e.0);
    out
}

/// Greedy one-to-one matching of new centres to previous ones, most
/// similar pairs first, over the pairs (new, previous) that `eligible`
/// allows. Returns, per new centre, the index of its previous match.
fn match_centres_where(
    new: &[SparseVec],
    previous: &[SparseVec],
    min_similarity: f32,
    eligible: impl Fn(usize, usize) -> bool,
) -> Vec<Option<usize>> {
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    for (i, a) in new.iter().enumerate() {
        for (j, b) in previous.iter().enumerate() {
            let s = dot(a, b);
            if s >= min_similarity && eligible(i, j) {
                pairs.push((s, i, j));
            }
        }
    }
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut out = vec![None; new.len()];
    let mut used = vec![false; previous.len()];
    for (_, i, j) in pairs {
        if out[i].is_none() && !used[j] {
            out[i] = Some(j);
            used[j] = true;
        }
    }
    out
}

/// For each of `problems` new problems, how many of its `members` (problem
/// index, grouping vector) are nearest to each of `candidates` that
/// `voters` marks (ties: the first).
fn nearest_votes(
    candidates: &[SparseVec],
    voters: &[bool],
    members: &[(usize, &SparseVec)],
    words: u32,
    problems: usize,
) -> Vec<Vec<u32>> {
    use rayon::prelude::*;
    let mut postings: rustc_hash::FxHashMap<u32, Vec<(usize, f32)>> = Default::default();
    for (j, c) in candidates.iter().enumerate().filter(|&(j, _)| voters.get(j).copied().unwrap_or(false)) {
        for &(t, w) in c {
            postings.entry(t).or_default().push((j, w));
        }
    }
    let nearest: Vec<Option<(usize, usize)>> = members
        .par_iter()
        .map(|&(i, row)| {
            if i >= problems {
                return None;
            }
            let mut score = vec![0.0f32; candidates.len()];
            for &(t, w) in &words_only(row, words) {
                for &(j, cw) in postings.get(&t).map(Vec::as_slice).unwrap_or(&[]) {
                    score[j] += w * cw;
                }
            }
            let (j, s) = score.iter().enumerate().fold((0, 0.0f32), |a, (j, &s)| if s > a.1 { (j, s) } else { a });
            (s > 0.0).then_some((i, j))
        })
        .collect();
    let mut votes = vec![vec![0u32; candidates.len()]; problems];
    for (i, j) in nearest.into_iter().flatten() {
        votes[i][j] += 1;
    }
    votes
}

impl ProblemModel {
    /// Apply one edit, record it, and refresh sizes, shares, keywords and
    /// examples from `texts` (the complaints the model was fitted on).
    /// Returns the problem id of every text afterwards.
    pub fn edit<T: AsRef<str> + Sync>(&mut self, edit: Edit, texts: &[Option<T>], ctl: &Control) -> Result<Vec<i64>> {
        self.edit_embedded(edit, texts, None, ctl)
    }

    /// Like [`ProblemModel::edit`], with the fitting complaints' embeddings
    /// (needed for a model fitted with embeddings).
    pub fn edit_embedded<T: AsRef<str> + Sync>(
        &mut self,
        edit: Edit,
        texts: &[Option<T>],
        embeddings: Option<&crate::embed::Embeddings>,
        ctl: &Control,
    ) -> Result<Vec<i64>> {
        if !texts.is_empty() {
            self.check_embeddings(embeddings, texts.len())?;
        }
        let edit = self.apply_edit(edit, texts, false)?;
        self.record(edit);
        let (labels, _) = self.refresh_embedded(texts, embeddings, ctl)?;
        Ok(labels)
    }

    /// A rename, without the fitting complaints: the label changes and
    /// every count stays as it is (a model loaded from a file has no
    /// complaints to recount). Any other edit moves complaints and needs
    /// them: see [`ProblemModel::edit`].
    pub fn rename_only(&mut self, edit: Edit) -> Result<()> {
        if !matches!(edit, Edit::Rename { .. }) {
            return Err(Error::edit("this edit moves complaints: pass the complaints the model was fitted on"));
        }
        let none: [Option<&str>; 0] = [];
        let edit = self.apply_edit(edit, &none, false)?;
        self.record(edit);
        Ok(())
    }

    /// Validate and apply an edit without refreshing statistics. Returns the
    /// edit as it should be recorded (a seed gets its id here). A `replay`
    /// (an analyst's edit applied again on a refit) may take a label a fresh
    /// problem already has: the caller makes labels unique afterwards.
    pub(crate) fn apply_edit<T: AsRef<str> + Sync>(
        &mut self,
        edit: Edit,
        texts: &[Option<T>],
        replay: bool,
    ) -> Result<Edit> {
        match edit {
            Edit::Rename { id, label } => {
                let i = self.index_of(id)?;
                let label = clean_label(&label)?;
                if !replay && self.label_taken(&label, &[id]) {
                    return Err(Error::edit(format!(
                        "another problem is already labelled {label:?}; choose another label"
                    )));
                }
                self.problems[i].label = label.clone();
                Ok(Edit::Rename { id, label })
            }
            Edit::Merge { ids, label } => {
                if ids.len() < 2 {
                    return Err(Error::edit("merge needs at least two problem ids"));
                }
                let mut seen = ids.clone();
                seen.sort_unstable();
                seen.dedup();
                if seen.len() != ids.len() {
                    return Err(Error::edit("merge got the same problem id twice"));
                }
                let idx: Vec<usize> = ids.iter().map(|&id| self.index_of(id)).collect::<Result<_>>()?;
                let label = label.map(|l| clean_label(&l)).transpose()?;
                if let Some(l) = label.as_ref().filter(|l| !replay && self.label_taken(l, &ids)) {
                    return Err(Error::edit(format!(
                        "another problem is already labelled {l:?}; choose another label"
                    )));
                }
                let centre = self.size_weighted_centre(&idx);
                let keep = idx[0];
                // Every centre that scored for the merged problems now
                // scores for the one they became: a problem merged before
                // by its parts, another by its own centre and word counts.
                let merged_before: Vec<u32> =
                    ids.iter().copied().filter(|id| self.parts.iter().any(|p| p.id == *id)).collect();
                for part in &mut self.parts {
                    if ids.contains(&part.id) {
                        part.id = ids[0];
                    }
                }
                for (&id, &i) in ids.iter().zip(&idx) {
                    if !merged_before.contains(&id) {
                        let group = self.mixture.as_ref().and_then(|m| m.problems.get(i).cloned());
                        let label = Some(self.problems[i].label.clone());
                        let centre = self.centroids[i].clone();
                        self.parts.push(crate::model::Part { id: ids[0], centre, group, label });
                    }
                }
                self.centroids[keep] = centre;
                if let Some(m) = &mut self.mixture {
                    let mut merged = m.problems[keep].clone();
                    for &i in &idx[1..] {
                        merged = merged.merged(&m.problems[i]);
                    }
                    m.problems[keep] = merged;
                }
                if let Some(l) = &label {
                    self.problems[keep].label = l.clone();
                }
                let mut remove: Vec<usize> = idx[1..].to_vec();
                remove.sort_unstable_by(|a, b| b.cmp(a));
                for i in remove {
                    self.centroids.remove(i);
                    self.problems.remove(i);
                    if let Some(m) = &mut self.mixture {
                        m.problems.remove(i);
                    }
                }
                self.rebuild_scorer();
                Ok(Edit::Merge { ids, label })
            }
            Edit::Drop { id, reassign } => {
                let i = self.index_of(id)?;
                let c = self.centroids.remove(i);
                self.problems.remove(i);
                let group = self.mixture.as_mut().map(|m| m.problems.remove(i));
                // A merged problem's parts go with it, the same way (its
                // own centre, their mean, never scored for it).
                let (gone, kept): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut self.parts).into_iter().partition(|p| p.id == id);
                self.parts = kept;
                if gone.is_empty() {
                    self.remember_drop(c, group, reassign);
                } else {
                    for part in gone {
                        self.remember_drop(part.centre, part.group, reassign);
                    }
                }
                self.rebuild_scorer();
                Ok(Edit::Drop { id, reassign })
            }
            Edit::Seed { id, keywords, label } => {
                let words: Vec<String> =
                    keywords.iter().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect();
                if words.is_empty() {
                    return Err(Error::edit("a seeded problem needs at least one keyword"));
                }
                let v = self.vocabulary.vectorize(crate::model::segmenter(), &words.join(" . "));
                if v.is_empty() {
                    return Err(Error::edit(format!(
                        "none of the keywords {words:?} occur in the fitted complaints; use words the complaints use"
                    )));
                }
                let (v, group) = self.seed_centre(&v, texts);
                // The analyst's label is checked before anything changes.
                let given = if label.trim().is_empty() { None } else { Some(clean_label(&label)?) };
                if let Some(l) = given.as_ref().filter(|l| !replay && self.label_taken(l, &[])) {
                    return Err(Error::edit(format!(
                        "another problem is already labelled {l:?}; choose another label"
                    )));
                }
                // (Taken back before a label is made: a merged problem left
                // with one part gives up the label of the part the seed takes.)
                self.take_back(&v, given.as_deref());
                let label = given.unwrap_or_else(|| {
                    // Made from the keywords: one that a problem already
                    // has ("debt") gets a suffix, as a refit's would.
                    let made = words.join(" / ");
                    let mut label = made.clone();
                    let mut n = 2;
                    while !replay && self.label_taken(&label, &[]) {
                        label = format!("{made} ({n})");
                        n += 1;
                    }
                    label
                });
                let id = if self.problems.iter().any(|p| p.id == id) || id == u32::MAX { self.take_id() } else { id };
                self.next_id = self.next_id.max(id.saturating_add(1));
                self.centroids.push(v);
                if let Some(m) = &mut self.mixture {
                    m.problems.push(group);
                }
                self.problems.push(crate::model::Problem {
                    id,
                    label: label.clone(),
                    keywords: Vec::new(),
                    size: 0,
                    share: 0.0,
                    cohesion: 0.0,
                    examples: Vec::new(),
                    copies: 0,
                });
                self.rebuild_scorer();
                Ok(Edit::Seed { id, keywords: words, label })
            }
        }
    }

    /// Seeding what was dropped or merged takes it back: when the centre
    /// the seed's words are most like (of the problems, the dropped ones and
    /// the parts of merged ones) is a dropped problem's, the drop is lifted
    /// (it would otherwise keep the seeded problem's complaints at -1); when
    /// it is a part of a merged problem, that part leaves the merge (it
    /// would otherwise keep its complaints there). Only that one, and only
    /// when it is as close as a refit match: a seed's centre (the mean of
    /// the complaints that use its keywords) can resemble many centres of
    /// long narratives at once.
    fn take_back(&mut self, v: &SparseVec, reserved: Option<&str>) {
        enum Like {
            Problem,
            Dropped(usize),
            Reassigned(usize),
            Part(usize),
        }
        let n_words = self.vocabulary.len() as u32;
        let like = |c: &SparseVec| dot(&words_only(c, n_words), v);
        // (A merged problem is its parts here; `merged` is current, as
        // every edit ends by rebuilding the scorer.)
        let problems = self
            .centroids
            .iter()
            .enumerate()
            .filter(|&(i, _)| !self.merged.get(i).copied().unwrap_or(false))
            .map(|(_, c)| (Like::Problem, like(c)));
        let dropped = self.suppressed.iter().enumerate().map(|(j, c)| (Like::Dropped(j), like(c)));
        let reassigned = self.reassigned.iter().enumerate().map(|(j, c)| (Like::Reassigned(j), like(c)));
        let parts = self.parts.iter().enumerate().map(|(j, p)| (Like::Part(j), like(&p.centre)));
        let best = problems
            .chain(dropped)
            .chain(reassigned)
            .chain(parts)
            .filter(|(_, sim)| *sim >= MATCH_SIMILARITY)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best.map(|(l, _)| l) {
            Some(Like::Dropped(j)) => {
                self.suppressed.remove(j);
                self.suppressed_groups.remove(j);
            }
            Some(Like::Reassigned(j)) => {
                self.reassigned.remove(j);
            }
            Some(Like::Part(j)) => {
                let id = self.parts.remove(j).id;
                // A merged problem left with one part is that part again,
                // under its own label (the seed took the other's).
                let left: Vec<usize> = (0..self.parts.len()).filter(|&k| self.parts[k].id == id).collect();
                if let ([k], Ok(i)) = (left.as_slice(), self.index_of(id)) {
                    let part = self.parts.remove(*k);
                    // (Not over a label the analyst gave, nor onto the one
                    // the seed is being given.)
                    let clashes = |l: &str| reserved.is_some_and(|r| r.to_lowercase() == l.to_lowercase());
                    if let Some(label) =
                        part.label.filter(|l| !self.label_taken(l, &[id]) && !clashes(l) && !self.analyst_label(id))
                    {
                        self.problems[i].label = label;
                    }
                    if let Some(c) = self.centroids.get_mut(i) {
                        *c = part.centre;
                    }
                    if let (Some(slot), Some(group)) =
                        (self.mixture.as_mut().and_then(|m| m.problems.get_mut(i)), part.group)
                    {
                        *slot = group;
                    }
                }
            }
            Some(Like::Problem) | None => {}
        }
    }

    /// The centre of a seeded problem: the mean of the fitting complaints
    /// that use any of its keywords (the keywords alone if none does); and
    /// their word counts and character pieces (see [`crate::mixture`]).
    fn seed_centre<T: AsRef<str> + Sync>(&self, keywords: &SparseVec, texts: &[Option<T>]) -> (SparseVec, Group) {
        use rayon::prelude::*;
        let seg = crate::model::segmenter();
        let table = self.mixture.as_ref().and_then(|m| m.pieces.as_ref());
        let handles = self.mixture.as_ref().and_then(|m| m.handles.as_ref());
        let hits: Vec<Option<(SparseVec, SparseVec, SparseVec, SparseVec)>> = texts
            .par_iter()
            .map_init(Scratch::default, |scratch, t| {
                let text = t.as_ref().map(|s| s.as_ref()).unwrap_or("");
                let x = self.vocabulary.vectorize_with(seg, text, scratch);
                if !x.iter().any(|e| keywords.iter().any(|k| k.0 == e.0)) {
                    return None;
                }
                let x = x.clone();
                scratch.count_words();
                let mut p = Vec::new();
                if let Some(table) = table {
                    scratch.piece_vector(table);
                    p = scratch.part.clone();
                }
                let mut h = Vec::new();
                if let Some(table) = handles {
                    scratch.handle_vector(table);
                    h = scratch.part.clone();
                }
                Some((x, scratch.counts.clone(), p, h))
            })
            .collect();
        let mut acc: SparseVec = Vec::new();
        let mut pieces: SparseVec = Vec::new();
        let mut handle_pieces: SparseVec = Vec::new();
        for (x, _, p, h) in hits.iter().flatten() {
            acc = add(&acc, x);
            pieces = add(&pieces, p);
            handle_pieces = add(&handle_pieces, h);
        }
        if acc.iter().map(|e| e.1 * e.1).sum::<f32>() == 0.0 {
            let words = self.vocabulary.len() as u32;
            let said: SparseVec = keywords.iter().filter(|e| e.0 < words).map(|e| (e.0, 1.0)).collect();
            let mut group = Group::of([&said]);
            let mut scratch = Scratch::default();
            let names: Vec<&str> =
                said.iter().filter_map(|e| self.vocabulary.term(e.0)).map(|t| t.surface.as_str()).collect();
            self.vocabulary.vectorize_with(seg, &names.join(" "), &mut scratch);
            if let Some(table) = table {
                scratch.piece_vector(table);
                group.pieces = scratch.part.clone();
            }
            if let Some(table) = handles {
                scratch.handle_vector(table);
                group.handles = scratch.part.clone();
            }
            return (keywords.clone(), group);
        }
        let mut group = Group::of(hits.iter().flatten().map(|h| &h.1));
        group.pieces = normalized(&pieces);
        group.handles = normalized(&handle_pieces);
        (normalized(&acc), group)
    }

    fn record(&mut self, edit: Edit) {
        self.edits.push(edit);
    }

    fn index_of(&self, id: u32) -> Result<usize> {
        self.problems.iter().position(|p| p.id == id).ok_or_else(|| {
            let ids: Vec<u32> = self.problems.iter().map(|p| p.id).collect();
            Error::edit(format!("no problem with id {id}; the ids are {ids:?}"))
        })
    }

    /// A fresh problem id, never used before in this model's lineage.
    pub(crate) fn take_id(&mut self) -> u32 {
        let used = self.problems.iter().map(|p| p.id + 1).max().unwrap_or(0);
        let id = self.next_id.max(used);
        self.next_id = id + 1;
        id
    }

    /// The analyst edits recorded in this model, oldest first.
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// How this model's problems relate to the previous model's (after a
    /// fit with `previous`).
    pub fn lineage(&self) -> &Lineage {
        &self.lineage
    }

    /// Give this freshly fitted model the ids of `previous` where problems
    /// match, then replay `previous`'s edits.
    /// Keep a dropped problem's centre: scored against (its complaints go
    /// to -1) unless they were reassigned, and either way matched by the
    /// next fit with this model as `previous`, which drops it again.
    fn remember_drop(&mut self, centre: SparseVec, group: Option<Group>, reassign: bool) {
        if reassign {
            self.reassigned.push(centre);
        } else {
            self.suppressed.push(centre);
            self.suppressed_groups.push(group);
        }
    }

    /// Whether the analyst named problem `id` (a rename, a labelled merge
    /// into it, or a seed).
    fn analyst_label(&self, id: u32) -> bool {
        self.edits.iter().any(|e| match e {
            Edit::Rename { id: r, .. } | Edit::Seed { id: r, .. } => *r == id,
            Edit::Merge { ids, label: Some(_) } => ids.first() == Some(&id),
            _ => false,
        })
    }

    /// Whether a problem other than those in `except` has `label`, by case
    /// (labels are read regardless of it: "Mortgage" is "mortgage").
    fn label_taken(&self, label: &str, except: &[u32]) -> bool {
        let label = label.to_lowercase();
        self.problems.iter().any(|p| !except.contains(&p.id) && p.label.to_lowercase() == label)
    }

    /// Give this fit's problems the ids of `previous`'s they are found
    /// again as, and apply the analyst's edits again (see the module docs).
    /// `members` are this fit's sampled complaints as (problem index,
    /// grouping vector): where last month's centres put them decides which
    /// new problems are parts of a merged or dropped one.
    pub(crate) fn carry_over<T: AsRef<str> + Sync>(
        &mut self,
        previous: &ProblemModel,
        texts: &[Option<T>],
        members: &[(usize, &SparseVec)],
    ) {
        // Problems are matched by their words alone (embedding parts, if
        // any, are dropped and the rest renormalised), so ids carry over
        // whether or not either fit blended embeddings.
        let prev: Vec<SparseVec> = previous
            .centroids
            .iter()
            .map(|c| normalized(&translate(c, &previous.vocabulary, &self.vocabulary)))
            .collect();
        let words = self.vocabulary.len() as u32;
        let new: Vec<SparseVec> = self.centroids.iter().map(|c| words_only(c, words)).collect();
        let dropped: Vec<(SparseVec, bool)> = previous
            .suppressed
            .iter()
            .map(|c| (c, false))
            .chain(previous.reassigned.iter().map(|c| (c, true)))
            .map(|(c, reassign)| (normalized(&translate(c, &previous.vocabulary, &self.vocabulary)), reassign))
            .collect();
        let parts: Vec<(u32, SparseVec)> = previous
            .parts
            .iter()
            .map(|p| (p.id, normalized(&translate(&p.centre, &previous.vocabulary, &self.vocabulary))))
            .collect();
        // Every centre a new problem may be found again as, matched one to
        // one: a previous problem, a part of a merged one (the centres of
        // the problems the analyst merged), a dropped one. So a problem the
        // analyst dropped or merged away, found again, is recognised as
        // such instead of taking the id of the previous problem it
        // resembles next best.
        // (A merged problem is a candidate by its own centre too, for a new
        // problem that resembles the merge as a whole more than any part.)
        let (np, nparts) = (prev.len(), parts.len());
        let candidates: Vec<SparseVec> =
            prev.iter().chain(parts.iter().map(|(_, c)| c)).chain(dropped.iter().map(|(c, _)| c)).cloned().collect();
        // Where last month's centres put each new problem's complaints: the
        // previous problem (a merged one with its parts) or dropped one that
        // most of them are nearest to, if that is a majority and the
        // problem's centre is similar enough to it (`home`). A new problem
        // left unmatched is a part of a merged or dropped problem only if
        // its complaints were mostly that problem's, not because its centre
        // resembles it more than any other (long narratives' centres
        // resemble several). And a merged problem's own centre, an average
        // of its parts that resembles many problems a little, is matched
        // only by a new problem at home in it; the parts and dropped
        // centres are matched by their likeness, as problems are (the votes
        // of a problem found again can be spread), but not by a problem at
        // home in another previous problem.
        let merged: Vec<bool> = previous.problems.iter().map(|p| parts.iter().any(|(id, _)| *id == p.id)).collect();
        let target: Vec<usize> = (0..candidates.len())
            .map(|j| match j.checked_sub(np) {
                Some(part) if part < nparts => {
                    previous.problems.iter().position(|p| p.id == parts[part].0).unwrap_or(j)
                }
                _ => j,
            })
            .collect();
        // (A merged problem's own centre, the mean of its parts', does not
        // vote: last month's model placed complaints by its parts.)
        let voters: Vec<bool> = (0..candidates.len()).map(|j| j >= np || !merged[j]).collect();
        let votes = nearest_votes(&candidates, &voters, members, words, new.len());
        let homes: Vec<Option<usize>> = votes
            .iter()
            .zip(&new)
            .map(|(v, c)| {
                let mut per_target = vec![0u32; candidates.len()];
                for (j, &n) in v.iter().enumerate() {
                    per_target[target[j]] += n;
                }
                let total: u32 = per_target.iter().sum();
                let (t, &n) = per_target.iter().enumerate().fold((0, &0), |a, b| if b.1 > a.1 { b } else { a });
                let similar = (0..candidates.len())
                    .filter(|&j| target[j] == t)
                    .any(|j| dot(c, &candidates[j]) >= MATCH_SIMILARITY);
                (2 * n > total && similar).then_some(t)
            })
            .collect();
        let home = |i: usize| homes.get(i).copied().flatten();
        let found = match_centres_where(&new, &candidates, MATCH_SIMILARITY, |i, j| match (j < np, home(i)) {
            (true, home) if merged[j] => home == Some(target[j]),
            (true, _) => true,
            // A part or a dropped centre: not for a problem whose
            // complaints are at home in another previous problem.
            (false, home) => home.map_or(true, |t| t == target[j]),
        });
        let mut matches: Vec<Option<usize>> = found.iter().map(|m| m.filter(|&j| j < np)).collect();
        // Found again as a part of a merged problem: the most similar such
        // takes the merged problem's id if no new problem matched its
        // centre; the others are parts of it, merged again below.
        // (Each with its merged problem's position, `target`.)
        let mut as_parts: Vec<(f32, usize, u32, usize)> = found
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                m.filter(|&j| (np..np + nparts).contains(&j))
                    .map(|j| (dot(&new[i], &candidates[j]), i, parts[j - np].0, target[j]))
            })
            .collect();
        as_parts.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        let mut part_of_merged: Vec<Option<u32>> = vec![None; new.len()];
        for (_, i, id, whole) in as_parts {
            match whole {
                j if j < np && !matches.contains(&Some(j)) => matches[i] = Some(j),
                _ => part_of_merged[i] = Some(id),
            }
        }
        // A problem the analyst dropped that this fit finds again (matched
        // to a dropped centre, or left unmatched with most of its complaints
        // at home in a dropped problem: a part of it) is dropped again
        // below, the same way: its complaints to -1, or to their next-best
        // problem. (Such problems are numbered after the new ones.)
        let again: Vec<Option<(usize, bool)>> = found
            .iter()
            .enumerate()
            .zip(&part_of_merged)
            .map(|((i, m), merged)| {
                if merged.is_some() || m.is_some_and(|j| j < np + nparts) {
                    return None;
                }
                let j = match m {
                    Some(j) => *j,
                    None => home(i).filter(|&j| j >= np + nparts)?,
                };
                let d = j - np - nparts;
                dropped.get(d).map(|&(_, reassign)| (d, reassign))
            })
            .collect();
        // For each new problem (no previous id), the previous problem most
        // of its complaints are at home in (`home`), if any: a merged problem
        // that this fit split again shows up as one kept part and such parts.
        let part_of: Vec<Option<u32>> = matches
            .iter()
            .enumerate()
            .zip(&part_of_merged)
            .map(|((i, m), merged)| {
                if m.is_some() {
                    return None;
                }
                if merged.is_some() {
                    return *merged;
                }
                // (Over every candidate: one at home in a dropped problem is
                // no part of a problem.)
                match home(i)? {
                    t if t < np => previous.problems.get(t).map(|p| p.id),
                    _ => None,
                }
            })
            .collect();
        // Parts of a merged problem found again are merged again below;
        // like problems dropped again, they are numbered after the new ones,
        // so an analyst's merge does not shift new problems' ids.
        let kept_ids: Vec<u32> = matches.iter().flatten().map(|&j| previous.problems[j].id).collect();
        let merged_into: Vec<u32> = previous
            .edits
            .iter()
            .filter_map(|e| match e {
                Edit::Merge { ids, .. } => ids.first().copied().filter(|id| kept_ids.contains(id)),
                _ => None,
            })
            .collect();
        let merged_again: Vec<bool> = part_of.iter().map(|p| p.is_some_and(|id| merged_into.contains(&id))).collect();
        let mut next = previous.next_id.max(previous.problems.iter().map(|p| p.id + 1).max().unwrap_or(0));
        let mut lineage = Lineage::default();
        for (i, m) in matches.iter().enumerate() {
            match m {
                Some(j) => {
                    self.problems[i].id = previous.problems[*j].id;
                    lineage.kept.push(self.problems[i].id);
                }
                None if again[i].is_none() && !merged_again[i] => {
                    self.problems[i].id = next;
                    lineage.new.push(next);
                    next += 1;
                }
                None => {}
            }
        }
        for i in (0..matches.len()).filter(|&i| merged_again[i]) {
            self.problems[i].id = next;
            lineage.new.push(next);
            next += 1;
        }
        let mut drop_again: Vec<(u32, usize, bool)> = Vec::new();
        for (i, a) in again.iter().enumerate() {
            if let Some((d, reassign)) = *a {
                self.problems[i].id = next;
                lineage.new.push(next);
                drop_again.push((next, d, reassign));
                next += 1;
            }
        }
        for (j, p) in previous.problems.iter().enumerate() {
            if !matches.contains(&Some(j)) {
                lineage.vanished.push((p.id, p.label.clone()));
            }
        }
        self.next_id = next;
        // The dropped centres this fit does not find stay on record, so a
        // month without the problem does not let it back the month after.
        let used: Vec<usize> = drop_again.iter().map(|&(_, j, _)| j).collect();
        let kept_dropped: Vec<(SparseVec, bool)> = dropped
            .into_iter()
            .enumerate()
            .filter(|(j, (c, _))| !used.contains(j) && !c.is_empty())
            .map(|(_, d)| d)
            .collect();
        // Replay edits; one that no longer applies (its problem vanished) is
        // kept on record. A problem found again keeps the label an edit gave
        // it: a merge that came back as one problem and a seed the fit found
        // itself are renames now; merged problems found apart again (kept
        // part plus new parts) are merged again.
        let parts_by_id: Vec<(u32, Option<u32>)> = self.problems.iter().map(|p| p.id).zip(part_of).collect();
        let mut labelled: Vec<u32> = Vec::new();
        for e in &previous.edits {
            let present = |id: &u32| self.problems.iter().any(|p| p.id == *id);
            let replay = match e {
                Edit::Seed { id, label, .. } if present(id) => Some(Edit::Rename { id: *id, label: label.clone() }),
                Edit::Merge { ids, label } => {
                    let mut found: Vec<u32> = ids.iter().copied().filter(|id| present(id)).collect();
                    // Merged problems this fit split again are merged again.
                    if let Some(&first) = ids.first().filter(|id| present(id)) {
                        // (By id: a merge replayed before this one has
                        // removed problems, so positions have moved.)
                        for &(id, part) in &parts_by_id {
                            if part == Some(first) && present(&id) && !found.contains(&id) {
                                found.push(id);
                            }
                        }
                    }
                    // Without the analyst's label, the merged problem is
                    // named as its largest part is this month (not after
                    // whichever new problem took the merged id).
                    // (Ties: the first of the analyst's ids.)
                    let largest = || {
                        let members = found.iter().filter_map(|id| self.problems.iter().find(|p| p.id == *id));
                        let best = members.fold(None, |best: Option<&crate::model::Problem>, p| match best {
                            Some(b) if b.size >= p.size => Some(b),
                            _ => Some(p),
                        });
                        best.map(|p| p.label.clone())
                    };
                    match (found.len(), ids.first(), label) {
                        (2.., _, Some(_)) => Some(Edit::Merge { ids: found, label: label.clone() }),
                        (2.., _, None) => Some(Edit::Merge { label: largest(), ids: found }),
                        (1, Some(first), Some(l)) if found[0] == *first => {
                            Some(Edit::Rename { id: *first, label: l.clone() })
                        }
                        _ => None,
                    }
                }
                other => Some(other.clone()),
            };
            let labels = match (&replay, e) {
                (Some(Edit::Rename { id, .. } | Edit::Seed { id, .. }), _) => Some(*id),
                (Some(Edit::Merge { ids, .. }), Edit::Merge { label: Some(_), .. }) => ids.first().copied(),
                _ => None,
            };
            // An analyst's label wins over a fresh one it collides with (the
            // fresh one gets a suffix below).
            let applied = replay.is_some_and(|r| self.apply_edit(r, texts, true).is_ok());
            if let (true, Some(id)) = (applied, labels) {
                labelled.retain(|&x| x != id);
                labelled.push(id);
            }
            self.edits.push(e.clone());
        }
        for (id, _, reassign) in drop_again {
            // (A replayed edit may have merged it away already.)
            if self.problems.iter().any(|p| p.id == id) {
                let _ = self.apply_edit(Edit::Drop { id, reassign }, texts, true);
            }
        }
        for (c, reassign) in kept_dropped {
            // (Its word counts, in the previous vocabulary, stay behind.)
            self.remember_drop(c, None, reassign);
        }
        // Unique labels: the analyst's labels first (the latest edit wins),
        // then a fresh label equal to one already taken gets a suffix.
        let mut order: Vec<usize> = (0..self.problems.len()).collect();
        order.sort_by_key(|&i| {
            let id = self.problems[i].id;
            (labelled.iter().rposition(|&x| x == id).map(|r| labelled.len() - r).unwrap_or(usize::MAX), i)
        });
        // (Regardless of case, as edits compare labels.)
        let mut seen: Vec<String> = Vec::new();
        for i in order {
            let p = &mut self.problems[i];
            let mut label = p.label.clone();
            let mut n = 2;
            while seen.contains(&label.to_lowercase()) {
                label = format!("{} ({n})", p.label);
                n += 1;
            }
            p.label = label.clone();
            seen.push(label.to_lowercase());
        }
        // Parts merged back are not new; a seed replayed under its old id
        // has not vanished.
        let ids: Vec<u32> = self.problems.iter().map(|p| p.id).collect();
        lineage.new.retain(|id| ids.contains(id));
        lineage.kept.retain(|id| ids.contains(id));
        lineage.vanished.retain(|(id, _)| !ids.contains(id));
        self.lineage = lineage;
    }
}

fn clean_label(label: &str) -> Result<String> {
    let l = label.split_whitespace().collect::<Vec<_>>().join(" ");
    if l.is_empty() {
        return Err(Error::edit("a label cannot be empty"));
    }
    if l.chars().count() > 200 {
        return Err(Error::edit("a label is at most 200 characters"));
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::corpus;
    use crate::model::{ProblemModelParams, NO_PROBLEM};

    fn fitted() -> (ProblemModel, Vec<Option<String>>) {
        let texts = corpus();
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        (p.fit(&texts, &Control::new()).expect("fit").model, texts)
    }

    fn id_with(m: &ProblemModel, word: &str) -> u32 {
        m.problems().iter().find(|p| p.label.contains(word)).map(|p| p.id).expect("problem present")
    }

    #[test]
    fn rename_merge_drop_seed() {
        let (mut m, texts) = fitted();
        let c = Control::new();
        let refund = id_with(&m, "refund");
        m.edit(Edit::Rename { id: refund, label: "  Refund   missing ".into() }, &texts, &c).expect("rename");
        assert!(m.problems().iter().any(|p| p.id == refund && p.label == "Refund missing"));

        let app = id_with(&m, "app");
        let delivery = id_with(&m, "delivery");
        let labels = m.edit(Edit::Merge { ids: vec![app, delivery], label: None }, &texts, &c).expect("merge");
        assert_eq!(m.problems().len(), 2);
        assert_eq!(labels.iter().filter(|&&l| l == app as i64).count(), 80);
        // The word counts follow every edit (a merge adds them up).
        let counts = |m: &ProblemModel, id: u32| {
            let mixture = m.mixture.as_ref().expect("a default fit scores by its words");
            assert_eq!(mixture.problems.len(), m.problems().len());
            m.problems().iter().position(|p| p.id == id).map(|i| mixture.problems[i].complaints)
        };
        assert_eq!(counts(&m, app), Some(80.0));

        let labels = m.edit(Edit::Drop { id: refund, reassign: false }, &texts, &c).expect("drop");
        assert_eq!(labels.iter().filter(|&&l| l == NO_PROBLEM).count(), 42);
        assert_eq!(m.predict(&texts, &c).expect("predict"), labels);

        let labels = m
            .edit(Edit::Seed { id: u32::MAX, keywords: vec!["crashes".into()], label: "crashes".into() }, &texts, &c)
            .expect("seed");
        let seeded = m.problems().iter().find(|p| p.label == "crashes").map(|p| p.id).expect("seeded");
        assert!(seeded > refund && seeded > app);
        let n_seeded = labels.iter().filter(|&&l| l == seeded as i64).count();
        assert!(n_seeded >= 20, "{n_seeded}");
        assert_eq!(m.edits().len(), 4);
        // Seeding "crashes" took the app problem back out of the merge: the
        // merged problem is the delivery problem again, its counts too.
        assert!(m.parts.is_empty());
        assert_eq!(counts(&m, app), Some(40.0));
        assert_eq!(labels.iter().filter(|&&l| l == app as i64).count(), 40);

        let back = ProblemModel::from_json(&m.to_json().expect("json")).expect("load");
        assert_eq!(back.edits(), m.edits());
        assert_eq!(back.predict(&texts, &c).expect("predict"), labels);
    }

    #[test]
    fn seeding_what_was_dropped_lifts_the_drop_unless_the_seed_fails() {
        let (mut m, texts) = fitted();
        let c = Control::new();
        let refund = id_with(&m, "refund");
        let before = m.predict(&texts, &c).expect("predict");
        let dropped = m.edit(Edit::Drop { id: refund, reassign: false }, &texts, &c).expect("drop");
        // A seed that fails (its label is taken) changes nothing.
        let saved = m.to_json().expect("json");
        let taken = m.problems()[0].label.clone();
        let failed = m.edit(Edit::Seed { id: u32::MAX, keywords: vec!["refund".into()], label: taken }, &texts, &c);
        assert!(failed.is_err());
        assert_eq!(m.to_json().expect("json"), saved);
        assert_eq!(m.predict(&texts, &c).expect("predict"), dropped);
        // Seeding the same words again takes the dropped complaints back.
        let labels = m
            .edit(Edit::Seed { id: u32::MAX, keywords: vec!["refund".into()], label: "refunds".into() }, &texts, &c)
            .expect("seed");
        let seeded = m.problems().iter().find(|p| p.label == "refunds").map(|p| p.id).expect("seeded");
        let was_refund: Vec<bool> = before.iter().map(|&l| l == refund as i64).collect();
        let is_seeded: Vec<bool> = labels.iter().map(|&l| l == seeded as i64).collect();
        assert!(was_refund.iter().filter(|&&x| x).count() >= 40);
        assert_eq!(is_seeded, was_refund);
    }

    #[test]
    fn bad_edits_are_errors() {
        let (mut m, texts) = fitted();
        let c = Control::new();
        let kinds = [
            m.edit(Edit::Rename { id: 999, label: "x".into() }, &texts, &c),
            m.edit(Edit::Rename { id: 0, label: "   ".into() }, &texts, &c),
            m.edit(Edit::Merge { ids: vec![0], label: None }, &texts, &c),
            m.edit(Edit::Merge { ids: vec![0, 0], label: None }, &texts, &c),
            m.edit(Edit::Seed { id: u32::MAX, keywords: vec!["zzzqqq".into()], label: String::new() }, &texts, &c),
        ];
        for k in kinds {
            assert_eq!(k.map(|_| ()).map_err(|e| e.kind()), Err(crate::ErrorKind::InvalidEdit));
        }
        assert!(m.edits().is_empty());
    }

    #[test]
    fn refit_keeps_ids_and_replays_edits() {
        let (mut m, texts) = fitted();
        let c = Control::new();
        let refund = id_with(&m, "refund");
        m.edit(Edit::Rename { id: refund, label: "money back".into() }, &texts, &c).expect("rename");
        // Next month: no app complaints, a new problem about passwords.
        let mut next: Vec<Option<String>> =
            texts.iter().filter(|t| t.as_deref().map(|s| !s.contains("app")).unwrap_or(true)).cloned().collect();
        for i in 0..40 {
            next.push(Some(format!("password reset email never arrives, try {i}")));
        }
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let fit = p.fit_with(&next, Some(&m), &c).expect("refit");
        let m2 = fit.model;
        let refund2 = m2.problems().iter().find(|p| p.label == "money back").map(|p| p.id);
        assert_eq!(refund2, Some(refund));
        let delivery = id_with(&m, "delivery");
        assert!(m2.problems().iter().any(|p| p.id == delivery));
        let lineage = m2.lineage();
        assert_eq!(lineage.vanished.len(), 1, "{lineage:?}");
        assert_eq!(lineage.new.len(), 1);
        assert!(lineage.new[0] >= 3);
        assert_eq!(m2.predict(&next, &c).expect("predict"), fit.labels);
        assert_eq!(m2.edits().len(), 1);
    }

    #[test]
    fn refit_merges_again_what_the_analyst_merged() {
        let (mut m, texts) = fitted();
        let c = Control::new();
        let (delivery, app) = (id_with(&m, "delivery"), id_with(&m, "app"));
        m.edit(Edit::Merge { ids: vec![delivery, app], label: Some("orders and app".into()) }, &texts, &c)
            .expect("merge");
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let fit = p.fit_with(&texts, Some(&m), &c).expect("refit");
        let m2 = fit.model;
        // The refit finds delivery and app apart again; the analyst said they
        // are one problem, so they are merged again under the analyst's label.
        assert_eq!(m2.problems().len(), 2, "{:?}", m2.problems());
        let merged = m2.problems().iter().find(|p| p.id == delivery).expect("merged problem kept");
        assert_eq!(merged.label, "orders and app");
        assert_eq!(merged.size, 80);
        assert!(m2.lineage().new.is_empty(), "{:?}", m2.lineage());
        assert_eq!(m2.predict(&texts, &c).expect("predict"), fit.labels);
        assert_eq!(m2.edits().len(), 1);
    }

    #[test]
    fn refit_drops_again_what_the_analyst_dropped() {
        let c = Control::new();
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        for reassign in [false, true] {
            let (mut m, texts) = fitted();
            let refund = id_with(&m, "refund");
            let before = m.predict(&texts, &c).expect("predict");
            m.edit(Edit::Drop { id: refund, reassign }, &texts, &c).expect("drop");
            // Through the model file too, as next month's fit would get it.
            let m = ProblemModel::from_json(&m.to_json().expect("json")).expect("load");
            let fit = p.fit_with(&texts, Some(&m), &c).expect("refit");
            let m2 = fit.model;
            // The refit finds the refund complaints again, but the analyst
            // dropped them: no problem of theirs comes back under a new id.
            assert_eq!(m2.problems().len(), m.problems().len(), "{reassign}: {:?}", m2.problems());
            assert!(m2.problems().iter().all(|q| !q.label.contains("refund")), "{:?}", m2.problems());
            assert!(m2.lineage().new.is_empty(), "{:?}", m2.lineage());
            // Every complaint is labelled as the edited model labels it.
            assert!(before.iter().filter(|&&l| l == refund as i64).count() >= 40);
            assert_eq!(fit.labels, m.predict(&texts, &c).expect("predict"), "{reassign}");
            assert_eq!(m2.predict(&texts, &c).expect("predict"), fit.labels);
            assert_eq!(m2.edits().len(), 1);
            // And the month after that, from the refit model.
            let fit3 = p.fit_with(&texts, Some(&m2), &c).expect("refit again");
            assert_eq!(fit3.model.problems().len(), m.problems().len(), "{:?}", fit3.model.problems());
            assert_eq!(fit3.labels, fit.labels);
            // A month with too few refund complaints for a problem, then a
            // month with all of them: still dropped.
            let mut quiet: Vec<Option<String>> =
                texts.iter().filter(|t| t.as_deref().is_some_and(|s| !s.contains("refund"))).cloned().collect();
            quiet.extend(texts.iter().filter(|t| t.as_deref().is_some_and(|s| s.contains("refund"))).take(2).cloned());
            let absent = p.fit_with(&quiet, Some(&m), &c).expect("quiet month").model;
            assert!(absent.problems().iter().all(|q| !q.label.contains("refund")), "{:?}", absent.problems());
            let back = p.fit_with(&texts, Some(&absent), &c).expect("busy month");
            assert_eq!(back.model.problems().len(), m.problems().len(), "{reassign}: {:?}", back.model.problems());
            assert!(back.model.lineage().new.is_empty(), "{:?}", back.model.lineage());
            assert_eq!(back.labels, fit.labels);
        }
    }

    #[test]
    fn refit_keeps_the_label_of_a_seed_it_finds_itself() {
        // Four password complaints are too few for a problem: the analyst
        // seeds one. Next month there are forty, the fit finds them itself,
        // and the problem keeps the seed's id and label.
        let c = Control::new();
        let p = ProblemModelParams { min_size: Some(5), ..Default::default() };
        let password = |i: usize| {
            Some(format!("password reset email never arrives, try {}", ["again", "now", "today", "twice"][i % 4]))
        };
        let mut texts = corpus();
        texts.extend((0..4).map(password));
        let mut m = p.fit(&texts, &c).expect("fit").model;
        assert!(!m.problems().iter().any(|q| q.label.contains("password")));
        m.edit(
            Edit::Seed { id: u32::MAX, keywords: vec!["password".into()], label: "login trouble".into() },
            &texts,
            &c,
        )
        .expect("seed");
        let seed_id = m.problems().iter().find(|q| q.label == "login trouble").map(|q| q.id).expect("seeded");
        let mut next = corpus();
        next.extend((0..40).map(password));
        let m2 = p.fit_with(&next, Some(&m), &c).expect("refit").model;
        let found = m2.problems().iter().find(|q| q.id == seed_id).expect("seed found again");
        assert_eq!(found.label, "login trouble");
        assert!(found.size >= 40, "{found:?}");
        assert!(m2.lineage().kept.contains(&seed_id) && m2.lineage().vanished.is_empty(), "{:?}", m2.lineage());
        let mut labels: Vec<&str> = m2.problems().iter().map(|q| q.label.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), m2.problems().len());
    }

    #[test]
    fn matching_is_one_to_one() {
        let a = vec![vec![(0, 1.0)], vec![(1, 1.0)]];
        let b = vec![vec![(1, 1.0)], vec![(0, 0.8), (2, 0.6)]];
        assert_eq!(match_centres_where(&a, &b, 0.5, |_, _| true), vec![Some(1), Some(0)]);
        assert_eq!(match_centres_where(&a, &[], 0.5, |_, _| true), vec![None, None]);
        // A pair not allowed is not matched, however similar.
        assert_eq!(match_centres_where(&a, &b, 0.5, |i, j| (i, j) != (1, 0)), vec![Some(1), None]);
    }
}
